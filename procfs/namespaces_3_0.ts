// fs/proc/namespaces.c as of 3.0 (and the seed commit): /proc/<pid>/ns/{net,uts,ipc} are regular
// files whose inode holds a reference on the namespace, with ptrace checks on lookup and readdir.
import { default_llseek } from '../kernel/syscalls';
import { Dentry, DentryOperations, File, FileOperations, Filldir, Inode, InodeOperations, KGen, Nameidata, RACE_POINT } from '../kernel/fs';
import { d_add, d_drop } from '../kernel/dcache';
import { iput } from '../kernel/inode';
import { dentryOperations, fileOperations, inodeOperations, parent_ino } from '../kernel/fs';
import { PROC_I, ProcNsOperations } from '../kernel/proc_fs';
import { put_task_struct, Task } from '../kernel/task';
import { ptrace_may_access } from '../kernel/cred';
import { ENOENT, EPERM } from '../kernel/errno';
import { DT_DIR, S_IFREG, S_IRUSR } from '../kernel/flags';
import { has } from '../kernel/profile';
import { generic_read_dir } from '../kernel/readdir';
import {
  get_proc_task, pidBase, pid_delete_dentry, pid_dentry_operations, pid_getattr, pid_revalidate, proc_fill_cache,
  proc_flush_task, proc_pid_make_inode, proc_setattr,
} from './base';
import { no_llseek, proc_ns_fget } from './namespaces';
import { ipcns_operations, netns_operations, utsns_operations } from './ns_ops';
import type { ProcEra } from './era';

/** ns_entries (fs/proc/namespaces.c, 3.0): net, uts, ipc. */
const ns_entries: readonly ProcNsOperations[] = Object.freeze([netns_operations, utsns_operations, ipcns_operations]);

/** ns_file_operations (fs/proc/namespaces.c, 3.0): only .llseek = no_llseek. proc_ns_fget knows a ns file by it. */
const ns_file_operations: FileOperations = fileOperations({ llseek: no_llseek });

/**
 * The fix for `stale-ns-dentry` (not in any 3.0 kernel; 3.8 solved it with symlinks): a cached
 * ns dentry is valid only while the task still has the namespace it names.
 */
function proc_ns_revalidate(dentry: Dentry, nd: Nameidata | null): number {
  if (!pid_revalidate(dentry, nd)) return 0;
  const k = dentry.k;
  const ei = PROC_I(dentry.d_inode as Inode);
  // pid_revalidate has just found the task, and every 3.0 ns inode has its ns_ops
  const task = get_proc_task(ei, 'proc_ns_revalidate') as Task;
  const ns_ops = ei.ns_ops as ProcNsOperations;
  const ns = ns_ops.get(k, task, 'proc_ns_revalidate');
  const same = ns === ei.ns;
  if (ns) ns_ops.put(k, ns, 'proc_ns_revalidate');
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
 * proc_ns_instantiate (fs/proc/namespaces.c, 3.0): a regular file whose inode holds a reference
 * on the namespace. The seed assigns ei->ns_ops before calling get(), so a NULL get() leaves
 * ns_ops set and evict calls put(NULL) (`evict-null-put`); 3.0 as released calls get() first.
 */
function* proc_ns_instantiate(dir: Inode, dentry: Dentry, task: Task, ptr: unknown): KGen<Dentry | null | number> {
  const k = dir.k;
  const ns_ops = ptr as ProcNsOperations;
  const error = -ENOENT;
  if (k.need_resched) yield; // new_inode: GFP_KERNEL may sleep (a task reaped meanwhile is seen by proc_pid_make_inode)
  const inode = proc_pid_make_inode(dir.i_sb, task);
  if (!inode) return error;
  const ei = PROC_I(inode);
  if (has(k.profile, 'evict-null-put')) {
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
  if (k.need_resched) yield RACE_POINT; // preemptible: the task may exit and be reaped before the dentry is hashed
  dentry.d_op = has(k.profile, 'stale-ns-dentry') ? pid_dentry_operations : proc_ns_dentry_operations;
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
 * proc_ns_dir_readdir (fs/proc/namespaces.c, 3.0): ENOENT once the task is gone, EPERM without
 * ptrace access, then ".", "..", and each entry; f_pos = 2 + index.
 */
function* proc_ns_dir_readdir(filp: File, filldir: Filldir): KGen<number> {
  const k = filp.k;
  const dentry = filp.f_path.dentry;
  const inode = dentry.d_inode as Inode;
  const task = get_proc_task(inode, 'proc_ns_dir_readdir');
  if (!task) return -ENOENT;
  try {
    if (!ptrace_may_access(k, task)) return -EPERM;
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
    if (i >= ns_entries.length) return 1;
    for (let e = i; e < ns_entries.length; e++) {
      if ((yield* proc_ns_fill_cache(filp, filldir, task, ns_entries[e])) < 0) return 0;
      filp.f_pos++;
    }
    return 1;
  } finally {
    put_task_struct(task, 'proc_ns_dir_readdir');
  }
}

/** proc_ns_dir_operations (fs/proc/namespaces.c, 3.0): no .llseek, so lseek is ESPIPE (vfs_llseek). */
const proc_ns_dir_operations: FileOperations = fileOperations({
  read: generic_read_dir,
  readdir: proc_ns_dir_readdir,
});

/**
 * proc_ns_dir_lookup (fs/proc/namespaces.c, 3.0): ENOENT once the task is gone, EPERM without
 * ptrace access, ENOENT for an unknown name.
 */
function* proc_ns_dir_lookup(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const k = dir.k;
  const task = get_proc_task(dir, 'proc_ns_dir_lookup');
  if (!task) return -ENOENT;
  try {
    if (!has(k.profile, 'no-ptrace-check') && !ptrace_may_access(k, task)) return -EPERM;
    const entry = ns_entries.find((e) => e.name === dentry.d_name);
    // the seed: `error` is still ERR_PTR(-EPERM) at `if (entry > last) goto out;`; 3.0 as
    // released sets it to -ENOENT after the ptrace check
    if (!entry) return has(k.profile, 'unknown-name-eperm') ? -EPERM : -ENOENT;
    return yield* proc_ns_instantiate(dir, dentry, task, entry);
  } finally {
    put_task_struct(task, 'proc_ns_dir_lookup');
  }
}

/** proc_ns_dir_inode_operations (fs/proc/namespaces.c, 3.0). */
const proc_ns_dir_inode_operations: InodeOperations = inodeOperations({
  lookup: proc_ns_dir_lookup,
  getattr: pid_getattr,
  setattr: proc_setattr,
});

/** The procfs of 3.0 (and of the seed, whose difference is the `evict-null-put` flag). */
export const proc_era_3_0: ProcEra = Object.freeze({
  release: '3.0',
  ns_entries,
  ns_file_operations,
  proc_ns_dir_inode_operations,
  proc_ns_dir_operations,
  proc_ns_instantiate,
  pid_base: pidBase(proc_ns_dir_inode_operations, proc_ns_dir_operations, default_llseek),
  proc_ns_fget,
  proc_flush_task,
});
