// Random lifecycles with fast-check: fc.commands over the kernel's syscalls, scheduler steps and
// memory pressure, every property checked after every step. On failure: the shrunk command
// list, replayable on its own, and its trace as a table.
import fc from 'fast-check';
import { makeProfile, Profile } from '../kernel/profile';
import { errname } from '../kernel/errno';
import { Command, Completion, Observer, Steady, World } from './world';
import { ALL_PROPERTIES, Checker, PropertyName, Violation } from './checks';
import { commandArbs, fuzzWeight, LifecycleCommand, Mix, mixArbitrary, Op, OPS, PropertyFailure, Real, RunModel } from './commands';
import { aliveNamespaces } from './liveness';

export { ALL_PROPERTIES };

export interface FuzzOptions {
  profile: string;
  fix?: string[];
  inject?: string[];
  seed: number;
  runs: number;
  steps: number;
  properties?: PropertyName[];
  /** Restrict every run's swarm mix to these operations (the others are off). */
  ops?: Op[];
  /** Called as each run starts, shrinking runs included (progress display). */
  onRun?: (run: number) => void;
  /** Also watch every run's world, after the checker (P8's digest). */
  observers?: Observer[];
}

/**
 * The replay file format. 2: commands name tasks by the clone that made them (world.ts); the
 * commands of a format 1 file named them by position and mean something else now.
 */
export const REPLAY_FORMAT = 2;

export interface Replay {
  procns: typeof REPLAY_FORMAT;
  kind: 'replay';
  profile: string;
  fix: string[];
  inject: string[];
  properties: PropertyName[];
  seed: number;
  path: string;
  commands: Command[];
  /** What the replay must show: the property and the message of its first violation. */
  expect: { property: PropertyName; message: string } | null;
  /** The failing run's swarm mix (files saved before it was recorded have none). */
  mix?: Mix;
  /** The procns that found it: package.json's version, and the git commit when it ran from a checkout (set at save time). */
  version?: { procns: string; commit?: string };
}

export interface FuzzResult {
  runs: number;
  steps: number;
  failure: Replay | null;
}

export function buildProfile(name: string, fix: string[] = [], inject: string[] = []): Profile {
  const p = makeProfile(name, fix, inject);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

/** A world watched by a checker of these properties (and by `observers`, after the checker). */
export function newReal(profile: Profile, props: ReadonlySet<PropertyName>, steady: Steady = {}, observers: Observer[] = []): Real {
  const checker = new Checker(props);
  const world = new World(profile, [checker.observe, ...observers], steady);
  return { world, checker };
}

/** A mix with only `ops` switched on (each at least weight 1). */
function restrictMix(m: Mix, ops: Op[]): Mix {
  const out = { ...m };
  for (const op of OPS) out[op] = ops.includes(op) ? Math.max(m[op] ?? 0, fuzzWeight(op)) : 0;
  return out;
}

/** fast-check hands back its own wrappers around our commands. */
function unwrap(c: unknown): Command {
  let x = c as { cmd?: unknown };
  while (!(x instanceof LifecycleCommand) && x && typeof x === 'object' && 'cmd' in x) x = x.cmd as { cmd?: unknown };
  return (x as LifecycleCommand).cmd;
}

/**
 * fc.commands draws a run's length evenly from 0 to its maxCommands; it draws up to RUN_SPAN
 * times the run's steps, of which the first `steps` run (RunModel): half the runs are of full
 * length, and a run makes 3/4 of its steps on average, not 1/2.
 */
const RUN_SPAN = 2;

/** A campaign's runs as one fast-check property that counts the runs and steps it makes. */
function campaign(o: FuzzOptions, guard?: (runsBefore: number) => void): { props: Set<PropertyName>; counts: { runs: number; steps: number; lastRunSteps: number }; property: fc.IPropertyWithHooks<[[Mix, Iterable<fc.Command<RunModel, Real>>]]> } {
  const profile = buildProfile(o.profile, o.fix, o.inject);
  const props = new Set(o.properties ?? ALL_PROPERTIES);
  const counts = { runs: 0, steps: 0, lastRunSteps: 0 };
  const only = o.ops;
  const mixes = only ? mixArbitrary().map((m) => restrictMix(m, only)) : mixArbitrary();
  // each run is its mix and its commands, so a failure can say which mix found it
  const arb = mixes.chain((mix) => fc.tuple(fc.constant(mix), fc.commands(commandArbs(profile, mix), { maxCommands: RUN_SPAN * o.steps, size: 'max' })));
  const property = fc.property(arb, ([, cmds]) => {
    guard?.(counts.runs);
    o.onRun?.(++counts.runs);
    const real = newReal(profile, props, {}, o.observers);
    try {
      fc.modelRun(() => ({ model: { left: o.steps }, real }), cmds);
    } finally {
      counts.lastRunSteps = real.world.steps;
      counts.steps += real.world.steps;
    }
  });
  return { props, counts, property };
}

/** Run a fuzz campaign. */
export function fuzz(o: FuzzOptions): FuzzResult {
  const { props, counts, property } = campaign(o);
  const details = fc.check(property, { seed: o.seed, numRuns: o.runs, endOnFailure: false });
  if (!details.failed || !details.counterexample) return { runs: details.numRuns, steps: counts.steps, failure: null };
  return { runs: details.numRuns, steps: counts.steps, failure: failureOf(o, props, details) };
}

/** The shrunk counterexample of a failed check, as a replay; an error that is no property's is thrown. */
function failureOf(o: FuzzOptions, props: Set<PropertyName>, details: fc.RunDetails<[[Mix, Iterable<fc.Command<RunModel, Real>>]]>): Replay {
  const error = details.errorInstance;
  if (!(error instanceof PropertyFailure) || !details.counterexample) {
    throw error instanceof Error ? error : new Error(String(error));
  }
  const [mix, cmds] = details.counterexample[0];
  const commands = [...cmds].map(unwrap);
  const replay: Replay = {
    procns: REPLAY_FORMAT,
    kind: 'replay',
    profile: o.profile,
    fix: o.fix ?? [],
    inject: o.inject ?? [],
    properties: [...props],
    seed: o.seed,
    path: details.counterexamplePath ?? '',
    commands,
    expect: null,
    mix,
  };
  const shown = replayRun(replay);
  replay.commands = shown.commands;
  replay.expect = shown.violation ? { property: shown.violation.property, message: shown.violation.message } : null;
  return replay;
}

/**
 * Runs first .. first+count-1 of a campaign, unshrunk: a run's randomness is fast-check's
 * generator jumped (index + 1) times from the seed (its `path`), so run i is the same run
 * whoever makes it, in whatever order. Stops at the first failing run (`failedAt`), or, when
 * `stop` says a lower run failed elsewhere, before any run above it (`stopped`). `steps`
 * counts the runs before the failing one.
 */
export function scanRuns(o: FuzzOptions, first: number, count: number, stop?: () => number): ScanResult {
  const halt = new Error('a lower run failed');
  const { counts, property } = campaign(o, stop && ((before) => {
    if (first + before >= stop()) throw halt;
  }));
  const details = fc.check(property, { seed: o.seed, path: String(first), numRuns: count, endOnFailure: true });
  if (!details.failed) return { first, ran: details.numRuns, steps: counts.steps, failedAt: null, stopped: false };
  if (details.errorInstance === halt) return { first, ran: counts.runs, steps: counts.steps, failedAt: null, stopped: true };
  return { first, ran: details.numRuns, steps: counts.steps - counts.lastRunSteps, failedAt: first + details.numRuns - 1, stopped: false };
}

export interface ScanResult {
  first: number;
  /** Runs made, the failing one included. */
  ran: number;
  /** Steps of the runs made before the failing one (all of them when none failed). */
  steps: number;
  failedAt: number | null;
  /** Stopped early because a lower run failed elsewhere: the result says nothing. */
  stopped: boolean;
}

/**
 * Run `index` of a campaign again and shrink it, as fuzz() shrinks its first failing run: the
 * same counterexample, path and steps (the run's own and its shrinking's).
 */
export function shrinkRun(o: FuzzOptions, index: number): { steps: number; failure: Replay } {
  const { props, counts, property } = campaign(o);
  const details = fc.check(property, { seed: o.seed, path: String(index), numRuns: 1, endOnFailure: false });
  if (!details.failed) throw new Error(`run ${index} of seed ${o.seed} failed once and holds now: not deterministic`);
  return { steps: counts.steps, failure: failureOf(o, props, details) };
}

export interface ReplayResult {
  violation: Violation | null;
  /** The commands up to and including the failing one. */
  commands: Command[];
  table: string;
}

/** Re-run a saved command list; the output is a function of the file alone. */
export function replayRun(r: Replay): ReplayResult {
  const profile = buildProfile(r.profile, r.fix, r.inject);
  const done: Completion[] = [];
  const real = newReal(profile, new Set(r.properties), {}, [(_w, c) => done.push(c)]);
  const rows: string[][] = [['step', 'task', 'syscall', 'result', 'alive namespaces [holders]']];
  let printed = 0;
  const ran: Command[] = [];
  let violation: Violation | null = null;
  for (const cmd of r.commands) {
    ran.push(cmd);
    real.world.run(cmd);
    real.checker.quiescent(real.world);
    // a row per syscall the command completed, with what is alive once it is done
    for (; printed < done.length; printed++) {
      const c = done[printed];
      const res = c.result.ret < 0 ? errname(c.result.ret) : String(c.result.ret);
      const args = Object.entries(c.call.args).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      rows.push([String(c.step), `pid ${c.task.pid.nr}`, `${c.call.op}(${args})`, res, aliveNamespaces(real.world.k)]);
    }
    violation = real.checker.violations[0] ?? null;
    if (violation) break;
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
  return { violation, commands: ran, table };
}

/** The campaign runner a whole-run property is handed (property.ts: Campaigns). */
export const CAMPAIGNS = Object.freeze({ fuzz, replayRun });

export { PropertyFailure };
