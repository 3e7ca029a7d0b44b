// procns diff-linux: differential fuzzing of the model against the real kernel. Each run draws a
// random lifecycle from the syscall table (only what the recorder can run), runs it on the
// emulator's nsfs profile, exports it as a scenario, records that scenario on this machine's
// kernel and checks the trace against nsfs. A divergence is shrunk by fast-check (every shrink
// step recorded on the kernel again) and saved as a scenario with the kernel's trace beside it.
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import seedrandom from 'seedrandom';
import { SYSCALL_TABLE, SyscallDesc } from '../kernel/syscall_table';
import { Command } from '../properties/world';
import { buildProfile, Replay, REPLAY_FORMAT } from '../properties/fuzz';
import { mixArbitrary, mixedCallArb, Mix, OPS, recordOf } from '../properties/commands';
import { replayToScenario } from '../scenarios/export';
import { Scenario } from '../scenarios/format';
import { recordLinux, RecordOptions, ScenarioError } from './recordLinux';
import { checkTrace, CheckResult } from './check';
import { toJsonl, traceHeader } from './trace';
import { runScenario } from '../scenarios/runner';
import { inOrder } from '../cli/pool';

/** The profile the kernel on this machine is judged against. */
export const DIFF_PROFILE = 'nsfs';

export interface DiffOptions {
  seed: number;
  runs: number;
  /** Syscalls per run at most. */
  steps: number;
  /** Tasks per run at most (init included). */
  tasks: number;
  /** Recordings a divergence's shrinking may use at most. */
  shrinkBudget?: number;
  /** Synthetic bug flags switched on in the model (the diff then finds them: its own test). */
  inject?: string[];
  record?: RecordOptions;
  /**
   * Runs recorded at once (default 1), each on a CPU of its own while it records (RecordOptions.cpu).
   * The results, their order and what is saved do not depend on it: run i draws from its own seed.
   */
  jobs?: number;
  /** Called when a run (not a shrink step) is judged, in run order. */
  onRun?: (r: DiffRun) => void;
}

export type DiffVerdict = 'agrees' | 'diverges' | 'error';

export interface DiffRun {
  run: number;
  /** The run's own seed: `diff-linux --seed S` run i draws from seedOfRun(S, i) alone. */
  seed: number;
  verdict: DiffVerdict;
  steps: number;
  /** For a divergence: the shrunk scenario, the kernel's trace of it, and the check's verdict. */
  divergence?: { scenario: Scenario; trace: string; check: Extract<CheckResult, { verdict: 'diverges' }>; recordings: number };
  /** For an error: why the run could not be judged (the recorder failed, the emulator could not export it). */
  error?: string;
}

export interface DiffResult {
  runs: DiffRun[];
  scenarios: number;
  steps: number;
  agree: number;
  diverge: number;
  errors: number;
  /** The machine cannot record (not root, no gcc, no namespaces). */
  skipped?: string;
}

/** The syscalls a diff run draws: the fuzzer's own, less those the helper cannot run. */
export const DIFF_OPS = OPS.filter((op) => (SYSCALL_TABLE.get(op) as SyscallDesc).helper !== null);

/** Run i's seed: a function of the campaign's seed and i alone, so a run replays by itself. */
export function seedOfRun(seed: number, run: number): number {
  return seedrandom(`procns diff-linux ${seed} ${run}`).int32() >>> 0;
}

/** A run: its mix, then a sequence of whole syscalls (the kernel runs one step at a time). */
function runArbitrary(steps: number, tasks: number): fc.Arbitrary<{ mix: Mix; cmds: Command[] }> {
  const profile = buildProfile(DIFF_PROFILE);
  const mixes = mixArbitrary().map((m) => {
    const out: Mix = {};
    for (const op of DIFF_OPS) out[op] = m[op] ?? 0;
    return out;
  });
  return mixes.chain((mix) => {
    const call = mixedCallArb(profile, mix, tasks - 1).filter((c) => {
      // what the helper cannot express is not drawn (e.g. a mount that is not MS_BIND)
      const refuses = (SYSCALL_TABLE.get(c.op) as SyscallDesc).helperRefuses;
      return !refuses?.(c as unknown as Record<string, unknown>);
    });
    const cmd = recordOf({ t: fc.constant('call' as const), task: fc.nat(tasks - 1), call });
    return fc.array(cmd, { minLength: 1, maxLength: steps }).map((cmds) => ({ mix, cmds: cmds as Command[] }));
  });
}

/** The commands as the emulator's nsfs run of them, exported as a scenario (or why not). */
export function diffScenario(cmds: Command[], seed: number, mix: Mix, inject: string[] = []): Scenario | string {
  const replay: Replay = {
    procns: REPLAY_FORMAT, kind: 'replay', profile: DIFF_PROFILE, fix: [], inject,
    properties: [], seed, path: '', commands: cmds, expect: null, mix,
  };
  const sc = replayToScenario(replay, `diff-linux-${seed}`, { checkProperties: false, aliveChecks: true });
  if (typeof sc === 'string') return `the emulator cannot export the run: ${sc}`;
  // the judge is the model at check time: a saved divergence carries no expectations of its own
  return { ...sc, description: `diff-linux run of seed ${seed}`, applies: [DIFF_PROFILE], steps: sc.steps.map(({ expect: _e, ...st }) => st) };
}

type Judged = { verdict: 'agrees' } | { verdict: 'diverges'; trace: string; check: Extract<CheckResult, { verdict: 'diverges' }> } | { verdict: 'error'; error: string } | { verdict: 'skipped'; why: string };

/** Record a scenario on this kernel and check its trace against nsfs (with `inject`'s flags on). */
export async function judgeOnLinux(sc: Scenario, opts: RecordOptions = {}, inject: string[] = []): Promise<Judged> {
  let rec;
  try {
    rec = await recordLinux(sc, opts);
  } catch (e) {
    return { verdict: 'error', error: `${e instanceof ScenarioError ? 'the recorder cannot express it' : 'the recorder failed'}: ${(e as Error).message.split('\n')[0]}` };
  }
  if ('skipped' in rec) return { verdict: 'skipped', why: rec.skipped };
  const trace = toJsonl(rec.header, rec.steps);
  const r = checkTrace(trace, buildProfile(DIFF_PROFILE, [], inject));
  if (r.verdict === 'agrees') return { verdict: 'agrees' };
  if (r.verdict === 'diverges') return { verdict: 'diverges', trace, check: r };
  return { verdict: 'error', error: `the recorder wrote a malformed trace: line ${r.line}: ${r.reason}` };
}

class Skipped extends Error {}

/** One run: drawn from its own seed; a divergence shrunk within the budget. */
export async function diffRun(run: number, o: DiffOptions): Promise<DiffRun> {
  const seed = seedOfRun(o.seed, run);
  const budget = o.shrinkBudget ?? 60;
  let first: DiffRun | null = null;
  let recordings = 0;
  const found: { smallest?: { sc: Scenario; trace: string; check: Extract<CheckResult, { verdict: 'diverges' }> } } = {};
  const prop = fc.asyncProperty(runArbitrary(o.steps, o.tasks), async ({ mix, cmds }) => {
    // past the budget every candidate passes: fast-check stops at the smallest found so far
    if (first && recordings >= budget) return true;
    const sc = diffScenario(cmds, seed, mix, o.inject);
    if (typeof sc === 'string') {
      first ??= { run, seed, verdict: 'error', steps: 0, error: sc };
      return true;
    }
    recordings++;
    const j = await judgeOnLinux(sc, o.record, o.inject);
    if (j.verdict === 'skipped') throw new Skipped(j.why);
    first ??= { run, seed, verdict: j.verdict, steps: sc.steps.length, ...(j.verdict === 'error' ? { error: j.error } : {}) };
    if (j.verdict !== 'diverges') return true;
    // shrinking only keeps candidates that still diverge, each smaller than the last
    found.smallest = { sc, trace: j.trace, check: j.check };
    return false;
  });
  const details = await fc.check(prop, { seed, numRuns: 1, endOnFailure: false });
  if (details.errorInstance instanceof Skipped) throw details.errorInstance;
  if (details.errorInstance && !details.failed) throw details.errorInstance;
  const r = first as DiffRun | null;
  if (!r) return { run, seed, verdict: 'error', steps: 0, error: 'nothing was drawn' };
  const s = found.smallest;
  if (r.verdict === 'diverges' && s) {
    r.divergence = { scenario: { ...s.sc, name: `diff-linux-${seed}` }, trace: s.trace, check: s.check, recordings };
  }
  return r;
}

/** The CPUs this process may run on, ascending (Cpus_allowed_list of /proc/self/status; [0] if unreadable). */
export function allowedCpus(): number[] {
  let list = '';
  try {
    list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux: the recorder will say it cannot run here
  }
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m) for (let c = Number(m[1]); c <= Number(m[2] ?? m[1]); c++) cpus.push(c);
  }
  return cpus.length ? cpus : [0];
}

/**
 * A diff-linux campaign: runs 1..runs, `jobs` of them recording at once, each on its own CPU
 * (a CPU is taken for a run and given back when it ends; with more jobs than CPUs, they are
 * shared). onRun sees each run in order, as soon as those before it are judged.
 */
export async function diffLinux(o: DiffOptions): Promise<DiffResult> {
  const out: DiffResult = { runs: [], scenarios: 0, steps: 0, agree: 0, diverge: 0, errors: 0 };
  const jobs = Math.max(1, o.jobs ?? 1);
  const cpus = allowedCpus();
  const free = jobs === 1 ? [] : Array.from({ length: jobs }, (_, i) => cpus[i % cpus.length]);
  let skipped: string | null = null;
  await inOrder<DiffRun>(o.runs, jobs, async (i) => {
    const cpu = free.shift();
    try {
      return await diffRun(i + 1, cpu === undefined ? o : { ...o, record: { ...o.record, cpu } });
    } catch (e) {
      if (!(e instanceof Skipped)) throw e;
      skipped ??= e.message;
      return { run: i + 1, seed: seedOfRun(o.seed, i + 1), verdict: 'error', steps: 0, error: e.message };
    } finally {
      if (cpu !== undefined) free.push(cpu);
    }
  }, (_i, r) => {
    if (!r || skipped !== null) return;
    out.runs.push(r);
    out.scenarios++;
    out.steps += r.steps;
    if (r.verdict === 'agrees') out.agree++;
    else if (r.verdict === 'diverges') out.diverge++;
    else out.errors++;
    o.onRun?.(r);
  }, () => skipped !== null);
  if (skipped !== null) return { runs: [], scenarios: 0, steps: 0, agree: 0, diverge: 0, errors: 0, skipped };
  return out;
}

/** Save a divergence: the shrunk scenario, the kernel's and the model's traces of it, each written atomically. */
export function saveDivergence(d: NonNullable<DiffRun['divergence']>, dir: string, inject: string[] = []): { scenario: string; trace: string; model: string } {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, d.scenario.name);
  const write = (file: string, text: string): void => {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  };
  const sc = { ...d.scenario, description: `${d.scenario.description}: diverges from Linux at step ${d.check.step}: ${d.check.what}` };
  write(`${base}.json`, JSON.stringify(sc, null, 1) + '\n');
  write(`${base}.linux.jsonl`, d.trace);
  // and the model's trace of it, to read side by side
  const profile = buildProfile(DIFF_PROFILE, [], inject);
  write(`${base}.nsfs.jsonl`, toJsonl(traceHeader(sc, profile, 'procns'), runScenario(sc, profile).trace));
  return { scenario: `${base}.json`, trace: `${base}.linux.jsonl`, model: `${base}.nsfs.jsonl` };
}
