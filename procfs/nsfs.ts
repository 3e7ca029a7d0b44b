// Today's kernel (Linux 6.18, the `nsfs` profile): fs/nsfs.c, and fs/proc/namespaces.c as it is
// now. What differs from 3.8 is here: the entries added since (cgroup 4.6, pid_for_children
// 4.12, time and time_for_children 5.6), a write open of a namespace file is EPERM, and the ns
// directory is seekable. The rest is 3.8's code (namespaces_3_8.ts), linked against this table.
import { FileOperations, fileOperations } from '../kernel/fs';
import { ProcNsOperations } from '../kernel/proc_fs';
import { generic_file_llseek } from '../kernel/syscalls';
import { generic_read_dir } from '../kernel/readdir';
import { pidBase, proc_flush_task, proc_pid_permission } from './base';
import { no_llseek, proc_ns_fget } from './namespaces';
import { ns_dentry_operations, proc_ns_dir_inode_operations, proc_ns_dir_readdir, proc_ns_instantiate } from './namespaces_3_8';
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
 * write open is EPERM because the inode is S_IMMUTABLE (__ns_get_path; inode_permission).
 */
const ns_file_operations: FileOperations = fileOperations({ llseek: no_llseek });

/** proc_ns_dir_operations (fs/proc/namespaces.c, today): now with .llseek = generic_file_llseek. */
const proc_ns_dir_operations: FileOperations = fileOperations({
  read: generic_read_dir,
  readdir: proc_ns_dir_readdir,
  llseek: generic_file_llseek,
});

/** The procfs of today's kernel. Its pid directories check proc_pid_permission (ESRCH once the task is gone). */
export const proc_era_nsfs: ProcEra = Object.freeze({
  release: '6.18',
  ns_entries,
  ns_file_operations,
  proc_ns_dir_inode_operations,
  proc_ns_dir_operations,
  proc_ns_instantiate,
  pid_base: pidBase(proc_ns_dir_inode_operations, proc_ns_dir_operations, generic_file_llseek, proc_pid_permission),
  proc_ns_fget,
  proc_flush_task,
  nsfs_dentry_operations: ns_dentry_operations,
});
