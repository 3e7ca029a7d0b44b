// Random lifecycles with fast-check: fc.commands over the kernel's syscalls, scheduler steps and
// memory pressure, every property checked after every step. On failure: the shrunk command
// list, replayable on its own, and its trace as a table.
import fc from 'fast-check';
import { makeProfile, Profile } from '../kernel/profile';
import { errname } from '../kernel/errno';
import { Command, Completion, Observer, Steady, World } from './world';
import { ALL_PROPERTIES, Checker, PropertyName, Violation } from './checks';
import { commandArbs, fuzzWeight, LifecycleCommand, Mix, mixArbitrary, Op, OPS, PropertyFailure, Real } from './commands';
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

/** Run a fuzz campaign. */
export function fuzz(o: FuzzOptions): FuzzResult {
  const profile = buildProfile(o.profile, o.fix, o.inject);
  const props = new Set(o.properties ?? ALL_PROPERTIES);
  let steps = 0;
  let runs = 0;
  const only = o.ops;
  const mixes = only ? mixArbitrary().map((m) => restrictMix(m, only)) : mixArbitrary();
  // each run is its mix and its commands, so a failure can say which mix found it
  const arb = mixes.chain((mix) => fc.commands(commandArbs(profile, mix), { maxCommands: o.steps, size: 'max' }).map((cmds) => ({ mix, cmds })));
  const details = fc.check(
    fc.property(arb, ({ cmds }) => {
      o.onRun?.(++runs);
      const real = newReal(profile, props, {}, o.observers);
      try {
        fc.modelRun(() => ({ model: {}, real }), cmds);
      } finally {
        steps += real.world.steps;
      }
    }),
    { seed: o.seed, numRuns: o.runs, endOnFailure: false },
  );
  runs = details.numRuns;
  if (!details.failed || !details.counterexample) return { runs, steps, failure: null };
  const error = details.errorInstance;
  if (!(error instanceof PropertyFailure)) {
    throw error instanceof Error ? error : new Error(String(error));
  }
  const { mix, cmds } = details.counterexample[0];
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
  return { runs, steps, failure: replay };
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
