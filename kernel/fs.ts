// include/linux/fs.h, dcache.h, mount.h: the VFS structures and their ops tables.
// Behaviour lives in the ops tables; the VFS dispatches through them and never asks "what kind".
import type { Kernel } from './kernel';
import { KObject, type Holder } from './object';
import type { Task } from './task';

/**
 * A kernel generator: yields where the kernel may sleep or be preempted. A preemption point
 * where a race lives (a task dying during an instantiate, between the stages of exit) yields
 * RACE_POINT, so a scheduler can aim its preemptions there (properties/world.ts: race); every
 * other point yields nothing.
 */
export type KGen<T> = Generator<typeof RACE_POINT | undefined, T, void>;

/** What a preemption point where a race lives yields (see KGen). */
export const RACE_POINT = 1;

export interface Kstat {
  mode: number;
  ino: number;
  uid: number;
  nlink: number;
  dev: number;
}

export interface Nameidata {
  path: Path;
  flags: number;
  /** The label under which this walk holds its references on nd.path. */
  holder: Holder;
}

export const LOOKUP_FOLLOW = 1;
export const LOOKUP_DIRECTORY = 2;

export interface InodeOperations {
  lookup?(dir: Inode, dentry: Dentry): KGen<Dentry | null | number>;
  /** A text symlink returns its target; a magic link (proc) moves nd.path and returns 0; or -errno. */
  follow_link?(dentry: Dentry, nd: Nameidata): string | number;
  readlink?(dentry: Dentry): string | number;
  getattr?(mnt: Vfsmount, dentry: Dentry): Kstat | number;
  setattr?(dentry: Dentry): number;
  permission?(inode: Inode, mask: number): number;
  /** Directory-modifying ops: each returns 0 or -errno and instantiates/deletes as the VFS expects. */
  create?(dir: Inode, dentry: Dentry): number;
  mkdir?(dir: Inode, dentry: Dentry): number;
  unlink?(dir: Inode, dentry: Dentry): number;
  rmdir?(dir: Inode, dentry: Dentry): number;
}

export type Filldir = (name: string, offset: number, ino: number, type: number) => number;

export interface FileOperations {
  llseek?(file: File, offset: number, whence: number): number;
  read?(file: File, count: number): number;
  readdir?(file: File, filldir: Filldir): KGen<number>;
  open?(inode: Inode, file: File): number;
  /** Called by __fput as the last reference goes, before the dentry and mount are put. */
  release?(inode: Inode, file: File): void;
}

export interface DentryOperations {
  d_revalidate?(dentry: Dentry, nd: Nameidata | null): number;
  d_delete?(dentry: Dentry): boolean;
  /** A dentry with no path of its own names itself for d_path ("pipe:[12]"). */
  d_dname?(dentry: Dentry): string;
}

export interface SuperOperations {
  alloc_inode(sb: SuperBlock): Inode;
  /** true: evict now; false: keep the unused inode cached. Default generic_drop_inode. */
  drop_inode?(inode: Inode): boolean;
  evict_inode?(inode: Inode): void;
}

export class SuperBlock {
  s_root: Dentry | null = null;
  /** The inode hash for this superblock (iget_locked / ilookup), keyed by i_ino. */
  readonly s_inode_hash = new Map<number, Inode>();
  /** Unused cached dentries of this sb (the dcache LRU), oldest first. */
  readonly s_dentry_lru = new Set<Dentry>();
  readonly s_dev: number;
  constructor(readonly k: Kernel, readonly s_op: SuperOperations, dev: number) {
    this.s_dev = dev;
  }
}

export const I_NEW = 1;
export const I_FREEING = 2;

/** struct mutex: a sleeping lock; a task that finds it held yields until it is free. */
export interface Mutex {
  owner: Task | null;
}

/**
 * mutex_trylock (kernel/mutex.c): take a free mutex at once, or say it is held. Callers take
 * this fast path first, as mutex_lock's __mutex_fastpath_lock does, and only a held mutex costs
 * a sleep in mutex_lock (the slow path).
 */
export function mutex_trylock(k: Kernel, m: Mutex): boolean {
  if (m.owner !== null && m.owner !== k.current) return false;
  m.owner = k.current;
  return true;
}

/** mutex_lock (kernel/mutex.c): sleep (yield) while another task holds it. */
export function* mutex_lock(k: Kernel, m: Mutex): KGen<void> {
  while (!mutex_trylock(k, m)) {
    k.blocked.set(k.current, m);
    yield;
  }
  k.blocked.delete(k.current);
}

/** mutex_unlock (kernel/mutex.c). */
export function mutex_unlock(m: Mutex): void {
  m.owner = null;
}

/**
 * An ops table as a C initializer makes one: every member present, unset ones NULL (undefined
 * here), frozen. All tables of a kind then share one layout, so the VFS's loads through them
 * (i_op->lookup at each path component) see one shape; tables each with their own set of keys
 * made those loads megamorphic.
 */
export function inodeOperations(ops: InodeOperations): InodeOperations {
  return Object.freeze({
    lookup: ops.lookup, follow_link: ops.follow_link, readlink: ops.readlink, getattr: ops.getattr,
    setattr: ops.setattr, permission: ops.permission, create: ops.create, mkdir: ops.mkdir,
    unlink: ops.unlink, rmdir: ops.rmdir,
  });
}

export function fileOperations(ops: FileOperations): FileOperations {
  return Object.freeze({ llseek: ops.llseek, read: ops.read, readdir: ops.readdir, open: ops.open, release: ops.release });
}

export function dentryOperations(ops: DentryOperations): DentryOperations {
  return Object.freeze({ d_revalidate: ops.d_revalidate, d_delete: ops.d_delete, d_dname: ops.d_dname });
}

/** The inode_operations of an inode that has none (each filesystem sets its own). */
const NO_INODE_OPERATIONS: InodeOperations = inodeOperations({});

export class Inode extends KObject {
  readonly kind = 'inode' as const;
  /** i_mutex: serialises lookups and readdir in a directory. */
  readonly i_mutex: Mutex = { owner: null };
  i_ino = 0;
  i_mode = 0;
  i_uid = 0;
  i_nlink = 1;
  /** S_IMMUTABLE and friends (inode->i_flags). */
  i_flags = 0;
  i_state = 0;
  i_hashed = false;
  i_op: InodeOperations = NO_INODE_OPERATIONS;
  i_fop: FileOperations | null = null;
  constructor(k: Kernel, readonly i_sb: SuperBlock) {
    super(k, 'new_inode');
    this.register();
  }
}

/** The empty child tables every dentry starts with; adding to them is a bug in the port. */
class NoSubdirs extends Set<Dentry> {
  override add(): this {
    throw new Error('d_subdirs: add to the shared empty set (allocate the dentry\'s own first)');
  }
}
class NoHash extends Map<string, Dentry> {
  override set(): this {
    throw new Error('d_hash: set on the shared empty map (allocate the dentry\'s own first)');
  }
}
const NO_SUBDIRS: Set<Dentry> = new NoSubdirs();
const NO_HASH: Map<string, Dentry> = new NoHash();

export class Dentry extends KObject {
  readonly kind = 'dentry' as const;
  d_inode: Inode | null = null;
  d_op: DentryOperations | null = null;
  /** Hashed: findable by d_lookup. */
  d_hashed = false;
  /** How many mounts sit on this dentry (d_mounted in 3.0). */
  d_mounted = 0;
  /** Children, hashed or not (d_subdirs). Shared and empty until the first child (most dentries are leaves). */
  d_subdirs: Set<Dentry> = NO_SUBDIRS;
  /** The hash chain, per parent: hashed children by name. Shared and empty until the first child. */
  d_hash: Map<string, Dentry> = NO_HASH;
  d_parent: Dentry;
  /** `holder`: who gets the reference a new dentry starts with (d_count 1: d_alloc's caller). */
  constructor(k: Kernel, readonly d_name: string, parent: Dentry | null, readonly d_sb: SuperBlock, holder: Holder) {
    super(k, holder);
    this.d_parent = parent ?? this;
    this.register();
  }
  get isRoot(): boolean {
    return this.d_parent === this;
  }

  /** This dentry's own child tables, made on the first child. */
  children(): { d_subdirs: Set<Dentry>; d_hash: Map<string, Dentry> } {
    if (this.d_subdirs === NO_SUBDIRS) this.d_subdirs = new Set();
    if (this.d_hash === NO_HASH) this.d_hash = new Map();
    return this;
  }
}

export class Vfsmount extends KObject {
  readonly kind = 'vfsmount' as const;
  mnt_parent: Vfsmount;
  mnt_mountpoint: Dentry;
  mnt_ns: import('./namespaces').MntNamespace | null = null;
  /** MNT_EXPIRE's mark: set by a first umount2(MNT_EXPIRE), cleared by any mntput. */
  mnt_expiry_mark = false;
  readonly mnt_mounts: Vfsmount[] = [];
  constructor(k: Kernel, readonly mnt_sb: SuperBlock, readonly mnt_root: Dentry) {
    super(k, 'alloc_vfsmnt');
    this.mnt_parent = this;
    this.mnt_mountpoint = mnt_root;
    this.register();
  }
}

export interface Path {
  mnt: Vfsmount;
  dentry: Dentry;
}

export const FMODE_READ = 1;
export const FMODE_WRITE = 2;
/** FMODE_PATH (2.6.39): an O_PATH file; fget refuses it, fget_raw does not. */
export const FMODE_PATH = 0x4000;

export class File extends KObject {
  readonly kind = 'file' as const;
  f_pos = 0;
  f_mode = 0;
  /** Opaque per-file state of the file's owner (f_op). */
  private_data: unknown = null;
  constructor(k: Kernel, readonly f_path: Path, readonly f_flags: number, readonly f_op: FileOperations | null) {
    super(k, 'get_empty_filp');
    this.register();
  }
}

/** parent_ino (include/linux/fs.h): the inode number of a dentry's parent, for "..". */
export function parent_ino(d: Dentry): number {
  return d.d_parent.d_inode?.i_ino ?? 1;
}

/** The running task whose syscall is executing ("current"). */
export function current(k: Kernel): Task {
  return k.current;
}
