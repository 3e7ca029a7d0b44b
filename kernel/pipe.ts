// fs/pipe.c (3.0): pipe2 and the pipe's two files. procns has no write(), so a pipe is always
// empty: what matters here is that a pipe is an open file that is not a namespace file (setns
// gives EINVAL), that /proc/<pid>/fd/N names it "pipe:[ino]", and when its inode goes.
import type { Kernel } from './kernel';
import { dentryOperations, Dentry, File, FileOperations, fileOperations, FMODE_READ, FMODE_WRITE, Inode, SuperBlock, SuperOperations, Vfsmount } from './fs';
import { d_alloc_pseudo, d_alloc_root, d_instantiate } from './dcache';
import { generic_drop_inode, get_next_ino, new_inode } from './inode';
import { alloc_fd, alloc_file, fd_install, fput } from './file';
import { mntget, path_get } from './mount';
import { ktransfer } from './object';
import { EAGAIN, EBADF, EINTR, EINVAL, ESPIPE } from './errno';
import { O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY, S_IFDIR, S_IFIFO, S_IRUSR, S_IWUSR } from './flags';

/** struct pipe_inode_info (include/linux/pipe_fs_i.h): who has the pipe open. */
interface PipeInodeInfo {
  readers: number;
  writers: number;
}
const pipes = new WeakMap<Inode, PipeInodeInfo>();

const pipefs_ops: SuperOperations = {
  alloc_inode: (sb: SuperBlock): Inode => new Inode(sb.k, sb),
  drop_inode: generic_drop_inode,
};

/** pipefs_dname (fs/pipe.c): a pipe's dentry has no path; d_path prints "pipe:[ino]". */
const pipefs_dentry_operations = dentryOperations({
  d_dname: (dentry: Dentry) => `pipe:[${dentry.d_inode?.i_ino ?? 0}]`,
});

/** init_pipe_fs (fs/pipe.c): kern_mount of pipefs, at boot. */
export function init_pipe_fs(k: Kernel): Vfsmount {
  const sb = new SuperBlock(k, pipefs_ops, k.nextDev());
  const rootInode = new_inode(sb);
  rootInode.i_mode = S_IFDIR | S_IRUSR | S_IWUSR;
  const root = d_alloc_root(rootInode, 'sb_root');
  sb.s_root = root;
  const mnt = new Vfsmount(k, sb, root);
  ktransfer(root, 'sb_root', mnt);
  ktransfer(mnt, 'alloc_vfsmnt', 'kern_mount');
  return mnt;
}

/** pipe_read (fs/pipe.c): the pipe is always empty (no write() here). */
function pipe_read(file: File, count: number): number {
  const pipe = pipes.get(file.f_path.dentry.d_inode as Inode) as PipeInodeInfo;
  if (count === 0) return 0;
  if (!pipe.writers) return 0; // no writer: end of file
  if (file.f_flags & O_NONBLOCK) return -EAGAIN;
  // pipe_wait: the task would sleep until a write or the last writer's close. procns has no
  // write() and a task asleep forever would stop the run, so the sleep is ended at once by a
  // signal: -ERESTARTSYS, which a handler without SA_RESTART turns into EINTR. Real Linux
  // stays asleep here; the fuzzer draws O_NONBLOCK pipes only, and the recorder must not read
  // an empty blocking pipe.
  return -EINTR;
}

/** pipe_read_release / pipe_write_release (fs/pipe.c): one reader or writer fewer. */
function pipe_release(inode: Inode, decr_readers: number, decr_writers: number): void {
  const pipe = pipes.get(inode) as PipeInodeInfo;
  pipe.readers -= decr_readers;
  pipe.writers -= decr_writers;
  // free_pipe_info with the inode's last reference (evict); nothing else to wake here
}

/** read_pipefifo_fops and write_pipefifo_fops (fs/pipe.c). No .llseek: no_llseek (ESPIPE). */
export const read_pipefifo_fops: FileOperations = fileOperations({
  llseek: () => -ESPIPE,
  read: pipe_read,
  release: (inode: Inode) => pipe_release(inode, 1, 0),
});
export const write_pipefifo_fops: FileOperations = fileOperations({
  llseek: () => -ESPIPE,
  read: () => -EBADF, // vfs_read refuses a file without FMODE_READ first
  release: (inode: Inode) => pipe_release(inode, 0, 1),
});

/** get_pipe_inode (fs/pipe.c): a new pipefs inode with one reader and one writer. */
function get_pipe_inode(k: Kernel, sb: SuperBlock): Inode {
  const inode = new_inode(sb);
  inode.i_ino = get_next_ino(k);
  pipes.set(inode, { readers: 1, writers: 1 });
  inode.i_mode = S_IFIFO | S_IRUSR | S_IWUSR;
  inode.i_uid = k.current.cred.fsuid;
  return inode;
}

/** create_write_pipe (fs/pipe.c): the inode, a pseudo dentry, and the write end. */
function create_write_pipe(k: Kernel, flags: number): File {
  const mnt = k.pipeMnt as Vfsmount;
  const inode = get_pipe_inode(k, mnt.mnt_sb);
  const dentry = d_alloc_pseudo(mnt.mnt_sb, '', 'create_write_pipe');
  dentry.d_op = pipefs_dentry_operations;
  d_instantiate(dentry, inode);
  mntget(mnt, 'create_write_pipe');
  const f = alloc_file(k, { mnt, dentry }, O_WRONLY | (flags & O_NONBLOCK), write_pipefifo_fops, 'create_write_pipe');
  f.f_mode = FMODE_WRITE;
  return f;
}

/** create_read_pipe (fs/pipe.c): the read end on the write end's path (path_get). */
function create_read_pipe(k: Kernel, wrf: File, flags: number): File {
  const path = path_get(wrf.f_path, 'create_read_pipe');
  const f = alloc_file(k, path, O_RDONLY | (flags & O_NONBLOCK), read_pipefifo_fops, 'create_read_pipe');
  f.f_mode = FMODE_READ;
  return f;
}

/**
 * do_pipe_flags / sys_pipe2 (fs/pipe.c): only O_CLOEXEC and O_NONBLOCK; both files, then two
 * fds (the lowest free ones, read end first), then both installed. Returns 0 and the fds.
 */
export function do_pipe_flags(k: Kernel, flags: number): { ret: number; fds?: [number, number] } {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return { ret: -EINVAL };
  const files = k.current.files;
  if (!files) return { ret: -EBADF };
  const fw = create_write_pipe(k, flags);
  const fr = create_read_pipe(k, fw, flags);
  const fdr = alloc_fd(files, 0);
  // get_unused_fd_flags marks the slot in use: the second search starts past it
  const fdw = fdr < 0 ? fdr : alloc_fd(files, fdr + 1);
  if (fdr < 0 || fdw < 0) {
    fput(fr, 'get_empty_filp');
    fput(fw, 'get_empty_filp');
    return { ret: fdr < 0 ? fdr : fdw };
  }
  fd_install(files, fdr, fr, 'get_empty_filp');
  fd_install(files, fdw, fw, 'get_empty_filp');
  return { ret: 0, fds: [fdr, fdw] };
}
