// fs/readdir.c: getdents64 and filldir64, writing real struct linux_dirent64 records.
import type { Kernel } from './kernel';
import { File, Inode, KGen, mutex_lock, mutex_trylock, mutex_unlock } from './fs';
import { EBADF, EINVAL, EISDIR, ENOENT, ENOTDIR } from './errno';
import { fget, fput } from './file';

/** offsetof(struct linux_dirent64, d_name): u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type. */
export const NAME_OFFSET = 19;

export interface Dirent64 {
  ino: number;
  off: number;
  reclen: number;
  type: number;
  name: string;
}

/** ALIGN(NAME_OFFSET + namlen + 1, sizeof(u64)) (fs/readdir.c). */
export function dirent64_reclen(name: string): number {
  const n = NAME_OFFSET + Buffer.byteLength(name) + 1;
  return (n + 7) & ~7;
}

/** generic_read_dir (fs/libfs.c): read(2) on a directory is EISDIR. */
export function generic_read_dir(): number {
  return -EISDIR;
}

/** vfs_readdir (fs/readdir.c): no ->readdir is ENOTDIR, a removed directory ENOENT. */
function* vfs_readdir(file: File, filler: (name: string, offset: number, ino: number, type: number) => number): KGen<number> {
  if (!file.f_op?.readdir) return -ENOTDIR;
  const inode = file.f_path.dentry.d_inode as Inode;
  if (!mutex_trylock(file.k, inode.i_mutex)) yield* mutex_lock(file.k, inode.i_mutex);
  try {
    if (inode.i_nlink === 0) return -ENOENT; // IS_DEADDIR
    return yield* file.f_op.readdir(file, filler);
  } finally {
    mutex_unlock(inode.i_mutex);
  }
}

/**
 * sys_getdents64 (fs/readdir.c): fill records while they fit. A record that does not fit sets
 * buf.error = -EINVAL and stops the fill; the error surfaces only when no record was written.
 * The last record's d_off is the file position after the fill.
 */
export function* sys_getdents64(k: Kernel, fd: number, count: number): KGen<{ ret: number; dirents: Dirent64[] }> {
  if (!Number.isInteger(count) || count < 0) return { ret: -EINVAL, dirents: [] };
  const file = fget(k, fd, 'getdents64');
  if (!file) return { ret: -EBADF, dirents: [] };
  const out: Dirent64[] = [];
  let remaining = count;
  let bufError = 0;
  // filldir64
  const filldir = (name: string, offset: number, ino: number, type: number): number => {
    const reclen = dirent64_reclen(name);
    bufError = -EINVAL;
    if (reclen > remaining) return -EINVAL;
    const prev = out[out.length - 1];
    if (prev) prev.off = offset;
    out.push({ ino, off: 0, reclen, type, name });
    remaining -= reclen;
    return 0;
  };
  try {
    let error = yield* vfs_readdir(file, filldir);
    if (error >= 0) error = bufError;
    const last = out[out.length - 1];
    if (last) {
      last.off = file.f_pos;
      error = count - remaining;
    }
    return { ret: error, dirents: out };
  } finally {
    fput(file, 'getdents64');
  }
}
