// A plain in-memory filesystem (in the spirit of fs/ramfs, but disk-backed like ext2): its
// directory tree lives on a "disk" of inode records, so its dentries and inodes can be pruned
// and looked up again. It serves as the root filesystem and as bind-mount targets.
import type { Kernel } from './kernel';
import { Dentry, Inode, InodeOperations, KGen, SuperBlock, SuperOperations, FileOperations, Filldir, fileOperations, inodeOperations, parent_ino } from './fs';
import { d_add, d_alloc_root, d_instantiate } from './dcache';
import { generic_read_dir } from './readdir';
import { generic_drop_inode, iget_locked, unlock_new_inode } from './inode';
import { DT_DIR, DT_REG, S_IFDIR, S_IFREG, S_ISDIR, SEEK_CUR } from './flags';
import { EEXIST, EINVAL, ENOTDIR } from './errno';

interface DiskInode {
  mode: number;
  uid: number;
  nlink: number;
  /** name → ino, for directories. */
  entries: Map<string, number> | null;
}

/** The on-disk state of a memfs superblock. */
export class MemfsDisk {
  readonly inodes = new Map<number, DiskInode>();
  next_ino = 2;
}

const disks = new WeakMap<SuperBlock, MemfsDisk>();

export function memfsDisk(sb: SuperBlock): MemfsDisk {
  return disks.get(sb) as MemfsDisk;
}

const memfs_sops: SuperOperations = {
  alloc_inode(sb: SuperBlock): Inode {
    return new Inode(sb.k, sb);
  },
  drop_inode: generic_drop_inode,
  evict_inode(inode: Inode): void {
    // an unlinked file's disk record goes with its last in-memory reference
    if (inode.i_nlink === 0) memfsDisk(inode.i_sb).inodes.delete(inode.i_ino);
  },
};

/** memfs_iget: the in-memory inode for a disk inode, from the inode cache when it is there. */
export function memfs_iget(sb: SuperBlock, ino: number): Inode {
  const inode = iget_locked(sb, ino, 'new_inode');
  if (inode.i_state & 1) {
    const di = memfsDisk(sb).inodes.get(ino) as DiskInode;
    inode.i_mode = di.mode;
    inode.i_uid = di.uid;
    inode.i_nlink = di.nlink;
    if (S_ISDIR(di.mode)) {
      inode.i_op = memfs_dir_inode_operations;
      inode.i_fop = memfs_dir_operations;
    } else {
      inode.i_op = memfs_file_inode_operations;
      inode.i_fop = memfs_file_operations;
    }
    unlock_new_inode(inode);
  }
  return inode;
}

/** memfs_lookup: a name missing on disk gives a negative dentry, cached like any other. */
function* memfs_lookup(dir: Inode, dentry: Dentry): KGen<Dentry | null | number> {
  const di = memfsDisk(dir.i_sb).inodes.get(dir.i_ino);
  const ino = di?.entries?.get(dentry.d_name);
  d_add(dentry, ino === undefined ? null : memfs_iget(dir.i_sb, ino));
  return null;
}

/** memfs_mknod / memfs_mkdir: a new disk inode, instantiated on the negative dentry. */
function memfs_make(dir: Inode, dentry: Dentry, dirMode: boolean): number {
  const err = memfs_create(dir, dentry.d_name, dirMode, dir.k.current.cred.fsuid);
  if (err) return err;
  const ino = memfsDisk(dir.i_sb).inodes.get(dir.i_ino)?.entries?.get(dentry.d_name) as number;
  d_instantiate(dentry, memfs_iget(dir.i_sb, ino));
  return 0;
}

/** memfs_unlink / memfs_rmdir: drop the name on disk; the VFS d_deletes the dentry. */
function memfs_unlink(dir: Inode, dentry: Dentry): number {
  memfs_remove(dir, dentry.d_name, dentry.d_inode as Inode);
  return 0;
}

/** A regular file's inode_operations: none (simple_file_inode_operations would be empty here). */
const memfs_file_inode_operations: InodeOperations = inodeOperations({});

const memfs_dir_inode_operations: InodeOperations = inodeOperations({
  lookup: memfs_lookup,
  create: (dir, dentry) => memfs_make(dir, dentry, false),
  mkdir: (dir, dentry) => memfs_make(dir, dentry, true),
  unlink: memfs_unlink,
  rmdir: (dir, dentry) => (memfsIsEmptyDir(dentry.d_inode as Inode) ? memfs_unlink(dir, dentry) : -39),
});

/** dcache_readdir-like listing of a memfs directory: ".", "..", then the entries in creation order. */
function* memfs_readdir(file: import('./fs').File, filldir: Filldir): KGen<number> {
  const inode = file.f_path.dentry.d_inode as Inode;
  const di = memfsDisk(inode.i_sb).inodes.get(inode.i_ino);
  const names = [...(di?.entries?.keys() ?? [])];
  const disk = memfsDisk(inode.i_sb);
  for (;;) {
    const i = file.f_pos;
    if (i === 0) {
      if (filldir('.', i, inode.i_ino, DT_DIR) < 0) return 0;
    } else if (i === 1) {
      if (filldir('..', i, parent_ino(file.f_path.dentry), DT_DIR) < 0) return 0;
    } else {
      const name = names[i - 2];
      if (name === undefined) return 0;
      const ino = di?.entries?.get(name) as number;
      const mode = disk.inodes.get(ino)?.mode ?? 0;
      if (filldir(name, i, ino, S_ISDIR(mode) ? DT_DIR : DT_REG) < 0) return 0;
    }
    file.f_pos++;
  }
}

const memfs_dir_operations: FileOperations = fileOperations({
  read: generic_read_dir,
  readdir: memfs_readdir,
  llseek: generic_file_llseek,
});
const memfs_file_operations: FileOperations = fileOperations({
  read: () => 0,
  llseek: generic_file_llseek,
});

/** generic_file_llseek (fs/read_write.c): SEEK_SET, SEEK_CUR, SEEK_END (size 0 here); a negative result is EINVAL. */
function generic_file_llseek(file: import('./fs').File, offset: number, whence: number): number {
  const base = whence === SEEK_CUR ? file.f_pos : 0; // SEEK_END: i_size is 0 for every memfs file
  const pos = base + offset;
  if (pos < 0 || !Number.isSafeInteger(pos)) return -EINVAL;
  file.f_pos = pos;
  return pos;
}

/** Make a new memfs superblock with an empty root directory; returns its root dentry. */
export function memfs_mount(k: Kernel): Dentry {
  const sb = new SuperBlock(k, memfs_sops, k.nextDev());
  const disk = new MemfsDisk();
  disks.set(sb, disk);
  disk.inodes.set(1, { mode: S_IFDIR | 0o755, uid: 0, nlink: 2, entries: new Map() });
  const root = d_alloc_root(memfs_iget(sb, 1), 'sb_root');
  sb.s_root = root;
  return root;
}

/** Create a disk entry (mknod/mkdir): 0, or -EEXIST. The caller has looked the name up. */
export function memfs_create(dir: Inode, name: string, dirMode: boolean, uid: number, perm = dirMode ? 0o755 : 0o644): number {
  const disk = memfsDisk(dir.i_sb);
  const di = disk.inodes.get(dir.i_ino);
  if (!di?.entries) return -ENOTDIR;
  if (di.entries.has(name)) return -EEXIST;
  const ino = disk.next_ino++;
  disk.inodes.set(ino, { mode: (dirMode ? S_IFDIR : S_IFREG) | perm, uid, nlink: dirMode ? 2 : 1, entries: dirMode ? new Map() : null });
  di.entries.set(name, ino);
  return 0;
}

/** Remove a disk entry (unlink/rmdir), dropping the link count of the in-memory inode too. */
export function memfs_remove(dir: Inode, name: string, victim: Inode): void {
  const disk = memfsDisk(dir.i_sb);
  disk.inodes.get(dir.i_ino)?.entries?.delete(name);
  const di = disk.inodes.get(victim.i_ino);
  if (di) di.nlink = 0;
  victim.i_nlink = 0;
}

export function memfsIsEmptyDir(inode: Inode): boolean {
  const di = memfsDisk(inode.i_sb).inodes.get(inode.i_ino);
  return !di?.entries || di.entries.size === 0;
}
