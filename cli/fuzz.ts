// procns fuzz, replay and the main job's verdict table.
import * as fs from 'fs';
import * as path from 'path';
import { randomInt } from 'crypto';
import { execFileSync } from 'child_process';
import { ALL_PROPERTIES, CAMPAIGNS, fuzz, replayRun, Replay, REPLAY_FORMAT } from '../properties/fuzz';
import { allVerdicts, Budget, Verdict } from '../properties/verdicts';
import { PROPERTIES, PropertyName, propertyNamed, RUN_PROPERTIES } from '../properties/checks';

/** The repository (or installed package) this procns runs from: dist/cli/.. /.. */
const ROOT = path.resolve(__dirname, '..', '..');

/** Where replay files go: scenarios/regressions, or $PROCNS_REPLAY_DIR (the tests use a temporary one). */
export function regressionDir(): string {
  return process.env.PROCNS_REPLAY_DIR ?? path.resolve(__dirname, '..', '..', 'scenarios', 'regressions');
}

/** profile[-fix-F][-inject-F]-<failed property>-seed<N>[-only-<checked properties>].json */
export function replayFileName(r: Replay): string {
  const prop = r.expect?.property ?? 'none';
  const mods = [...r.fix.map((f) => `fix-${f}`), ...r.inject.map((f) => `inject-${f}`)].join('-');
  const only = r.properties.length < ALL_PROPERTIES.length ? `-only-${r.properties.join('')}` : '';
  return `${r.profile}${mods ? '-' + mods : ''}-${prop}-seed${r.seed}${only}.json`;
}

let versionRead: Replay['version'] | undefined;

/**
 * The procns that runs: package.json's version, and the git commit when it runs from a git
 * checkout (none otherwise: an installed package, or no git). Read once per process.
 */
export function procnsVersion(): NonNullable<Replay['version']> {
  if (versionRead) return versionRead;
  let procns = 'unknown';
  try {
    procns = String((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    // no package.json beside dist: the version stays unknown
  }
  let commit: string | undefined;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
    if (/^[0-9a-f]{40}$/.test(head)) commit = head;
  } catch {
    // not a git checkout, or no git: no commit
  }
  versionRead = commit ? { procns, commit } : { procns };
  return versionRead;
}

/**
 * Save a replay file (atomically), stamped with the procns that found it. A file that already
 * holds this counterexample (the same run and commands, the same failure) is left as it is: it
 * keeps the stamp of the procns that first found it, and the main job leaves the tree clean.
 */
export function saveReplay(r: Replay, dir = regressionDir()): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, replayFileName(r));
  if (sameCounterexample(file, r)) return file;
  const tmp = `${file}.replay.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ ...r, version: procnsVersion() }, null, 1) + '\n');
  fs.renameSync(tmp, file);
  return file;
}

function sameCounterexample(file: string, r: Replay): boolean {
  let old: Replay;
  try {
    old = JSON.parse(fs.readFileSync(file, 'utf8')) as Replay;
  } catch {
    return false;
  }
  const key = (x: Replay): string => JSON.stringify([x.procns, x.profile, x.fix, x.inject, x.properties, x.seed, x.path, x.commands, x.expect, x.mix ?? null]);
  return key(old) === key(r);
}

function rel(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

export interface FuzzArgs {
  profile: string;
  seed?: number;
  runs: number;
  steps: number;
  fix: string[];
  inject: string[];
  properties?: PropertyName[];
}

/**
 * procns fuzz: exit 1 with a shrunk counterexample, or 0. The step properties are checked on
 * one campaign; a whole-run property (P8) only when named, after them: it runs the campaign
 * again, three times.
 */
export function cmdFuzz(a: FuzzArgs, out: (s: string) => void, tty: boolean): number {
  const seed = a.seed ?? randomInt(1, 2 ** 31 - 1);
  const progress = (n: number): void => {
    if (tty && n % 50 === 0) process.stderr.write(`\rfuzz: profile ${a.profile}, seed ${seed}: run ${n} of ${a.runs}`);
  };
  const named = a.properties;
  const whole = named?.filter((p) => RUN_PROPERTIES.includes(p)) ?? [];
  const stepped = named?.filter((p) => !RUN_PROPERTIES.includes(p));
  if (stepped?.length === 0) return cmdFuzzWhole(a, seed, whole, 0, 0, out);
  const res = fuzz({ profile: a.profile, fix: a.fix, inject: a.inject, seed, runs: a.runs, steps: a.steps, properties: stepped, onRun: progress });
  if (tty) process.stderr.write('\r\x1b[K');
  if (!res.failure && whole.length) return cmdFuzzWhole(a, seed, whole, res.runs, res.steps, out);
  if (res.failure) {
    const r = res.failure;
    const shown = replayRun(r);
    out(`${r.expect?.property ?? '?'} failed on ${a.profile}${a.fix.length ? ` (fixed: ${a.fix.join(', ')})` : ''}: ${r.expect?.message ?? ''}`);
    out(`  ${PROPERTIES[r.expect?.property ?? 'P1']}`);
    out('');
    out(shown.table);
    out('');
    out(`seed ${seed}, path "${r.path}"`);
    const file = saveReplay(r);
    out(`replay: procns replay ${rel(file)}`);
  }
  out(`fuzz: ${res.runs} runs, ${res.steps} steps, ${res.failure ? 1 : 0} failures`);
  return res.failure ? 1 : 0;
}

/** The whole-run properties of procns fuzz (after `runs` runs and `steps` steps of the step properties). */
function cmdFuzzWhole(a: FuzzArgs, seed: number, props: PropertyName[], runs: number, steps: number, out: (s: string) => void): number {
  const again = ['procns fuzz', `--profile ${a.profile}`, ...a.fix.map((f) => `--fix ${f}`), ...a.inject.map((f) => `--inject ${f}`),
    ...props.map((p) => `--property ${p}`), `--seed ${seed}`, `--runs ${a.runs}`, `--steps ${a.steps}`].join(' ');
  let failures = 0;
  for (const p of props) {
    const r = propertyNamed(p)?.run?.check({ profile: a.profile, fix: a.fix, inject: a.inject, seed, runs: a.runs, steps: a.steps }, CAMPAIGNS);
    if (!r) continue;
    runs += r.runs;
    steps += r.steps;
    if (r.message) {
      failures++;
      out(`${p} failed on ${a.profile}${a.fix.length ? ` (fixed: ${a.fix.join(', ')})` : ''}${a.inject.length ? ` (injected: ${a.inject.join(', ')})` : ''}: ${r.message}`);
      out(`  ${PROPERTIES[p]}`);
    } else {
      out(`${p} holds: ${r.summary}`);
    }
  }
  out(`seed ${seed}; again: ${again}`);
  out(`fuzz: ${runs} runs, ${steps} steps, ${failures} failures`);
  return failures ? 1 : 0;
}

/** procns replay: the same bytes every time; exit 1 when the failure reproduces. */
export function cmdReplay(file: string, out: (s: string) => void): number {
  let r: Replay;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8')) as Replay;
  } catch (e) {
    out(`procns replay: ${file}: ${(e as Error).message}`);
    return 2;
  }
  if (r.kind !== 'replay' || !Array.isArray(r.commands)) {
    out(`procns replay: ${file}: not a replay file`);
    return 2;
  }
  if (r.procns !== REPLAY_FORMAT) {
    const again = ['procns fuzz', `--profile ${r.profile}`, ...(r.fix ?? []).map((f) => `--fix ${f}`), ...(r.inject ?? []).map((f) => `--inject ${f}`), `--seed ${r.seed}`].join(' ');
    out(`procns replay: ${file}: replay format ${String(r.procns)}, but this procns reads format ${REPLAY_FORMAT} (its commands name tasks another way); find the failure again with: ${again}`);
    return 2;
  }
  const shown = replayRun(r);
  const by = r.version ? `, found by procns ${r.version.procns}${r.version.commit ? ` at ${r.version.commit.slice(0, 12)}` : ''}` : '';
  out(`replay of ${path.basename(file)}: profile ${r.profile}${r.fix.length ? ` (fixed: ${r.fix.join(', ')})` : ''}, seed ${r.seed}, path "${r.path}"${by}`);
  out(shown.table);
  if (shown.violation) {
    out(`${shown.violation.property} failed at step ${shown.violation.step}: ${shown.violation.message}`);
    return 1;
  }
  out('no property failed');
  return 0;
}

/** The main job (npm start): the verdict table; exit 0 when every verdict is the expected one. */
export function cmdVerdicts(b: Budget, out: (s: string) => void): number {
  out(`procns: every profile against every property (seed ${b.seed}, ${b.runs} runs of up to ${b.steps} steps each)`);
  out('');
  const rows: string[] = [];
  const verdicts = allVerdicts(b, (v) => rows.push(formatVerdict(v)));
  for (const r of rows) out(r);
  const wrong = verdicts.filter((v) => v.expected !== v.got);
  out('');
  out(wrong.length ? `${wrong.length} verdict(s) differ from the expected table` : 'every verdict is the expected one');
  return wrong.length ? 1 : 0;
}

function formatVerdict(v: Verdict): string {
  const mark = v.expected === v.got ? ' ' : '!';
  let text: string = v.got;
  if (v.replay) {
    const file = saveReplay(v.replay);
    const steps = replayRun(v.replay).table.split('\n').length - 1;
    text = `counterexample, ${steps} steps: ${v.replay.expect?.message ?? ''}\n${' '.repeat(20)}procns replay ${rel(file)}`;
  } else if (v.message) {
    text = `counterexample: ${v.message}`;
  }
  const profile = v.profile + v.inject.map((f) => `+${f}`).join('');
  const injected = v.inject.length && mark === ' ' ? ` (expected: ${v.inject.join(', ')} is injected)` : '';
  return `${mark} ${profile.padEnd(6)} ${v.property}  ${text}${injected}${mark === '!' ? `   (expected: ${v.expected})` : ''}`;
}
