// The emulated kernel: its global state (the things that are globals in C), boot, oopses,
// and the per-task syscall slots that the scheduler advances.
import { Dentry, Inode, KGen, RACE_POINT, SuperBlock, Vfsmount } from './fs';
import { kget, ktransfer, ObjectRegistry, Oops, RefTracer } from './object';
import { atLeast, Profile } from './profile';
import { ROOT_CRED } from './cred';
import { Task, Mm, Pid, alloc_pid, exit_on_sigkill } from './task';
import { get_nsproxy, Nsproxy } from './nsproxy';
import { CgroupNamespace, get_ns, IpcNamespace, MntNamespace, NetNamespace, ns_alloc_inum, PidNamespace, TimeNamespace, UserNamespace, UtsNamespace } from './namespaces';
import { FilesStruct } from './file';
import { FsStruct } from './fs_struct';
import { memfs_create, memfs_mount } from './memfs';
import { ProcfsHooks } from './proc_fs';
import { d_alloc } from './dcache';
import { mntget } from './mount';
import { init_pipe_fs } from './pipe';
import { EINVAL } from './errno';
import type { Call, SysResult } from './syscalls';

/** A filesystem type the kernel can mount at boot (procfs registers one). */
export interface FileSystemType {
  /** Build a superblock and return its root dentry (referenced once, for the mount). */
  mount(k: Kernel): Dentry;
  /**
   * The entry points of this filesystem as the profile's release builds it: each release's
   * fs/proc is different code, and the kernel picks one, once, at boot.
   */
  hooks(profile: Profile): ProcfsHooks;
}

/** Without CONFIG_PROC_FS: proc_ns_fget is -EINVAL and there is nothing to flush. */
const NO_PROCFS: ProcfsHooks = {
  proc_ns_fget: () => -EINVAL,
  proc_flush_task: () => undefined,
};

/** A syscall in flight on a task: its call and the generator the scheduler resumes. */

export class Kernel {
  readonly objects = new ObjectRegistry();
  /** Told of every reference change while a checker runs (kernel/object.ts); null when none does. */
  tracer: RefTracer | null = null;
  readonly oopses: Oops[] = [];
  /** The unused-inode LRU (inode_lru). */
  readonly inode_lru = new Set<Inode>();
  /** proc_inum_ida: inode numbers in use by namespaces (3.8). */
  readonly inums = new Set<number>();
  /** The pid hash: live (unreaped) tasks by pid number, in creation order. */
  readonly tasks = new Map<number, Task>();
  /** The procfs entry points of this kernel's release (chosen at boot). */
  readonly procfs: ProcfsHooks;
  /** The release, ordered as Profile.release: atLeast(k, '3.8'). */
  readonly release: number;
  last_pid = 0;
  /** last_ino (fs/inode.c, get_next_ino): the last number given to an inode with none of its own. */
  last_ino = 2;
  /** mnt_ns_seq (fs/namespace.c, 3.9): the last mount namespace's sequence number. */
  mnt_ns_seq = 0;
  /** The task whose code runs now. */
  current!: Task;
  /**
   * init_task (init/init_task.c): the boot task (swapper, pid 0). It never exits and is no
   * process: not in the pid hash, no syscalls. It holds init_nsproxy, and so the initial
   * namespaces, for good: init_net, init_uts_ns, init_ipc_ns... are static and never die.
   */
  init_task!: Task;
  init!: Task;
  rootMnt!: Vfsmount;
  procMnt: Vfsmount | null = null;
  /** pipe_mnt (fs/pipe.c): pipefs, kern_mount-ed at boot (init_pipe_fs). */
  pipeMnt: Vfsmount | null = null;
  /** Completed syscalls so far; oopses are stamped with it. */
  step = 0;
  private dev = 0;
  /** The tasks with a syscall in flight (each task's own is task.syscall), in pid order. */
  private readonly inflight: Task[] = [];
  /**
   * need_resched (TIF_NEED_RESCHED): may the scheduler pick another task at a preemption point?
   * Set unless a syscall is being run to its end (the world's finish, the syscall() helper) and
   * the task running is that syscall's own: it would be picked again at once, so a cond_resched()
   * point does not yield. Sleeping on a held mutex yields regardless.
   */
  need_resched = true;
  /** Did the last advance stop at a preemption point where a race lives (RACE_POINT)? */
  atRacePoint = false;
  /** Tasks sleeping on a mutex, and the mutex. */
  readonly blocked = new Map<Task, import('./fs').Mutex>();

  /** The task to run so that `t` makes progress: the holder of the mutex it sleeps on, or itself. */
  runFor(t: Task): Task {
    let cur = t;
    for (let guard = 0; guard < 64; guard++) {
      const owner = this.blocked.get(cur)?.owner;
      if (!owner || owner === cur || !owner.syscall) return cur;
      cur = owner;
    }
    return cur;
  }

  constructor(readonly profile: Profile, proc?: FileSystemType) {
    this.release = profile.release;
    this.procfs = proc ? proc.hooks(profile) : NO_PROCFS;
    this.boot(proc);
  }

  /** Record a kernel bug the way the kernel prints one; the run goes on. */
  oops(message: string, at: string, object?: string): void {
    this.oopses.push({ step: this.step, message, at, object });
  }

  nextDev(): number {
    return ++this.dev;
  }

  /** start_kernel, reduced: the initial namespaces, the root filesystem, /proc, and init. */
  private boot(proc?: FileSystemType): void {
    const user = new UserNamespace(this, 'init', null);
    ns_alloc_inum(user, true);
    const init_task = new Task(this, ROOT_CRED, user);
    get_ns(this, user, init_task, 'init_cred');
    this.init_task = init_task;
    const init = new Task(this, ROOT_CRED, user);
    ktransfer(user, 'init', init);
    this.current = init;
    this.init = init;

    const mnt_ns = new MntNamespace(this, 'init_nsproxy');
    ns_alloc_inum(mnt_ns, true);
    const net = new NetNamespace(this, 'init_nsproxy');
    ns_alloc_inum(net, true);
    const uts = new UtsNamespace(this, 'init_nsproxy', 'procns');
    ns_alloc_inum(uts, true);
    const ipc = new IpcNamespace(this, 'init_nsproxy');
    ns_alloc_inum(ipc, true);
    const pidns = new PidNamespace(this, 'init_nsproxy', null);
    ns_alloc_inum(pidns, true);
    const nsproxy = new Nsproxy(this, init_task); // init_nsproxy, init_task's
    get_nsproxy(nsproxy, init); // init (pid 1) is forked from init_task: copy_namespaces shares it
    for (const ns of [mnt_ns, net, uts, ipc, pidns]) ktransfer(ns, 'init_nsproxy', nsproxy);
    Object.assign(nsproxy, { mnt_ns, net_ns: net, uts_ns: uts, ipc_ns: ipc, pid_ns: pidns });
    if (atLeast(this, '4.6')) {
      // cgroup namespaces (4.6): init_cgroup_ns
      const cgroup = new CgroupNamespace(this, nsproxy);
      ns_alloc_inum(cgroup, true);
      nsproxy.cgroup_ns = cgroup;
    }
    if (atLeast(this, '5.6')) {
      // time namespaces (5.6): init_time_ns, for the task and for its children
      const time = new TimeNamespace(this, nsproxy);
      ns_alloc_inum(time, true);
      kget(this, time, nsproxy, 'init_time_ns');
      nsproxy.time_ns = time;
      nsproxy.time_ns_for_children = time;
    }
    init_task.nsproxy = nsproxy;
    init.nsproxy = nsproxy;

    // the root filesystem, with the directories the scenarios use
    const root = memfs_mount(this);
    // /tmp as every distribution makes it (and the recorder's sandbox): world-writable, sticky
    for (const d of ['proc', 'tmp', 'mnt', 'run']) memfs_create(root.d_inode as Inode, d, true, 0, d === 'tmp' ? 0o1777 : 0o755);
    const rootMnt = new Vfsmount(this, root.d_sb, root);
    ktransfer(root, 'sb_root', rootMnt);
    ktransfer(rootMnt, 'alloc_vfsmnt', 'tree');
    rootMnt.mnt_ns = mnt_ns;
    mnt_ns.root = rootMnt;
    mnt_ns.list.add(rootMnt);
    this.rootMnt = rootMnt;

    // init_struct_pid: pid 0, in init_pid_ns but never in its count or the pid hash
    init_task.pid = new Pid(this, init_task, 0, pidns);
    init_task.pid.task = init_task; // init_struct_pid.tasks[PIDTYPE_PID] is init_task
    get_ns(this, pidns, init_task.pid, 'init_struct_pid');
    init_task.tgid = 0;
    init.pid = alloc_pid(this, pidns, init) as Pid;
    init.pid.task = init;
    pidns.child_reaper = init;
    init.tgid = init.pid.nr;
    this.tasks.set(init.pid.nr, init);
    init.mm = new Mm(this, init);
    init.files = new FilesStruct(this, init);
    init.fs = new FsStruct(this, init, { mnt: rootMnt, dentry: root }, { mnt: rootMnt, dentry: root });

    if (proc) this.procMnt = this.mountAtBoot(proc, '/proc');
    this.pipeMnt = init_pipe_fs(this);
  }

  /** Mount a filesystem on a directory of the root filesystem (as init does with `mount -t proc`). */
  private mountAtBoot(fstype: FileSystemType, where: string): Vfsmount {
    const root = fstype.mount(this);
    const mnt = new Vfsmount(this, root.d_sb, root);
    ktransfer(root, 'sb_root', mnt);
    ktransfer(mnt, 'alloc_vfsmnt', 'tree');
    // the mountpoint: the directory's dentry, instantiated through memfs lookup at boot
    const rootDentry = this.rootMnt.mnt_root;
    const name = where.replace(/^\//, '');
    const mp = bootLookup(rootDentry, name);
    mnt.mnt_parent = mntget(this.rootMnt, mnt);
    ktransfer(mp, 'boot', mnt);
    mnt.mnt_mountpoint = mp;
    mp.d_mounted++;
    this.rootMnt.mnt_mounts.push(mnt);
    mnt.mnt_ns = this.rootMnt.mnt_ns;
    this.rootMnt.mnt_ns?.list.add(mnt);
    return mnt;
  }

  /** Every superblock mounted at boot, for drop_caches. */
  supers(): SuperBlock[] {
    const out: SuperBlock[] = [this.rootMnt.mnt_sb];
    if (this.procMnt) out.push(this.procMnt.mnt_sb);
    return out;
  }

  // ---- the scheduler's view: one syscall slot per task ----

  /** Is a syscall in flight on this task? */
  busy(t: Task): boolean {
    return t.syscall !== null;
  }

  /** How many syscalls are in flight. */
  inFlight(): number {
    return this.inflight.length;
  }

  /** Tasks with a syscall in flight, in pid order (the kernel's own list: read it, do not keep it). */
  runnable(): readonly Task[] {
    return this.inflight;
  }

  /** Start a syscall on an idle, running task. False when the task cannot take one. */
  submit(t: Task, call: Call, gen: KGen<SysResult>): boolean {
    if (t.syscall || t.state !== 'running' || t.freed) return false;
    t.syscall = { call, gen };
    // in pid order: the scheduler's picks index this list
    const q = this.inflight;
    let at = q.length;
    q.push(t);
    while (at > 0 && q[at - 1].pid.nr > t.pid.nr) { q[at] = q[at - 1]; at--; }
    q[at] = t;
    return true;
  }

  /** Run the task's syscall to its next yield. Returns its result when it completes. */
  advance(t: Task): { call: Call; result: SysResult } | null {
    const slot = t.syscall;
    if (!slot) return null;
    this.current = t;
    const r = slot.gen.next();
    if (!r.done) {
      this.atRacePoint = r.value === RACE_POINT;
      return null;
    }
    this.atRacePoint = false;
    t.syscall = null;
    if (t.sigkill) exit_on_sigkill(this, t); // a fatal signal is taken on the way back to user space
    // out of the list, the later ones moving up (a few at most: a loop, not copyWithin)
    const q = this.inflight;
    for (let i = q.indexOf(t) + 1; i < q.length; i++) q[i - 1] = q[i];
    q.pop();
    this.step++;
    return { call: slot.call, result: r.value };
  }
}

/** The dentry of a boot-time directory: looked up through memfs, kept pinned by the mount. */
function bootLookup(parent: Dentry, name: string): Dentry {
  const dir = parent.d_inode as Inode;
  const d = d_alloc(parent, name, 'boot');
  const gen = (dir.i_op.lookup as NonNullable<typeof dir.i_op.lookup>)(dir, d);
  let r = gen.next();
  while (!r.done) r = gen.next();
  return d;
}
