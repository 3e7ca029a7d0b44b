// fast-check commands for random lifecycles. A command is pure data (see world.ts); the
// classes here are the fc.Command wrappers that run it and check the properties after it.
// Swarm testing: each run's seed also picks its mix of operations.
import fc from 'fast-check';
import { nsEntryNames } from '../procfs';
import { ArgDecl, PathKind, SYSCALL_NAMES, SYSCALL_TABLE, SyscallDesc, SyscallName } from '../kernel/syscall_table';
import { Profile } from '../kernel/profile';
import { CallSpec, Command, PathSpec, World } from './world';
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

/** The fc.Command for one data command: run it, then check the quiescent properties. */
export class LifecycleCommand implements fc.Command<object, Real> {
  constructor(readonly cmd: Command) {}
  check(): boolean {
    return true;
  }
  run(_m: object, r: Real): void {
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
  return `${c.t}(task ${c.task}: ${op} ${JSON.stringify(rest)})`;
}

type Fuzzed = { weight: number; on?: number; always?: boolean };

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

/** The swarm mix of a run: a weight (0 = off) for each operation. */
export type Mix = Partial<Record<Op, number>>;

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
  return fc.record(Object.fromEntries([...FUZZ].map(([op, f]) => [op, byOn[f.on ?? 2]])) as Record<Op, fc.Arbitrary<number>>)
    .map((m) => {
      const out: Mix = {};
      for (const [op, f] of FUZZ) out[op] = (f.always ? Math.max(m[op], 1) : m[op]) * f.weight;
      return out;
    });
}

/** How a path of each kind is drawn; `tasks`: the largest task name worth using. */
function pathKindArb(kind: PathKind, names: readonly string[], tasks: number): fc.Arbitrary<PathSpec> {
  switch (kind) {
    case 'ns': return fc.record({ kind: fc.constant('ns' as const), target: fc.nat(tasks), ns: fc.constantFrom(...names), self: fc.boolean() });
    case 'nsdir': return fc.record({ kind: fc.constant('nsdir' as const), target: fc.nat(tasks) });
    case 'fdlink': return fc.record({ kind: fc.constant('fdlink' as const), target: fc.nat(tasks), fd: fc.nat(7) });
    case 'mnt': return fc.record({ kind: fc.constant('mnt' as const), n: fc.nat(2) });
    case 'tmp': return fc.record({ kind: fc.constant('tmp' as const), n: fc.nat(2) });
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
function argArb(a: ArgDecl, profile: Profile, tasks: number): fc.Arbitrary<unknown> | null {
  switch (a.kind) {
    case 'fd': return fc.oneof({ weight: 31, arbitrary: fc.nat(7) }, { weight: 1, arbitrary: fc.constant(-1) });
    case 'dirfd': return null;
    case 'path': {
      const names = nsEntryNames(profile);
      return fc.oneof(...a.paths.map((kind) => ({ weight: PATH_WEIGHT[kind], arbitrary: pathKindArb(kind, names, tasks) })));
    }
    case 'pid': return fc.nat(tasks);
    case 'caps': case 'text': return a.draw?.length ? fc.constantFrom(...(a.draw as unknown[])) : null;
    default: return a.draw?.length ? valuesArb(a.draw, a.bad) : null;
  }
}

/**
 * Arbitraries are immutable, and building one (fc.record above all) costs more than drawing from
 * it: each (op, kernel version, tasks) gets its arbitrary once, whatever the run's mix.
 */
const callArbs = new Map<string, fc.Arbitrary<CallSpec>>();

function callArb(op: Op, profile: Profile, tasks: number): fc.Arbitrary<CallSpec> {
  const key = `${op} ${profile.release} ${tasks}`;
  let a = callArbs.get(key);
  if (!a) {
    a = buildCallArb(op, profile, tasks);
    callArbs.set(key, a);
  }
  return a;
}

/** A syscall's arbitrary, from its table entry: each argument drawn as its kind says. */
function buildCallArb(op: Op, profile: Profile, tasks: number): fc.Arbitrary<CallSpec> {
  const d = SYSCALL_TABLE.get(op) as SyscallDesc;
  const rec: Record<string, fc.Arbitrary<unknown>> = { op: fc.constant(op) };
  for (const a of d.args) {
    const arb = argArb(a, profile, tasks);
    if (arb) rec[a.spec ?? a.name] = arb;
  }
  // `as`: a new task's name (init is 0), by which later commands name it (world.ts)
  if (d.returns === 'task') rec.as = fc.integer({ min: 1, max: Math.max(tasks, 1) });
  const refine = 'weight' in d.fuzz ? d.fuzz.refine : undefined;
  const arb = fc.record(rec) as fc.Arbitrary<CallSpec>;
  return refine ? arb.map((s) => refine(s) as CallSpec) : arb;
}

/** One syscall drawn under a mix (its operations weighted as the mix says). */
export function mixedCallArb(profile: Profile, mix: Mix, tasks = 7): fc.Arbitrary<CallSpec> {
  return fc.oneof(...OPS.filter((op) => (mix[op] ?? 0) > 0).map((op) => ({ weight: mix[op] as number, arbitrary: callArb(op, profile, tasks) })));
}

/**
 * The arbitrary of one command under a mix: mostly whole syscalls, some interleaved ones.
 * `tasks`: the largest task name worth using (the world's size less one: init is 0).
 */
export function commandArbs(profile: Profile, mix: Mix, tasks = 7): fc.Arbitrary<LifecycleCommand>[] {
  const call = mixedCallArb(profile, mix, tasks);
  const task = fc.nat(tasks);
  return [
    fc.oneof(
      { weight: 8, arbitrary: fc.record({ t: fc.constant('call' as const), task, call }).map((c) => new LifecycleCommand(c)) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('start' as const), task, call }).map((c) => new LifecycleCommand(c)) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('step' as const), which: fc.nat(7) }).map((c) => new LifecycleCommand(c)) },
      { weight: 1, arbitrary: fc.constant(new LifecycleCommand({ t: 'settle' })) },
    ),
  ];
}
