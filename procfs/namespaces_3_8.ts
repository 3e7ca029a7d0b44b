// fs/proc/namespaces.c as of 3.8: each /proc/<pid>/ns entry is a magic symlink ("net:[inum]")
// to one inode per namespace (proc_ns_get_dentry), with the ptrace check moved to follow_link
// and readlink. Today's kernel (nsfs.ts) links these same functions, so they read ns_entries
// and ns_file_operations from the booted era rather than from this file.
import { Dentry, DentryOperations, File, Filldir, FileOperations, Inode, InodeOperations, KGen, Nameidata, RACE_POINT, SuperBlock } from '../kernel/fs';
import { d_add, d_alloc_pseudo, d_instantiate, dput } from '../kernel/dcache';
import { iget_locked, unlock_new_inode } from '../kernel/inode';
import { I_NEW, dentryOperations, fileOperations, inodeOperations, parent_ino } from '../kernel/fs';
import { PROC_I, ProcNsOperations } from '../kernel/proc_fs';
import { put_task_struct, Task } from '../kernel/task';
import { ptrace_may_access } from '../kernel/cred';
import { EACCES, ENOENT } from '../kernel/errno';
import { DT_DIR, S_IFLNK, S_IFREG, S_IMMUTABLE, S_IRUGO, S_IRWXU } from '../kernel/flags';
import { atLeast, has } from '../kernel/profile';
import { ktransfer, type Holder } from '../kernel/object';
import { generic_read_dir } from '../kernel/readdir';
import { default_llseek } from '../kernel/syscalls';
import { get_proc_task, pidBase, pid_dentry_operations, pid_getattr, pid_revalidate, proc_fill_cache, proc_flush_task, proc_pid_make_inode, proc_setattr, proc_pid_permission } from './base';
import { no_llseek, proc_ns_fget } from './namespaces';
import {
  ipcns_operations, mntns_operations, netns_operations, pidns_operations, userns_operations, utsns_operations,
} from './ns_ops';
import { procEra, type ProcEra } from './era';

const S_IRWXUGO = S_IRWXU | 0o077;

/** ns_entries (fs/proc/namespaces.c, 3.8): net, uts, ipc, then pid, user, mnt. */
const ns_entries: readonly ProcNsOperations[] = Object.freeze([
  netns_operations, utsns_operations, ipcns_operations, pidns_operations, userns_operations, mntns_operations,
]);

/** ns_file_operations (fs/proc/namespaces.c, 3.8): only .llseek = no_llseek. proc_ns_fget knows a ns file by it. */
const ns_file_operations: FileOperations = fileOperations({ llseek: no_llseek });

/**
 * proc_ns_instantiate (fs/proc/namespaces.c, 3.8): a magic symlink, holding nothing; following
 * it finds the namespace (proc_ns_follow_link).
 */
export function* proc_ns_instantiate(dir: Inode, dentry: Dentry, task: Task, ptr: unknown): KGen<Dentry | null | number> {
  const k = dir.k;
  const ns_ops = ptr as ProcNsOperations;
  const error = -ENOENT;
  if (k.need_resched) yield; // new_inode: GFP_KERNEL may sleep (a task reaped meanwhile is seen by proc_pid_make_inode)
  const inode = proc_pid_make_inode(dir.i_sb, task);
  if (!inode) return error;
  const ei = PROC_I(inode);
  inode.i_mode = S_IFLNK | S_IRWXUGO;
  inode.i_op = proc_ns_link_inode_operations;
  ei.ns_ops = ns_ops;
  if (k.need_resched) yield RACE_POINT; // preemptible: the task may exit and be reaped before the dentry is hashed
  dentry.d_op = pid_dentry_operations;
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
 * proc_ns_dir_readdir (fs/proc/namespaces.c, 3.8): ENOENT once the task is gone (no ptrace
 * check), then ".", "..", and each entry; f_pos = 2 + index.
 */
export function* proc_ns_dir_readdir(filp: File, filldir: Filldir): KGen<number> {
  const k = filp.k;
  const dentry = filp.f_path.dentry;
  const inode = dentry.d_inode as Inode;
  const task = get_proc_task(inode, 'proc_ns_dir_readdir');
  if (!task) return -ENOENT;
  try {
    const entries = procEra(k).ns_entries;
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

/** proc_ns_dir_operations (fs/proc/namespaces.c, 3.8): no .llseek, so lseek is ESPIPE (vfs_llseek). */
const proc_ns_dir_operations: FileOperations = fileOperations({
  read: generic_read_dir,
  readdir: proc_ns_dir_readdir,
});

/**
 * proc_ns_dir_lookup (fs/proc/namespaces.c, 3.8): ENOENT once the task is gone, ENOENT for an
 * unknown name; no ptrace check (follow_link and readlink check instead).
 */
function* proc_ns_dir_lookup(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const k = dir.k;
  const task = get_proc_task(dir, 'proc_ns_dir_lookup');
  if (!task) return -ENOENT;
  try {
    const entry = procEra(k).ns_entries.find((e) => e.name === dentry.d_name);
    if (!entry) return -ENOENT;
    return yield* proc_ns_instantiate(dir, dentry, task, entry);
  } finally {
    put_task_struct(task, 'proc_ns_dir_lookup');
  }
}

/** proc_ns_dir_inode_operations (fs/proc/namespaces.c, 3.8). */
export const proc_ns_dir_inode_operations: InodeOperations = inodeOperations({
  lookup: proc_ns_dir_lookup,
  getattr: pid_getattr,
  setattr: proc_setattr,
});

/**
 * ns_dname (fs/proc/namespaces.c, 3.8; fs/nsfs.c today): a namespace dentry has no place in a
 * tree and names itself "net:[inum]" for d_path (so readlink of /proc/<pid>/fd/<n> gives it).
 * Today's takes the name from the namespace's own ops, so a pid_for_children file says "pid".
 */
function ns_dname(dentry: Dentry): string {
  const inode = dentry.d_inode as Inode;
  return `${(PROC_I(inode).ns_ops as ProcNsOperations).nstype}:[${inode.i_ino}]`;
}

/** ns_dentry_operations (fs/proc/namespaces.c, 3.8): never cached (ns_delete_dentry), named by ns_dname. */
export const ns_dentry_operations: DentryOperations = dentryOperations({ d_delete: () => true, d_dname: ns_dname });
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
    inode.i_fop = procEra(k).ns_file_operations;
    // __ns_get_path (fs/nsfs.c, 3.19): the nsfs inode is S_IMMUTABLE, so a write open is refused before DAC
    if (atLeast(k, '3.19')) inode.i_flags |= S_IMMUTABLE;
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

/** The procfs of 3.8 (with 3.9's mnt_ns_loop; `--inject mnt-ns-loop` gives 3.8.0). */
export const proc_era_3_8: ProcEra = Object.freeze({
  release: '3.8',
  ns_entries,
  ns_file_operations,
  proc_ns_dir_inode_operations,
  proc_ns_dir_operations,
  proc_ns_instantiate,
  // proc_pid_permission came with hidepid= in 3.3
  pid_base: pidBase(proc_ns_dir_inode_operations, proc_ns_dir_operations, default_llseek, proc_pid_permission),
  proc_ns_fget,
  proc_flush_task,
});
