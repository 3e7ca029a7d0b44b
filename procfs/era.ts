// The procfs of one kernel release as one frozen table. 3.0's fs/proc/namespaces.c, 3.8's and
// today's fs/nsfs.c are different code (procfs/namespaces_3_0.ts, namespaces_3_8.ts, nsfs.ts),
// and so is the part of fs/proc/base.c that links to them. A kernel is built from one of them:
// proc_fs_type picks the table once, at boot (k.procfs), and the code dispatches through it.
import type { Kernel } from '../kernel/kernel';
import type { FileOperations, InodeOperations } from '../kernel/fs';
import type { ProcfsHooks, ProcNsOperations } from '../kernel/proc_fs';
import type { Release } from '../kernel/profile';
import type { Instantiate, PidBase } from './base';

export interface ProcEra extends ProcfsHooks {
  /** The release whose code this is: a kernel boots the newest era that is not newer than itself. */
  readonly release: Release;
  /** ns_entries (fs/proc/namespaces.c): the entries of /proc/<pid>/ns, in order. */
  readonly ns_entries: readonly ProcNsOperations[];
  /** ns_file_operations: proc_ns_fget knows a namespace file by this object, by identity. */
  readonly ns_file_operations: FileOperations;
  readonly proc_ns_dir_inode_operations: InodeOperations;
  readonly proc_ns_dir_operations: FileOperations;
  readonly proc_ns_instantiate: Instantiate;
  /** fs/proc/base.c's pid directories as this release builds them (their ns entry is this era's). */
  readonly pid_base: PidBase;
}

/** The booted kernel's procfs: k.procfs is the era table proc_fs_type chose at boot. */
export function procEra(k: Kernel): ProcEra {
  return k.procfs as ProcEra;
}
