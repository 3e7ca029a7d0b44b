// kernel/fork.c, kernel/exit.c, kernel/pid.c: tasks, struct pid, fork/clone, the staged
// do_exit, zombies, release_task and wait.
import type { Kernel } from './kernel';
import { KObject, kfree, kget, kput, type Holder } from './object';
import { Cred } from './cred';
import { FilesStruct, dup_fd, put_files_struct } from './file';
import { FsStruct, copy_fs_struct, put_fs_struct } from './fs_struct';
import { copy_namespaces, exit_task_namespaces, Nsproxy } from './nsproxy';
import { get_ns, ns_alloc_inum, PIDNS_ADDING, PidNamespace, put_ns, UserNamespace } from './namespaces';
import { KGen, RACE_POINT } from './fs';
import type { Call, SysResult } from './syscalls';
import { capable } from './cred';
import { ECHILD, EINVAL, ENOMEM, EPERM } from './errno';
import { atLeast } from './profile';
import {
  SIGCHLD, CLONE_FILES, CLONE_FS, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM,
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
  /** The signal the parent gets at exit (SIGCHLD; -1 for a thread). */
  exit_signal = SIGCHLD;
  /** A SIGKILL is pending (zap_pid_ns_processes): the task dies as its syscall returns. */
  sigkill = false;
  /** sighand's SIGCHLD action is SIG_IGN (on the group leader): its children reap themselves. */
  sigchld_ignored = false;
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

/**
 * alloc_pid (kernel/pid.c): the next number, never reused within a run; a number in the
 * namespace and each ancestor (pid_allocated). A namespace whose init has died takes no more
 * (PIDNS_ADDING cleared by disable_pid_allocation, 3.8): ENOMEM.
 */
export function alloc_pid(k: Kernel, ns: PidNamespace, holder: Holder): Pid | number {
  if (atLeast(k, '3.8') && !(ns.pid_allocated & PIDNS_ADDING)) return -ENOMEM;
  const pid = new Pid(k, holder, ++k.last_pid, ns);
  get_ns(k, ns, pid, 'alloc_pid');
  for (let up: PidNamespace | null = ns; up; up = up.parent) {
    up.pid_allocated++;
    up.last_pid++;
  }
  return pid;
}

/** is_child_reaper (include/linux/pid.h): the pid is number 1 of its own namespace. */
function is_child_reaper(pid: Pid): boolean {
  return pid.ns.last_pid === 1 && pid.ns.child_reaper === null;
}

/** free_pid (kernel/pid.c), its count: the pid's number goes from its namespace and each ancestor. */
function free_pid(pid: Pid): void {
  for (let up: PidNamespace | null = pid.ns; up; up = up.parent) up.pid_allocated--;
}

/** task_active_pid_ns (kernel/pid.c): the namespace of the task's own pid. */
export function task_active_pid_ns(t: Task): PidNamespace {
  return t.pid.ns;
}

/** thread_group_empty (include/linux/sched.h). */
export function thread_group_empty(t: Task): boolean {
  return t.group_leader.thread_group.length === 0;
}

/**
 * copy_process (kernel/fork.c) via do_fork: check the flag combinations, copy or share the
 * credentials, files, fs, mm and namespaces, allocate the pid, attach. Returns the child.
 */
export function* copy_process(k: Kernel, clone_flags: number, exit_signal: number): KGen<Task | number> {
  const parent = k.current;
  if (clone_flags & CLONE_NEWNS && clone_flags & CLONE_FS) return -EINVAL;
  if (clone_flags & CLONE_THREAD && !(clone_flags & CLONE_SIGHAND)) return -EINVAL;
  if (clone_flags & CLONE_SIGHAND && !(clone_flags & CLONE_VM)) return -EINVAL;
  // a thread must stay in its group's pid namespace: not one unshare(CLONE_NEWPID) set up for children
  if (clone_flags & CLONE_THREAD && (clone_flags & (CLONE_NEWUSER | CLONE_NEWPID) || task_active_pid_ns(parent) !== parent.nsproxy?.pid_ns)) {
    return -EINVAL;
  }
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
  if (err) return bad_fork_cleanup_mm(p, err);
  // alloc_pid in pid_ns_for_children (for CLONE_NEWPID, the new one)
  const nsproxy = p.nsproxy as Nsproxy;
  const pid = alloc_pid(k, nsproxy.pid_ns as PidNamespace, p);
  if (typeof pid === 'number') {
    exit_task_namespaces(p); // bad_fork_cleanup_namespaces
    return bad_fork_cleanup_mm(p, pid);
  }
  p.pid = pid;
  p.pid.task = p; // attach_pid(p, PIDTYPE_PID)
  // number 1 of its namespace: that namespace's init, and it stays its child_reaper after it dies
  if (!(clone_flags & CLONE_THREAD) && is_child_reaper(pid)) pid.ns.child_reaper = p;
  // CLONE_PARENT / CLONE_THREAD re-use the old parent; otherwise the parent is current itself
  if (clone_flags & CLONE_THREAD) {
    p.group_leader = parent.group_leader;
    p.tgid = parent.tgid;
    p.real_parent = parent.real_parent;
    p.exit_signal = -1;
    p.group_leader.thread_group.push(p);
  } else {
    p.tgid = p.pid.nr;
    p.real_parent = parent;
    p.exit_signal = exit_signal;
    p.real_parent.children.push(p); // only a thread-group leader is on its parent's children list
  }
  k.tasks.set(p.pid.nr, p);
  return p;
}

/** copy_process's bad_fork_cleanup_mm, _fs, _files (kernel/fork.c), then free the task: returns err. */
function bad_fork_cleanup_mm(p: Task, err: number): number {
  if (p.mm) mmput(p.mm, p);
  if (p.fs) put_fs_struct(p.fs, p);
  if (p.files) put_files_struct(p.files, p);
  p.mm = null; p.fs = null; p.files = null;
  put_task_struct(p, 'tasklist');
  return err;
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
  // a leader with no threads left tells its parent (do_notify_parent), which may reap it at once
  const autoreap = tsk.group_leader !== tsk || (thread_group_empty(tsk) && do_notify_parent(tsk, tsk.exit_signal));
  tsk.state = autoreap ? 'dead' : 'zombie';
  if (autoreap) release_task(k, tsk);
}

/**
 * do_notify_parent (kernel/signal.c), its answer only: true (autoreap) when the parent ignores
 * SIGCHLD, which procns models only as zap_pid_ns_processes sets it.
 */
function do_notify_parent(tsk: Task, sig: number): boolean {
  return sig === SIGCHLD && tsk.real_parent.group_leader.sigchld_ignored;
}

/** find_alive_thread (kernel/exit.c): another thread of the group that is not exiting. */
function find_alive_thread(p: Task): Task | null {
  const leader = p.group_leader;
  for (const t of [leader, ...leader.thread_group]) if (t !== p && t.state === 'running') return t;
  return null;
}

/**
 * find_child_reaper (kernel/exit.c): the init of the exiting task's pid namespace; if that is
 * the exiting task itself, a live thread takes over, or the namespace dies with it
 * (zap_pid_ns_processes) and the task reaps its own.
 */
function find_child_reaper(k: Kernel, father: Task): Task {
  const pid_ns = task_active_pid_ns(father);
  const reaper = pid_ns.child_reaper as Task;
  if (reaper !== father) return reaper;
  const thread = find_alive_thread(father);
  if (thread) {
    pid_ns.child_reaper = thread;
    return thread;
  }
  zap_pid_ns_processes(k, pid_ns);
  return father;
}

/**
 * find_new_reaper (kernel/exit.c): a live thread of the group, else the pid namespace's
 * reaper (no subreapers: the table has no prctl).
 */
function find_new_reaper(father: Task, child_reaper: Task): Task {
  return find_alive_thread(father) ?? child_reaper;
}

/**
 * forget_original_parent (kernel/exit.c): find the reaper first (which may kill the whole pid
 * namespace), then hand the children over (reparent_leader).
 */
function forget_original_parent(k: Kernel, father: Task): void {
  let reaper = find_child_reaper(k, father);
  if (!father.children.length) return;
  reaper = find_new_reaper(father, reaper);
  for (const c of father.children.splice(0)) {
    c.real_parent = reaper;
    reaper.children.push(c);
    if (reaper.group_leader !== father.group_leader) reparent_leader(k, c);
  }
}

/**
 * reparent_leader (kernel/exit.c): the exit signal is SIGCHLD again, and a zombie child is
 * announced to its new parent, which may reap it at once.
 */
function reparent_leader(k: Kernel, p: Task): void {
  if (p.state === 'dead') return;
  p.exit_signal = SIGCHLD; // we don't want people slaying init
  if (p.state === 'zombie' && thread_group_empty(p) && do_notify_parent(p, p.exit_signal)) release_task(k, p);
}

/** disable_pid_allocation (kernel/pid.c, 3.8): no more forks into the namespace. */
function disable_pid_allocation(ns: PidNamespace): void {
  ns.pid_allocated &= ~PIDNS_ADDING;
}

/** Is the task's pid numbered in this namespace (its own or a descendant)? */
function pidInNs(t: Task, ns: PidNamespace): boolean {
  for (let up: PidNamespace | null = t.pid.ns; up; up = up.parent) if (up === ns) return true;
  return false;
}

/**
 * zap_pid_ns_processes (kernel/pid_namespace.c): the namespace's init is dying: no more pids,
 * SIGCHLD ignored (so the killed children reap themselves), SIGKILL to every other task with a
 * number in it, then reap what zombies are left. A task in a syscall dies as the syscall returns
 * (Kernel.advance); the kernel's init then also sleeps until the last pid is freed, which procns
 * does not model (its init goes on to become a zombie).
 */
function zap_pid_ns_processes(k: Kernel, pid_ns: PidNamespace): void {
  const me = k.current;
  if (atLeast(k, '3.8')) disable_pid_allocation(pid_ns);
  me.group_leader.sigchld_ignored = true;
  for (const task of [...k.tasks.values()]) {
    if (task === me || task.state !== 'running' || !pidInNs(task, pid_ns)) continue;
    send_sigkill(k, task);
  }
  // kernel_wait4(-1, __WALL) until ECHILD: the zombies among our children
  const leader = me.group_leader;
  for (const t of [leader, ...leader.thread_group]) {
    for (const c of [...t.children]) if (c.state === 'zombie' && !delay_group_leader(c)) release_task(k, c);
  }
}

/**
 * SIGKILL, delivered (kernel/signal.c, get_signal → do_group_exit): an idle task exits now; one
 * in a syscall exits when the syscall returns (Kernel.advance).
 */
function send_sigkill(k: Kernel, task: Task): void {
  task.sigkill = true;
  if (!task.syscall) exit_on_sigkill(k, task);
}

/** The fatal signal taken on the way back to user space: do_exit, run to its end as that task. */
export function exit_on_sigkill(k: Kernel, task: Task): void {
  if (task.state !== 'running') return;
  const saved = k.current;
  k.current = task;
  const gen = do_exit(k, 9);
  while (!gen.next().done) { /* a nested exit runs to its end */ }
  k.current = saved;
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
  free_pid(pid);
  put_pid(pid, p);
  k.tasks.delete(pid.nr);
  const siblings = p.real_parent.children;
  const i = siblings.indexOf(p);
  if (i >= 0) siblings.splice(i, 1);
  // a leader with zombie threads gone may now be reaped by its parent (do_notify_parent)
  let zap_leader = false;
  const leader = p.group_leader;
  if (leader !== p) {
    const g = leader.thread_group;
    const j = g.indexOf(p);
    if (j >= 0) g.splice(j, 1);
    zap_leader = thread_group_empty(leader) && leader.state === 'zombie' && do_notify_parent(leader, leader.exit_signal);
  }
  p.state = 'dead';
  put_task_struct(p, 'tasklist'); // delayed_put_task_struct after the RCU grace period
  if (zap_leader) release_task(k, leader);
}

/** __WALL (include/uapi/linux/wait.h): wait for any child, whatever its exit signal. */
export const __WALL = 0x40000000;

/** delay_group_leader (kernel/exit.c): a zombie leader waits for its threads. */
function delay_group_leader(p: Task): boolean {
  return p.group_leader === p && !thread_group_empty(p);
}

/**
 * do_wait / wait_task_zombie (kernel/exit.c), as WNOHANG: reap a zombie child (pid, or any
 * with -1). 0 when none is ready, -ECHILD when there is no such child. Never blocks. `options`
 * __WALL also takes children whose exit signal is not SIGCHLD (the table's wait has none).
 */
export function sys_wait(k: Kernel, pid: number, options = 0): number {
  const me = k.current.group_leader;
  // do_wait_thread over the group's threads (the leader's children first), wait_consider_task on each child
  let eligible = false;
  for (let i = -1; i < me.thread_group.length; i++) {
    const children = (i < 0 ? me : me.thread_group[i]).children;
    for (let j = 0; j < children.length; j++) {
      const c = children[j];
      // eligible_child: without __WCLONE only a child whose exit signal is SIGCHLD
      if ((pid !== -1 && c.pid.nr !== pid) || !(options & __WALL || c.exit_signal === SIGCHLD)) continue;
      eligible = true;
      if (c.state === 'zombie' && !delay_group_leader(c)) {
        const nr = c.pid.nr;
        release_task(k, c);
        return nr;
      }
    }
  }
  return eligible ? 0 : -ECHILD;
}

