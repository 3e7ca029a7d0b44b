// fs/proc/base.c: /proc/<pid> and /proc/<pid>/task/<tid>. The pid inodes and dentries
// (proc_pid_make_inode, pid_revalidate, pid_delete_dentry), the generic fill-cache used by
// readdir, the per-process entries (task, fd, ns), the fd magic links, and proc_flush_task.
import type { Holder } from '../kernel/object';
import type { Kernel } from '../kernel/kernel';
import {
  Dentry, DentryOperations, File, FileOperations, Filldir, Inode, InodeOperations, KGen, Kstat, Nameidata, Path,
  RACE_POINT, SuperBlock, Vfsmount, FMODE_READ, FMODE_WRITE, dentryOperations, fileOperations, inodeOperations, parent_ino,
} from '../kernel/fs';
import { d_add, d_alloc, d_drop, d_hash_and_lookup, d_lookup, dput, shrink_dcache_parent } from '../kernel/dcache';
import { iput, new_inode } from '../kernel/inode';
import { PROC_I, ProcInode } from '../kernel/proc_fs';
import { get_pid, get_pid_task, pid_task, put_task_struct, Task } from '../kernel/task';
import { ptrace_may_access } from '../kernel/cred';
import { fcheck_files } from '../kernel/file';
import { path_get, path_put } from '../kernel/mount';
import { generic_permission, d_path } from '../kernel/namei';
import { EACCES, ENOENT, EPERM, ESRCH } from '../kernel/errno';
import {
  DT_DIR, DT_UNKNOWN, S_IFDIR, S_IFLNK, S_IRUGO, S_IRUSR, S_ISGID, S_ISUID, S_IWUSR, S_IXUGO, S_IXUSR, S_IFMT,
} from '../kernel/flags';
import { get_next_ino } from '../kernel/inode';
import { generic_read_dir } from '../kernel/readdir';
import { procEra } from './era';

/** instantiate_t (fs/proc/internal.h): NULL on success, or -errno. */
export type Instantiate = (dir: Inode, dentry: Dentry, task: Task, ptr: unknown) => KGen<Dentry | null | number>;

/** get_proc_task (fs/proc/internal.h): the task of a proc inode, referenced, or NULL once reaped. */
export function get_proc_task(inode: Inode, holder: Holder): Task | null {
  return get_pid_task(PROC_I(inode).pid, holder);
}

/** task_dumpable (fs/proc/base.c). */
function task_dumpable(task: Task): boolean {
  return task.mm !== null && task.mm.dumpable === 1;
}

/** get_task_pid (kernel/pid.c) for PIDTYPE_PID: NULL once detach_pid has run. */
function get_task_pid(task: Task, holder: Holder) {
  return task.pid.task === task ? get_pid(task.pid, holder) : null;
}

const proc_def_inode_operations: InodeOperations = inodeOperations({ setattr: proc_setattr });

/**
 * proc_pid_make_inode (fs/proc/base.c): a new unhashed inode with a fresh number, pinning the
 * task's struct pid, owned by the task's euid when the task is dumpable.
 */
export function proc_pid_make_inode(sb: SuperBlock, task: Task): ProcInode | null {
  const inode = new_inode(sb) as ProcInode;
  const ei = PROC_I(inode);
  inode.i_ino = get_next_ino(sb.k);
  inode.i_op = proc_def_inode_operations;
  ei.pid = get_task_pid(task, inode);
  if (!ei.pid) {
    iput(inode, 'new_inode');
    return null;
  }
  if (task_dumpable(task)) inode.i_uid = task.cred.euid;
  return inode;
}

/**
 * pid_revalidate (fs/proc/base.c): a proc dentry stays valid while its task exists (the uid is
 * refreshed); once the task is gone it is dropped. It never re-checks what the dentry names.
 */
export function pid_revalidate(dentry: Dentry, _nd: Nameidata | null): number {
  const inode = dentry.d_inode as Inode;
  const task = get_proc_task(inode, 'pid_revalidate');
  if (task) {
    if (inode.i_mode === (S_IFDIR | S_IRUGO | S_IXUGO) || task_dumpable(task)) inode.i_uid = task.cred.euid;
    else inode.i_uid = 0;
    inode.i_mode &= ~(S_ISUID | S_ISGID);
    put_task_struct(task, 'pid_revalidate');
    return 1;
  }
  d_drop(dentry);
  return 0;
}

/** pid_delete_dentry (fs/proc/base.c): kill the dentry on its last dput once the pid has no task. */
export function pid_delete_dentry(dentry: Dentry): boolean {
  return pid_task(PROC_I(dentry.d_inode as Inode).pid) === null;
}

export const pid_dentry_operations: DentryOperations = dentryOperations({
  d_revalidate: pid_revalidate,
  d_delete: pid_delete_dentry,
});

/** pid_getattr (fs/proc/base.c): generic attributes, owned by the task's euid if dumpable. Never fails. */
export function pid_getattr(_mnt: Vfsmount, dentry: Dentry): Kstat {
  const inode = dentry.d_inode as Inode;
  const stat = { mode: inode.i_mode, ino: inode.i_ino, uid: 0, nlink: inode.i_nlink, dev: inode.i_sb.s_dev };
  const task = pid_task(PROC_I(inode).pid);
  if (task && (inode.i_mode === (S_IFDIR | S_IRUGO | S_IXUGO) || task_dumpable(task))) stat.uid = task.cred.euid;
  return stat;
}

/** proc_setattr (fs/proc/base.c): a mode change is EPERM. */
export function proc_setattr(_dentry: Dentry): number {
  return -EPERM;
}

/**
 * proc_fill_cache (fs/proc/base.c): report a readdir entry with the same inode number stat
 * would show, instantiating its dentry if it is not cached. When instantiation fails the
 * entry is still reported, with ino 1 (or a cached number) and DT_UNKNOWN.
 */
export function* proc_fill_cache(
  filp: File, filldir: Filldir, name: string, instantiate: Instantiate, task: Task, ptr: unknown,
): KGen<number> {
  const dir = filp.f_path.dentry;
  let ino = 0;
  let type = DT_UNKNOWN;
  let child: Dentry | null | number = d_lookup(dir, name, 'proc_fill_cache');
  if (!child) {
    const fresh = d_alloc(dir, name, 'proc_fill_cache');
    const res = yield* instantiate(dir.d_inode as Inode, fresh, task, ptr);
    if (res !== null) {
      dput(fresh, 'proc_fill_cache');
      child = res;
    } else {
      child = fresh;
    }
  }
  // (!child, a failed d_alloc, cannot happen here); IS_ERR(child); a negative dentry
  if (typeof child !== 'number' && child.d_inode) {
    const inode = child.d_inode;
    ino = inode.i_ino;
    type = (inode.i_mode & S_IFMT) >>> 12;
    dput(child, 'proc_fill_cache');
  }
  if (!ino) ino = find_inode_number(dir, name);
  if (!ino) ino = 1;
  return filldir(name, filp.f_pos, ino, type);
}

/** find_inode_number (fs/dcache.c): the inode number of a cached child, or 0. */
function find_inode_number(dir: Dentry, name: string): number {
  const d = d_hash_and_lookup(dir, name, 'find_inode_number');
  if (!d) return 0;
  const ino = d.d_inode?.i_ino ?? 0;
  dput(d, 'find_inode_number');
  return ino;
}

// ---- struct pid_entry tables ----

/** struct pid_entry (fs/proc/base.c). */
export interface PidEntry {
  readonly name: string;
  readonly mode: number;
  readonly iop: InodeOperations;
  readonly fop: FileOperations | null;
}

const DIR = (name: string, mode: number, iop: InodeOperations, fop: FileOperations): PidEntry =>
  Object.freeze({ name, mode: S_IFDIR | mode, iop, fop });

/**
 * proc_pident_instantiate (fs/proc/base.c): an entry's inode and dentry; the revalidate at the
 * end closes the race with the task dying.
 */
function* proc_pident_instantiate(dir: Inode, dentry: Dentry, task: Task, ptr: unknown): KGen<Dentry | null | number> {
  const p = ptr as PidEntry;
  if (dir.k.need_resched) yield; // new_inode: GFP_KERNEL may sleep (a task reaped meanwhile is seen by proc_pid_make_inode)
  const inode = proc_pid_make_inode(dir.i_sb, task);
  if (!inode) return -ENOENT;
  inode.i_mode = p.mode;
  if ((p.mode & S_IFMT) === S_IFDIR) inode.i_nlink = 2;
  inode.i_op = p.iop;
  if (p.fop) inode.i_fop = p.fop;
  if (dir.k.need_resched) yield RACE_POINT; // SMP: the task may be reaped on another CPU until d_add; the revalidate below catches it
  dentry.d_op = pid_dentry_operations;
  d_add(dentry, inode);
  // Close the race of the process dying before we return the dentry
  if (pid_revalidate(dentry, null)) return null;
  return -ENOENT;
}

/** proc_pident_lookup (fs/proc/base.c). */
function* proc_pident_lookup(dir: Inode, dentry: Dentry, ents: readonly PidEntry[]): KGen<Dentry | null | number> {
  const task = get_proc_task(dir, 'proc_pident_lookup');
  if (!task) return -ENOENT;
  try {
    const p = ents.find((e) => e.name === dentry.d_name);
    if (!p) return -ENOENT;
    return yield* proc_pident_instantiate(dir, dentry, task, p);
  } finally {
    put_task_struct(task, 'proc_pident_lookup');
  }
}

/** proc_pident_readdir (fs/proc/base.c): ".", "..", then each entry; f_pos counts them. */
function* proc_pident_readdir(filp: File, filldir: Filldir, ents: readonly PidEntry[]): KGen<number> {
  const dentry = filp.f_path.dentry;
  const inode = dentry.d_inode as Inode;
  const task = get_proc_task(inode, 'proc_pident_readdir');
  if (!task) return -ENOENT;
  try {
    let i = filp.f_pos;
    if (i === 0) {
      if (filldir('.', i, inode.i_ino, DT_DIR) < 0) return 0;
      i++;
      filp.f_pos++;
    }
    if (i === 1) {
      if (filldir('..', i, parent_ino(dentry), DT_DIR) < 0) return 0;
      i++;
      filp.f_pos++;
    }
    i -= 2;
    if (i >= ents.length) return 1;
    for (let j = i; j < ents.length; j++) {
      if ((yield* proc_fill_cache(filp, filldir, ents[j].name, proc_pident_instantiate, task, ents[j])) < 0) return 0;
      filp.f_pos++;
    }
    return 1;
  } finally {
    put_task_struct(task, 'proc_pident_readdir');
  }
}

// ---- /proc/<pid>/fd ----

/** proc_fd_info / proc_fd_link (fs/proc/base.c): the path of the task's file at this fd, referenced. */
function proc_fd_link(inode: ProcInode, holder: Holder): Path | number {
  const task = get_proc_task(inode, 'proc_fd_info');
  if (!task) return -ENOENT;
  const files = task.files;
  put_task_struct(task, 'proc_fd_info');
  const file = files ? fcheck_files(files, inode.fd) : null;
  if (!file) return -ENOENT;
  return path_get(file.f_path, holder);
}

/** proc_fd_access_allowed (fs/proc/base.c). */
function proc_fd_access_allowed(k: Kernel, inode: Inode): boolean {
  const task = get_proc_task(inode, 'proc_fd_access_allowed');
  if (!task) return false;
  const allowed = ptrace_may_access(k, task);
  put_task_struct(task, 'proc_fd_access_allowed');
  return allowed;
}

/**
 * proc_pid_follow_link (fs/proc/base.c): the magic link jumps the walk to the file's own path.
 * (The C puts nd->path before the access check; here the walk keeps nd->path until it succeeds,
 * and puts it on failure itself: the same references, one owner.)
 */
function proc_pid_follow_link(dentry: Dentry, nd: Nameidata): number {
  const inode = dentry.d_inode as ProcInode;
  if (!proc_fd_access_allowed(dentry.k, inode)) return -EACCES;
  const link = (inode.proc_get_link as NonNullable<ProcInode['proc_get_link']>)(inode, nd.holder);
  if (typeof link === 'number') return link;
  path_put(nd.path, nd.holder);
  nd.path = link;
  return 0;
}

/** proc_pid_readlink (fs/proc/base.c): the file's path as d_path prints it. */
function proc_pid_readlink(dentry: Dentry): string | number {
  const inode = dentry.d_inode as ProcInode;
  if (!proc_fd_access_allowed(dentry.k, inode)) return -EACCES;
  const link = (inode.proc_get_link as NonNullable<ProcInode['proc_get_link']>)(inode, 'proc_pid_readlink');
  if (typeof link === 'number') return link;
  const text = d_path(dentry.k, link);
  path_put(link, 'proc_pid_readlink');
  return text;
}

const proc_pid_link_inode_operations: InodeOperations = inodeOperations({
  readlink: proc_pid_readlink,
  follow_link: proc_pid_follow_link,
  setattr: proc_setattr,
});

/** tid_fd_revalidate (fs/proc/base.c): valid while the task still has a file at this fd. */
function tid_fd_revalidate(dentry: Dentry, _nd: Nameidata | null): number {
  const inode = dentry.d_inode as ProcInode;
  const task = get_proc_task(inode, 'tid_fd_revalidate');
  if (task) {
    const files = task.files;
    if (files && fcheck_files(files, inode.fd)) {
      inode.i_uid = task_dumpable(task) ? task.cred.euid : 0;
      inode.i_mode &= ~(S_ISUID | S_ISGID);
      put_task_struct(task, 'tid_fd_revalidate');
      return 1;
    }
    put_task_struct(task, 'tid_fd_revalidate');
  }
  d_drop(dentry);
  return 0;
}

const tid_fd_dentry_operations: DentryOperations = dentryOperations({
  d_revalidate: tid_fd_revalidate,
  d_delete: pid_delete_dentry,
});

/** proc_fd_instantiate (fs/proc/base.c): a link inode whose mode mirrors the file's access. */
function* proc_fd_instantiate(dir: Inode, dentry: Dentry, task: Task, ptr: unknown): KGen<Dentry | null | number> {
  const fd = ptr as number;
  if (dir.k.need_resched) yield; // new_inode may sleep (a task reaped meanwhile is seen by proc_pid_make_inode)
  const inode = proc_pid_make_inode(dir.i_sb, task);
  if (!inode) return -ENOENT;
  inode.fd = fd;
  const files = task.files;
  const file = files ? fcheck_files(files, fd) : null;
  if (!file) {
    iput(inode, 'new_inode');
    return -ENOENT;
  }
  inode.i_mode = S_IFLNK;
  if (file.f_mode & FMODE_READ) inode.i_mode |= S_IRUSR | S_IXUSR;
  if (file.f_mode & FMODE_WRITE) inode.i_mode |= S_IWUSR | S_IXUSR;
  inode.i_op = proc_pid_link_inode_operations;
  inode.proc_get_link = proc_fd_link;
  if (dir.k.need_resched) yield RACE_POINT; // SMP: the fd may be closed, or the task reaped, on another CPU until d_add; tid_fd_revalidate below catches it
  dentry.d_op = tid_fd_dentry_operations;
  d_add(dentry, inode);
  if (tid_fd_revalidate(dentry, null)) return null;
  return -ENOENT;
}

/** name_to_int (fs/proc/base.c): a canonical decimal number, or -1. */
function name_to_int(name: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) return -1;
  const n = Number(name);
  return n > 0x7fffffff ? -1 : n;
}

/** proc_lookupfd (fs/proc/base.c). */
function* proc_lookupfd(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const task = get_proc_task(dir, 'proc_lookupfd');
  if (!task) return -ENOENT;
  try {
    const fd = name_to_int(dentry.d_name);
    if (fd < 0) return -ENOENT;
    return yield* proc_fd_instantiate(dir, dentry, task, fd);
  } finally {
    put_task_struct(task, 'proc_lookupfd');
  }
}

/**
 * proc_readfd_common (fs/proc/base.c): ".", "..", then a slot-by-slot walk of the fd table up to
 * max_fds; f_pos = fd + 2, so the last record's d_off is max_fds + 2.
 */
function* proc_readfd(filp: File, filldir: Filldir): KGen<number> {
  const dentry = filp.f_path.dentry;
  const inode = dentry.d_inode as Inode;
  const task = get_proc_task(inode, 'proc_readfd');
  if (!task) return -ENOENT;
  try {
    let fd = filp.f_pos;
    if (fd === 0) {
      if (filldir('.', 0, inode.i_ino, DT_DIR) < 0) return 0;
      filp.f_pos++;
      fd++;
    }
    if (fd === 1) {
      if (filldir('..', 1, parent_ino(dentry), DT_DIR) < 0) return 0;
      filp.f_pos++;
    }
    const files = task.files;
    if (!files) return 0;
    for (fd = filp.f_pos - 2; fd < files.max_fds; fd++, filp.f_pos++) {
      if (!fcheck_files(files, fd)) continue;
      if ((yield* proc_fill_cache(filp, filldir, String(fd), proc_fd_instantiate, task, fd)) < 0) return 0;
    }
    return 0;
  } finally {
    put_task_struct(task, 'proc_readfd');
  }
}

/** proc_fd_permission (fs/proc/base.c): the mode bits, or the task itself. */
function proc_fd_permission(inode: Inode, mask: number): number {
  const rv = generic_permission(inode.k, inode, mask);
  if (rv === 0) return 0;
  if (inode.k.current.pid === PROC_I(inode).pid) return 0;
  return rv;
}

const proc_fd_inode_operations: InodeOperations = inodeOperations({
  lookup: proc_lookupfd,
  permission: proc_fd_permission,
  setattr: proc_setattr,
});

// ---- /proc/<pid>/task ----

/** proc_task_instantiate (fs/proc/base.c): /proc/<tgid>/task/<tid>, a tid_base directory. */
function* proc_task_instantiate(dir: Inode, dentry: Dentry, task: Task, _ptr: unknown): KGen<Dentry | null | number> {
  if (dir.k.need_resched) yield; // new_inode may sleep (a task reaped meanwhile is seen by proc_pid_make_inode)
  const inode = proc_pid_make_inode(dir.i_sb, task);
  if (!inode) return -ENOENT;
  inode.i_mode = S_IFDIR | S_IRUGO | S_IXUGO;
  const base = procEra(dir.k).pid_base;
  inode.i_op = base.proc_tid_base_inode_operations;
  inode.i_fop = base.proc_tid_base_operations;
  inode.i_nlink = 2 + base.tid_base_stuff.length;
  if (dir.k.need_resched) yield RACE_POINT; // SMP: the task may be reaped on another CPU until d_add; the revalidate below catches it
  dentry.d_op = pid_dentry_operations;
  d_add(dentry, inode);
  if (pid_revalidate(dentry, null)) return null;
  return -ENOENT;
}

/** proc_task_lookup (fs/proc/base.c): a thread of the same group, else ENOENT. */
function* proc_task_lookup(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const leader = get_proc_task(dir, 'proc_task_lookup');
  if (!leader) return -ENOENT;
  try {
    const tid = name_to_int(dentry.d_name);
    if (tid < 0) return -ENOENT;
    const task = dir.k.tasks.get(tid);
    if (!task || task.group_leader !== leader.group_leader) return -ENOENT;
    return yield* proc_task_instantiate(dir, dentry, task, null);
  } finally {
    put_task_struct(leader, 'proc_task_lookup');
  }
}

/** proc_task_readdir (fs/proc/base.c): ".", "..", then each thread of the group. */
function* proc_task_readdir(filp: File, filldir: Filldir): KGen<number> {
  const dentry = filp.f_path.dentry;
  const inode = dentry.d_inode as Inode;
  const leader = get_proc_task(inode, 'proc_task_readdir');
  if (!leader) return -ENOENT;
  try {
    for (;;) {
      const pos = filp.f_pos;
      if (pos === 0) {
        if (filldir('.', 0, inode.i_ino, DT_DIR) < 0) return 0;
      } else if (pos === 1) {
        if (filldir('..', 1, parent_ino(dentry), DT_DIR) < 0) return 0;
      } else {
        const g = leader.group_leader;
        const threads = [g, ...g.thread_group].filter((t) => t.pid.task === t);
        const t = threads[pos - 2];
        if (!t) return 1;
        if ((yield* proc_fill_cache(filp, filldir, String(t.pid.nr), proc_task_instantiate, t, null)) < 0) return 0;
      }
      filp.f_pos++;
    }
  } finally {
    put_task_struct(leader, 'proc_task_readdir');
  }
}

const proc_task_inode_operations: InodeOperations = inodeOperations({
  lookup: proc_task_lookup,
  getattr: pid_getattr,
  setattr: proc_setattr,
});

// ---- the base entries ----

/**
 * The pid directories of fs/proc/base.c as a release builds them: tgid_base_stuff and
 * tid_base_stuff (the entries procns models: task, fd, ns, in the kernel's order), whose ns entry
 * has the release's operations, and the directories' own operations. Each era (era.ts) makes its
 * own with pidBase.
 */
export interface PidBase {
  readonly tgid_base_stuff: readonly PidEntry[];
  readonly tid_base_stuff: readonly PidEntry[];
  readonly proc_tgid_base_inode_operations: InodeOperations;
  readonly proc_tgid_base_operations: FileOperations;
  readonly proc_tid_base_inode_operations: InodeOperations;
  readonly proc_tid_base_operations: FileOperations;
}

/**
 * tgid_base_stuff, tid_base_stuff and their directories' operations (fs/proc/base.c), with a
 * release's ns directory, the release's llseek of the pid, task and fd directories
 * (default_llseek in 3.0 and 3.8, generic_file_llseek today) and, from the release that has it,
 * proc_pid_permission.
 */
export function pidBase(
  ns_iop: InodeOperations, ns_fop: FileOperations, llseek: FileOperations['llseek'], permission?: InodeOperations['permission'],
): PidBase {
  const proc_fd_operations = fileOperations({ read: generic_read_dir, readdir: proc_readfd, llseek });
  const proc_task_operations = fileOperations({ read: generic_read_dir, readdir: proc_task_readdir, llseek });
  const tgid_base_stuff: readonly PidEntry[] = Object.freeze([
    DIR('task', S_IRUGO | S_IXUGO, proc_task_inode_operations, proc_task_operations),
    DIR('fd', S_IRUSR | S_IXUSR, proc_fd_inode_operations, proc_fd_operations),
    DIR('ns', S_IRUSR | S_IXUGO, ns_iop, ns_fop),
  ]);
  const tid_base_stuff: readonly PidEntry[] = Object.freeze([
    DIR('fd', S_IRUSR | S_IXUSR, proc_fd_inode_operations, proc_fd_operations),
    DIR('ns', S_IRUSR | S_IXUGO, ns_iop, ns_fop),
  ]);
  return Object.freeze({
    tgid_base_stuff,
    tid_base_stuff,
    proc_tgid_base_inode_operations: inodeOperations({
      lookup: (dir: Inode, d: Dentry) => proc_pident_lookup(dir, d, tgid_base_stuff),
      getattr: pid_getattr,
      setattr: proc_setattr,
      permission,
    }),
    proc_tgid_base_operations: fileOperations({
      read: generic_read_dir,
      readdir: (f: File, fill: Filldir) => proc_pident_readdir(f, fill, tgid_base_stuff),
      llseek,
    }),
    proc_tid_base_inode_operations: inodeOperations({
      lookup: (dir: Inode, d: Dentry) => proc_pident_lookup(dir, d, tid_base_stuff),
      getattr: pid_getattr,
      setattr: proc_setattr,
      permission,
    }),
    proc_tid_base_operations: fileOperations({
      read: generic_read_dir,
      readdir: (f: File, fill: Filldir) => proc_pident_readdir(f, fill, tid_base_stuff),
      llseek,
    }),
  });
}

/**
 * proc_pid_permission (fs/proc/base.c, 3.3+, with hidepid=): a /proc/<pid> directory whose
 * task is gone is ESRCH to search, which a dirfd opened before the reap still sees. 3.0 is
 * older; the 3.8 and today's eras link it (scenarios/dirfd-after-reap.json).
 */
export function proc_pid_permission(inode: Inode, mask: number): number {
  const task = get_proc_task(inode, 'proc_pid_permission');
  if (!task) return -ESRCH;
  put_task_struct(task, 'proc_pid_permission');
  return generic_permission(inode.k, inode, mask);
}

/** proc_pid_instantiate (fs/proc/base.c): /proc/<pid>, a tgid_base directory. */
export function* proc_pid_instantiate(dir: Inode, dentry: Dentry, task: Task, _ptr: unknown): KGen<Dentry | null | number> {
  if (dir.k.need_resched) yield; // new_inode may sleep (a task reaped meanwhile is seen by proc_pid_make_inode)
  const inode = proc_pid_make_inode(dir.i_sb, task);
  if (!inode) return -ENOENT;
  inode.i_mode = S_IFDIR | S_IRUGO | S_IXUGO;
  const base = procEra(dir.k).pid_base;
  inode.i_op = base.proc_tgid_base_inode_operations;
  inode.i_fop = base.proc_tgid_base_operations;
  inode.i_nlink = 2 + base.tgid_base_stuff.length;
  if (dir.k.need_resched) yield RACE_POINT; // SMP: the task may be reaped on another CPU until d_add; the revalidate below catches it
  dentry.d_op = pid_dentry_operations;
  d_add(dentry, inode);
  // Close the race of the process dying before we return the dentry
  if (pid_revalidate(dentry, null)) return null;
  return -ENOENT;
}

/** proc_pid_lookup (fs/proc/base.c): any live task id, thread ids included. */
export function* proc_pid_lookup(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const tgid = name_to_int(dentry.d_name);
  if (tgid < 0) return -ENOENT;
  const found = dir.k.tasks.get(tgid);
  if (!found) return -ENOENT;
  const task = get_pid_task(found.pid, 'proc_pid_lookup') as Task;
  try {
    return yield* proc_pid_instantiate(dir, dentry, task, null);
  } finally {
    put_task_struct(task, 'proc_pid_lookup');
  }
}

/** proc_flush_task_mnt (fs/proc/base.c): shrink and drop /proc/<pid> and /proc/<tgid>/task/<pid>. */
function proc_flush_task_mnt(mnt: Vfsmount, pid: number, tgid: number): void {
  const root = mnt.mnt_root;
  let dentry = d_hash_and_lookup(root, String(pid), 'proc_flush_task');
  if (dentry) {
    shrink_dcache_parent(dentry);
    d_drop(dentry);
    dput(dentry, 'proc_flush_task');
  }
  const leader = d_hash_and_lookup(root, String(tgid), 'proc_flush_task');
  if (!leader) return;
  const dir = d_hash_and_lookup(leader, 'task', 'proc_flush_task');
  if (dir) {
    dentry = d_hash_and_lookup(dir, String(pid), 'proc_flush_task');
    if (dentry) {
      shrink_dcache_parent(dentry);
      d_drop(dentry);
      dput(dentry, 'proc_flush_task');
    }
    dput(dir, 'proc_flush_task');
  }
  dput(leader, 'proc_flush_task');
}

/** proc_flush_task (fs/proc/base.c): called by release_task before the pid is detached. */
export function proc_flush_task(k: Kernel, task: Task): void {
  proc_flush_task_mnt(k.procMnt as Vfsmount, task.pid.nr, task.tgid);
}
