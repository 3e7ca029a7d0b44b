// Today's kernel (Linux 6.18, the `nsfs` profile): fs/nsfs.c, and fs/proc/namespaces.c as it is
// now. What differs from 3.8 is here: the entries added since (cgroup 4.6, pid_for_children
// 4.12, time and time_for_children 5.6), a write open of a namespace file is EPERM, and the ns
// directory is seekable. The rest is 3.8's code (namespaces_3_8.ts), linked against this table.
import { File, FileOperations, FMODE_WRITE, Inode, fileOperations } from '../kernel/fs';
import { ProcNsOperations } from '../kernel/proc_fs';
import { EINVAL, EPERM } from '../kernel/errno';
import { SEEK_CUR } from '../kernel/flags';
import { generic_read_dir } from '../kernel/readdir';
import { pidBase, proc_flush_task, proc_pid_permission } from './base';
import { no_llseek, proc_ns_fget } from './namespaces';
import { proc_ns_dir_inode_operations, proc_ns_dir_readdir, proc_ns_instantiate } from './namespaces_3_8';
import {
  cgroupns_operations, ipcns_operations, mntns_operations, netns_operations, pidns_for_children_operations, pidns_operations,
  timens_for_children_operations, timens_operations, userns_operations, utsns_operations,
} from './ns_ops';
import type { ProcEra } from './era';

/** ns_entries (fs/proc/namespaces.c, today): 3.8's, with pid_for_children (4.12), cgroup (4.6), time and time_for_children (5.6). */
const ns_entries: readonly ProcNsOperations[] = Object.freeze([
  netns_operations, utsns_operations, ipcns_operations, pidns_operations, pidns_for_children_operations,
  userns_operations, mntns_operations, cgroupns_operations, timens_operations, timens_for_children_operations,
]);

/**
 * ns_file_operations (fs/nsfs.c): .llseek = no_llseek. proc_ns_fget knows a ns file by it. A
 * write open is EPERM (observed on this machine's kernel, oracle/linux/FACTS.md).
 */
const ns_file_operations: FileOperations = fileOperations({
  name: 'ns_file_operations',
  llseek: no_llseek,
  open: (_inode: Inode, file: File) => (file.f_mode & FMODE_WRITE ? -EPERM : 0),
});

/**
 * generic_file_llseek on a directory (fs/read_write.c, generic_file_llseek_size): SEEK_SET,
 * SEEK_CUR and SEEK_END (from i_size, 0 for a proc directory) move f_pos; a negative position is
 * EINVAL (vfs_setpos).
 */
function dir_llseek(file: File, offset: number, whence: number): number {
  const pos = (whence === SEEK_CUR ? file.f_pos : 0) + offset; // SEEK_END: i_size_read(inode) is 0
  if (pos < 0) return -EINVAL;
  file.f_pos = pos;
  return pos;
}

/** proc_ns_dir_operations (fs/proc/namespaces.c, today): now with .llseek = generic_file_llseek. */
const proc_ns_dir_operations: FileOperations = fileOperations({
  name: 'proc_ns_dir_operations',
  read: generic_read_dir,
  readdir: proc_ns_dir_readdir,
  llseek: dir_llseek,
});

/** The procfs of today's kernel. Its pid directories check proc_pid_permission (ESRCH once the task is gone). */
export const proc_era_nsfs: ProcEra = Object.freeze({
  release: '6.18',
  ns_entries,
  ns_file_operations,
  proc_ns_dir_inode_operations,
  proc_ns_dir_operations,
  proc_ns_instantiate,
  pid_base: pidBase(proc_ns_dir_inode_operations, proc_ns_dir_operations, proc_pid_permission),
  proc_ns_fget,
  proc_flush_task,
});
