// fs/file.c, fs/file_table.c, fs/open.c: struct file and the fd table (files_struct).
import type { Kernel } from './kernel';
import { File, FileOperations, FMODE_PATH, Inode, Path } from './fs';
import { KObject, kfree, kget, kput, ktransfer, type Holder } from './object';
import { dput } from './dcache';
import { mntput } from './mount';
import { EBADF, EMFILE } from './errno';

/** RLIMIT_NOFILE's usual soft limit: fds at or above it give EMFILE/EBADF. */
export const NR_OPEN_DEFAULT = 1024;

/** NR_OPEN_DEFAULT (include/linux/fdtable.h): BITS_PER_LONG slots in the initial table. */
const NR_OPEN_INITIAL = 64;

export class FilesStruct extends KObject {
  readonly kind = 'files' as const;
  readonly fdt: (File | null)[] = [];
  /** fdt->max_fds: the table's size, grown by expand_files. */
  max_fds = NR_OPEN_INITIAL;
  constructor(k: Kernel, holder: Holder) {
    super(k, holder);
    this.register();
  }
}

/** alloc_file (fs/file_table.c): a file on `path`, which it takes over (refs held as the file). */
export function alloc_file(k: Kernel, path: Path, flags: number, fop: FileOperations | null, pathHolder: Holder): File {
  const f = new File(k, path, flags, fop);
  ktransfer(path.mnt, pathHolder, f);
  ktransfer(path.dentry, pathHolder, f);
  return f;
}

/** get_file (include/linux/fs.h). */
export function get_file(f: File, holder: Holder): File {
  kget(f.k, f, holder, 'get_file');
  return f;
}

/** fput (fs/file_table.c): the last reference runs __fput: drop the dentry, then the mount. */
export function fput(f: File, holder: Holder): void {
  if (!kput(f.k, f, holder, 'fput')) return;
  __fput(f);
}

/** __fput (fs/file_table.c): ->release, then the dentry and the mount. */
function __fput(f: File): void {
  const { dentry, mnt } = f.f_path;
  if (f.f_op?.release) f.f_op.release(dentry.d_inode as Inode, f);
  kfree(f.k, f, '__fput');
  dput(dentry, f);
  mntput(mnt, f);
}

/** fcheck_files (include/linux/fdtable.h): the file at fd, no reference taken. */
export function fcheck_files(files: FilesStruct, fd: number): File | null {
  if (!Number.isInteger(fd) || fd < 0 || fd >= files.fdt.length) return null;
  return files.fdt[fd] ?? null;
}

/**
 * fget (fs/file_table.c): current's file at fd, referenced as `holder`, or null. An O_PATH
 * file (FMODE_PATH) is refused: it names a path and is good for nothing that reads it.
 */
export function fget(k: Kernel, fd: number, holder: Holder): File | null {
  const files = k.current.files;
  if (!files) return null;
  const f = fcheck_files(files, fd);
  if (!f || f.f_mode & FMODE_PATH) return null;
  return get_file(f, holder);
}

/** fget_raw (fs/file_table.c, 2.6.39): fget that takes O_PATH files too (fstat, fchdir). */
export function fget_raw(k: Kernel, fd: number, holder: Holder): File | null {
  const files = k.current.files;
  if (!files) return null;
  const f = fcheck_files(files, fd);
  return f ? get_file(f, holder) : null;
}

/** alloc_fd (fs/file.c): the lowest free descriptor at or above `start`. */
export function alloc_fd(files: FilesStruct, start: number): number {
  let fd = start;
  while (fd < files.fdt.length && files.fdt[fd]) fd++;
  if (fd >= NR_OPEN_DEFAULT) return -EMFILE;
  return fd;
}

/**
 * expand_fdtable (fs/file.c, 3.0): grow to hold `nr`, rounded to a power of two multiple of a
 * 1024-byte allocation of pointers (128 slots), never above NR_OPEN.
 */
function expand_fdtable(files: FilesStruct, nr: number): void {
  const perKb = 1024 / 8;
  let n = Math.floor(nr / perKb);
  n = 2 ** Math.ceil(Math.log2(n + 1));
  files.max_fds = Math.min(n * perKb, NR_OPEN_DEFAULT);
}

/** fd_install (fs/open.c): the table takes over the caller's file reference. */
export function fd_install(files: FilesStruct, fd: number, f: File, holder: Holder): void {
  if (fd >= files.max_fds) expand_fdtable(files, fd);
  while (files.fdt.length <= fd) files.fdt.push(null);
  files.fdt[fd] = f;
  ktransfer(f, holder, files);
}

/** filp_close via sys_close (fs/open.c): take fd out of the table and put the file. */
export function sys_close(k: Kernel, fd: number): number {
  const files = k.current.files;
  if (!files) return -EBADF;
  const f = fcheck_files(files, fd);
  if (!f) return -EBADF;
  files.fdt[fd] = null;
  fput(f, files);
  return 0;
}

/** sys_dup (fs/fcntl.c). */
export function sys_dup(k: Kernel, oldfd: number): number {
  const files = k.current.files;
  if (!files) return -EBADF;
  const f = fcheck_files(files, oldfd);
  if (!f) return -EBADF;
  const fd = alloc_fd(files, 0);
  if (fd < 0) return fd;
  get_file(f, 'dup');
  fd_install(files, fd, f, 'dup');
  return fd;
}

/** sys_dup2 / sys_dup3 (fs/fcntl.c): newfd out of range → EBADF; an open newfd is closed after. */
export function sys_dup2(k: Kernel, oldfd: number, newfd: number): number {
  const files = k.current.files;
  if (!files) return -EBADF;
  if (oldfd === newfd) return fcheck_files(files, oldfd) ? newfd : -EBADF;
  if (!Number.isInteger(newfd) || newfd < 0 || newfd >= NR_OPEN_DEFAULT) return -EBADF;
  const f = fcheck_files(files, oldfd);
  if (!f) return -EBADF;
  const tofree = fcheck_files(files, newfd);
  get_file(f, 'dup2');
  if (tofree) files.fdt[newfd] = null;
  fd_install(files, newfd, f, 'dup2');
  if (tofree) fput(tofree, files);
  return newfd;
}

/** dup_fd (fs/file.c): a copy of the table for fork without CLONE_FILES; each file gains a reference. */
export function dup_fd(old: FilesStruct, holder: Holder): FilesStruct {
  const files = new FilesStruct(old.k, holder);
  files.max_fds = old.max_fds;
  for (const f of old.fdt) {
    if (f) get_file(f, files);
    files.fdt.push(f);
  }
  return files;
}

/** put_files_struct (fs/file.c): the last user closes every file (close_files). */
export function put_files_struct(files: FilesStruct, holder: Holder): void {
  if (!kput(files.k, files, holder, 'put_files_struct')) return;
  // close_files
  for (let fd = 0; fd < files.fdt.length; fd++) {
    const f = files.fdt[fd];
    if (!f) continue;
    files.fdt[fd] = null;
    fput(f, files);
  }
  kfree(files.k, files, 'free_fdtable');
}
