// fs/namespace.c: mounts. mntget/mntput, lookup_mnt, bind mounts (do_loopback), umount with
// its busy check and MNT_DETACH, copy_tree for CLONE_NEWNS, and tearing down a namespace's tree.
import type { Kernel } from './kernel';
import { Dentry, Path, Vfsmount } from './fs';
import { dget, dput } from './dcache';
import { kfree, kget, kput, ktransfer, type Holder } from './object';
import { EAGAIN, EBUSY, EINVAL, ENOENT, ENOTDIR } from './errno';
import { MNT_DETACH, MNT_EXPIRE, MNT_FORCE, S_ISDIR } from './flags';
import { MntNamespace } from './namespaces';
import { PROC_I } from './proc_fs';
import { atLeast, has } from './profile';

/** mntget (include/linux/mount.h). */
export function mntget(mnt: Vfsmount, holder: Holder): Vfsmount {
  kget(mnt.k, mnt, holder, 'mntget');
  return mnt;
}

/** mntput (fs/namespace.c): clears the expiry mark, then mntput_no_expire. */
export function mntput(mnt: Vfsmount, holder: Holder): void {
  mnt.mnt_expiry_mark = false;
  mntput_no_expire(mnt, holder);
}

/** mntput_no_expire (fs/namespace.c): the last reference frees the mount (mntfree: dput of its root). */
export function mntput_no_expire(mnt: Vfsmount, holder: Holder): void {
  if (!kput(mnt.k, mnt, holder, 'mntput')) return;
  const root = mnt.mnt_root;
  kfree(mnt.k, mnt, 'mntfree');
  dput(root, mnt);
}

/** path_get (fs/namei.c). */
export function path_get(p: Path, holder: Holder): Path {
  mntget(p.mnt, holder);
  dget(p.dentry, holder);
  return p;
}

/** path_put (fs/namei.c). */
export function path_put(p: Path, holder: Holder): void {
  dput(p.dentry, holder);
  mntput(p.mnt, holder);
}

/** lookup_mnt (fs/namespace.c): the mount most recently stacked on (mnt, dentry), referenced, or null. */
export function lookup_mnt(p: Path, holder: Holder): Vfsmount | null {
  if (p.dentry.d_mounted === 0) return null;
  const kids = p.mnt.mnt_mounts;
  for (let i = kids.length - 1; i >= 0; i--) {
    if (kids[i].mnt_mountpoint === p.dentry) return mntget(kids[i], holder);
  }
  return null;
}

/** check_mnt (fs/namespace.c): is the mount in the caller's mount namespace? */
export function check_mnt(k: Kernel, mnt: Vfsmount): boolean {
  return mnt.mnt_ns !== null && mnt.mnt_ns === k.current.nsproxy?.mnt_ns;
}

/** mnt_set_mountpoint (fs/namespace.c): the child pins its parent mount and its mountpoint dentry. */
function mnt_set_mountpoint(parent: Vfsmount, dentry: Dentry, child: Vfsmount): void {
  child.mnt_parent = mntget(parent, child);
  child.mnt_mountpoint = dget(dentry, child);
  dentry.d_mounted++;
}

/** attach_mnt (fs/namespace.c): hang the child on its parent, in the parent's namespace. */
function attach_mnt(child: Vfsmount, parent: Vfsmount, dentry: Dentry): void {
  mnt_set_mountpoint(parent, dentry, child);
  parent.mnt_mounts.push(child);
  child.mnt_ns = parent.mnt_ns;
  parent.mnt_ns?.list.add(child);
  noteMountMoved(child);
}

/**
 * A mount joined or left its namespace's list, which holds no reference: tell the tracer
 * (RefTracer, kernel/object.ts), as a refcount change would. An annotation for the checker,
 * like lockdep's, with no effect on the kernel (harness code, hence its camelCase name).
 */
function noteMountMoved(mnt: Vfsmount): void {
  mnt.k.tracer?.touch(mnt.kref, mnt, false);
}

/** clone_mnt (fs/namespace.c): a new mount of the same sb rooted at `root` (one reference: the tree's). */
export function clone_mnt(old: Vfsmount, root: Dentry): Vfsmount {
  const mnt = new Vfsmount(old.k, old.mnt_sb, root);
  ktransfer(mnt, 'alloc_vfsmnt', 'tree');
  dget(root, mnt);
  return mnt;
}

/**
 * do_loopback (fs/namespace.c): bind `old` onto `path`. Both must be in the caller's
 * namespace, except (nsfs, 3.19; may_copy_tree today) a namespace file, whose nsfs mount is in
 * none; graft_tree refuses a directory onto a non-directory and an unlinked mountpoint.
 */
export function do_loopback(k: Kernel, path: Path, old: Path): number {
  if (!check_mnt(k, path.mnt)) return -EINVAL;
  const nsfs = k.procfs.nsfs_dentry_operations;
  if (!check_mnt(k, old.mnt) && (nsfs === undefined || old.dentry.d_op !== nsfs)) return -EINVAL;
  if (mnt_ns_loop(k, old)) return -EINVAL;
  // graft_tree
  const target = path.dentry.d_inode;
  const src = old.dentry.d_inode;
  if (!target || !src) return -ENOENT;
  if (S_ISDIR(target.i_mode) !== S_ISDIR(src.i_mode)) return -ENOTDIR;
  if (!path.dentry.d_hashed && !path.dentry.isRoot) return -ENOENT; // d_unlinked
  const mnt = clone_mnt(old.mnt, old.dentry);
  attach_mnt(mnt, path.mnt, path.dentry);
  return 0;
}

/**
 * mnt_ns_loop (fs/namespace.c, 3.9): binding a mount namespace's file into a namespace that is
 * not older than it would let the namespace pin itself through its own mount tree. 3.8.0
 * lacked the check (flag `mnt-ns-loop`); 3.0 has no mnt entry to bind.
 */
function mnt_ns_loop(k: Kernel, p: Path): boolean {
  if (!atLeast(k, '3.8') || has(k.profile, 'mnt-ns-loop')) return false;
  const inode = p.dentry.d_inode;
  const ns = inode ? PROC_I(inode).ns : null;
  if (!(ns instanceof MntNamespace)) return false;
  const cur = k.current.nsproxy?.mnt_ns;
  return cur !== null && cur !== undefined && cur.seq >= ns.seq;
}

/** propagate_mount_busy / do_refcount_check (fs/pnode.c): child mounts, or more users than `refcnt`. */
function propagate_mount_busy(mnt: Vfsmount, refcnt: number): boolean {
  if (mnt.mnt_parent === mnt) return mnt.count > refcnt;
  return mnt.mnt_mounts.length > 0 || mnt.count > refcnt;
}

/**
 * do_umount (fs/namespace.c). Without MNT_DETACH a mount is busy when anything but the tree
 * and the caller's own lookup holds it (refcount 2); MNT_DETACH detaches it regardless and
 * lets the last user free it.
 */
export function do_umount(k: Kernel, mnt: Vfsmount, flags: number): number {
  if (flags & MNT_EXPIRE) {
    // only an unused mount expires, and only on the second call
    if (mnt === k.current.fs?.root.mnt || flags & (MNT_FORCE | MNT_DETACH)) return -EINVAL;
    if (mnt.count !== 2) return -EBUSY;
    if (!mnt.mnt_expiry_mark) {
      mnt.mnt_expiry_mark = true;
      return -EAGAIN;
    }
  }
  if (mnt.mnt_parent === mnt) return -EINVAL; // the namespace root: umount of "/" remounts read-only; not modelled
  if (!(flags & MNT_DETACH) && propagate_mount_busy(mnt, 2)) return -EBUSY;
  const kill: Vfsmount[] = [];
  umount_tree(mnt, kill);
  release_mounts(kill);
  return 0;
}

/** umount_tree (fs/namespace.c): take `mnt` and everything below it out of its namespace. */
function umount_tree(mnt: Vfsmount, kill: Vfsmount[]): void {
  const stack = [mnt];
  while (stack.length) {
    const p = stack.pop() as Vfsmount;
    kill.push(p);
    for (const c of p.mnt_mounts) stack.push(c);
  }
  for (const p of kill) {
    p.mnt_ns?.list.delete(p);
    p.mnt_ns = null;
    noteMountMoved(p);
    if (p.mnt_parent !== p) {
      const siblings = p.mnt_parent.mnt_mounts;
      const i = siblings.indexOf(p);
      if (i >= 0) siblings.splice(i, 1);
      p.mnt_mountpoint.d_mounted--;
    }
  }
}

/** release_mounts (fs/namespace.c): drop the pins on mountpoint and parent, then the tree's reference. */
function release_mounts(kill: Vfsmount[]): void {
  for (const mnt of kill) {
    if (mnt.mnt_parent !== mnt) {
      const dentry = mnt.mnt_mountpoint;
      const m = mnt.mnt_parent;
      mnt.mnt_mountpoint = mnt.mnt_root;
      mnt.mnt_parent = mnt;
      dput(dentry, mnt);
      mntput(m, mnt);
    }
    mntput(mnt, 'tree');
  }
}

/**
 * copy_tree (fs/namespace.c): clone a namespace's whole tree for CLONE_NEWNS. Returns the new
 * root and the old→new map that dup_mnt_ns uses to move the task's root and cwd.
 */
export function copy_tree(ns: MntNamespace, src: Vfsmount): Map<Vfsmount, Vfsmount> {
  const map = new Map<Vfsmount, Vfsmount>();
  const root = clone_mnt(src, src.mnt_root);
  root.mnt_ns = ns;
  ns.list.add(root);
  noteMountMoved(root);
  map.set(src, root);
  const walk = (from: Vfsmount): void => {
    for (const child of from.mnt_mounts) {
      const q = clone_mnt(child, child.mnt_root);
      attach_mnt(q, map.get(from) as Vfsmount, child.mnt_mountpoint);
      map.set(child, q);
      walk(child);
    }
  };
  walk(src);
  return map;
}

/** put_mnt_ns's teardown (fs/namespace.c): unmount the dying namespace's whole tree. */
export function umount_mnt_ns_tree(ns: MntNamespace): void {
  const root = ns.root;
  if (!root) return;
  ns.root = null;
  const kill: Vfsmount[] = [];
  umount_tree(root, kill);
  release_mounts(kill);
}
