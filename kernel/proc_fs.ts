// include/linux/proc_fs.h: what the rest of the kernel sees of procfs. struct proc_inode,
// struct proc_ns_operations, and the entry points procfs provides (proc_ns_fget,
// proc_flush_task), which the kernel calls through `k.procfs` as it would through the linker:
// k.procfs is the procfs of the kernel's release, picked once at boot (procfs/era.ts).
import type { Holder } from './object';
import type { Kernel } from './kernel';
import { DentryOperations, File, Inode, SuperBlock } from './fs';
import type { Namespace, NsType } from './namespaces';
import type { Nsproxy } from './nsproxy';
import type { Task } from './task';
import type { Pid } from './task';

/** struct proc_ns_operations (include/linux/proc_fs.h). */
export interface ProcNsOperations {
  readonly name: string;
  readonly nstype: NsType;
  /** The CLONE_NEW* flag: ops->type. */
  readonly type: number;
  /** A referenced namespace of the task (held as `holder`), or NULL once it has none. */
  get(k: Kernel, task: Task, holder: Holder): Namespace | null;
  put(k: Kernel, ns: Namespace | null, holder: Holder): void;
  install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number;
  /** 3.8: ops->inum. */
  inum(ns: Namespace): number;
}

/** union proc_op: how a proc link inode finds its target. */
export type ProcGetLink = (inode: ProcInode, holder: Holder) => { mnt: import('./fs').Vfsmount; dentry: import('./fs').Dentry } | number;

/** struct proc_inode (include/linux/proc_fs.h): a VFS inode plus proc's fields. */
export class ProcInode extends Inode {
  pid: Pid | null = null;
  fd = 0;
  proc_get_link: ProcGetLink | null = null;
  ns: Namespace | null = null;
  ns_ops: ProcNsOperations | null = null;
  constructor(k: Kernel, sb: SuperBlock) {
    super(k, sb);
  }
}

/** PROC_I (include/linux/proc_fs.h). */
export function PROC_I(inode: Inode): ProcInode {
  return inode as ProcInode;
}

/** The procfs entry points the core kernel calls (those of the booted release's procfs). */
export interface ProcfsHooks {
  proc_ns_fget(k: Kernel, fd: number): File | number;
  proc_flush_task(k: Kernel, task: Task): void;
  /**
   * ns_dentry_operations of nsfs (fs/nsfs.c, 3.19): do_loopback lets a source with these through
   * from any mount namespace (the nsfs mount is in none). Absent before nsfs.
   */
  readonly nsfs_dentry_operations?: DentryOperations;
}
