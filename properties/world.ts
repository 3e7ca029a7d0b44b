// The world a lifecycle runs in: an emulated kernel plus the harness's bookkeeping (task names,
// mount targets, what each syscall returned). Commands are pure data; the world resolves their
// symbolic references (the i-th task, the j-th fd) against the current state, so any list of
// commands, shrunk or not, runs as it is.
import { Kernel } from '../kernel/kernel';
import { Profile } from '../kernel/profile';
import { submit } from '../kernel/sched';
import { Call, SysResult } from '../kernel/syscalls';
import { Task } from '../kernel/task';
import { errname } from '../kernel/errno';
import { newKernel } from '../procfs';
import { syscall } from '../kernel/sched';

/** A path template: the world fills in pids and fds. */
export type PathSpec =
  | { kind: 'ns'; target: number; ns: string; self?: boolean }
  | { kind: 'nsdir'; target: number }
  | { kind: 'fdlink'; target: number; fd: number }
  | { kind: 'mnt'; n: number };

/** A syscall as data: arguments that name tasks, fds and paths do so by index. */
export interface CallSpec {
  op: string;
  flags?: number;
  fd?: number;
  path?: PathSpec;
  source?: PathSpec;
  count?: number;
  child?: number;
  nstype?: number;
}

export type Command =
  | { t: 'call'; task: number; call: CallSpec }
  | { t: 'start'; task: number; call: CallSpec }
  | { t: 'step'; which: number }
  | { t: 'settle' };

export const MOUNT_TARGETS = 3;

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
  /** For paths into /proc/<pid>: the task that pid named when the call started (null: none). */
  target: Task | null;
  targetPid: number | null;
  /** For /proc/<pid>/ns/<x>: was its dentry in the dcache when the call started? */
  cachedBefore: boolean;
}

/** A call in flight, as the world saw it start. */
interface Started {
  task: Task;
  call: Call;
  alone: boolean;
  target: Task | null;
  targetPid: number | null;
  cachedBefore: boolean;
}

const PROC_PID_PATH = /^\/proc\/(\d+)\/(?:ns\/([a-z_]+))?/;

export type Observer = (w: World, c: Completion) => void;

export class World {
  readonly k: Kernel;
  /** Every task ever created, in creation order (reaped ones too: their pids are still named). */
  readonly everyTask: Task[] = [];
  readonly completions: Completion[] = [];
  private readonly idle: Task[] = [];
  /** The calls in flight (a few at most): a list, not a Map, which would rehash as it empties. */
  private readonly started: Started[] = [];
  steps = 0;

  /**
   * The bench's steady state (a fuzz run leaves these unset): `population`, how many tasks the
   * world starts with (init and its forked children); `tasks`, a clone in a world of that many
   * live tasks becomes a reap (wait) or, with no child to reap, an exit; `fds`, an open or dup by
   * a task holding that many fds becomes a close of one of them. The world then stays the same
   * size however long it runs.
   */
  constructor(readonly profile: Profile, private readonly observers: Observer[] = [], private readonly steady: Steady = {}) {
    this.k = newKernel(profile);
    this.everyTask.push(this.k.init);
    for (let n = 0; n < MOUNT_TARGETS; n++) syscall(this.k, this.k.init, { op: 'mknod', args: { path: `/tmp/m${n}` } });
    for (let n = 1; n < (steady.population ?? 1); n++) {
      const child = this.k.tasks.get(syscall(this.k, this.k.init, { op: 'clone', args: { flags: 0 } }).ret);
      if (child) this.everyTask.push(child);
    }
    this.idle.push(...this.idleTasks());
  }

  /** Tasks that can take a syscall now (running, idle), in pid order, read afresh from the kernel. */
  idleTasks(): Task[] {
    const out: Task[] = [];
    for (const t of this.k.tasks.values()) if (t.state === 'running' && !this.k.busy(t)) out.push(t);
    return out;
  }

  /**
   * The same list as the world keeps it: a task leaves when a syscall starts on it and comes
   * back when its syscall ends with the task still running; a clone adds the child. (Only a
   * task's own syscall changes its state: exit, or the reap of a zombie, which was not idle.)
   */
  idleKept(): readonly Task[] {
    return this.idle;
  }

  private idleInsert(t: Task): void {
    if (t.state !== 'running' || this.k.busy(t)) return;
    let lo = 0;
    let hi = this.idle.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.idle[mid].pid.nr < t.pid.nr) lo = mid + 1; else hi = mid;
    }
    if (this.idle[lo] === t) return;
    const n = this.idle.length;
    this.idle.push(t);
    this.idle.copyWithin(lo + 1, lo, n);
    this.idle[lo] = t;
  }

  /** The open fds of a task, ascending. */
  fdsOf(t: Task): number[] {
    const out: number[] = [];
    const fdt = t.files?.fdt;
    if (fdt) for (let i = 0; i < fdt.length; i++) if (fdt[i]) out.push(i);
    return out;
  }

  /** How many fds a task has open. */
  private fdCount(t: Task): number {
    let n = 0;
    const fdt = t.files?.fdt;
    if (fdt) for (let i = 0; i < fdt.length; i++) if (fdt[i]) n++;
    return n;
  }

  /** The task's (i mod count)-th open fd, ascending, or `none` when it has none. */
  private nthFd(t: Task, i: number, none: number): number {
    const n = this.fdCount(t);
    if (!n) return none;
    let want = i % n;
    const fdt = t.files?.fdt as (unknown | null)[];
    for (let fd = 0; ; fd++) if (fdt[fd] && want-- === 0) return fd;
  }

  private pidOf(i: number): number {
    return this.everyTask[i % this.everyTask.length].pid.nr;
  }

  private path(t: Task, p: PathSpec): string {
    switch (p.kind) {
      case 'ns': return p.self ? `/proc/self/ns/${p.ns}` : `/proc/${this.pidOf(p.target)}/ns/${p.ns}`;
      case 'nsdir': return `/proc/${this.pidOf(p.target)}/ns`;
      case 'fdlink': {
        const owner = this.everyTask[p.target % this.everyTask.length];
        return `/proc/${owner.pid.nr}/fd/${this.nthFd(owner, p.fd, 0)}`;
      }
      case 'mnt': return `/tmp/m${p.n % MOUNT_TARGETS}`;
    }
    return `/proc/${t.pid.nr}`;
  }

  /** Turn a call spec into a concrete syscall for task t. */
  resolve(t: Task, c: CallSpec): Call {
    const args: Record<string, unknown> = {};
    const fd = (i: number | undefined): number => this.nthFd(t, i ?? 0, 99);
    switch (c.op) {
      case 'clone': args.flags = c.flags ?? 0; break;
      case 'unshare': args.flags = c.flags ?? 0; break;
      case 'setns': args.fd = fd(c.fd); args.nstype = c.nstype ?? 0; break;
      case 'open': args.path = this.path(t, c.path as PathSpec); args.flags = c.flags ?? 0; break;
      case 'close': case 'dup': case 'fstat': case 'read': case 'lseek': args.fd = fd(c.fd); break;
      case 'getdents64': {
        // a listing wants a directory: pick among the task's open directories when it has any
        const dirs = this.fdsOf(t).filter((n) => t.files?.fdt[n]?.f_op?.readdir);
        args.fd = dirs.length ? dirs[(c.fd ?? 0) % dirs.length] : fd(c.fd);
        args.count = c.count ?? 64;
        break;
      }
      case 'stat': case 'lstat': case 'readlink': args.path = this.path(t, c.path as PathSpec); break;
      case 'mount': args.source = this.path(t, c.source as PathSpec); args.target = this.path(t, c.path as PathSpec); break;
      case 'umount2': args.target = this.path(t, c.path as PathSpec); args.flags = c.flags ?? 0; break;
      case 'wait': {
        const kids = t.group_leader.children;
        args.pid = c.child === undefined || !kids.length ? -1 : kids[c.child % kids.length].pid.nr;
        break;
      }
      case 'setuid': args.uid = 1000; break;
      case 'capset': args.caps = []; break;
      case 'drop_caches': args.mode = 2; break;
      default: break;
    }
    return { op: c.op, args };
  }

  /** What a call starts with: for a path into /proc/<pid>, the task that pid names now. */
  private startOf(task: Task, call: Call, alone: boolean): Started {
    const p = (call.args.path ?? call.args.source ?? call.args.target) as string | undefined;
    const m = p !== undefined && p.startsWith('/proc/') ? PROC_PID_PATH.exec(p) : null;
    if (!m) return { task, call, alone, target: null, targetPid: null, cachedBefore: false };
    const pid = Number(m[1]);
    const piddir = this.k.procMnt?.mnt_root.d_hash.get(m[1]);
    const cachedBefore = m[2] !== undefined && piddir?.d_hash.get('ns')?.d_hash.get(m[2]) !== undefined;
    return { task, call, alone, target: this.k.tasks.get(pid) ?? null, targetPid: pid, cachedBefore };
  }

  /** Execute one command. */
  run(cmd: Command): void {
    switch (cmd.t) {
      case 'call':
      case 'start': {
        const idle = this.idle;
        if (!idle.length) return;
        const idx = cmd.task % idle.length;
        const t = idle[idx];
        let spec = cmd.call;
        if (spec.op === 'clone' && this.k.tasks.size >= (this.steady.tasks ?? Infinity)) {
          const zombie = t.group_leader.children.some((c) => c.state === 'zombie');
          spec = { op: zombie || t === this.k.init ? 'wait' : 'exit' };
        }
        if ((spec.op === 'open' || spec.op === 'dup') && this.steady.fds !== undefined && this.fdCount(t) >= this.steady.fds) spec = { op: 'close', fd: spec.fd };
        if (t === this.k.init && (spec.op === 'exit' || spec.op === 'setuid' || spec.op === 'capset')) return;
        const call = this.resolve(t, spec);
        const alone = cmd.t === 'call' && this.k.inFlight() === 0;
        if (!submit(this.k, t, call)) return;
        this.idle.copyWithin(idx, idx + 1); // (splice would allocate the removed part)
        this.idle.pop();
        this.started.push(this.startOf(t, call, alone));
        if (cmd.t === 'call') {
          // a call asleep on a mutex lets the holder run until it can go on
          while (this.k.busy(t)) this.advance(this.k.runFor(t));
        } else {
          this.advance(t);
        }
        return;
      }
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

  /** Run every in-flight syscall to completion, lowest pid first. */
  settle(): void {
    for (let ready = this.k.runnable(); ready.length; ready = this.k.runnable()) this.advance(this.k.runFor(ready[0]));
  }

  private advance(t: Task): void {
    const done = this.k.advance(t);
    const i = this.started.findIndex((x) => x.task === t);
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
    const c: Completion = {
      step: ++this.steps,
      task: t,
      call: done.call,
      result: done.result,
      alone: s?.alone ?? false,
      target: s?.target ?? null,
      targetPid: s?.targetPid ?? null,
      cachedBefore: s?.cachedBefore ?? false,
    };
    this.idleInsert(t);
    if (done.call.op === 'clone' && done.result.ret > 0) {
      const child = this.k.tasks.get(done.result.ret);
      if (child) {
        this.everyTask.push(child);
        this.idleInsert(child);
      }
    }
    this.completions.push(c);
    for (const o of this.observers) o(this, c);
  }

  /** "open /proc/2/ns/net → fd3" */
  static describe(c: Completion): string {
    const args = Object.entries(c.call.args).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    const r = c.result.ret < 0 ? errname(c.result.ret) : String(c.result.ret);
    return `${c.call.op}(${args}) = ${r}`;
  }
}
