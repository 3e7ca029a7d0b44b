// Random syscalls for the torture tests: a generator of valid and invalid calls, a driver that
// keeps several syscalls in flight and interleaves them through the seeded scheduler, a replay
// of a recorded run from its events and picks alone, and the cleanup that brings a kernel back
// to its boot state.
import seedrandom from 'seedrandom';
import { Kernel } from '../../kernel/kernel';
import { PickSource, ReplayPicks, SeededPicks, runToIdle, schedStep, submit, syscall, Completion } from '../../kernel/sched';
import { Call, Obs } from '../../kernel/syscalls';
import { ArgDecl, SYSCALL_NAMES, SYSCALL_TABLE } from '../../kernel/syscall_table';
import { __WALL, sys_wait, Task } from '../../kernel/task';
import { Vfsmount } from '../../kernel/fs';
import {
  ALL_CAPS, CLONE_FILES, CLONE_FS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER,
  CLONE_NEWUTS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM, MNT_DETACH, MNT_FORCE, MS_BIND,
  O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDWR, O_WRONLY,
} from '../../kernel/flags';
import { ProcInode } from '../../kernel/proc_fs';
import { boot } from '../helpers';

type Rng = () => number;

/** Shared odd values, so that two runs of one seed pass identical arguments. */
const SYM = Symbol('not-a-number');
const BIG = BigInt(3);
const LONG_NAME = 'x'.repeat(5000);
const LONG_REL = 'a/'.repeat(3000) + 'b';
const LONG_DOTS = '/proc/self/' + '../'.repeat(200) + 'proc/self/ns/net';

/** Values that are never a valid number, fd or path. */
const GARBAGE: readonly unknown[] = [
  '3', '', -1, -7, 2 ** 31, 2 ** 32 + 3, 2 ** 53, -(2 ** 53), 1e300, NaN, Infinity, -Infinity, 3.5, -0.5,
  undefined, null, {}, [], [3], { fd: 1 }, true, false, SYM, BIG, () => 3,
];

const NS_NAMES = ['net', 'uts', 'ipc', 'mnt', 'pid', 'user', 'cgroup', 'bogus', ''];
/** Regular files under the root filesystem that mknod/open(O_CREAT) make and mounts cover. */
const FILES = ['/tmp/x', '/tmp/y', '/tmp/z', '/run/a', '/tmp/d/f', '/mnt/d/g', 'tmp/w'];
/** Directories the run may create and remove (never the boot directories). */
const DIRS = ['/tmp/d', '/mnt/d', '/run/d'];
/** Mount targets that fail (or shadow others), but never under /proc or on '/'. */
const BAD_TARGETS: readonly unknown[] = [
  '/tmp/nonexistent', '/tmp/x/y', '/tmp/x/', '', 'tmp/x', '/tmp', '/mnt/d/g', '/tmp/' + LONG_NAME, LONG_REL, ...GARBAGE,
];
const UNSHARE_BITS = [
  CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNS, CLONE_FILES, CLONE_FS, CLONE_SYSVSEM,
  CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, CLONE_NEWPID, CLONE_NEWUSER, CLONE_VM, CLONE_SIGHAND,
];
const CLONE_BITS = [
  CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, CLONE_FILES, CLONE_FS, CLONE_VM, CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC,
  CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_SYSVSEM, CLONE_THREAD,
];
const UNKNOWN_OPS = ['chdir', 'ptrace', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '', 'CLONE', 'open '];
/** Syscalls init never makes: its namespaces, credentials and life stay those of boot. */
const INIT_FORBIDDEN = new Set(['exit', 'unshare', 'setns', 'setuid', 'capset']);

/** How often each syscall is drawn, where not 1: every syscall of the table is drawn. */
const WEIGHT: Readonly<Record<string, number>> = {
  open: 14, close: 7, dup: 3, dup2: 3, getdents64: 5, lseek: 2, read: 2, stat: 5, lstat: 3, fstat: 3, readlink: 4,
  setns: 7, unshare: 4, clone: 6, fork: 2, exit: 4, wait: 5, mount: 6, umount2: 4, mknod: 3, unlink: 2, drop_caches: 2,
};
const WEIGHTS: [string, number][] = [...SYSCALL_NAMES.map((op): [string, number] => [op, WEIGHT[op] ?? 1]), ['?unknown', 1], ['?weird', 1]];
const TOTAL_WEIGHT = WEIGHTS.reduce((s, [, w]) => s + w, 0);

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}

function orBits(rng: Rng, bits: readonly number[], n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v |= pick(rng, bits);
  return v;
}

/** Live tasks that can make syscalls, in creation order. */
export function liveTasks(k: Kernel): Task[] {
  const out: Task[] = [];
  for (const t of k.tasks.values()) if (t.state === 'running' && !t.freed) out.push(t);
  return out;
}

/** Random calls for a task, valid more often than not, with every syscall of the table. */
export class CallGen {
  /** Targets of mounts that succeeded, for umount2. */
  readonly mountTargets: string[] = [];
  /** k.tasks' pids, computed once per call. */
  private pids: number[] | null = null;
  constructor(private readonly rng: Rng, private readonly k: Kernel, private readonly maxTasks: number) {}

  call(t: Task, live: number): Call {
    const rng = this.rng;
    this.pids = null;
    let op = this.weightedOp();
    const isInit = t === this.k.init;
    if (isInit && INIT_FORBIDDEN.has(op)) op = rng() < 0.5 ? 'wait' : 'clone';
    if ((op === 'clone' || op === 'fork') && live >= this.maxTasks) op = isInit ? 'wait' : 'exit';
    if (op === 'exit' && live <= 3) op = 'clone';
    if (live < 4 && isInit && rng() < 0.5) op = 'clone';
    // parents reap (init gets every orphan), so that zombies do not pile up
    if (rng() < (isInit ? 0.5 : 0.05)) return { op: 'wait', args: { pid: -1 } };
    if (op === '?unknown') return { op: pick(rng, UNKNOWN_OPS), args: { fd: this.fd(), path: this.path() } };
    if (op === '?weird') {
      let wop: string = pick(rng, SYSCALL_NAMES);
      if (wop === 'exit' || wop === 'clone' || wop === 'fork' || (isInit && INIT_FORBIDDEN.has(wop))) wop = 'getpid';
      return { op: wop, args: pick(rng, [null, undefined, 42, 'path', [], [1, 2], { length: 3 }]) as Record<string, unknown> };
    }
    return { op, args: this.args(op, t) };
  }

  private weightedOp(): string {
    let x = this.rng() * TOTAL_WEIGHT;
    for (const [op, w] of WEIGHTS) {
      x -= w;
      if (x < 0) return op;
    }
    return 'getpid';
  }

  private bad(): unknown {
    return pick(this.rng, GARBAGE);
  }

  /** A fd: mostly 0..8, sometimes garbage. */
  fd(): unknown {
    return this.rng() < 0.88 ? Math.floor(this.rng() * 9) : this.bad();
  }

  /** A pid number: live, dead, or never used. */
  private pid(): number {
    const rng = this.rng;
    const x = rng();
    if (x < 0.6) return pick(rng, this.pids ??= [...this.k.tasks.keys()]);
    if (x < 0.9) return 1 + Math.floor(rng() * Math.max(1, this.k.last_pid));
    return pick(rng, [this.k.last_pid + 1, 0, 99999, -1]);
  }

  private nsName(noMnt = false): string {
    const name = this.rng() < 0.85 ? pick(this.rng, ['net', 'uts', 'ipc']) : pick(this.rng, NS_NAMES);
    return noMnt && name === 'mnt' ? 'net' : name;
  }

  /** A ns file path: through self, a pid, or a thread. */
  private nsPath(noMnt = false): string {
    const rng = this.rng;
    const x = rng();
    if (x < 0.45) return `/proc/self/ns/${this.nsName(noMnt)}`;
    if (x < 0.85) return `/proc/${this.pid()}/ns/${this.nsName(noMnt)}`;
    return `/proc/${this.pid()}/task/${this.pid()}/ns/${this.nsName(noMnt)}`;
  }

  /** /proc/<pid>/fd/<n>; with noMnt, never a fd open on a mnt namespace (see mountArgs). */
  private fdPath(t?: Task): string {
    const n = Math.floor(this.rng() * 9);
    const self = this.rng() < 0.5;
    const pid = self ? (t?.tgid ?? 0) : this.pid();
    const f = t ? this.k.tasks.get(pid)?.files?.fdt[n] : null;
    const inode = f?.f_path.dentry.d_inode;
    if (inode instanceof ProcInode && inode.ns?.kind === 'mnt_ns') return '/proc/self/ns/net';
    return self ? `/proc/self/fd/${n}` : `/proc/${pid}/fd/${n}`;
  }

  /** Any path argument, valid or not. */
  path(): unknown {
    const rng = this.rng;
    const x = rng();
    if (x < 0.35) return this.nsPath();
    if (x < 0.45) return this.fdPath();
    if (x < 0.6) {
      return pick(rng, [
        '/proc/self/ns', '/proc/self/ns/', `/proc/${this.pid()}/ns`, `/proc/${this.pid()}`, `/proc/${this.pid()}/fd`,
        `/proc/${this.pid()}/task`, '/proc/self', '/proc', '/proc/self/fd', '/proc/self/ns/net/..',
        '/proc/self/ns/../ns/uts', '//proc///self/ns//net', '/proc/self/../self/ns/ipc',
      ]);
    }
    if (x < 0.75) return pick(rng, [...FILES, ...DIRS]);
    if (x < 0.9) {
      return pick(rng, [
        '/', '/tmp', '/run', '/mnt', '..', '.', 'tmp/x', 'proc/self/ns/net', '../proc/self/ns', 'proc',
        '/nonexistent/x', '/tmp/x/y', '/tmp/x/', '/proc/self/ns/net/x', '/proc/self/fd/0/x',
      ]);
    }
    return pick(rng, ['', LONG_NAME, '/tmp/' + LONG_NAME, LONG_REL, LONG_DOTS, '/proc/\0/ns', ...GARBAGE]);
  }

  /** A path relative to an open directory fd. */
  private relPath(): unknown {
    return pick(this.rng, ['net', 'uts', 'ipc', 'ns/net', 'ns', '..', '.', '../ns/net', 'x', '', '/proc/self/ns/net', 'fd/0']);
  }

  private count(): unknown {
    return this.rng() < 0.85 ? pick(this.rng, [0, 1, 19, 24, 32, 40, 64, 100, 4096]) : this.bad();
  }

  private args(op: string, t: Task): Record<string, unknown> {
    const rng = this.rng;
    const bad = rng() < 0.1;
    switch (op) {
      case 'clone':
        if (bad) return { flags: this.bad() };
        return { flags: rng() < 0.35 ? 0 : orBits(rng, CLONE_BITS, 1 + Math.floor(rng() * 3)) };
      case 'fork':
        return {};
      case 'unshare':
        if (bad) return { flags: this.bad() };
        return { flags: orBits(rng, UNSHARE_BITS, 1 + Math.floor(rng() * 3)) };
      case 'setns':
        return {
          fd: this.fd(),
          nstype: bad ? this.bad() : pick(rng, [0, 0, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, 1]),
        };
      case 'exit':
        return bad ? { code: this.bad() } : { code: Math.floor(rng() * 3) };
      case 'wait': {
        if (bad) return { pid: this.bad() };
        if (rng() < 0.6) return { pid: -1 };
        const kids = t.group_leader.children;
        return { pid: kids.length && rng() < 0.7 ? pick(rng, kids).pid.nr : this.pid() };
      }
      case 'setuid':
        return { uid: bad ? this.bad() : pick(rng, [1000, 1000, 0, 65534]) };
      case 'capset':
        if (bad) return { caps: pick(rng, [this.bad(), ['CAP_FOO'], ['CAP_SYS_ADMIN', 7]]) };
        return { caps: ALL_CAPS.filter(() => rng() < 0.6) };
      case 'sethostname':
        return { name: bad ? pick(rng, [this.bad(), 'h'.repeat(65)]) : pick(rng, ['a', 'box', 'h'.repeat(64)]) };
      case 'gethostname':
      case 'getpid':
        return {};
      case 'open': {
        if (rng() < 0.15) return { path: this.relPath(), dirfd: this.fd(), flags: pick(rng, [0, O_DIRECTORY]) };
        const creat = rng() < 0.12;
        const flags = bad ? this.bad() : creat ? O_CREAT | pick(rng, [0, O_RDWR])
          : pick(rng, [0, 0, 0, O_DIRECTORY, O_NOFOLLOW, O_RDWR, O_WRONLY, O_CLOEXEC, O_DIRECTORY | O_NOFOLLOW, O_PATH, O_PATH | O_NOFOLLOW]);
        return { path: creat ? pick(rng, FILES) : this.path(), flags };
      }
      case 'close':
      case 'dup':
      case 'fstat':
        return { fd: this.fd() };
      case 'dup2':
        return { oldfd: this.fd(), newfd: rng() < 0.9 ? Math.floor(rng() * 9) : pick(rng, [1023, 1024, 5000, ...GARBAGE]) };
      case 'getdents64':
        return { fd: this.fd(), count: this.count() };
      case 'lseek':
        return { fd: this.fd(), offset: rng() < 0.8 ? Math.floor(rng() * 8) : this.bad(), whence: rng() < 0.8 ? Math.floor(rng() * 3) : this.bad() };
      case 'read':
        return { fd: this.fd(), count: this.count() };
      case 'stat':
      case 'lstat':
      case 'readlink':
        if (rng() < 0.15) return { path: this.relPath(), dirfd: this.fd() };
        return { path: this.path() };
      case 'mount':
        return this.mountArgs(bad, t);
      case 'umount2': {
        const targets = this.mountTargets;
        // never /proc itself: a child of init would detach the boot /proc from init's namespace
        const target = targets.length && rng() < 0.7 ? pick(rng, targets)
          : rng() < 0.8 ? pick(rng, [...FILES, ...DIRS, '/', '/tmp', '/proc/self/ns/net', '/proc/self', '..']) : pick(rng, BAD_TARGETS);
        return { target, flags: bad ? this.bad() : pick(rng, [0, 0, MNT_DETACH, MNT_DETACH, MNT_FORCE, 4]) };
      }
      case 'drop_caches':
        return { mode: bad ? this.bad() : pick(rng, [1, 2, 3, 3, 0]) };
      case 'mknod':
      case 'mkdir':
        if (bad) return { path: this.path() };
        return { path: op === 'mkdir' ? pick(rng, [...DIRS, '/proc/self/x', '/tmp/x']) : pick(rng, [...FILES, '/proc/self/ns/x', '/tmp']) };
      case 'unlink':
      case 'rmdir':
        if (bad) return { path: pick(rng, ['/proc/self/ns/net', '/proc', '/', '..', '.', '/tmp/.', '/tmp/..', ...GARBAGE]) };
        return { path: pick(rng, [...FILES, ...DIRS, '/tmp']) };
    }
    return this.fromTable(op, bad);
  }

  /** Arguments for a syscall with no generator of its own here: from its table entry's kinds. */
  private fromTable(op: string, bad: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const a of SYSCALL_TABLE.get(op)?.args ?? []) out[a.name] = bad && this.rng() < 0.5 ? this.bad() : this.argOf(a);
    return out;
  }

  private argOf(a: ArgDecl): unknown {
    const rng = this.rng;
    switch (a.kind) {
      case 'fd': return this.fd();
      case 'dirfd': return pick(rng, [-100, -100, this.fd()]);
      case 'path': return this.path();
      case 'pid': return this.pid();
      case 'caps': return ALL_CAPS.filter(() => rng() < 0.6);
      case 'text': return pick(rng, [...(a.draw ?? []), a.dflt ?? '', 'x'.repeat(65)]);
      default: return pick(rng, [...(a.draw ?? []), ...(a.bad ?? []), a.dflt ?? 0]);
    }
  }

  /**
   * A bind mount. The source is never a mnt namespace file: before Linux 3.12's mnt_ns_loop
   * check, a mount namespace holding a bind mount of its own ns file pins itself forever (3.8
   * allows it, as procns models), and the cleanup could never get back to the boot objects.
   */
  private mountArgs(bad: boolean, t: Task): Record<string, unknown> {
    const rng = this.rng;
    const dirSource = rng() < 0.25;
    const source = bad && rng() < 0.5 ? pick(rng, ['', '/nonexistent', '/proc/self/ns/bogus', 'proc/self/ns/net', LONG_NAME, ...GARBAGE])
      : dirSource ? pick(rng, ['/proc/self/ns', `/proc/${this.pid()}/ns`, '/proc/self/fd', '/tmp/d'])
        : rng() < 0.7 ? this.nsPath(true) : this.fdPath(t);
    // never a target under /proc or '/': a mount on a /proc/<pid> dentry or on a v3.8 ns
    // pseudo-dentry, or over '/', cannot be reached by path for the cleanup's umount
    const target = bad && rng() < 0.5 ? pick(rng, BAD_TARGETS)
      : dirSource ? pick(rng, ['/mnt', '/run', '/run/d', '/tmp/d', '/mnt/d'])
        : pick(rng, ['/tmp/x', '/tmp/y', '/tmp/z', '/run/a', '/tmp/d/f']);
    const flags = bad ? pick(rng, [0, this.bad(), MS_BIND | 1]) : rng() < 0.2 ? undefined : MS_BIND;
    return flags === undefined ? { source, target } : { source, target, flags };
  }

  /** Learn from a completion: successful mount targets feed umount2. */
  note(call: Call, ret: number): void {
    if (call.op === 'mount' && ret === 0 && typeof call.args.target === 'string' && !this.mountTargets.includes(call.args.target)) {
      this.mountTargets.push(call.args.target);
    }
  }
}

/** One finished syscall, as the tests compare them. */
export interface Done {
  pid: number;
  op: string;
  args: unknown;
  ret: number;
  obs?: Obs;
}

/** What the driver did, in order: enough to replay the run without its PRNG. */
export type RunEvent = { kind: 'submit'; pid: number; call: Call } | { kind: 'sched' };

export interface RunLog {
  k: Kernel;
  bootLive: Set<string>;
  events: RunEvent[];
  done: Done[];
  picks: SeededPicks;
}

function toDone(c: Completion): Done {
  const d: Done = { pid: c.task.pid.nr, op: c.call.op, args: c.call.args, ret: c.result.ret };
  if (c.result.obs) d.obs = c.result.obs;
  return d;
}

export interface RunOptions {
  profile: string;
  seed: string | number;
  /** How many syscalls to submit. */
  calls: number;
  maxTasks?: number;
  /** Probability that a step submits (when it can) rather than advances. */
  submitBias?: number;
}

/**
 * Submit `calls` random syscalls on random live tasks, advancing random in-flight ones in
 * between, then finish everything in flight.
 */
export function randomRun(o: RunOptions): RunLog {
  const k = boot(o.profile);
  const bootLive = new Set(k.objects.live.keys());
  const rng = seedrandom(`calls:${o.seed}`);
  const picks = new SeededPicks(`sched:${o.seed}`);
  const gen = new CallGen(rng, k, o.maxTasks ?? 40);
  const events: RunEvent[] = [];
  const done: Done[] = [];
  const bias = o.submitBias ?? 0.5;
  const finish = (c: Completion | null): void => {
    if (!c) return;
    gen.note(c.call, c.result.ret);
    done.push(toDone(c));
  };
  let submitted = 0;
  let guard = 0;
  while (submitted < o.calls) {
    if (++guard > o.calls * 100) throw new Error(`run did not make progress: ${submitted} submitted after ${guard} steps`);
    const inFlight = submitted - done.length; // every submitted call completes through schedStep
    if (inFlight === 0 || rng() < bias) {
      const live = liveTasks(k);
      const t = pick(rng, live);
      if (!k.busy(t)) {
        const call = gen.call(t, live.length);
        if (submit(k, t, call)) {
          submitted++;
          events.push({ kind: 'submit', pid: t.pid.nr, call });
          continue;
        }
      }
      if (inFlight === 0) continue;
    }
    events.push({ kind: 'sched' });
    finish(schedStep(k, picks));
  }
  while (k.runnable().length) {
    events.push({ kind: 'sched' });
    finish(schedStep(k, picks));
  }
  return { k, bootLive, events, done, picks };
}

/** Re-run recorded events on a fresh kernel with the recorded scheduler picks. */
export function replayRun(profile: string, events: readonly RunEvent[], taken: readonly number[]): Done[] {
  const k = boot(profile);
  const picks = new ReplayPicks(taken);
  const done: Done[] = [];
  for (const e of events) {
    if (e.kind === 'submit') {
      const t = k.tasks.get(e.pid);
      if (!t || !submit(k, t, e.call)) throw new Error(`replay: cannot submit ${e.call.op} on pid ${e.pid}`);
    } else {
      const c = schedStep(k, picks);
      if (c) done.push(toDone(c));
    }
  }
  return done;
}

/** The path under which a mount is reached from the root: its mountpoints' names, mount by mount. */
export function mountPath(m: Vfsmount): string | null {
  const parts: string[] = [];
  let mnt = m;
  let hops = 0;
  while (mnt.mnt_parent !== mnt) {
    if (++hops > 1000) return null;
    const root = mnt.mnt_parent.mnt_root;
    const names: string[] = [];
    let d = mnt.mnt_mountpoint;
    while (d !== root) {
      if (d.isRoot) return null;
      names.unshift(d.d_name);
      d = d.d_parent;
    }
    parts.unshift(...names);
    mnt = mnt.mnt_parent;
  }
  return '/' + parts.join('/');
}

/** Bind mounts still attached: every vfsmount but a namespace root and /proc. */
export function attachedMounts(k: Kernel): Vfsmount[] {
  const out: Vfsmount[] = [];
  for (const o of k.objects.live.values()) {
    if (o.kind !== 'vfsmount') continue;
    const m = o as Vfsmount;
    if (m.mnt_parent !== m && m !== k.procMnt) out.push(m);
  }
  return out;
}

export interface CleanupLog {
  done: Done[];
  /** Things the cleanup could not do (tasks left, mounts it could not umount). */
  problems: string[];
}

/**
 * Bring the kernel back to boot: finish in-flight syscalls, every task but init exits, init
 * reaps everything, closes its fds, umounts every bind mount, and drops the caches.
 */
export function cleanup(k: Kernel, picks: PickSource): CleanupLog {
  const done: Done[] = runToIdle(k, picks).map(toDone);
  const problems: string[] = [];
  const init = k.init;
  const sys = (t: Task, op: string, args: Record<string, unknown>): number => {
    const res = syscall(k, t, { op, args });
    done.push({ pid: t.pid.nr, op, args, ret: res.ret, ...(res.obs ? { obs: res.obs } : {}) });
    return res.ret;
  };
  for (let round = 0; round < 100; round++) {
    const others = liveTasks(k).filter((t) => t !== init);
    if (!others.length) break;
    for (const t of others) if (!submit(k, t, { op: 'exit', args: { code: 0 } })) problems.push(`cannot exit pid ${t.pid.nr}`);
    done.push(...runToIdle(k, picks).map(toDone));
  }
  for (let i = 0; i < 10000; i++) if (sys(init, 'wait', { pid: -1 }) <= 0) break;
  // children whose exit signal is not SIGCHLD (clone(2) with bits in CSIGNAL): wait4(__WALL)
  k.current = init;
  for (let i = 0; i < 10000; i++) if (sys_wait(k, -1, __WALL) <= 0) break;
  for (const t of k.tasks.values()) if (t !== init) problems.push(`task pid ${t.pid.nr} (${t.id}) left in state ${t.state} (parent ${t.real_parent.pid.nr}, ${t.real_parent.state}; exit signal ${t.exit_signal})`);
  const fdt = init.files?.fdt ?? [];
  for (let fd = fdt.length - 1; fd >= 0; fd--) if (fdt[fd]) sys(init, 'close', { fd });
  for (let round = 0; round < 1000; round++) {
    const mounts = attachedMounts(k)
      .map((m) => ({ m, path: mountPath(m) }))
      .sort((a, b) => (a.path ?? '~').length - (b.path ?? '~').length);
    let progress = false;
    for (const { path } of mounts) {
      if (path === null) continue;
      if (sys(init, 'umount2', { target: path, flags: MNT_DETACH }) === 0) {
        progress = true;
        break;
      }
    }
    if (!progress) {
      for (const { m, path } of mounts) problems.push(`cannot umount ${m.id} at ${path ?? '(unreachable)'} (ns ${m.mnt_ns?.id ?? 'none'})`);
      break;
    }
  }
  sys(init, 'drop_caches', { mode: 3 });
  return { done, problems };
}

/** Objects live now and not at boot, and boot objects gone, each with its holders. */
export function leftovers(k: Kernel, bootLive: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const [id, o] of k.objects.live) {
    if (bootLive.has(id)) continue;
    const holders = [...o.holders].map(([h, n]) => `${h}×${n}`).join(', ');
    out.push(`${id} count=${o.count} holders={${holders}}`);
  }
  for (const id of bootLive) if (!k.objects.live.has(id)) out.push(`${id} (live at boot) was freed`);
  return out;
}

/** A printable form of any argument value (symbols, bigints, functions included). */
export function show(v: unknown): string {
  if (typeof v === 'string') return v.length > 60 ? JSON.stringify(v.slice(0, 40) + `…(${v.length})`) : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function') return typeof v;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return `{${Object.entries(v as object).map(([a, b]) => `${a}: ${show(b)}`).join(', ')}}`;
}

/** An exact, comparable text for a completion (NaN, ±0, undefined, bigints, symbols and functions tagged). */
export function serialize(d: Done): string {
  return JSON.stringify(d, (_key, v: unknown) => {
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return `\u0000num:${Object.is(v, -0) ? '-0' : v}`;
    if (typeof v === 'bigint') return `\u0000bigint:${v}`;
    if (typeof v === 'symbol') return `\u0000${String(v)}`;
    if (typeof v === 'function') return '\u0000function';
    if (v === undefined) return '\u0000undefined';
    return v;
  });
}

export function showDone(d: Done): string {
  return `pid ${d.pid} ${d.op}(${show(d.args)}) = ${d.ret}`;
}
