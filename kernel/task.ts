// kernel/fork.c, kernel/exit.c, kernel/pid.c: tasks, struct pid, fork/clone, the staged
// do_exit, zombies, release_task and wait.
import type { Kernel } from './kernel';
import { KObject, kfree, kget, kput, type Holder } from './object';
import { Cred } from './cred';
import { FilesStruct, dup_fd, put_files_struct } from './file';
import { FsStruct, copy_fs_struct, put_fs_struct } from './fs_struct';
import { copy_namespaces, exit_task_namespaces, Nsproxy } from './nsproxy';
import { get_ns, ns_alloc_inum, PidNamespace, put_ns, UserNamespace } from './namespaces';
import { KGen, RACE_POINT } from './fs';
import type { Call, SysResult } from './syscalls';
import { capable } from './cred';
import { ECHILD, EINVAL, EPERM } from './errno';
import { atLeast } from './profile';
import {
  CLONE_FILES, CLONE_FS, CLONE_NEWNS, CLONE_NEWUSER, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM,
} from './flags';

export type TaskState = 'running' | 'exiting' | 'zombie' | 'dead';

/** struct mm_struct, reduced to its users and the dumpable flag. */
export class Mm extends KObject {
  readonly kind = 'mm' as const;
  dumpable = 1;
  constructor(k: Kernel, holder: Holder) {
    super(k, holder);
    this.register();
  }
}

/** mmput (kernel/fork.c). */
export function mmput(mm: Mm, holder: Holder): void {
  if (kput(mm.k, mm, holder, 'mmput')) kfree(mm.k, mm, 'mmdrop');
}

/** struct pid (kernel/pid.c): a number, the task attached to it (PIDTYPE_PID), its namespace. */
export class Pid extends KObject {
  readonly kind = 'pid' as const;
  task: Task | null = null;
  constructor(k: Kernel, holder: Holder, readonly nr: number, readonly ns: PidNamespace) {
    super(k, holder);
    this.register();
  }
}

/** get_pid (include/linux/pid.h). */
export function get_pid(pid: Pid, holder: Holder): Pid {
  kget(pid.k, pid, holder, 'get_pid');
  return pid;
}

/** put_pid (kernel/pid.c): the last reference frees the pid and puts its namespace. */
export function put_pid(pid: Pid | null, holder: Holder): void {
  if (pid === null) return; // put_pid(NULL) is allowed
  if (!kput(pid.k, pid, holder, 'put_pid')) return;
  kfree(pid.k, pid, 'put_pid');
  put_ns(pid.k, pid.ns, pid, 'put_pid_ns');
}

/** pid_task (kernel/pid.c): the task attached to the pid, no reference. */
export function pid_task(pid: Pid | null): Task | null {
  return pid ? pid.task : null;
}

/** get_pid_task (kernel/pid.c): the attached task with a reference, or null once detached. */
export function get_pid_task(pid: Pid | null, holder: Holder): Task | null {
  const t = pid_task(pid);
  if (t) get_task_struct(t, holder);
  return t;
}

export class Task extends KObject {
  readonly kind = 'task' as const;
  tgid = 0;
  group_leader: Task = this;
  real_parent: Task = this;
  readonly children: Task[] = [];
  /** The thread group, kept on the leader. */
  readonly thread_group: Task[] = [];
  state: TaskState = 'running';
  exit_code = 0;
  mm: Mm | null = null;
  nsproxy: Nsproxy | null = null;
  files: FilesStruct | null = null;
  fs: FsStruct | null = null;
  /** cred->user->user_ns: the task holds a reference until its task_struct is freed. */
  user_ns: UserNamespace;
  pid!: Pid;
  /** The syscall in flight on this task, where the kernel would have its kernel stack; the scheduler's. */
  syscall: { call: Call; gen: KGen<SysResult> } | null = null;
  constructor(k: Kernel, public cred: Cred, user_ns: UserNamespace) {
    super(k, 'tasklist');
    this.register();
    this.user_ns = user_ns;
  }
  get nr(): number {
    return this.pid.nr;
  }
}

/** get_task_struct (include/linux/sched.h). */
export function get_task_struct(t: Task, holder: Holder): Task {
  kget(t.k, t, holder, 'get_task_struct');
  return t;
}

/** put_task_struct (include/linux/sched.h): the last reference frees it and its credentials. */
export function put_task_struct(t: Task, holder: Holder): void {
  if (!kput(t.k, t, holder, 'put_task_struct')) return;
  // __put_task_struct → exit_creds: the cred's user namespace reference goes with it
  put_ns(t.k, t.user_ns, t, 'put_user_ns');
  kfree(t.k, t, 'free_task');
}

/** alloc_pid (kernel/pid.c): the next number, never reused within a run. */
export function alloc_pid(k: Kernel, ns: PidNamespace, holder: Holder): Pid {
  const pid = new Pid(k, holder, ++k.last_pid, ns);
  get_ns(k, ns, pid, 'alloc_pid');
  return pid;
}

/** thread_group_empty (include/linux/sched.h). */
export function thread_group_empty(t: Task): boolean {
  return t.group_leader.thread_group.length === 0;
}

/**
 * copy_process (kernel/fork.c) via do_fork: check the flag combinations, copy or share the
 * credentials, files, fs, mm and namespaces, allocate the pid, attach. Returns the child.
 */
export function* copy_process(k: Kernel, clone_flags: number): KGen<Task | number> {
  const parent = k.current;
  if (clone_flags & CLONE_NEWNS && clone_flags & CLONE_FS) return -EINVAL;
  if (clone_flags & CLONE_THREAD && !(clone_flags & CLONE_SIGHAND)) return -EINVAL;
  if (clone_flags & CLONE_SIGHAND && !(clone_flags & CLONE_VM)) return -EINVAL;
  if (clone_flags & CLONE_NEWUSER) {
    // do_fork (3.0; 3.8 lets anyone make one): a new user namespace needs CAP_SYS_ADMIN (and SETUID/SETGID), never with a thread
    if (clone_flags & CLONE_THREAD) return -EINVAL;
    if (!atLeast(k, '3.8') && (!capable(k, 'CAP_SYS_ADMIN') || !capable(k, 'CAP_SETUID'))) return -EPERM;
  }
  if (k.need_resched) yield; // dup_task_struct allocates: GFP_KERNEL may sleep

  let user_ns = parent.user_ns;
  const p = new Task(k, parent.cred, user_ns);
  if (clone_flags & CLONE_NEWUSER) {
    // copy_creds → create_user_ns: the new namespace's parent is the creator's
    user_ns = new UserNamespace(k, p, parent.user_ns);
    get_ns(k, parent.user_ns, user_ns, 'create_user_ns');
    ns_alloc_inum(user_ns, false);
    p.user_ns = user_ns;
  } else {
    get_ns(k, user_ns, p, 'copy_creds');
  }
  p.nsproxy = parent.nsproxy;
  p.pid = parent.pid; // dup_task_struct copies the parent's pid links until alloc_pid (no reference)

  // copy_files
  if (clone_flags & CLONE_FILES && parent.files) {
    kget(k, parent.files, p, 'copy_files');
    p.files = parent.files;
  } else if (parent.files) {
    p.files = dup_fd(parent.files, p);
  }
  // copy_fs
  if (clone_flags & CLONE_FS && parent.fs) {
    kget(k, parent.fs, p, 'copy_fs');
    p.fs = parent.fs;
  } else if (parent.fs) {
    p.fs = copy_fs_struct(parent.fs, p);
  }
  // copy_mm
  if (clone_flags & CLONE_VM && parent.mm) {
    kget(k, parent.mm, p, 'copy_mm');
    p.mm = parent.mm;
  } else if (parent.mm) {
    p.mm = new Mm(k, p);
    p.mm.dumpable = parent.mm.dumpable;
  }
  // copy_namespaces
  const err = copy_namespaces(k, clone_flags, p);
  if (err) {
    // bad_fork_cleanup_mm / _fs / _files, then free the task
    if (p.mm) mmput(p.mm, p);
    if (p.fs) put_fs_struct(p.fs, p);
    if (p.files) put_files_struct(p.files, p);
    p.mm = null; p.fs = null; p.files = null;
    put_task_struct(p, 'tasklist');
    return err;
  }
  // alloc_pid in the child's pid namespace (for CLONE_NEWPID, the new one)
  const nsproxy = p.nsproxy as Nsproxy;
  p.pid = alloc_pid(k, nsproxy.pid_ns as PidNamespace, p);
  p.pid.task = p; // attach_pid(p, PIDTYPE_PID)
  if (!p.pid.ns.child_reaper) p.pid.ns.child_reaper = p; // the first task of a pid namespace is its init
  // CLONE_PARENT / CLONE_THREAD re-use the old parent; otherwise the parent is current itself
  if (clone_flags & CLONE_THREAD) {
    p.group_leader = parent.group_leader;
    p.tgid = parent.tgid;
    p.real_parent = parent.real_parent;
    p.group_leader.thread_group.push(p);
  } else {
    p.tgid = p.pid.nr;
    p.real_parent = parent;
    p.real_parent.children.push(p); // only a thread-group leader is on its parent's children list
  }
  k.tasks.set(p.pid.nr, p);
  return p;
}

/**
 * do_exit (kernel/exit.c), staged as in 3.0: exit_mm, exit_files, exit_fs, then exit_notify,
 * which forgets the parent, drops the namespaces and only then makes the task a zombie (or
 * reaps a thread at once). Each stage is a point where another task may run.
 */
export function* do_exit(k: Kernel, code: number): KGen<number> {
  const tsk = k.current;
  tsk.state = 'exiting'; // exit_signals sets PF_EXITING
  tsk.exit_code = code;
  exit_mm(tsk);
  if (k.need_resched) yield RACE_POINT; // not dumpable now, its files still open
  exit_files(tsk);
  if (k.need_resched) yield RACE_POINT; // no files, its namespaces still held
  exit_fs(tsk);
  if (k.need_resched) yield RACE_POINT;
  yield* exit_notify(k, tsk);
  return 0;
}

/** exit_mm (kernel/exit.c): from here the task is not dumpable (mm == NULL). */
function exit_mm(tsk: Task): void {
  const mm = tsk.mm;
  if (!mm) return;
  tsk.mm = null;
  mmput(mm, tsk);
}

/** exit_files (kernel/exit.c). */
function exit_files(tsk: Task): void {
  const files = tsk.files;
  if (!files) return;
  tsk.files = null;
  put_files_struct(files, tsk);
}

/** exit_fs (fs/fs_struct.c). */
function exit_fs(tsk: Task): void {
  const fs = tsk.fs;
  if (!fs) return;
  tsk.fs = null;
  put_fs_struct(fs, tsk);
}

/**
 * exit_notify (kernel/exit.c): reparent the children, exit_task_namespaces (nsproxy → NULL),
 * then EXIT_ZOMBIE; a non-leader thread is EXIT_DEAD and released at once.
 */
function* exit_notify(k: Kernel, tsk: Task): KGen<void> {
  forget_original_parent(k, tsk);
  exit_task_namespaces(tsk);
  // switch_task_namespaces (kernel/nsproxy.c) may sleep (synchronize_rcu, then put_mnt_ns
  // takes namespace_sem): the task has no namespaces and is not a zombie yet
  if (k.need_resched) yield RACE_POINT;
  const autoreap = tsk.group_leader !== tsk;
  tsk.state = autoreap ? 'dead' : 'zombie';
  if (autoreap) release_task(k, tsk);
}

/**
 * forget_original_parent (kernel/exit.c): children go to a live thread of the group, else to
 * init. (procns has one reaper for every pid namespace: init.)
 */
function forget_original_parent(k: Kernel, father: Task): void {
  if (!father.children.length) return;
  const leader = father.group_leader;
  const group = [leader, ...leader.thread_group];
  const reaper = group.find((t) => t !== father && t.state === 'running') ?? k.init;
  for (const c of father.children.splice(0)) {
    c.real_parent = reaper;
    reaper.children.push(c);
  }
}

/**
 * release_task (kernel/exit.c): flush /proc/<pid>, unhash (detach_pid: the pid loses its task,
 * so proc sees it gone), leave the parent and the group, and drop the task_struct.
 */
export function release_task(k: Kernel, p: Task): void {
  k.procfs.proc_flush_task(k, p);
  // __exit_signal → __unhash_process → detach_pid
  const pid = p.pid;
  pid.task = null;
  put_pid(pid, p);
  k.tasks.delete(pid.nr);
  const siblings = p.real_parent.children;
  const i = siblings.indexOf(p);
  if (i >= 0) siblings.splice(i, 1);
  // a leader with zombie threads gone may now be reaped by its parent (do_notify_parent)
  if (p.group_leader !== p) {
    const g = p.group_leader.thread_group;
    const j = g.indexOf(p);
    if (j >= 0) g.splice(j, 1);
  }
  p.state = 'dead';
  if (pid.ns.child_reaper === p) pid.ns.child_reaper = null;
  put_task_struct(p, 'tasklist'); // delayed_put_task_struct after the RCU grace period
}

/** delay_group_leader (kernel/exit.c): a zombie leader waits for its threads. */
function delay_group_leader(p: Task): boolean {
  return p.group_leader === p && !thread_group_empty(p);
}

/**
 * do_wait / wait_task_zombie (kernel/exit.c), as WNOHANG: reap a zombie child (pid, or any
 * with -1). 0 when none is ready, -ECHILD when there is no such child. Never blocks.
 */
export function sys_wait(k: Kernel, pid: number): number {
  const me = k.current.group_leader;
  const mine: Task[] = [];
  for (const t of [me, ...me.thread_group]) mine.push(...t.children);
  const eligible = mine.filter((c) => pid === -1 || c.pid.nr === pid);
  if (!eligible.length) return -ECHILD;
  for (const c of eligible) {
    if (c.state === 'zombie' && !delay_group_leader(c)) {
      const nr = c.pid.nr;
      release_task(k, c);
      return nr;
    }
  }
  return 0;
}

