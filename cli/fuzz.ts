// procns fuzz, replay and the main job's verdict table.
import * as fs from 'fs';
import * as path from 'path';
import { createHash, randomInt } from 'crypto';
import { execFileSync } from 'child_process';
import { ALL_PROPERTIES, CAMPAIGNS, FuzzResult, replayRun, Replay, REPLAY_FORMAT } from '../properties/fuzz';
import { Budget, Verdict, VERDICT_ROWS } from '../properties/verdicts';
import { createPool } from './pool';
import { fuzzRange, verdictsOf } from './parallel';
import { Shard, shardRange } from './shard';
import { progress } from './progress';
import { PROPERTIES, PropertyName, propertyNamed, RUN_PROPERTIES } from '../properties/checks';
import { makeProfile } from '../kernel/profile';
import { readInput } from '../scenarios/input';
import { schemaProblem } from '../scenarios/schemas';
import { SYSCALL_TABLE } from '../kernel/syscall_table';

/** The repository (or installed package) this procns runs from: dist/cli/.. /.. */
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Where replay files go by default: $PROCNS_REPLAY_DIR (the tests use a temporary one), else
 * scenarios/regressions in a procns checkout (a git work tree), else the current directory (an
 * installed package's own folder is no place to write).
 */
export function regressionDir(): string {
  if (process.env.PROCNS_REPLAY_DIR) return process.env.PROCNS_REPLAY_DIR;
  return fs.existsSync(path.join(ROOT, '.git')) ? path.join(ROOT, 'scenarios', 'regressions') : process.cwd();
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
  let file = path.join(dir, replayFileName(r));
  if (sameCounterexample(file, r)) return file;
  if (fs.existsSync(file)) {
    // another counterexample has this name (another --steps, another procns): never overwritten;
    // this one is named by a short hash of its commands as well
    const hash = createHash('sha256').update(JSON.stringify(r.commands)).digest('hex').slice(0, 8);
    file = file.replace(/\.json$/, `-${hash}.json`);
    if (sameCounterexample(file, r)) return file;
  }
  const tmp = `${file}.${process.pid}.replay.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify({ ...r, version: procnsVersion() }, null, 1) + '\n');
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch { /* never written */ }
    throw e;
  }
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

export function rel(file: string): string {
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
  /** Where a counterexample's replay file goes (default: regressionDir()). */
  save?: string;
  /** Worker threads (default 1: this thread); the result does not depend on it. */
  jobs?: number;
  /** Run only this shard's part of the runs (shard.ts). */
  shard?: Shard | null;
}

/**
 * procns fuzz: exit 1 with a shrunk counterexample, or 0. The step properties are checked on
 * one campaign, its runs spread over `jobs` threads (or only a shard's part of them); a
 * whole-run property (P8) only when named, after them, in this thread: it runs the campaign
 * again, three times.
 */
export async function cmdFuzz(a: FuzzArgs, out: (s: string) => void, show: boolean): Promise<CmdResult> {
  const seed = a.seed ?? randomInt(1, 2 ** 31 - 1);
  const bar = progress(`fuzz ${a.profile} seed ${seed}${a.shard ? ` shard ${a.shard.index}/${a.shard.count}` : ''}`, process.stderr, show);
  const named = a.properties;
  const whole = named?.filter((p) => RUN_PROPERTIES.includes(p)) ?? [];
  const stepped = named?.filter((p) => !RUN_PROPERTIES.includes(p));
  if (stepped?.length === 0) return cmdFuzzWhole(a, seed, whole, 0, 0, out);
  const { first, end } = a.shard ? shardRange(a.runs, a.shard) : { first: 0, end: a.runs };
  if (a.shard) out(`shard ${a.shard.index}/${a.shard.count}: runs ${first} to ${end - 1} of ${a.runs}`);
  const pool = createPool(Math.min(a.jobs ?? 1, end - first)); // no thread without runs to make
  let res: FuzzResult;
  try {
    res = await fuzzRange({ profile: a.profile, fix: a.fix, inject: a.inject, seed, runs: a.runs, steps: a.steps, properties: stepped }, first, end, pool,
      (n, total) => bar.tick(n, total, n > total ? '(shrinking)' : 'runs'));
  } finally {
    await pool.close();
  }
  bar.end();
  if (!res.failure && whole.length) return cmdFuzzWhole(a, seed, whole, res.runs, res.steps, out);
  const r = reportFuzz(a, seed, res, out);
  if (!a.shard) return r;
  // what `procns merge` needs of a shard: its part, the failure as data, and the procns that ran it
  const args = { profile: a.profile, fix: a.fix, inject: a.inject, properties: a.properties ?? null, seed, runs: a.runs, steps: a.steps };
  return { code: r.code, doc: { ...r.doc, shard: { index: a.shard.index, count: a.shard.count, first, end }, args, failure: res.failure, version: procnsVersion() } };
}

/**
 * A fuzz campaign's result, printed and as a document (its counterexample saved): what
 * `procns fuzz` says, and what `procns merge` says of shards that add up to the same campaign.
 */
export function reportFuzz(a: FuzzArgs, seed: number, res: FuzzResult, out: (s: string) => void): CmdResult {
  const again = againCommand(a, seed);
  const doc: Record<string, unknown> = {
    command: 'fuzz', verdict: res.failure ? 'counterexample' : 'holds', profile: a.profile, fix: a.fix, inject: a.inject,
    seed, runs: res.runs, steps: res.steps, failures: res.failure ? 1 : 0, again,
  };
  if (res.failure) {
    const r = res.failure;
    const shown = replayRun(r);
    out(`${r.expect?.property ?? '?'} failed on ${a.profile}${a.fix.length ? ` (fixed: ${a.fix.join(', ')})` : ''}: ${r.expect?.message ?? ''}`);
    out(`  ${PROPERTIES[r.expect?.property ?? 'P1']}`);
    out('');
    out(shown.table);
    out('');
    out(`seed ${seed}, path "${r.path}"`);
    Object.assign(doc, { property: r.expect?.property ?? null, message: r.expect?.message ?? null, path: r.path, steps_shrunk: r.commands.length });
    const saved = trySave(r, a.save, out);
    doc.replay = saved;
    if (saved) out(`replay: procns replay ${rel(saved)}`);
  } else {
    out(`seed ${seed}; again: ${again}`);
  }
  out(`fuzz: ${res.runs} runs, ${res.steps} steps, ${res.failure ? 1 : 0} failures`);
  return { code: res.failure ? 1 : 0, doc };
}

/** What a command gives back: its exit status and its result as one JSON document. */
export interface CmdResult {
  code: number;
  doc: Record<string, unknown>;
}

/** The command that runs this campaign again. */
function againCommand(a: FuzzArgs, seed: number): string {
  return ['procns fuzz', `--profile ${a.profile}`, ...a.fix.map((f) => `--fix ${f}`), ...a.inject.map((f) => `--inject ${f}`),
    ...(a.properties ?? []).map((p) => `--property ${p}`), `--seed ${seed}`, `--runs ${a.runs}`, `--steps ${a.steps}`,
    ...(a.shard ? [`--shard ${a.shard.index}/${a.shard.count}`] : [])].join(' ');
}

/**
 * Save a counterexample; a disk that refuses the write (full, read-only) is one line, and the
 * counterexample has been printed already. Null when not saved.
 */
function trySave(r: Replay, dir: string | undefined, out: (s: string) => void): string | null {
  try {
    return saveReplay(r, dir);
  } catch (e) {
    out(`procns fuzz: the replay file could not be written: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

/** The whole-run properties of procns fuzz (after `runs` runs and `steps` steps of the step properties). */
function cmdFuzzWhole(a: FuzzArgs, seed: number, props: PropertyName[], runs: number, steps: number, out: (s: string) => void): CmdResult {
  const again = againCommand(a, seed);
  let failures = 0;
  const failed: { property: string; message: string }[] = [];
  for (const p of props) {
    const r = propertyNamed(p)?.run?.check({ profile: a.profile, fix: a.fix, inject: a.inject, seed, runs: a.runs, steps: a.steps }, CAMPAIGNS);
    if (!r) continue;
    runs += r.runs;
    steps += r.steps;
    if (r.message) {
      failures++;
      failed.push({ property: p, message: r.message });
      out(`${p} failed on ${a.profile}${a.fix.length ? ` (fixed: ${a.fix.join(', ')})` : ''}${a.inject.length ? ` (injected: ${a.inject.join(', ')})` : ''}: ${r.message}`);
      out(`  ${PROPERTIES[p]}`);
    } else {
      out(`${p} holds: ${r.summary}`);
    }
  }
  out(`seed ${seed}; again: ${again}`);
  out(`fuzz: ${runs} runs, ${steps} steps, ${failures} failures`);
  const doc = {
    command: 'fuzz', verdict: failures ? 'counterexample' : 'holds', profile: a.profile, fix: a.fix, inject: a.inject, seed, runs, steps,
    failures, property: failed[0]?.property ?? null, message: failed[0]?.message ?? null, replay: null, again,
  };
  return { code: failures ? 1 : 0, doc };
}

/** procns replay: the same bytes every time; exit 1 when the failure reproduces. */
export function cmdReplay(file: string, out: (s: string) => void): CmdResult {
  const bad = (why: string): CmdResult => {
    out(`procns replay: ${file}: ${why}`);
    return { code: 2, doc: { command: 'replay', file, verdict: 'malformed', reason: why } };
  };
  const r = loadReplay(file);
  if (typeof r === 'string') return bad(r);
  const shown = replayRun(r);
  const by = r.version ? `, found by procns ${r.version.procns}${r.version.commit ? ` at ${r.version.commit.slice(0, 12)}` : ''}` : '';
  out(`replay of ${path.basename(file)}: profile ${r.profile}${r.fix.length ? ` (fixed: ${r.fix.join(', ')})` : ''}, seed ${r.seed}, path "${r.path}"${by}`);
  out(shown.table);
  const doc: Record<string, unknown> = { command: 'replay', file, profile: r.profile, fix: r.fix, inject: r.inject, seed: r.seed, path: r.path };
  if (shown.violation) {
    out(`${shown.violation.property} failed at step ${shown.violation.step}: ${shown.violation.message}`);
    return { code: 1, doc: { ...doc, verdict: 'reproduced', property: shown.violation.property, step: shown.violation.step, message: shown.violation.message } };
  }
  out('no property failed');
  return { code: 0, doc: { ...doc, verdict: 'holds' } };
}

/**
 * A replay file, read and validated (replay.schema.json, then what only procns knows: its
 * syscalls, properties, format and profile), or why it is not one. Every reader of replay files
 * (replay, export, run, record) comes here.
 */
export function loadReplay(file: string): Replay | string {
  const input = readInput(file);
  if ('error' in input) return input.error;
  let r: Replay;
  try {
    r = JSON.parse(input.text) as Replay;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
  const why = replayProblem(r, input.text);
  if (why) return why;
  if (r.procns !== REPLAY_FORMAT) {
    const again = ['procns fuzz', `--profile ${r.profile}`, ...(r.fix ?? []).map((f) => `--fix ${f}`), ...(r.inject ?? []).map((f) => `--inject ${f}`), `--seed ${r.seed}`].join(' ');
    return `replay format ${String(r.procns)}, but this procns reads format ${REPLAY_FORMAT} (its commands name tasks another way); find the failure again with: ${again}`;
  }
  const profile = makeProfile(r.profile, r.fix, r.inject);
  return typeof profile === 'string' ? profile : r;
}

/**
 * Why a parsed replay file is not one, or null: its shape (replay.schema.json, with the line when
 * the text is given), then what only procns knows (its syscalls and properties).
 */
export function replayProblem(r: unknown, text?: string): string | null {
  const shape = schemaProblem('replay', r, text);
  if (shape) return shape;
  const o = r as Replay;
  const unknown = o.properties.find((p) => !(ALL_PROPERTIES as string[]).includes(p));
  if (unknown) return `"properties": unknown property '${unknown}'`;
  for (const [i, c] of o.commands.entries()) {
    if ((c.t === 'call' || c.t === 'start' || c.t === 'race') && !SYSCALL_TABLE.has(c.call.op)) return `command ${i + 1}: unknown syscall '${c.call.op}'`;
    const bad = c.t === 'race' ? c.then.find((x) => !SYSCALL_TABLE.has(x.call.op)) : undefined;
    if (bad) return `command ${i + 1}: unknown syscall '${bad.call.op}'`;
  }
  return null;
}

/**
 * The main job (npm start): the verdict table, its campaigns spread over `jobs` threads (or
 * only a shard's part of them); exit 0 when every verdict is the expected one.
 */
export async function cmdVerdicts(b: Budget, out: (s: string) => void, show = false, jobs = 1, shard: Shard | null = null): Promise<CmdResult> {
  const { first, end } = shard ? shardRange(VERDICT_ROWS, shard) : { first: 0, end: VERDICT_ROWS };
  const table = verdictTable(b, out, show, end - first);
  if (shard) out(`shard ${shard.index}/${shard.count}: campaigns ${first + 1} to ${end} of ${VERDICT_ROWS}`);
  const pool = createPool(Math.min(jobs, end - first));
  let verdicts: Verdict[];
  try {
    verdicts = await verdictsOf(Array.from({ length: end - first }, (_, i) => first + i), b, pool, table.row);
  } finally {
    await pool.close();
  }
  const r = table.end(verdicts);
  if (!shard) return r;
  // what `procns merge` needs of a shard: its part, its verdicts as data, and the procns that ran it
  return { code: r.code, doc: { ...r.doc, shard: { index: shard.index, count: shard.count, first, end }, verdicts, version: procnsVersion() } };
}

/**
 * The verdict table, a row printed as each verdict comes in (in the table's order) and a
 * counterexample saved; then its last line and its document. `procns verdicts` and `procns
 * merge` both print it.
 */
export function verdictTable(b: Budget, out: (s: string) => void, show: boolean, total: number): { row(v: Verdict): void; end(verdicts: Verdict[]): CmdResult } {
  out(`procns: every profile against every property (seed ${b.seed}, ${b.runs} runs of up to ${b.steps} steps each)`);
  out('');
  // each row as its campaign ends: the table streams, with the campaigns done so far below it
  const bar = progress('verdicts', process.stderr, show);
  let done = 0;
  bar.tick(0, total, 'campaigns');
  return {
    row(v) {
      bar.end();
      out(formatVerdict(v));
      bar.tick(++done, total, 'campaigns');
    },
    end(verdicts) {
      bar.end();
      const wrong = verdicts.filter((v) => v.expected !== v.got);
      out('');
      out(wrong.length ? `${wrong.length} verdict(s) differ from the expected table` : 'every verdict is the expected one');
      const rows = verdicts.map((v) => ({
        profile: v.profile, inject: v.inject, property: v.property, expected: v.expected, got: v.got,
        message: v.replay?.expect?.message ?? v.message ?? null, replay: v.replay ? path.join(regressionDir(), replayFileName(v.replay)) : null,
      }));
      return { code: wrong.length ? 1 : 0, doc: { command: 'verdicts', seed: b.seed, runs: b.runs, steps: b.steps, ok: !wrong.length, differ: wrong.length, rows } };
    },
  };
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
