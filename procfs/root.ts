// fs/proc/root.c and the /proc/self part of fs/proc/base.c: the proc root directory, whose
// lookup finds "self" and /proc/<pid>, and the proc filesystem type (proc_fill_super), which
// picks the procfs of the kernel's release at boot.
import type { Kernel, FileSystemType } from '../kernel/kernel';
import { Dentry, File, FileOperations, Filldir, Inode, InodeOperations, KGen, SuperBlock, fileOperations, inodeOperations } from '../kernel/fs';
import { d_add, d_alloc_root } from '../kernel/dcache';
import { iput, new_inode } from '../kernel/inode';
import { PROC_I } from '../kernel/proc_fs';
import { get_pid, get_task_struct, put_task_struct, Task } from '../kernel/task';
import { ENOENT, ENOMEM } from '../kernel/errno';
import { DT_DIR, S_IFDIR, S_IFLNK, S_IRUGO, S_IXUGO } from '../kernel/flags';
import { proc_sops } from './inode';
import { get_next_ino } from '../kernel/inode';
import { generic_read_dir } from '../kernel/readdir';
import { get_proc_task, pid_getattr, proc_fill_cache, proc_pid_instantiate, proc_pid_lookup } from './base';
import { atLeast, Profile } from '../kernel/profile';
import type { ProcEra } from './era';
import { proc_era_3_0 } from './namespaces_3_0';
import { proc_era_3_8 } from './namespaces_3_8';
import { proc_era_nsfs } from './nsfs';

/** PROC_ROOT_INO (include/linux/proc_fs.h). */
export const PROC_ROOT_INO = 1;

/** proc_self_follow_link (fs/proc/base.c): "/proc/self" reads as the caller's tgid. */
function proc_self_follow_link(dentry: Dentry): string | number {
  const tgid = dentry.k.current.tgid;
  return tgid ? String(tgid) : -ENOENT;
}

const proc_self_inode_operations: InodeOperations = inodeOperations({
  readlink: (d: Dentry) => proc_self_follow_link(d),
  follow_link: (d: Dentry) => proc_self_follow_link(d),
});

/** proc_base_instantiate (fs/proc/base.c): the "self" link; no d_op, so it stays cached. */
export function proc_base_instantiate(dir: Inode, dentry: Dentry, task: Task): Dentry | null | number {
  const inode = new_inode(dir.i_sb);
  const ei = PROC_I(inode);
  inode.i_ino = get_next_ino(dir.k);
  ei.pid = task.pid.task === task ? get_pid(task.pid, inode) : null;
  if (!ei.pid) {
    // out_iput: error is still ERR_PTR(-ENOMEM), from before new_inode
    iput(inode, 'new_inode');
    return -ENOMEM;
  }
  inode.i_mode = S_IFLNK | 0o777;
  inode.i_op = proc_self_inode_operations;
  d_add(dentry, inode);
  return null;
}

/** proc_base_lookup (fs/proc/base.c): "self", else ENOENT. */
function proc_base_lookup(dir: Inode, dentry: Dentry): Dentry | null | number {
  const task = get_proc_task(dir, 'proc_base_lookup');
  if (!task) return -ENOENT;
  try {
    if (dentry.d_name !== 'self') return -ENOENT;
    return proc_base_instantiate(dir, dentry, task);
  } finally {
    put_task_struct(task, 'proc_base_lookup');
  }
}

/** proc_root_lookup (fs/proc/root.c): static entries ("self"), then pids. */
function* proc_root_lookup(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const res = proc_base_lookup(dir, dentry);
  if (res !== -ENOENT) return res;
  return yield* proc_pid_lookup(dir, dentry);
}

/** FIRST_PROCESS_ENTRY (fs/proc/root.c): where the per-process part of /proc's listing starts. */
const FIRST_PROCESS_ENTRY = 256;
/** TGID_OFFSET (fs/proc/base.c): FIRST_PROCESS_ENTRY + ARRAY_SIZE(proc_base_stuff) ("self"). */
const TGID_OFFSET = FIRST_PROCESS_ENTRY + 1;
/** PID_MAX_LIMIT (include/linux/threads.h): 4M where sizeof(long) > 4 (x86_64). */
const PID_MAX_LIMIT = 4 * 1024 * 1024;

/** proc_base_instantiate as an instantiate_t, for proc_fill_cache. */
function* proc_base_fill(dir: Inode, dentry: Dentry, task: Task): KGen<Dentry | null | number> {
  return proc_base_instantiate(dir, dentry, task);
}

/**
 * proc_root_readdir (fs/proc/root.c) → proc_readdir for the static entries ('.', '..'; procns
 * models no others), then proc_pid_readdir (fs/proc/base.c): "self" at FIRST_PROCESS_ENTRY,
 * then each thread-group leader at TGID_OFFSET + tgid.
 */
function* proc_root_readdir(filp: File, filldir: Filldir): KGen<number> {
  const k = filp.k;
  const inode = filp.f_path.dentry.d_inode as Inode;
  if (filp.f_pos === 0) {
    if (filldir('.', 0, inode.i_ino, DT_DIR) < 0) return 0;
    filp.f_pos++;
  }
  if (filp.f_pos === 1) {
    if (filldir('..', 1, inode.i_ino, DT_DIR) < 0) return 0;
    filp.f_pos++;
  }
  if (filp.f_pos < FIRST_PROCESS_ENTRY) filp.f_pos = FIRST_PROCESS_ENTRY;
  const reaper = get_proc_task(inode, 'proc_pid_readdir');
  if (!reaper) return 0;
  try {
    if (filp.f_pos === FIRST_PROCESS_ENTRY) {
      if ((yield* proc_fill_cache(filp, filldir, 'self', (d, de, t) => proc_base_fill(d, de, t), reaper, null)) < 0) return 0;
      filp.f_pos++;
    }
    for (;;) {
      // next_tgid: the first leader at or after the position
      let task: Task | null = null;
      for (const t of k.tasks.values()) {
        if (t.group_leader === t && t.pid.nr >= filp.f_pos - TGID_OFFSET) { task = t; break; }
      }
      if (!task) break;
      filp.f_pos = task.pid.nr + TGID_OFFSET;
      get_task_struct(task, 'proc_pid_readdir');
      const r = yield* proc_fill_cache(filp, filldir, String(task.pid.nr), proc_pid_instantiate, task, null);
      put_task_struct(task, 'proc_pid_readdir');
      if (r < 0) return 0;
      filp.f_pos++;
    }
    filp.f_pos = PID_MAX_LIMIT + TGID_OFFSET; // the end: above every tgid
    return 0;
  } finally {
    put_task_struct(reaper, 'proc_pid_readdir');
  }
}

const proc_root_inode_operations: InodeOperations = inodeOperations({
  lookup: proc_root_lookup,
  getattr: pid_getattr,
});
const proc_root_operations: FileOperations = fileOperations({ read: generic_read_dir, readdir: proc_root_readdir });

/** proc_fill_super (fs/proc/inode.c) + proc_get_sb: the root inode pins pid 1 of the namespace. */
function proc_fill_super(k: Kernel): Dentry {
  const sb = new SuperBlock(k, proc_sops, k.nextDev());
  const root = new_inode(sb);
  root.i_ino = PROC_ROOT_INO;
  root.i_mode = S_IFDIR | S_IRUGO | S_IXUGO;
  root.i_nlink = 2;
  root.i_op = proc_root_inode_operations;
  root.i_fop = proc_root_operations;
  PROC_I(root).pid = get_pid(k.init.pid, root);
  const d = d_alloc_root(root, 'sb_root');
  sb.s_root = d;
  return d;
}

/** The procfs of each release procns models, oldest first. */
const PROC_ERAS: readonly ProcEra[] = Object.freeze([proc_era_3_0, proc_era_3_8, proc_era_nsfs]);

/** The procfs a kernel of this profile is built with: the newest era that is not newer than its release. */
export function procEraFor(profile: Profile): ProcEra {
  let era = PROC_ERAS[0];
  for (const e of PROC_ERAS) if (atLeast(profile, e.release)) era = e;
  return era;
}

/** The proc filesystem type; at boot it gives the core kernel its release's procfs (k.procfs). */
export const proc_fs_type: FileSystemType = Object.freeze({
  mount: proc_fill_super,
  hooks: procEraFor,
});
