// The world a lifecycle runs in: an emulated kernel plus the harness's bookkeeping (task names,
// mount targets, the calls in flight); each completed syscall goes to the observers, which keep
// what they need of it (the world keeps none: a long run's history is not its cost). Commands
// are pure data; the world resolves their symbolic references (a task by its name, the j-th fd)
// against the current state, so any list of commands, shrunk or not, runs as it is.
//
// A task is named by the clone that made it: a clone command carries a name (`as`, 1 and up;
// init is 0), and a command, a /proc path or a wait names its task by that name. So deleting a
// command leaves the names of the other tasks alone, which is what lets fast-check shrink a
// lifecycle down to the clones the failure needs: with tasks named by position (the i-th idle
// task), deleting one unneeded clone re-targeted every later command. Two clones may give the
// same name: a command goes to the newest of them still running, a path names the newest of
// them, reaped or not. A name with no such task falls to the next lower name, down to init: a
// run's few clones are then named often, as a random command is about as likely to name a
// task that exists as it was by position.
import { Kernel } from '../kernel/kernel';
import { Profile } from '../kernel/profile';
import { submit } from '../kernel/sched';
import { Call, SysResult } from '../kernel/syscalls';
import { ArgDecl, SYSCALL_TABLE, SyscallDesc } from '../kernel/syscall_table';
import { Task } from '../kernel/task';
import { File } from '../kernel/fs';
import { errname } from '../kernel/errno';
import { newKernel } from '../procfs';
import { syscall } from '../kernel/sched';

/**
 * A path template (kernel/syscall_table.ts PathKind): the world fills in pids and fds.
 * `target` is a task's name (see the top of this file).
 */
export type PathSpec =
  | { kind: 'ns'; target: number; ns: string; self?: boolean }
  | { kind: 'nsdir'; target: number }
  | { kind: 'fdlink'; target: number; fd: number }
  | { kind: 'mnt'; n: number }
  | { kind: 'tmp'; n: number };

/**
 * A syscall as data: its arguments as the syscall table declares them (kernel/syscall_table.ts),
 * each under its name (or its `spec` key): tasks named (see the top of this file), fds by index
 * among the task's open ones, paths as PathSpecs. `as`: the name a new task gets.
 */
export interface CallSpec {
  op: string;
  as?: number;
  [arg: string]: unknown;
}

/**
 * Who makes a call a race runs in its window: the task the raced call's path names
 * ('target'), that task's parent ('parent'), or a task by its name.
 */
export type RaceWho = 'target' | 'parent' | number;

/**
 * `task`: the name of the task that makes the call. A race is an interleaving as data (a
 * targeted preemption): `task`'s call runs to its `at`-th preemption point where a race lives
 * (RACE_POINT: in an instantiate, between the stages of exit), each call of `then` runs to its
 * end there, and then the raced call runs to its end.
 */
export type Command =
  | { t: 'call'; task: number; call: CallSpec }
  | { t: 'start'; task: number; call: CallSpec }
  | { t: 'race'; task: number; call: CallSpec; at: number; then: { who: RaceWho; call: CallSpec }[] }
  | { t: 'step'; which: number }
  | { t: 'settle' };

/** At most this many scheduler turns bring a raced call to its preemption point. */
const RACE_TURNS = 256;

export const MOUNT_TARGETS = 3;

/**
 * What every world does before its first command, as init: the files bind mounts go on. An
 * exported run starts with these steps, so a scenario (and a real kernel) starts from the same
 * state as the world did.
 */
export const WORLD_SETUP: readonly { op: 'mknod'; args: { path: string } }[] = Object.freeze(
  Array.from({ length: MOUNT_TARGETS }, (_, n) => ({ op: 'mknod' as const, args: { path: `/tmp/m${n}` } })),
);

/** Bounds that keep a long run's world the same size (see World). */
export interface Steady {
  population?: number;
  tasks?: number;
  fds?: number;
}

export interface Completion {
  step: number;
  task: Task;
  call: Call;
  result: SysResult;
  /** The syscall ran alone: nothing else was in flight from its start to its end. */
  alone: boolean;
  /** Its path (args.path) is /proc/<pid or self>/ns/<entry>: the parts; else null. */
  nsPath: NsPath | null;
  /** For /proc/<pid>/ns/<entry>: the task that pid named when the call started (null: none). */
  target: Task | null;
  targetPid: number | null;
  /** For /proc/<pid>/ns/<entry>: was its dentry in the dcache when the call started? */
  cachedBefore: boolean;
}

/** The parts of a path /proc/<pid>/ns/<entry>: `pid` is the digits or "self". */
export interface NsPath {
  pid: string;
  entry: string;
}

/**
 * A call in flight, as the world saw it start: the completion it becomes (step and result are
 * filled in when it ends), and for a clone the name its child gets.
 */
interface Started extends Completion {
  as: number | undefined;
}

/** The result of a call not yet completed. */
const PENDING: SysResult = Object.freeze({ ret: 0 });

/** Which open files a command may name by index: any, or a directory (a file with ->readdir). */
const anyFile = (): boolean => true;
const isDirectory = (f: File): boolean => f.f_op?.readdir !== undefined;

/** A fd index that names no open file: the world passes a fd no table has. */
const NO_FD = 99;
/** The results that are new fds (the bench's steady state turns such a call into a close). */
const NEW_FDS: ReadonlySet<string> = new Set(['fd', 'fds']);

export type Observer = (w: World, c: Completion) => void;

export class World {
  readonly k: Kernel;
  /**
   * The tasks each name from 1 up was given, oldest first (0, and any name with none, falls to
   * init: see taskNamed). The ones that died are dropped as commands look past them, except the
   * newest: a path still names its pid.
   */
  private readonly named: Task[][] = [];
  /** The calls in flight (a few at most): a list, not a Map, which would rehash as it empties. */
  private readonly started: Started[] = [];
  steps = 0;

  /**
   * The bench's steady state (a fuzz run leaves these unset): `population`, how many tasks the
   * world starts with (init and its forked children, named 1, 2, ...); `tasks`, a clone in a
   * world of that many live tasks becomes a reap (wait) or, with no child to reap, an exit;
   * `fds`, an open or dup by a task holding that many fds becomes a close of one of them. The
   * world then stays the same size however long it runs.
   */
  constructor(readonly profile: Profile, private readonly observers: Observer[] = [], private readonly steady: Steady = {}) {
    this.k = newKernel(profile);
    for (const call of WORLD_SETUP) syscall(this.k, this.k.init, call);
    for (let n = 1; n < (steady.population ?? 1); n++) {
      const child = this.k.tasks.get(syscall(this.k, this.k.init, { op: 'clone', args: { flags: 0 } }).ret);
      if (child) this.named[n] = [child];
    }
  }

  /**
   * The task a path names: the newest one a clone gave that name, reaped or not; a name no clone
   * has given falls to the next lower one (init, 0, at the bottom).
   */
  taskNamed(name: number): Task {
    for (let n = name; n > 0; n--) {
      const ts = this.named[n];
      if (ts) return ts[ts.length - 1];
    }
    return this.k.init;
  }

  /**
   * The task a command names: the newest of that name still running; a name with none falls to
   * the next lower one (init, 0, at the bottom).
   */
  private runningNamed(name: number): Task {
    for (let n = name; n > 0; n--) {
      const ts = this.named[n];
      if (!ts) continue;
      for (let i = ts.length - 1; i >= 0; i--) {
        const t = ts[i];
        if (t.state === 'running') return t;
        if (i < ts.length - 1) ts.splice(i, 1); // dead and not the newest: never named again
      }
    }
    return this.k.init;
  }

  /** How many fds a task has open whose file `fits` (any, by default). */
  private fdCount(t: Task, fits: (f: File) => boolean = anyFile): number {
    let n = 0;
    const fdt = t.files?.fdt;
    if (fdt) {
      for (let fd = 0; fd < fdt.length; fd++) {
        const f = fdt[fd];
        if (f && fits(f)) n++;
      }
    }
    return n;
  }

  /** The task's (i mod count)-th open fd whose file `fits`, ascending; null when it has none. */
  private nthFd(t: Task, i: number, fits: (f: File) => boolean = anyFile): number | null {
    const n = this.fdCount(t, fits);
    if (!n) return null;
    const fdt = t.files?.fdt as (File | null)[];
    let want = i % n;
    for (let fd = 0; ; fd++) {
      const f = fdt[fd];
      if (f && fits(f) && want-- === 0) return fd;
    }
  }

  private pidOf(name: number): number {
    return this.taskNamed(name).pid.nr;
  }

  private path(t: Task, p: PathSpec): string {
    switch (p.kind) {
      case 'ns': return p.self ? `/proc/self/ns/${p.ns}` : `/proc/${this.pidOf(p.target)}/ns/${p.ns}`;
      case 'nsdir': return `/proc/${this.pidOf(p.target)}/ns`;
      case 'fdlink': {
        const owner = this.taskNamed(p.target);
        return `/proc/${owner.pid.nr}/fd/${this.nthFd(owner, p.fd) ?? 0}`;
      }
      case 'mnt': return `/tmp/m${p.n % MOUNT_TARGETS}`;
      case 'tmp': return `/tmp/t${p.n % MOUNT_TARGETS}`;
    }
    return `/proc/${t.pid.nr}`;
  }

  /** One argument of task t's call, from its value in the command (undefined: left out). */
  private resolveArg(t: Task, a: ArgDecl, v: unknown): unknown {
    switch (a.kind) {
      case 'fd': {
        const i = typeof v === 'number' ? v : 0;
        if (i < 0) return i; // a bad fd on purpose
        // a listing wants a directory: pick among the task's open directories when it has any
        return (a.dir ? this.nthFd(t, i, isDirectory) : null) ?? this.nthFd(t, i) ?? NO_FD;
      }
      case 'path': return v === undefined ? undefined : this.path(t, v as PathSpec);
      case 'pid': {
        // the named child, when it is one of ours; any child otherwise
        const child = typeof v === 'number' ? this.taskNamed(v) : null;
        return child && t.group_leader.children.includes(child) ? child.pid.nr : -1;
      }
      case 'dirfd': return v;
      default: return v ?? a.dflt;
    }
  }

  /** Turn a call spec into a concrete syscall for task t: each argument as the table declares it. */
  resolve(t: Task, c: CallSpec, d: SyscallDesc | undefined = SYSCALL_TABLE.get(c.op)): Call {
    const args: Record<string, unknown> = {};
    const decls = d?.args;
    if (decls) {
      for (let i = 0; i < decls.length; i++) {
        const a = decls[i];
        const v = this.resolveArg(t, a, c[a.spec ?? a.name]);
        if (v !== undefined) args[a.name] = v;
      }
    }
    return { op: c.op, args };
  }

  /**
   * What a call starts with: for a path /proc/<pid>/ns/<entry> (resolved from an 'ns' path
   * spec as args.path), its parts and the task that pid names now.
   */
  private startOf(task: Task, spec: CallSpec, call: Call, alone: boolean, d: SyscallDesc | undefined): Started {
    const s: Started = {
      step: 0, task, call, result: PENDING, alone, nsPath: null, target: null, targetPid: null, cachedBefore: false,
      as: d?.returns === 'task' ? spec.as : undefined,
    };
    const p = spec.path as PathSpec | undefined;
    if (p?.kind !== 'ns' || !d?.nsLookup) return s;
    if (p.self) {
      s.nsPath = { pid: 'self', entry: p.ns };
      return s;
    }
    const pid = this.pidOf(p.target);
    s.nsPath = { pid: String(pid), entry: p.ns };
    const piddir = this.k.procMnt?.mnt_root.d_hash.get(s.nsPath.pid);
    s.cachedBefore = piddir?.d_hash.get('ns')?.d_hash.get(p.ns) !== undefined;
    s.target = this.k.tasks.get(pid) ?? null;
    s.targetPid = pid;
    return s;
  }

  /** Execute one command. */
  run(cmd: Command): void {
    switch (cmd.t) {
      case 'call':
      case 'start':
        this.begin(this.runningNamed(cmd.task), cmd.call, cmd.t);
        return;
      case 'race':
        this.race(cmd);
        return;
      case 'step': {
        const ready = this.k.runnable();
        if (ready.length) this.advance(ready[cmd.which % ready.length]);
        return;
      }
      case 'settle':
        this.settle();
        return;
    }
  }

  /**
   * A race: the raced call runs to its `at`-th race point (a task asleep on a mutex lets the
   * holder run), the calls of `then` run to their ends, then the raced call runs to its end.
   */
  private race(cmd: Extract<Command, { t: 'race' }>): void {
    const t = this.runningNamed(cmd.task);
    if (!this.begin(t, cmd.call, 'race')) return;
    for (let seen = 0, turns = 0; this.k.busy(t) && seen < cmd.at && turns < RACE_TURNS; turns++) {
      const next = this.k.runFor(t);
      this.advance(next);
      if (next === t && this.k.atRacePoint) seen++;
    }
    const p = cmd.call.path as PathSpec | undefined;
    const target = p && 'target' in p && !(p.kind === 'ns' && p.self) ? this.taskNamed(p.target) : t;
    for (const c of cmd.then) {
      const who = c.who === 'target' ? target : c.who === 'parent' ? target.real_parent : this.runningNamed(c.who);
      if (who.state === 'running') this.begin(who, c.call, 'call');
    }
    this.finish(t);
  }

  /**
   * Start task t's call: run to its end ('call'), to its first preemption point ('start'), or
   * not at all ('race': the race runs it). False when t cannot take it.
   */
  private begin(t: Task, call: CallSpec, how: 'call' | 'start' | 'race'): boolean {
    // a task busy in a syscall takes no other
    if (this.k.busy(t)) return false;
    let spec = call;
    let d = SYSCALL_TABLE.get(spec.op);
    if (d?.returns === 'task' && this.k.tasks.size >= (this.steady.tasks ?? Infinity)) {
      const zombie = t.group_leader.children.some((c) => c.state === 'zombie');
      spec = { op: zombie || t === this.k.init ? 'wait' : 'exit' };
      d = SYSCALL_TABLE.get(spec.op);
    }
    if (this.steady.fds !== undefined && d && NEW_FDS.has(d.returns) && this.fdCount(t) >= this.steady.fds) {
      spec = { op: 'close', fd: spec.fd };
      d = SYSCALL_TABLE.get(spec.op);
    }
    if (t === this.k.init && d && 'weight' in d.fuzz && d.fuzz.notByInit) return false;
    const resolved = this.resolve(t, spec, d);
    const alone = how === 'call' && this.k.inFlight() === 0;
    if (!submit(this.k, t, resolved)) return false;
    this.started.push(this.startOf(t, spec, resolved, alone, d));
    if (how === 'call') this.finish(t);
    else if (how === 'start') this.advance(t);
    return true;
  }

  /** Run every in-flight syscall to completion, lowest pid first. */
  settle(): void {
    for (let ready = this.k.runnable(); ready.length; ready = this.k.runnable()) this.finish(ready[0]);
  }

  /**
   * Run t's syscall to its end. Asleep on a mutex, t lets the holder run until it can go on:
   * the holder yields at its preemption points, so t takes the mutex as soon as it is free, as
   * the scheduler would let it. t itself would be picked again at each of its own preemption
   * points, so they need not yield (cond_resched with need_resched clear).
   */
  private finish(t: Task): void {
    try {
      while (this.k.busy(t)) {
        const next = this.k.runFor(t);
        this.k.need_resched = next !== t;
        this.advance(next);
      }
    } finally {
      this.k.need_resched = true;
    }
  }

  private advance(t: Task): void {
    const done = this.k.advance(t);
    let i = this.started.length - 1;
    while (i >= 0 && this.started[i].task !== t) i--;
    const s = i >= 0 ? this.started[i] : undefined;
    if (!done) {
      if (s && this.k.inFlight() > 1) s.alone = false;
      return;
    }
    if (s) {
      this.started[i] = this.started[this.started.length - 1];
      this.started.pop();
    }
    for (const other of this.started) other.alone = false;
    // a call the world did not start (a test's own submit) completes with nothing known of its start
    const c: Completion = s ?? {
      step: 0, task: t, call: done.call, result: PENDING, alone: false, nsPath: null, target: null, targetPid: null, cachedBefore: false,
    };
    c.step = ++this.steps;
    c.result = done.result;
    if (s?.as !== undefined && s.as > 0 && done.result.ret > 0) {
      const child = this.k.tasks.get(done.result.ret);
      if (child) (this.named[s.as] ??= []).push(child);
    }
    const observers = this.observers;
    for (let j = 0; j < observers.length; j++) observers[j](this, c);
  }

  /** "open /proc/2/ns/net → fd3" */
  static describe(c: Completion): string {
    const args = Object.entries(c.call.args).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    const r = c.result.ret < 0 ? errname(c.result.ret) : String(c.result.ret);
    return `${c.call.op}(${args}) = ${r}`;
  }
}
