// fs/proc/namespaces.c: /proc/<pid>/ns, what every release's version of the file shares. The
// rest lives next to its C: namespaces_3_0.ts (3.0's fs/proc/namespaces.c: regular files that
// pin a namespace), namespaces_3_8.ts (3.8's: magic symlinks to one inode per namespace) and
// nsfs.ts (today's fs/nsfs.c and fs/proc/namespaces.c). The kernel boots with one (era.ts).
import type { Kernel } from '../kernel/kernel';
import { File } from '../kernel/fs';
import { ProcNsOperations } from '../kernel/proc_fs';
import { fget, fput } from '../kernel/file';
import { EBADF, EINVAL, ESPIPE } from '../kernel/errno';
import { procEra } from './era';

/** ns_entries (fs/proc/namespaces.c): the booted release's entries of /proc/<pid>/ns, in order. */
export function ns_entries(k: Kernel): readonly ProcNsOperations[] {
  return procEra(k).ns_entries;
}

/** no_llseek (fs/read_write.c). */
export function no_llseek(): number {
  return -ESPIPE;
}

/**
 * proc_ns_fget (fs/proc/namespaces.c): the file at fd if it is a namespace file: EBADF, EINVAL.
 * A namespace file is one whose f_op is the booted release's ns_file_operations.
 */
export function proc_ns_fget(k: Kernel, fd: number): File | number {
  const file = fget(k, fd, 'proc_ns_fget');
  if (!file) return -EBADF;
  if (file.f_op !== procEra(k).ns_file_operations) {
    fput(file, 'proc_ns_fget');
    return -EINVAL;
  }
  return file;
}
