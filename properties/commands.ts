// fast-check commands for random lifecycles. A command is pure data (see world.ts); the
// classes here are the fc.Command wrappers that run it and check the properties after it.
// Swarm testing: each run's seed also picks its mix of operations.
import fc from 'fast-check';
import { nsEntryNames } from '../procfs';
import { ArgDecl, PathKind, RaceRole, SYSCALL_NAMES, SYSCALL_TABLE, SyscallDesc, SyscallName } from '../kernel/syscall_table';
import { Profile } from '../kernel/profile';
import { CallSpec, Command, PathSpec, RaceWho, World } from './world';
import { Checker, Violation } from './checks';

/** What a run's commands act on: the world and the checker watching it. */
export interface Real {
  world: World;
  checker: Checker;
}

export class PropertyFailure extends Error {
  constructor(readonly violation: Violation) {
    super(`${violation.property} failed at step ${violation.step}: ${violation.message}`);
  }
}

/**
 * fc.record(model), drawn the same way, as a plain object. fast-check's record draws one value
 * more than its fields, a boolean saying whether the object gets a null prototype; it is still
 * drawn, so every seed keeps the runs it had, but the object is always a plain one: half of all
 * commands were null-prototype objects, which V8 keeps as dictionaries, slow to read at each step.
 */
export function recordOf<T extends object>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  const keys = Object.keys(model) as (keyof T & string)[];
  const arbs = keys.map((k) => model[k] as fc.Arbitrary<unknown>);
  return fc.tuple(...arbs, fc.boolean()).map((vs) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) o[keys[i]] = vs[i];
    return o as T;
  });
}

/**
 * The model fc.modelRun hands a run's commands: how many more of them may run (the run's
 * budget of steps). fc.commands draws more commands than that (fuzz.ts), and those past the
 * budget do not run, so fast-check's shrinker leaves them out.
 */
export interface RunModel {
  left: number;
}

/** The fc.Command for one data command: run it, then check the quiescent properties. */
export class LifecycleCommand implements fc.Command<RunModel, Real> {
  constructor(readonly cmd: Command) {}
  check(m: Readonly<RunModel>): boolean {
    return m.left > 0;
  }
  run(m: RunModel, r: Real): void {
    m.left--;
    r.world.run(this.cmd);
    r.checker.quiescent(r.world);
    const v = r.checker.violations[0];
    if (v) throw new PropertyFailure(v);
  }
  toString(): string {
    return describeCommand(this.cmd);
  }
}

export function describeCommand(c: Command): string {
  if (c.t === 'step') return `step(${c.which})`;
  if (c.t === 'settle') return 'settle';
  const { op, ...rest } = c.call;
  const call = `task ${c.task}: ${op} ${JSON.stringify(rest)}`;
  if (c.t !== 'race') return `${c.t}(${call})`;
  const then = c.then.map((x) => `${x.who}: ${x.call.op} ${JSON.stringify({ ...x.call, op: undefined })}`).join('; ');
  return `race(${call} at race point ${c.at}, then ${then})`;
}

type Fuzzed = { weight: number; on?: number; always?: boolean; race?: readonly RaceRole[] };

/** The fuzzed syscalls' table entries (fuzz), read once. */
const FUZZ: ReadonlyMap<SyscallName, Fuzzed> = new Map(
  SYSCALL_NAMES.flatMap((op): [SyscallName, Fuzzed][] => {
    const f = (SYSCALL_TABLE.get(op) as SyscallDesc).fuzz;
    return 'weight' in f ? [[op, f]] : [];
  }),
);

/** The syscalls the fuzzer draws: every one the table does not exclude (with its reason). */
export const OPS: readonly SyscallName[] = [...FUZZ.keys()];
export type Op = SyscallName;

/**
 * The swarm mix of a run: a weight (0 = off) for each operation, and the run's swarm features
 * (SWARM: each feature's draw, declared once).
 */
export type Mix = Partial<Record<Op | SwarmFeature, number>>;
/** The most task names a run's commands use (init is 0): a world of 8 tasks. */
const MAX_NAMES = 7;
/** `@entry` is drawn up to this and taken modulo the profile's number of entries (3, 6 or 10): each entry about as likely. */
const MAX_ENTRY = 60;

/**
 * The swarm's features, each drawn once per run and recorded in its mix beside the operations.
 * - `@names`: how many task names its commands use (1 to 7, 1 in half the runs: few names, so
 *   one task's calls follow each other).
 * - `@entry`: the one ns entry its /proc/<pid>/ns/<entry> paths name (1 up, the entry's place
 *   in the profile's ns_entries; 0: any).
 * - `@narrow`: 1 when each argument with `narrow` draws (kernel/syscall_table.ts) is drawn from
 *   them (small readdir buffers, seeks to the offsets getdents returns, bind mounts of mount
 *   namespace files, new mount namespaces).
 * - `@sparse`: 1 when most operations are off (those on are kept in 1 of 2).
 */
const SWARM = {
  '@names': fc.oneof(fc.constant(1), fc.integer({ min: 1, max: MAX_NAMES })),
  '@entry': fc.oneof(fc.constant(0), fc.integer({ min: 1, max: MAX_ENTRY })),
  '@narrow': fc.integer({ min: 0, max: 1 }),
  '@sparse': fc.integer({ min: 0, max: 1 }),
} satisfies Record<`@${string}`, fc.Arbitrary<number>>;
export type SwarmFeature = keyof typeof SWARM;
/** The swarm's features, as a mix records them beside its operations. */
export const SWARM_FEATURES: readonly SwarmFeature[] = Object.keys(SWARM) as SwarmFeature[];

/** An operation's weight in the table (kernel/syscall_table.ts fuzz.weight): a mix's unit for it. */
export function fuzzWeight(op: Op): number {
  return FUZZ.get(op)?.weight ?? 0;
}

/**
 * A run's mix: each operation is on (at 1 or 4 times its weight) in `on` runs of 4 (the
 * table's, 2 by default), and off in the others; clone and open are always on.
 */
export function mixArbitrary(): fc.Arbitrary<Mix> {
  const levels = (on: number): fc.Arbitrary<number> => fc.constantFrom(...[1, 4, 1, 4].slice(0, on), ...Array<number>(4 - on).fill(0));
  const byOn = [0, 1, 2, 3, 4].map(levels);
  const ops = recordOf(Object.fromEntries([...FUZZ].map(([op, f]) => [op, byOn[f.on ?? 2]])) as Record<Op, fc.Arbitrary<number>>);
  // the swarm's features (SWARM); in half the runs each operation that is on stays on in one
  // of 2 (`@sparse`: a few operations, often repeated)
  const features = recordOf(SWARM);
  const kept = recordOf(Object.fromEntries([...FUZZ.keys()].map((op) => [op, fc.constantFrom(1, 0)])) as Record<Op, fc.Arbitrary<number>>);
  return fc.tuple(ops, features, kept).map(([m, f, keep]) => {
    const out: Mix = {};
    for (const [op, d] of FUZZ) out[op] = (d.always ? Math.max(m[op], 1) : f['@sparse'] ? m[op] * keep[op] : m[op]) * d.weight;
    return Object.assign(out, f);
  });
}

/** The swarm's choices of arguments for a run: task names, the ns entry, narrowed draws. */
interface Swarm {
  tasks: number;
  entry: string | null;
  narrow: boolean;
  /** A race's call: its /proc/<pid> paths name a task that can die (never init, never self). */
  mortal: boolean;
  /** The arbitraries these choices make, built once for each swarm of each kernel release (swarmArbs). */
  arbs: SwarmArbs;
}

/** What a swarm's choices make, whatever the run's mix: each syscall's arbitrary, and a race's victim and reaper calls. */
interface SwarmArbs {
  readonly calls: Map<Op, fc.Arbitrary<CallSpec>>;
  victim?: fc.Arbitrary<{ who: RaceWho; call: CallSpec }>;
  reaper?: fc.Arbitrary<{ who: RaceWho; call: CallSpec }>;
}

/** How a path of each kind is drawn; `tasks`: the largest task name worth using. */
function pathKindArb(kind: PathKind, names: readonly string[], tasks: number, mortal = false): fc.Arbitrary<PathSpec> {
  // a mortal name leans to the highest (a name no clone gave falls to a lower one, down to init)
  const target = mortal ? fc.nat(Math.max(tasks - 1, 0)).map((n) => Math.max(tasks, 1) - n) : fc.nat(tasks);
  switch (kind) {
    case 'ns': return recordOf({ kind: fc.constant('ns' as const), target, ns: fc.constantFrom(...names), self: mortal ? fc.constant(false) : fc.boolean() });
    case 'nsdir': return recordOf({ kind: fc.constant('nsdir' as const), target });
    case 'fdlink': return recordOf({ kind: fc.constant('fdlink' as const), target, fd: fc.nat(7) });
    case 'mnt': return recordOf({ kind: fc.constant('mnt' as const), n: fc.nat(2) });
    case 'tmp': return recordOf({ kind: fc.constant('tmp' as const), n: fc.nat(2) });
  }
}

/** How often each path kind is drawn, among those an argument allows. */
const PATH_WEIGHT: Record<PathKind, number> = { ns: 6, nsdir: 1, fdlink: 1, mnt: 2, tmp: 2 };

/** The values of a number-like argument: its valid draws, and now and then an invalid one. */
function valuesArb<T>(draw: readonly T[], bad: readonly T[] | undefined): fc.Arbitrary<T> {
  const good = fc.constantFrom(...draw);
  return bad?.length ? fc.oneof({ weight: 15, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...bad) }) : good;
}

/** The arbitrary of one argument, or null when the fuzzer leaves it to its default. */
function argArb(a: ArgDecl, profile: Profile, sw: Swarm): fc.Arbitrary<unknown> | null {
  const tasks = sw.tasks;
  switch (a.kind) {
    case 'fd': return fc.oneof({ weight: 31, arbitrary: fc.nat(7) }, { weight: 1, arbitrary: fc.constant(-1) });
    case 'dirfd': return null;
    case 'path': {
      const own = sw.narrow && a.narrowEntries ? nsEntryNames(profile).filter((n) => a.narrowEntries?.includes(n)) : [];
      const names = own.length ? own : sw.entry ? [sw.entry] : nsEntryNames(profile);
      const kinds = (sw.narrow && a.narrow) || a.paths;
      return fc.oneof(...kinds.map((kind) => ({ weight: PATH_WEIGHT[kind], arbitrary: pathKindArb(kind, names, tasks, sw.mortal) })));
    }
    case 'pid': return fc.nat(tasks);
    case 'caps': case 'text': return a.draw?.length ? fc.constantFrom(...(a.draw as unknown[])) : null;
    default: {
      const draw = (sw.narrow && a.narrow) || a.draw;
      return draw?.length ? valuesArb(draw, a.bad) : null;
    }
  }
}

/**
 * Arbitraries are immutable, and building one (fc.record above all) costs more than drawing from
 * it: each swarm (kernel release, tasks, entry, narrow, mortal) gets its arbitraries once,
 * whatever the run's mix.
 */
const swarms = new Map<string, SwarmArbs>();

function swarmArbs(release: number, tasks: number, entry: string | null, narrow: boolean, mortal: boolean): SwarmArbs {
  const key = `${release} ${tasks} ${entry} ${narrow} ${mortal}`;
  let a = swarms.get(key);
  if (!a) swarms.set(key, (a = { calls: new Map() }));
  return a;
}

function callArb(op: Op, profile: Profile, sw: Swarm): fc.Arbitrary<CallSpec> {
  let a = sw.arbs.calls.get(op);
  if (!a) sw.arbs.calls.set(op, (a = buildCallArb(op, profile, sw)));
  return a;
}

/** A syscall's arbitrary, from its table entry: each argument drawn as its kind says. */
function buildCallArb(op: Op, profile: Profile, sw: Swarm): fc.Arbitrary<CallSpec> {
  const d = SYSCALL_TABLE.get(op) as SyscallDesc;
  const rec: Record<string, fc.Arbitrary<unknown>> = { op: fc.constant(op) };
  for (const a of d.args) {
    const arb = argArb(a, profile, sw);
    if (arb) rec[a.spec ?? a.name] = arb;
  }
  // `as`: a new task's name (init is 0), by which later commands name it (world.ts)
  if (d.returns === 'task') rec.as = fc.integer({ min: 1, max: Math.max(sw.tasks, 1) });
  const refine = 'weight' in d.fuzz ? d.fuzz.refine : undefined;
  const arb = recordOf(rec) as fc.Arbitrary<CallSpec>;
  return refine ? arb.map((s) => refine(s) as CallSpec) : arb;
}

/** The swarm's choices a mix makes; `tasks` given (the bench's world sizes) overrides `@names`. */
function swarmOf(profile: Profile, mix: Mix, tasks: number | undefined): Swarm {
  const names = nsEntryNames(profile);
  const e = mix['@entry'] ?? 0;
  const sw = { tasks: tasks ?? mix['@names'] ?? MAX_NAMES, entry: e > 0 ? names[(e - 1) % names.length] : null, narrow: mix['@narrow'] === 1 };
  return { ...sw, mortal: false, arbs: swarmArbs(profile.release, sw.tasks, sw.entry, sw.narrow, false) };
}

/** The same swarm for a race's call, whose /proc/<pid> paths name a task that can die. */
function mortalOf(profile: Profile, sw: Swarm): Swarm {
  return { ...sw, mortal: true, arbs: swarmArbs(profile.release, sw.tasks, sw.entry, sw.narrow, true) };
}

/** One syscall drawn under a mix (its operations weighted as the mix says). */
export function mixedCallArb(profile: Profile, mix: Mix, tasks?: number): fc.Arbitrary<CallSpec> {
  return mixedCalls(profile, mix, swarmOf(profile, mix, tasks));
}

function mixedCalls(profile: Profile, mix: Mix, sw: Swarm): fc.Arbitrary<CallSpec> {
  return fc.oneof(...OPS.filter((op) => (mix[op] ?? 0) > 0).map((op) => ({ weight: mix[op] as number, arbitrary: callArb(op, profile, sw) })));
}

/**
 * How deep a race preempts its call: at one of its first four race points, as many as an exit
 * has stages (an open of /proc/<pid>/ns/<entry> with nothing cached passes three, one in each of
 * proc_pid_instantiate, proc_pident_instantiate and proc_ns_instantiate).
 */
const RACE_DEPTH = 4;

/**
 * The syscalls of a race role, each at its table weight: those the mix has on (`mix`), or all
 * (a race's window is where the task named dies or its parent reaps it, whatever the mix).
 * Null when there are none.
 */
function roleArb(role: RaceRole, profile: Profile, sw: Swarm, mix?: Mix): fc.Arbitrary<CallSpec> | null {
  const ops = OPS.filter((op) => FUZZ.get(op)?.race?.includes(role) && (!mix || (mix[op] ?? 0) > 0));
  return ops.length ? fc.oneof(...ops.map((op) => ({ weight: fuzzWeight(op), arbitrary: callArb(op, profile, sw) }))) : null;
}

/**
 * The calls a race's window runs, in order, each of them often left out: the task the raced
 * call names dies or changes (a victim's call), its parent reaps it, and any task makes any call.
 */
function thenArb(profile: Profile, sw: Swarm, call: fc.Arbitrary<CallSpec>): fc.Arbitrary<{ who: RaceWho; call: CallSpec }[]> {
  const victim = (sw.arbs.victim ??= recordOf({ who: fc.constant<RaceWho>('target'), call: roleArb('victim', profile, sw) as fc.Arbitrary<CallSpec> }));
  const reaper = (sw.arbs.reaper ??= recordOf({ who: fc.constant<RaceWho>('parent'), call: roleArb('reaper', profile, sw) as fc.Arbitrary<CallSpec> }));
  const any = recordOf({ who: fc.nat(sw.tasks) as fc.Arbitrary<RaceWho>, call });
  return fc.tuple(fc.option(victim, { freq: 10 }), fc.option(reaper, { freq: 3 }), fc.option(any, { freq: 2 }))
    .map((xs) => xs.filter((x): x is { who: RaceWho; call: CallSpec } => x !== null));
}

/**
 * The arbitrary of one command under a mix: mostly whole syscalls, some interleaved ones, and
 * races (world.ts): a call that reaches race points, preempted at one of the first four, while
 * the task it names dies, its parent reaps it, or another call runs. `tasks`: the largest task
 * name worth using (the world's size less one: init is 0); by default the mix's `@names`.
 */
export function commandArbs(profile: Profile, mix: Mix, tasks?: number): fc.Arbitrary<LifecycleCommand>[] {
  const sw = swarmOf(profile, mix, tasks);
  const call = mixedCalls(profile, mix, sw);
  const task = fc.nat(sw.tasks);
  const raced = roleArb('raced', profile, mortalOf(profile, sw), mix);
  const race = raced && recordOf({
    t: fc.constant('race' as const), task, call: raced, at: fc.integer({ min: 1, max: RACE_DEPTH }),
    then: thenArb(profile, sw, call),
  });
  const kinds: fc.WeightedArbitrary<LifecycleCommand>[] = [
    { weight: 8, arbitrary: recordOf({ t: fc.constant('call' as const), task, call }).map((c) => new LifecycleCommand(c)) },
    { weight: 2, arbitrary: recordOf({ t: fc.constant('start' as const), task, call }).map((c) => new LifecycleCommand(c)) },
    { weight: 2, arbitrary: recordOf({ t: fc.constant('step' as const), which: fc.nat(7) }).map((c) => new LifecycleCommand(c)) },
    { weight: 1, arbitrary: fc.constant(new LifecycleCommand({ t: 'settle' })) },
  ];
  if (race) kinds.push({ weight: 4, arbitrary: race.map((c) => new LifecycleCommand(c)) });
  return [fc.oneof(...kinds)];
}
