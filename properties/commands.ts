// fast-check commands for random lifecycles. A command is pure data (see world.ts); the
// classes here are the fc.Command wrappers that run it and check the properties after it.
// Swarm testing: each run's seed also picks its mix of operations.
import fc from 'fast-check';
import {
  CLONE_FILES, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUTS,
  CLONE_SIGHAND, CLONE_THREAD, CLONE_VM,
  MNT_DETACH, O_DIRECTORY,
} from '../kernel/flags';
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

const NS_NAMES_30 = ['net', 'uts', 'ipc'];
const NS_NAMES_38 = ['net', 'uts', 'ipc', 'pid', 'user', 'mnt'];
const NS_NAMES_NSFS = [...NS_NAMES_38, 'pid_for_children', 'cgroup', 'time', 'time_for_children'];

export const OPS = [
  'clone', 'unshare', 'setns', 'open', 'close', 'dup', 'getdents64', 'stat', 'lstat', 'readlink',
  'mount', 'umount2', 'exit', 'wait', 'setuid', 'capset', 'drop_caches', 'read', 'lseek',
] as const;
export type Op = (typeof OPS)[number];

/** The swarm mix of a run: a weight (0 = off) for each operation. */
export type Mix = Record<Op, number>;

export function mixArbitrary(): fc.Arbitrary<Mix> {
  const w = fc.constantFrom(0, 0, 1, 4); // each operation is off in half the runs
  return fc.record(Object.fromEntries(OPS.map((op) => [op, w])) as Record<Op, fc.Arbitrary<number>>)
    .map((m) => ({ ...m, clone: Math.max(m.clone, 1), open: Math.max(m.open, 1) }));
}

function pathArb(profile: Profile, tasks: number): fc.Arbitrary<PathSpec> {
  const names = profile.version === '3.0' ? NS_NAMES_30 : profile.version === '3.8' ? NS_NAMES_38 : NS_NAMES_NSFS;
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('ns' as const), target: fc.nat(tasks), ns: fc.constantFrom(...names), self: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('nsdir' as const), target: fc.nat(tasks) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('fdlink' as const), target: fc.nat(tasks), fd: fc.nat(7) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mnt' as const), n: fc.nat(2) }) },
  );
}

/**
 * Arbitraries are immutable, and building one (fc.record above all) costs more than drawing from
 * it: each (op, kernel version, tasks) gets its arbitrary once, whatever the run's mix.
 */
const callArbs = new Map<string, fc.Arbitrary<CallSpec>>();

function callArb(op: Op, profile: Profile, tasks: number): fc.Arbitrary<CallSpec> {
  const key = `${op} ${profile.version} ${tasks}`;
  let a = callArbs.get(key);
  if (!a) {
    a = buildCallArb(op, profile, tasks);
    callArbs.set(key, a);
  }
  return a;
}

function buildCallArb(op: Op, profile: Profile, tasks: number): fc.Arbitrary<CallSpec> {
  const fd = fc.nat(7);
  const path = pathArb(profile, tasks);
  switch (op) {
    case 'clone':
      // `as`: the child's name (init is 0), by which later commands name it (world.ts)
      return fc.record({ op: fc.constant(op), flags: fc.constantFrom(0, 0, CLONE_FILES, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, CLONE_NEWNET, CLONE_NEWUTS | CLONE_NEWIPC, CLONE_NEWNS), as: fc.integer({ min: 1, max: Math.max(tasks, 1) }) });
    case 'unshare':
      return fc.record({ op: fc.constant(op), flags: fc.constantFrom(CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET | CLONE_NEWUTS, CLONE_NEWNS, CLONE_FILES, CLONE_NEWPID, CLONE_NEWCGROUP | CLONE_NEWTIME) });
    case 'setns':
      return fc.record({ op: fc.constant(op), fd, nstype: fc.constantFrom(0, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC) });
    case 'open':
      return path.map((p) => ({ op, path: p, flags: p.kind === 'nsdir' ? O_DIRECTORY : 0 }));
    case 'getdents64':
      return fc.record({ op: fc.constant(op), fd, count: fc.constantFrom(1, 24, 32, 48, 64, 200) });
    case 'stat': case 'lstat': case 'readlink':
      return path.map((p) => ({ op, path: p }));
    case 'mount':
      return fc.record({
        op: fc.constant(op),
        source: fc.oneof(path, fc.record({ kind: fc.constant('fdlink' as const), target: fc.nat(tasks), fd: fc.nat(7) })),
        path: fc.record({ kind: fc.constant('mnt' as const), n: fc.nat(2) }),
      });
    case 'umount2':
      return fc.record({ op: fc.constant(op), path: fc.record({ kind: fc.constant('mnt' as const), n: fc.nat(2) }), flags: fc.constantFrom(0, MNT_DETACH) });
    case 'wait':
      return fc.record({ op: fc.constant(op), child: fc.nat(tasks) });
    case 'close': case 'dup': case 'read': case 'lseek':
      return fc.record({ op: fc.constant(op), fd });
    default:
      return fc.constant({ op });
  }
}

/**
 * The arbitrary of one command under a mix: mostly whole syscalls, some interleaved ones.
 * `tasks`: the largest task name worth using (the world's size less one: init is 0).
 */
export function commandArbs(profile: Profile, mix: Mix, tasks = 7): fc.Arbitrary<LifecycleCommand>[] {
  const calls = OPS.filter((op) => mix[op] > 0).map((op) => ({ weight: mix[op], arbitrary: callArb(op, profile, tasks) }));
  const call = fc.oneof(...calls);
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
