// The system call layer: each syscall validates its arguments (bad ones are an errno, never a
// JavaScript exception), runs as a generator that yields where the kernel may sleep, and
// returns { ret, obs }. ret is the kernel's return value: >= 0, or -errno.
import type { Kernel } from './kernel';
import { File, Inode, KGen, Kstat, LOOKUP_DIRECTORY, LOOKUP_FOLLOW, Path, FMODE_PATH, FMODE_READ, FMODE_WRITE, fileOperations } from './fs';
import {
  EBADF, EBUSY, EEXIST, EFAULT, EINVAL, EISDIR, ELOOP, ENODEV, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, EACCES, ENXIO, ESPIPE,
} from './errno';
import {
  Cap, ALL_CAPS, CSIGNAL, SIGCHLD, CLONE_FILES, CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_FS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER,
  CLONE_NEWUTS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM, MAY_EXEC, MAY_READ, MAY_WRITE, MNT_DETACH,
  MNT_EXPIRE, MNT_FORCE, MS_BIND, UMOUNT_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, S_ISDIR, S_ISLNK, S_ISVTX,
} from './flags';
import { copy_process, do_exit, sys_wait } from './task';
import { alloc_fd, alloc_file, dup_fd, fcheck_files, fd_install, fget, fget_raw, fput, put_files_struct, sys_close, sys_dup, sys_dup2 } from './file';
import { do_pipe_flags } from './pipe';
import { copy_fs_struct, put_fs_struct } from './fs_struct';
import { switch_task_namespaces, sys_setns, unshare_nsproxy_namespaces } from './nsproxy';
import { capable, sys_capset, sys_setuid } from './cred';
import { generic_permission, inode_permission, kern_path, kern_path_parent, lookup_one } from './namei';
import { check_mnt, do_loopback, do_umount, mntput_no_expire, path_put } from './mount';
import { Dirent64, sys_getdents64 } from './readdir';
import { d_delete, dput, shrink_dcache_sb, d_mountpoint } from './dcache';
import { prune_icache } from './inode';
import { ktransfer, type Holder } from './object';
import { atLeast } from './profile';

export interface Call {
  op: string;
  args: Record<string, unknown>;
}

export interface Obs {
  /** pipe2: the read end's fd and the write end's. */
  fds?: number[];
  stat?: Kstat;
  text?: string;
  dirents?: Dirent64[];
}

export interface SysResult {
  ret: number;
  obs?: Obs;
}

const r = (ret: number, obs?: Obs): SysResult => (obs ? { ret, obs } : { ret });

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The base path for a dirfd-relative lookup: AT_FDCWD (-100) or an open directory. */
function dirfdPath(k: Kernel, dirfd: unknown): Path | number | undefined {
  if (dirfd === undefined || dirfd === -100) return undefined;
  const fd = int(dirfd);
  if (fd === null) return -EBADF;
  const files = k.current.files;
  const f = files ? fcheck_files(files, fd) : null;
  if (!f) return -EBADF;
  if (!f.f_path.dentry.d_inode || !S_ISDIR(f.f_path.dentry.d_inode.i_mode)) return -ENOTDIR;
  return f.f_path;
}

/**
 * Resolve a user path: -EFAULT for a non-string pointer, else kern_path. It hands back
 * kern_path's own walk (a generator, not one more around it: each level a syscall delegates
 * through costs a resumption at every step of the walk).
 */
function user_path(k: Kernel, p: unknown, flags: number, holder: Holder, dirfd?: unknown): KGen<Path | number> {
  const name = str(p);
  if (name === null) return done(-EFAULT);
  // path_init: an absolute name starts at the root and never looks at dirfd
  const base = name.startsWith('/') ? undefined : dirfdPath(k, dirfd);
  if (typeof base === 'number') return done(base);
  return kern_path(k, name, flags, holder, base);
}

/** A walk that ends before it starts: the error, as a generator's return value. */
function* done(err: number): KGen<number> {
  return err;
}

// ---- processes and namespaces ----

/**
 * sys_clone (kernel/fork.c): the table's clone is clone(2) with SIGCHLD for the exit signal, as
 * fork is. clone(2) splits its word: the low byte (CSIGNAL) is the exit signal, unchecked, and
 * the rest the flags; so CLONE_NEWTIME (0x80, inside CSIGNAL) is no flag but part of the signal
 * (clone3 takes it as a flag).
 */
export function* sys_clone(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const word = a.flags === undefined ? 0 : int(a.flags);
  if (word === null) return r(-EINVAL);
  const clone_flags = (word | SIGCHLD) & ~CSIGNAL;
  const exit_signal = (word | SIGCHLD) & CSIGNAL;
  const p = yield* copy_process(k, clone_flags, exit_signal);
  return r(typeof p === 'number' ? p : p.pid.nr);
}

/**
 * sys_unshare (kernel/fork.c): check the flags, then unshare fs, files and namespaces, then
 * switch. CLONE_NEWNS implies CLONE_FS.
 */
export function* sys_unshare(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  let flags = int(a.flags);
  if (flags === null) return r(-EINVAL);
  const tsk = k.current;
  // check_unshare_flags: CLONE_NEWPID and CLONE_NEWUSER from 3.8, CLONE_NEWCGROUP from 4.6, CLONE_NEWTIME from 5.6
  let allowed = CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM
    | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
  if (atLeast(k, '3.8')) allowed |= CLONE_NEWPID | CLONE_NEWUSER;
  if (atLeast(k, '4.6')) allowed |= CLONE_NEWCGROUP;
  if (atLeast(k, '5.6')) allowed |= CLONE_NEWTIME;
  if (flags & ~allowed) return r(-EINVAL);
  if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) && tsk.mm && tsk.mm.count > 1) return r(-EINVAL);
  if (flags & CLONE_NEWUSER) return r(-EINVAL); // 3.8 user namespaces by unshare: not modelled
  if (flags & CLONE_NEWNS) flags |= CLONE_FS;
  if (k.need_resched) yield; // allocations below may sleep
  // unshare_fs
  let new_fs = null;
  if (flags & CLONE_FS && tsk.fs && tsk.fs.count > 1) new_fs = copy_fs_struct(tsk.fs, 'unshare');
  // unshare_fd
  let new_fd = null;
  if (flags & CLONE_FILES && tsk.files && tsk.files.count > 1) new_fd = dup_fd(tsk.files, 'unshare');
  const new_ns = unshare_nsproxy_namespaces(k, flags, new_fs);
  if (typeof new_ns === 'number') {
    if (new_fd) put_files_struct(new_fd, 'unshare');
    if (new_fs) put_fs_struct(new_fs, 'unshare');
    return r(new_ns);
  }
  if (new_ns) switch_task_namespaces(tsk, new_ns);
  if (new_fs) {
    const old = tsk.fs;
    tsk.fs = new_fs;
    ktransfer(new_fs, 'unshare', tsk);
    if (old) put_fs_struct(old, tsk);
  }
  if (new_fd) {
    const old = tsk.files;
    tsk.files = new_fd;
    ktransfer(new_fd, 'unshare', tsk);
    if (old) put_files_struct(old, tsk);
  }
  return r(0);
}

export function* sys_setns_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const fd = int(a.fd);
  const nstype = int(a.nstype ?? 0);
  if (fd === null) return r(-EBADF);
  if (nstype === null) return r(-EINVAL);
  if (k.need_resched) yield; // create_new_namespaces allocates
  return r(sys_setns(k, fd, nstype));
}

export function* sys_exit(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const code = int(a.code ?? 0) ?? 0;
  if (k.current === k.init) {
    k.oops('Kernel panic - not syncing: Attempted to kill init!', 'do_exit');
    return r(-EPERM);
  }
  return r(yield* do_exit(k, code));
}

export function* sys_wait_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const pid = int(a.pid ?? -1);
  if (pid === null) return r(-EINVAL);
  return r(sys_wait(k, pid));
}

export function* sys_setuid_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const uid = int(a.uid);
  if (uid === null || uid < 0) return r(-EINVAL);
  return r(sys_setuid(k, uid));
}

export function* sys_capset_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const caps = a.caps;
  if (!Array.isArray(caps) || caps.some((c) => !ALL_CAPS.includes(c as Cap))) return r(-EINVAL);
  return r(sys_capset(k, caps as Cap[]));
}

/** sys_sethostname (kernel/sys.c): CAP_SYS_ADMIN, at most 64 bytes, into the task's uts namespace. */
export function* sys_sethostname(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const name = str(a.name);
  if (!capable(k, 'CAP_SYS_ADMIN')) return r(-EPERM);
  if (name === null) return r(-EFAULT);
  if (Buffer.byteLength(name) > 64) return r(-EINVAL);
  const uts = k.current.nsproxy?.uts_ns;
  if (uts) uts.nodename = name;
  return r(0);
}

export function* sys_gethostname(k: Kernel): KGen<SysResult> {
  return r(0, { text: k.current.nsproxy?.uts_ns?.nodename ?? '' });
}

export function* sys_getpid(k: Kernel): KGen<SysResult> {
  return r(k.current.tgid);
}

// ---- files ----

/**
 * do_sys_open (fs/open.c): resolve (creating with O_CREAT), refuse a symlink under O_NOFOLLOW
 * (ELOOP) and a non-directory under O_DIRECTORY (ENOTDIR), may_open, then a file and a fd.
 */
export function* sys_open(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  let flags = int(a.flags ?? 0);
  if (flags === null) return r(-EINVAL);
  // build_open_flags (fs/open.c, 2.6.39): O_PATH keeps only O_DIRECTORY and O_NOFOLLOW, asks
  // for no access, and opens a symlink itself under O_NOFOLLOW
  if (flags & O_PATH) flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
  const files = k.current.files;
  if (!files) return r(-EBADF);
  let path: Path | number;
  if (flags & O_CREAT) {
    path = yield* open_create(k, a.path, a.dirfd);
  } else {
    path = yield* user_path(k, a.path, (flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW) | (flags & O_DIRECTORY ? LOOKUP_DIRECTORY : 0), 'open', a.dirfd);
  }
  if (typeof path === 'number') return r(path);
  const inode = path.dentry.d_inode as Inode;
  // may_open: "O_PATH? if (!acc_mode) return 0"; LOOKUP_DIRECTORY still wants a directory
  const err = flags & O_PATH ? (flags & O_DIRECTORY && !S_ISDIR(inode.i_mode) ? -ENOTDIR : 0) : may_open(k, inode, flags);
  if (err) {
    path_put(path, 'open');
    return r(err);
  }
  const fd = alloc_fd(files, 0);
  if (fd < 0) {
    path_put(path, 'open');
    return r(fd);
  }
  if (flags & O_PATH) {
    // __dentry_open (fs/open.c): an O_PATH file is FMODE_PATH with empty_fops, never ->open'd
    const f = alloc_file(k, path, flags, empty_fops, 'open');
    f.f_mode = FMODE_PATH;
    fd_install(files, fd, f, 'get_empty_filp');
    return r(fd);
  }
  const f = alloc_file(k, path, flags, inode.i_fop, 'open');
  const acc = flags & O_ACCMODE;
  f.f_mode = (acc === O_WRONLY ? 0 : FMODE_READ) | (acc === O_WRONLY || acc === O_RDWR ? FMODE_WRITE : 0);
  if (f.f_op?.open) {
    const e = f.f_op.open(inode, f);
    if (e) {
      fput(f, 'get_empty_filp');
      return r(e);
    }
  }
  fd_install(files, fd, f, 'get_empty_filp');
  return r(fd);
}

/** empty_fops (fs/open.c): the file operations of an O_PATH file: none. */
export const empty_fops = fileOperations({});

/** may_open (fs/namei.c): symlinks ELOOP, directories opened for write EISDIR, then permission. */
function may_open(k: Kernel, inode: Inode, flags: number): number {
  if (S_ISLNK(inode.i_mode)) return -ELOOP;
  const acc = flags & O_ACCMODE;
  if (S_ISDIR(inode.i_mode) && acc !== 0) return -EISDIR;
  if (flags & O_DIRECTORY && !S_ISDIR(inode.i_mode)) return -ENOTDIR;
  const mask = (acc === O_WRONLY ? 0 : MAY_READ) | (acc === O_WRONLY || acc === O_RDWR ? MAY_WRITE : 0);
  return inode_permission(k, inode, mask);
}

/** The O_CREAT half of do_last (fs/namei.c): create the last component if it is missing, then walk it. */
function* open_create(k: Kernel, p: unknown, dirfd: unknown): KGen<Path | number> {
  const name = str(p);
  if (name === null) return -EFAULT;
  if (dirfd !== undefined && dirfd !== -100) return -EINVAL; // O_CREAT relative to a dirfd: not modelled
  const pp = yield* kern_path_parent(k, name, 'open');
  if (typeof pp === 'number') return pp;
  const d = yield* lookup_one(k, pp.parent, pp.last, 'open');
  let e = typeof d === 'number' ? d : 0;
  if (typeof d !== 'number') {
    if (!d.d_inode) e = vfs_create(k, pp.parent.dentry.d_inode as Inode, d, 'create');
    dput(d, 'open');
  }
  path_put(pp.parent, 'open');
  if (e) return e;
  return yield* kern_path(k, name, LOOKUP_FOLLOW, 'open');
}

/** vfs_create / vfs_mkdir (fs/namei.c): may_create (write and search on the directory), then the fs op. */
function vfs_create(k: Kernel, dir: Inode, d: import('./fs').Dentry, op: 'create' | 'mkdir'): number {
  if (d.d_inode) return -EEXIST;
  const perm = inode_permission(k, dir, MAY_WRITE | MAY_EXEC);
  if (perm) return perm;
  const fn = dir.i_op[op];
  if (!fn) return op === 'create' ? -EACCES : -EPERM;
  return fn(dir, d);
}

export function* sys_mknod(k: Kernel, a: Record<string, unknown>, op: 'create' | 'mkdir'): KGen<SysResult> {
  const name = str(a.path);
  if (name === null) return r(-EFAULT);
  const pp = yield* kern_path_parent(k, name, 'mknod');
  if (typeof pp === 'number') return r(pp);
  try {
    if (pp.last === '.' || pp.last === '..' || pp.last === '') return r(-EEXIST);
    const d = yield* lookup_one(k, pp.parent, pp.last, 'mknod');
    if (typeof d === 'number') return r(d);
    const e = vfs_create(k, pp.parent.dentry.d_inode as Inode, d, op);
    dput(d, 'mknod');
    return r(e);
  } finally {
    path_put(pp.parent, 'mknod');
  }
}

/** check_sticky (fs/namei.c): in a sticky directory only the file's or the directory's owner, or CAP_FOWNER, may delete. */
function check_sticky(k: Kernel, dir: Inode, inode: Inode): boolean {
  if (!(dir.i_mode & S_ISVTX)) return false;
  const fsuid = k.current.cred.fsuid;
  if (inode.i_uid === fsuid || dir.i_uid === fsuid) return false;
  return !capable(k, 'CAP_FOWNER');
}

/** do_unlinkat / do_rmdir (fs/namei.c) with may_delete, the mountpoint check, and d_delete. */
export function* sys_unlink(k: Kernel, a: Record<string, unknown>, op: 'unlink' | 'rmdir'): KGen<SysResult> {
  const name = str(a.path);
  if (name === null) return r(-EFAULT);
  const pp = yield* kern_path_parent(k, name, 'unlink');
  if (typeof pp === 'number') return r(pp);
  try {
    if (pp.last === '.' || pp.last === '') return r(op === 'rmdir' ? -EINVAL : -EISDIR);
    if (pp.last === '..') return r(op === 'rmdir' ? -ENOTEMPTY : -EISDIR);
    const d = yield* lookup_one(k, pp.parent, pp.last, 'unlink');
    if (typeof d === 'number') return r(d);
    try {
      const victim = d.d_inode;
      if (!victim) return r(-ENOENT);
      const dir = pp.parent.dentry.d_inode as Inode;
      const perm = inode_permission(k, dir, MAY_WRITE | MAY_EXEC);
      if (perm) return r(perm);
      if (check_sticky(k, dir, victim)) return r(-EPERM);
      if (op === 'unlink' && S_ISDIR(victim.i_mode)) return r(-EISDIR);
      if (op === 'rmdir' && !S_ISDIR(victim.i_mode)) return r(-ENOTDIR);
      const fn = dir.i_op[op];
      if (!fn) return r(-EPERM);
      if (d_mountpoint(d)) return r(-EBUSY);
      const e = fn(dir, d);
      if (e) return r(e);
      d_delete(d);
      return r(0);
    } finally {
      dput(d, 'unlink');
    }
  } finally {
    path_put(pp.parent, 'unlink');
  }
}

export function* sys_close_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const fd = int(a.fd);
  return r(fd === null ? -EBADF : sys_close(k, fd));
}

export function* sys_dup_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const fd = int(a.fd);
  return r(fd === null ? -EBADF : sys_dup(k, fd));
}

export function* sys_dup2_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const o = int(a.oldfd);
  const n = int(a.newfd);
  return r(o === null || n === null ? -EBADF : sys_dup2(k, o, n));
}

export function* sys_getdents64_call(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const fd = int(a.fd);
  const count = int(a.count);
  if (fd === null) return r(-EBADF);
  if (count === null) return r(-EINVAL);
  const res = yield* sys_getdents64(k, fd, count);
  return res.ret > 0 ? r(res.ret, { dirents: res.dirents }) : r(res.ret);
}

/**
 * sys_lseek / vfs_llseek (fs/read_write.c): a whence past SEEK_MAX is EINVAL (SEEK_END in 3.0,
 * SEEK_HOLE from 3.1); without ->llseek, no_llseek: ESPIPE.
 */
export function* sys_lseek(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const fd = int(a.fd);
  const offset = int(a.offset ?? 0);
  const whence = int(a.whence ?? 0);
  if (fd === null) return r(-EBADF);
  const f = fget(k, fd, 'lseek');
  if (!f) return r(-EBADF);
  try {
    const SEEK_MAX = atLeast(k, '3.1') ? SEEK_HOLE : SEEK_END;
    if (whence === null || whence < 0 || whence > SEEK_MAX || offset === null) return r(-EINVAL);
    if (!f.f_op?.llseek) return r(-ESPIPE);
    return r(f.f_op.llseek(f, offset, whence));
  } finally {
    fput(f, 'lseek');
  }
}

/**
 * default_llseek (fs/read_write.c, 3.0 and 3.8): SEEK_END and SEEK_HOLE count from i_size,
 * SEEK_DATA/SEEK_HOLE at or past it are ENXIO (3.1), a negative position EINVAL. Every inode
 * procns gives a ->llseek (the proc directories) has i_size 0.
 */
export function default_llseek(file: File, offset: number, whence: number): number {
  const i_size = 0;
  let pos = offset;
  switch (whence) {
    case SEEK_END: pos += i_size; break;
    case SEEK_CUR:
      if (offset === 0) return file.f_pos;
      pos += file.f_pos;
      break;
    case SEEK_DATA: if (offset >= i_size) return -ENXIO; break;
    case SEEK_HOLE: if (offset >= i_size) return -ENXIO; pos = i_size; break;
    default: break;
  }
  if (pos < 0) return -EINVAL;
  file.f_pos = pos;
  return pos;
}

/** MAX_LFS_FILESIZE (include/linux/fs.h, 64-bit): the s_maxbytes of proc. */
const MAX_LFS_FILESIZE = Number.MAX_SAFE_INTEGER;

/** vfs_setpos (fs/read_write.c): a negative or too large position is EINVAL. */
function vfs_setpos(file: File, offset: number, maxsize: number): number {
  if (offset < 0 || offset > maxsize) return -EINVAL;
  file.f_pos = offset;
  return offset;
}

/**
 * generic_file_llseek (fs/read_write.c, today; generic_file_llseek_size with s_maxbytes and
 * i_size, 0 for every inode procns seeks).
 */
export function generic_file_llseek(file: File, offset: number, whence: number): number {
  const eof = 0;
  let pos = offset;
  switch (whence) {
    case SEEK_END: pos += eof; break;
    case SEEK_CUR:
      if (offset === 0) return file.f_pos;
      return vfs_setpos(file, file.f_pos + offset, MAX_LFS_FILESIZE);
    case SEEK_DATA: if (offset >= eof) return -ENXIO; break;
    case SEEK_HOLE: if (offset >= eof) return -ENXIO; pos = eof; break;
    default: break;
  }
  return vfs_setpos(file, pos, MAX_LFS_FILESIZE);
}

/** vfs_read (fs/read_write.c): not open for reading EBADF; no ->read EINVAL. */
export function* sys_read(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const fd = int(a.fd);
  const count = int(a.count ?? 0);
  if (fd === null) return r(-EBADF);
  const f = fget(k, fd, 'read');
  if (!f) return r(-EBADF);
  try {
    if (!(f.f_mode & FMODE_READ)) return r(-EBADF);
    if (!f.f_op?.read) return r(-EINVAL);
    if (count === null || count < 0) return r(-EINVAL);
    return r(f.f_op.read(f, count));
  } finally {
    fput(f, 'read');
  }
}

/** vfs_getattr (fs/stat.c): the inode's ->getattr, or generic_fillattr. */
export function vfs_getattr(p: Path): Kstat | number {
  const inode = p.dentry.d_inode as Inode;
  if (inode.i_op.getattr) return inode.i_op.getattr(p.mnt, p.dentry);
  return generic_fillattr(inode);
}

/** generic_fillattr (fs/stat.c). */
export function generic_fillattr(inode: Inode): Kstat {
  return { mode: inode.i_mode, ino: inode.i_ino, uid: inode.i_uid, nlink: inode.i_nlink, dev: inode.i_sb.s_dev };
}

export function* sys_stat(k: Kernel, a: Record<string, unknown>, follow: boolean): KGen<SysResult> {
  const path = yield* user_path(k, a.path, follow ? LOOKUP_FOLLOW : 0, 'stat', a.dirfd);
  if (typeof path === 'number') return r(path);
  try {
    const st = vfs_getattr(path);
    return typeof st === 'number' ? r(st) : r(0, { stat: st });
  } finally {
    path_put(path, 'stat');
  }
}

export function* sys_fstat(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const fd = int(a.fd);
  if (fd === null) return r(-EBADF);
  // vfs_fstat takes fget_raw: an O_PATH file can be stat'ed
  const f = fget_raw(k, fd, 'fstat');
  if (!f) return r(-EBADF);
  try {
    const st = vfs_getattr(f.f_path);
    return typeof st === 'number' ? r(st) : r(0, { stat: st });
  } finally {
    fput(f, 'fstat');
  }
}

/** sys_readlinkat (fs/stat.c): the inode's ->readlink; not a link: EINVAL. */
export function* sys_readlink(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const path = yield* user_path(k, a.path, 0, 'readlink', a.dirfd);
  if (typeof path === 'number') return r(path);
  try {
    const inode = path.dentry.d_inode as Inode;
    if (!inode.i_op.readlink) return r(-EINVAL);
    const t = inode.i_op.readlink(path.dentry);
    return typeof t === 'number' ? r(t) : r(Buffer.byteLength(t), { text: t });
  } finally {
    path_put(path, 'readlink');
  }
}

/** sys_pipe2 (fs/pipe.c): a read end and a write end, as two fds (ret 0, obs.fds). */
export function* sys_pipe2(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const flags = int(a.flags ?? 0);
  if (flags === null) return r(-EINVAL);
  const res = do_pipe_flags(k, flags);
  return res.fds ? r(res.ret, { fds: res.fds }) : r(res.ret);
}

// ---- mounts ----

/** do_mount (fs/namespace.c) for MS_BIND: the target is walked first, then do_loopback checks. */
export function* sys_mount(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const flags = int(a.flags ?? MS_BIND);
  if (flags === null) return r(-EINVAL);
  const src = str(a.source);
  if (src === null) return r(-EFAULT);
  const target = yield* user_path(k, a.target, LOOKUP_FOLLOW, 'mount');
  if (typeof target === 'number') return r(target);
  try {
    if (!(flags & MS_BIND)) return r(-ENODEV); // no filesystem type: procns models bind mounts only
    if (!capable(k, 'CAP_SYS_ADMIN')) return r(-EPERM); // mount_is_safe
    if (src === '') return r(-EINVAL);
    const old = yield* kern_path(k, src, LOOKUP_FOLLOW, 'mount-src');
    if (typeof old === 'number') return r(old);
    try {
      return r(do_loopback(k, target, old));
    } finally {
      path_put(old, 'mount-src');
    }
  } finally {
    path_put(target, 'mount');
  }
}

/**
 * sys_umount (fs/namespace.c): flags, lookup, must be a mount root in our namespace, CAP_SYS_ADMIN,
 * do_umount. From 3.9 the capability (may_mount) is checked first: before the lookup until 5.9,
 * and from 5.9 (path_umount's can_umount) right after it, still before the EINVALs.
 */
export function* sys_umount2(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const flags = int(a.flags ?? 0);
  if (flags === null || flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) return r(-EINVAL);
  if (atLeast(k, '3.9') && !atLeast(k, '5.9') && !may_mount(k)) return r(-EPERM);
  const path = yield* user_path(k, a.target, flags & UMOUNT_NOFOLLOW ? 0 : LOOKUP_FOLLOW, 'umount');
  if (typeof path === 'number') return r(path);
  let err: number;
  if (atLeast(k, '5.9') && !may_mount(k)) err = -EPERM; // can_umount
  else if (path.dentry !== path.mnt.mnt_root) err = -EINVAL;
  else if (!check_mnt(k, path.mnt)) err = -EINVAL;
  else if (!capable(k, 'CAP_SYS_ADMIN')) err = -EPERM;
  else err = do_umount(k, path.mnt, flags);
  // dput + mntput_no_expire: the lookup's reference goes without clearing an expiry mark
  dput(path.dentry, 'umount');
  mntput_no_expire(path.mnt, 'umount');
  return r(err);
}

/** may_mount (fs/namespace.c, 3.9): CAP_SYS_ADMIN over the caller's mount namespace. */
function may_mount(k: Kernel): boolean {
  return capable(k, 'CAP_SYS_ADMIN');
}

/**
 * A write to /proc/sys/vm/drop_caches (fs/drop_caches.c): 2 and 3 prune every unused dentry
 * (which may release inodes and namespaces) and every unused cached inode. Root only (0644).
 */
export function* sys_drop_caches(k: Kernel, a: Record<string, unknown>): KGen<SysResult> {
  const mode = int(a.mode ?? 3);
  if (mode === null || mode < 1 || mode > 3) return r(-EINVAL);
  if (k.current.cred.fsuid !== 0 && generic_permission(k, k.rootMnt.mnt_root.d_inode as Inode, MAY_WRITE) !== 0) {
    return r(-EACCES);
  }
  if (mode & 2) {
    for (const sb of k.supers()) shrink_dcache_sb(sb);
    prune_icache(k);
  }
  return r(0);
}

/** fork (kernel/fork.c): clone with no flags. */
export const sys_fork = (k: Kernel): KGen<SysResult> => sys_clone(k, { flags: 0 });
/** sys_newstat / sys_newlstat (fs/stat.c): the last component followed or not. */
export const sys_stat_follow = (k: Kernel, a: Record<string, unknown>): KGen<SysResult> => sys_stat(k, a, true);
export const sys_lstat = (k: Kernel, a: Record<string, unknown>): KGen<SysResult> => sys_stat(k, a, false);
/** sys_mknod (S_IFREG) and sys_mkdir (fs/namei.c). */
export const sys_mknod_reg = (k: Kernel, a: Record<string, unknown>): KGen<SysResult> => sys_mknod(k, a, 'create');
export const sys_mkdir = (k: Kernel, a: Record<string, unknown>): KGen<SysResult> => sys_mknod(k, a, 'mkdir');
/** sys_unlink and sys_rmdir (fs/namei.c). */
export const sys_unlink_file = (k: Kernel, a: Record<string, unknown>): KGen<SysResult> => sys_unlink(k, a, 'unlink');
export const sys_rmdir = (k: Kernel, a: Record<string, unknown>): KGen<SysResult> => sys_unlink(k, a, 'rmdir');
