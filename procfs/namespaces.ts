// fs/proc/namespaces.c: /proc/<pid>/ns. The seed commit's regular files that pin a namespace
// (3.0), and the 3.8 design where each entry is a magic symlink to one inode per namespace.
import type { Kernel } from '../kernel/kernel';
import { Dentry, DentryOperations, File, FileOperations, Filldir, Inode, InodeOperations, KGen, Nameidata, SuperBlock } from '../kernel/fs';
import { d_add, d_alloc_pseudo, d_drop, d_instantiate, dput } from '../kernel/dcache';
import { iget_locked, iput, unlock_new_inode } from '../kernel/inode';
import { FMODE_WRITE, I_NEW, dentryOperations, fileOperations, inodeOperations, parent_ino } from '../kernel/fs';
import { PROC_I, ProcNsOperations } from '../kernel/proc_fs';
import { put_task_struct, Task } from '../kernel/task';
import { ptrace_may_access } from '../kernel/cred';
import { fget, fput } from '../kernel/file';
import { EACCES, EBADF, EINVAL, ENOENT, EPERM, ESPIPE } from '../kernel/errno';
import { DT_DIR, S_IFLNK, S_IFREG, S_IRUGO, S_IRUSR, S_IRWXU, SEEK_CUR, SEEK_END } from '../kernel/flags';
import { has } from '../kernel/profile';
import { ktransfer, type Holder } from '../kernel/object';
import { generic_read_dir } from '../kernel/readdir';
import { get_proc_task, pid_delete_dentry, pid_dentry_operations, pid_getattr, pid_revalidate, proc_fill_cache, proc_pid_make_inode, proc_setattr } from './base';
import {
  cgroupns_operations, ipcns_operations, mntns_operations, netns_operations, pidns_for_children_operations, pidns_operations,
  timens_for_children_operations, timens_operations, userns_operations, utsns_operations,
} from './ns_ops';

const S_IRWXUGO = S_IRWXU | 0o077;

/**
 * ns_entries (fs/proc/namespaces.c): 3.0 has net, uts, ipc; 3.8 adds pid, user, mnt; today's
 * kernel adds pid_for_children (4.12), cgroup (4.6), time and time_for_children (5.6).
 */
export function ns_entries(k: Kernel): readonly ProcNsOperations[] {
  if (k.profile.version === '3.0') return NS_ENTRIES_30;
  return k.profile.version === '3.8' ? NS_ENTRIES_38 : NS_ENTRIES_NSFS;
}
const NS_ENTRIES_30: readonly ProcNsOperations[] = Object.freeze([netns_operations, utsns_operations, ipcns_operations]);
const NS_ENTRIES_38: readonly ProcNsOperations[] = Object.freeze([
  netns_operations, utsns_operations, ipcns_operations, pidns_operations, userns_operations, mntns_operations,
]);
const NS_ENTRIES_NSFS: readonly ProcNsOperations[] = Object.freeze([
  netns_operations, utsns_operations, ipcns_operations, pidns_operations, pidns_for_children_operations,
  userns_operations, mntns_operations, cgroupns_operations, timens_operations, timens_for_children_operations,
]);

/** no_llseek (fs/read_write.c). */
function no_llseek(): number {
  return -ESPIPE;
}

/**
 * ns_file_operations (fs/proc/namespaces.c; fs/nsfs.c today): only .llseek = no_llseek.
 * proc_ns_fget knows a ns file by it. Today's nsfs refuses a write open with EPERM (observed
 * on this machine's kernel, oracle/linux/FACTS.md).
 */
export const ns_file_operations: FileOperations = fileOperations({
  name: 'ns_file_operations',
  llseek: no_llseek,
  open: (inode: Inode, file: File) => (inode.k.profile.version === 'nsfs' && file.f_mode & FMODE_WRITE ? -EPERM : 0),
});

/**
 * The fix for `stale-ns-dentry` (not in any 3.0 kernel; 3.8 solved it with symlinks): a cached
 * ns dentry is valid only while the task still has the namespace it names.
 */
function proc_ns_revalidate(dentry: Dentry, nd: Nameidata | null): number {
  if (!pid_revalidate(dentry, nd)) return 0;
  const k = dentry.k;
  const ei = PROC_I(dentry.d_inode as Inode);
  const task = get_proc_task(ei, 'proc_ns_revalidate');
  if (!task || !ei.ns_ops) return 1;
  const ns = ei.ns_ops.get(k, task, 'proc_ns_revalidate');
  const same = ns === ei.ns;
  if (ns) ei.ns_ops.put(k, ns, 'proc_ns_revalidate');
  put_task_struct(task, 'proc_ns_revalidate');
  if (same) return 1;
  d_drop(dentry);
  return 0;
}

const proc_ns_dentry_operations: DentryOperations = dentryOperations({
  d_revalidate: proc_ns_revalidate,
  d_delete: (d: Dentry) => pid_delete_dentry(d),
});

/**
 * proc_ns_instantiate (fs/proc/namespaces.c). 3.0: a regular file whose inode holds a
 * reference on the namespace. The seed assigns ei->ns_ops before calling get(), so a NULL
 * get() leaves ns_ops set and evict calls put(NULL) (`evict-null-put`); 3.0 as released calls
 * get() first. 3.8: a magic symlink, holding nothing.
 */
export function* proc_ns_instantiate(dir: Inode, dentry: Dentry, task: Task, ptr: unknown): KGen<Dentry | null | number> {
  const k = dir.k;
  const ns_ops = ptr as ProcNsOperations;
  const error = -ENOENT;
  if (k.need_resched) yield; // new_inode: GFP_KERNEL may sleep
  const inode = proc_pid_make_inode(dir.i_sb, task);
  if (!inode) return error;
  const ei = PROC_I(inode);
  if (k.profile.version !== '3.0') {
    inode.i_mode = S_IFLNK | S_IRWXUGO;
    inode.i_op = proc_ns_link_inode_operations;
    ei.ns_ops = ns_ops;
  } else if (has(k.profile, 'evict-null-put')) {
    inode.i_mode = S_IFREG | S_IRUSR;
    inode.i_fop = ns_file_operations;
    ei.ns_ops = ns_ops;
    ei.ns = ns_ops.get(k, task, inode);
    if (!ei.ns) {
      iput(inode, 'new_inode');
      return error;
    }
  } else {
    const ns = ns_ops.get(k, task, inode);
    if (!ns) {
      iput(inode, 'new_inode');
      return error;
    }
    inode.i_mode = S_IFREG | S_IRUSR;
    inode.i_fop = ns_file_operations;
    ei.ns_ops = ns_ops;
    ei.ns = ns;
  }
  if (k.need_resched) yield; // preemptible: the task may exit and be reaped before the dentry is hashed
  dentry.d_op = k.profile.version === '3.0' && !has(k.profile, 'stale-ns-dentry') ? proc_ns_dentry_operations : pid_dentry_operations;
  d_add(dentry, inode);
  // Close the race of the process dying before we return the dentry
  if (has(k.profile, 'no-revalidate-race-check') || pid_revalidate(dentry, null)) return null;
  return error;
}

/** proc_ns_fill_cache (fs/proc/namespaces.c). */
function proc_ns_fill_cache(filp: File, filldir: Filldir, task: Task, ops: ProcNsOperations): KGen<number> {
  return proc_fill_cache(filp, filldir, ops.name, proc_ns_instantiate, task, ops);
}

/**
 * proc_ns_dir_readdir (fs/proc/namespaces.c): ENOENT once the task is gone, EPERM without
 * ptrace access (3.0 only), then ".", "..", and each entry; f_pos = 2 + index.
 */
function* proc_ns_dir_readdir(filp: File, filldir: Filldir): KGen<number> {
  const k = filp.k;
  const dentry = filp.f_path.dentry;
  const inode = dentry.d_inode as Inode;
  const task = get_proc_task(inode, 'proc_ns_dir_readdir');
  if (!task) return -ENOENT;
  try {
    if (k.profile.version === '3.0' && !ptrace_may_access(k, task)) return -EPERM;
    const entries = ns_entries(k);
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
    i -= has(k.profile, 'readdir-off-by-one') && filp.f_pos > 2 ? 1 : 2;
    if (i >= entries.length) return 1;
    for (let e = i; e < entries.length; e++) {
      if ((yield* proc_ns_fill_cache(filp, filldir, task, entries[e])) < 0) return 0;
      filp.f_pos++;
    }
    return 1;
  } finally {
    put_task_struct(task, 'proc_ns_dir_readdir');
  }
}

/** proc_ns_dir_operations (fs/proc/namespaces.c). */
export const proc_ns_dir_operations: FileOperations = fileOperations({
  name: 'proc_ns_dir_operations',
  read: generic_read_dir,
  readdir: proc_ns_dir_readdir,
  // 3.0 and 3.8 have no .llseek (vfs_llseek: no_llseek); today it is generic_file_llseek
  llseek: (file: File, offset: number, whence: number) => (file.k.profile.version === 'nsfs' ? dir_llseek(file, offset, whence) : no_llseek()),
});

/** generic_file_llseek on a directory (fs/read_write.c): SEEK_SET and SEEK_CUR move f_pos. */
function dir_llseek(file: File, offset: number, whence: number): number {
  const pos = (whence === SEEK_CUR ? file.f_pos : 0) + offset;
  if (pos < 0 || whence === SEEK_END) return -EINVAL;
  file.f_pos = pos;
  return pos;
}

/**
 * proc_ns_dir_lookup (fs/proc/namespaces.c): ENOENT once the task is gone, EPERM without
 * ptrace access (3.0; 3.8 checks on follow_link instead), ENOENT for an unknown name.
 */
function* proc_ns_dir_lookup(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const k = dir.k;
  const task = get_proc_task(dir, 'proc_ns_dir_lookup');
  if (!task) return -ENOENT;
  try {
    if (k.profile.version === '3.0' && !has(k.profile, 'no-ptrace-check') && !ptrace_may_access(k, task)) return -EPERM;
    const entry = ns_entries(k).find((e) => e.name === dentry.d_name);
    if (!entry) return -ENOENT;
    return yield* proc_ns_instantiate(dir, dentry, task, entry);
  } finally {
    put_task_struct(task, 'proc_ns_dir_lookup');
  }
}

/** proc_ns_dir_inode_operations (fs/proc/namespaces.c). */
export const proc_ns_dir_inode_operations: InodeOperations = inodeOperations({
  lookup: proc_ns_dir_lookup,
  getattr: pid_getattr,
  setattr: proc_setattr,
});

/** proc_ns_fget (fs/proc/namespaces.c): the file at fd if it is a namespace file: EBADF, EINVAL. */
export function proc_ns_fget(k: Kernel, fd: number): File | number {
  const file = fget(k, fd, 'proc_ns_fget');
  if (!file) return -EBADF;
  if (file.f_op !== ns_file_operations) {
    fput(file, 'proc_ns_fget');
    return -EINVAL;
  }
  return file;
}

// ---- 3.8: magic symlinks to one inode per namespace ----

/** ns_delete_dentry (fs/proc/namespaces.c, 3.8): namespace dentries are never cached. */
const ns_dentry_operations: DentryOperations = dentryOperations({ d_delete: () => true });
const ns_inode_operations: InodeOperations = inodeOperations({ setattr: proc_setattr });

/**
 * proc_ns_get_dentry (fs/proc/namespaces.c, 3.8): a pseudo dentry on the inode numbered by the
 * namespace's inum; a new inode takes over the reference get() took, an existing one already
 * holds one, so it is put.
 */
function proc_ns_get_dentry(sb: SuperBlock, task: Task, ns_ops: ProcNsOperations, holder: Holder): Dentry | number {
  const k = sb.k;
  const ns = ns_ops.get(k, task, 'proc_ns_get_dentry');
  if (!ns) return -ENOENT;
  const dentry = d_alloc_pseudo(sb, '', holder);
  const inode = iget_locked(sb, ns_ops.inum(ns), 'new_inode');
  if (inode.i_state & I_NEW) {
    const ei = PROC_I(inode);
    inode.i_op = ns_inode_operations;
    inode.i_mode = S_IFREG | S_IRUGO;
    inode.i_fop = ns_file_operations;
    ei.ns_ops = ns_ops;
    ei.ns = ns;
    ktransfer(ns, 'proc_ns_get_dentry', inode);
    unlock_new_inode(inode);
  } else {
    ns_ops.put(k, ns, 'proc_ns_get_dentry');
  }
  dentry.d_op = ns_dentry_operations;
  d_instantiate(dentry, inode);
  return dentry;
}

/** proc_ns_follow_link (fs/proc/namespaces.c, 3.8): EACCES without ptrace access, then jump. */
function proc_ns_follow_link(dentry: Dentry, nd: Nameidata): number {
  const k = dentry.k;
  const inode = dentry.d_inode as Inode;
  const ei = PROC_I(inode);
  const task = get_proc_task(inode, 'proc_ns_follow_link');
  if (!task) return -EACCES;
  try {
    if (!ptrace_may_access(k, task)) return -EACCES;
    const ns_dentry = proc_ns_get_dentry(inode.i_sb, task, ei.ns_ops as ProcNsOperations, nd.holder);
    if (typeof ns_dentry === 'number') return ns_dentry;
    dput(nd.path.dentry, nd.holder);
    nd.path = { mnt: nd.path.mnt, dentry: ns_dentry };
    return 0;
  } finally {
    put_task_struct(task, 'proc_ns_follow_link');
  }
}

/** proc_ns_readlink (fs/proc/namespaces.c, 3.8; ns_get_name today): "net:[4026531956]"; EACCES, or ENOENT without a namespace. */
function proc_ns_readlink(dentry: Dentry): string | number {
  const k = dentry.k;
  const inode = dentry.d_inode as Inode;
  const ns_ops = PROC_I(inode).ns_ops as ProcNsOperations;
  const task = get_proc_task(inode, 'proc_ns_readlink');
  if (!task) return -EACCES;
  try {
    if (!ptrace_may_access(k, task)) return -EACCES;
    const ns = ns_ops.get(k, task, 'proc_ns_readlink');
    if (!ns) return -ENOENT;
    // ns_get_name: the namespace's own type, so pid_for_children reads "pid:[...]"
    const text = `${ns.type}:[${ns_ops.inum(ns)}]`;
    ns_ops.put(k, ns, 'proc_ns_readlink');
    return text;
  } finally {
    put_task_struct(task, 'proc_ns_readlink');
  }
}

const proc_ns_link_inode_operations: InodeOperations = inodeOperations({
  readlink: proc_ns_readlink,
  follow_link: proc_ns_follow_link,
  setattr: proc_setattr,
});
