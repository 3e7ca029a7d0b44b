// fs/namei.c: the path walk. Components one by one, exec permission on each directory,
// cached dentries revalidated (a stale one is invalidated and looked up afresh), mounts
// followed, symlinks and proc's magic links followed, ELOOP after 40 links or 8 nested.
import type { Holder } from './object';
import type { Kernel } from './kernel';
import { Dentry, DentryOperations, Inode, KGen, LOOKUP_DIRECTORY, LOOKUP_FOLLOW, mutex_lock, mutex_trylock, mutex_unlock, Nameidata, Path, Vfsmount } from './fs';
import { d_alloc, d_invalidate, d_lookup, dget, dput } from './dcache';
import { lookup_mnt, mntget, mntput, path_get, path_put } from './mount';
import { capable } from './cred';
import { EACCES, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, EPERM } from './errno';
import { MAY_EXEC, MAY_READ, MAY_WRITE, S_IMMUTABLE, S_ISDIR } from './flags';
import { atLeast } from './profile';

export const PATH_MAX = 4096;
const MAX_NESTED_LINKS = 8;
const MAX_TOTAL_LINKS = 40;
const SLASH = 0x2f;

/** acl_permission_check (fs/namei.c): owner bits for the owner, else "other" (no shared groups here). */
function acl_permission_check(k: Kernel, inode: Inode, mask: number): number {
  let mode = inode.i_mode;
  if (k.current.cred.fsuid === inode.i_uid) mode >>= 6;
  if ((mask & ~mode & (MAY_READ | MAY_WRITE | MAY_EXEC)) === 0) return 0;
  return -EACCES;
}

/**
 * generic_permission (fs/namei.c): the mode bits, then CAP_DAC_OVERRIDE (exec only where some
 * x bit is set, or a directory), then CAP_DAC_READ_SEARCH for reads and directory search.
 */
export function generic_permission(k: Kernel, inode: Inode, mask: number): number {
  const ret = acl_permission_check(k, inode, mask);
  if (ret !== -EACCES) return ret;
  if (!(mask & MAY_EXEC) || S_ISDIR(inode.i_mode) || inode.i_mode & 0o111) {
    if (capable(k, 'CAP_DAC_OVERRIDE')) return 0;
  }
  const m = mask & ~MAY_WRITE;
  if (m === MAY_READ || (S_ISDIR(inode.i_mode) && !(mask & MAY_WRITE))) {
    if (capable(k, 'CAP_DAC_READ_SEARCH')) return 0;
  }
  return -EACCES;
}

/**
 * inode_permission (fs/namei.c): nobody gets write access to an immutable file, before any mode
 * bits are read (EACCES until "fs: return EPERM on immutable inode", 337684a1746f in 4.8; EPERM since); then the
 * inode's own ->permission, or generic_permission.
 */
export function inode_permission(k: Kernel, inode: Inode, mask: number): number {
  if (mask & MAY_WRITE && inode.i_flags & S_IMMUTABLE) return atLeast(k, '4.8') ? -EPERM : -EACCES;
  if (inode.i_op.permission) return inode.i_op.permission(inode, mask);
  return generic_permission(k, inode, mask);
}

/** exec_permission (fs/namei.c): may the walk search this directory? */
function exec_permission(k: Kernel, inode: Inode): number {
  return inode_permission(k, inode, MAY_EXEC);
}

/**
 * follow_managed (fs/namei.c, 3.0), its mount part: step onto whatever is mounted on the path
 * do_lookup found, repeatedly. The path's mount is nd's own, held by the walk and left alone
 * (the found path holds only its dentry); a mount crossed onto is referenced (lookup_mnt), and
 * put again if the walk crosses past it.
 */
function follow_managed(path: Path, holder: Holder): Path {
  const mnt = path.mnt;
  let p = path;
  let need_mntput = false;
  for (;;) {
    const mounted = lookup_mnt(p, holder);
    if (!mounted) break;
    dput(p.dentry, holder);
    if (need_mntput) mntput(p.mnt, holder);
    p = { mnt: mounted, dentry: dget(mounted.mnt_root, holder) };
    need_mntput = true;
  }
  if (need_mntput && p.mnt === mnt) mntput(p.mnt, holder);
  return p;
}

/**
 * path_put_conditional (fs/namei.c): drop a path do_lookup found: its dentry, and its mount
 * only when it is not nd's (a mount crossed onto).
 */
function path_put_conditional(path: Path, nd: Nameidata): void {
  dput(path.dentry, nd.holder);
  if (path.mnt !== nd.path.mnt) mntput(path.mnt, nd.holder);
}

/**
 * path_to_nameidata (fs/namei.c): the walk moves on to a path do_lookup found. nd's dentry is
 * put, and its mount only when the found path is on another (whose reference nd takes over).
 */
function path_to_nameidata(path: Path, nd: Nameidata): void {
  dput(nd.path.dentry, nd.holder);
  if (nd.path.mnt !== path.mnt) mntput(nd.path.mnt, nd.holder);
  nd.path = path;
}

/** follow_mount (fs/namei.c): step a fully referenced path onto whatever is mounted here, repeatedly. */
function follow_mount(path: Path, holder: Holder): Path {
  let p = path;
  for (;;) {
    const mounted = lookup_mnt(p, holder);
    if (!mounted) return p;
    dput(p.dentry, holder);
    mntput(p.mnt, holder);
    p = { mnt: mounted, dentry: dget(mounted.mnt_root, holder) };
  }
}

/** follow_dotdot (fs/namei.c): up one directory, crossing mount roots, never above the task's root. */
function follow_dotdot(k: Kernel, nd: Nameidata): void {
  const root = k.current.fs?.root;
  for (;;) {
    const { mnt, dentry } = nd.path;
    if (root && dentry === root.dentry && mnt === root.mnt) break;
    if (dentry !== mnt.mnt_root) {
      nd.path = { mnt, dentry: dget(dentry.d_parent, nd.holder) };
      dput(dentry, nd.holder);
      break;
    }
    // follow_up
    const parent = mnt.mnt_parent;
    if (parent === mnt) break;
    nd.path = { mnt: mntget(parent, nd.holder), dentry: dget(mnt.mnt_mountpoint, nd.holder) };
    dput(dentry, nd.holder);
    mntput(mnt, nd.holder);
  }
  nd.path = follow_mount(nd.path, nd.holder);
}

/**
 * do_revalidate (fs/namei.c, 3.0): ask the dentry's ->d_revalidate. Valid: the dentry. Stale:
 * invalidated and dropped, null (look the name up afresh). An error: dropped, -errno.
 */
function do_revalidate(dentry: Dentry, nd: Nameidata): Dentry | null | number {
  const status = (dentry.d_op?.d_revalidate as NonNullable<DentryOperations['d_revalidate']>)(dentry, nd);
  if (status > 0) return dentry;
  if (status < 0) {
    dput(dentry, nd.holder);
    return status;
  }
  // d_invalidate fails (EBUSY) only for a busy directory still hashed: then it is used as it is
  if (d_invalidate(dentry) !== 0) return dentry;
  dput(dentry, nd.holder);
  return null;
}

/**
 * The cached half of do_lookup (fs/namei.c, 3.0; split out as lookup_fast in 3.11): the cached
 * dentry, revalidated (a stale one is dropped and the name looked up in the cache again), then
 * the mounts on it. null: not cached, the caller goes on with lookup_slow. This half never
 * sleeps, so the walk takes it without a generator. The path found holds its dentry, and its
 * mount only if that is not nd's (follow_managed).
 */
function lookup_fast(nd: Nameidata, name: string): Path | number | null {
  const parent = nd.path.dentry;
  for (;;) {
    let dentry: Dentry | null = d_lookup(parent, name, nd.holder);
    if (!dentry) return null;
    if (dentry.d_op?.d_revalidate) {
      const v = do_revalidate(dentry, nd);
      if (typeof v === 'number') return v;
      if (v === null) continue;
      dentry = v;
    }
    return follow_managed({ mnt: nd.path.mnt, dentry }, nd.holder);
  }
}

/**
 * The uncached half of do_lookup (fs/namei.c, 3.0; lookup_slow in 3.11): under the directory's
 * i_mutex, look again, then d_alloc_and_lookup through the directory's ->lookup. A dentry that
 * another task instantiated meanwhile is revalidated as a cached one (3.0: goto found).
 * Returns the path found with mounts followed (held as lookup_fast's is), or -errno.
 */
function* lookup_slow(k: Kernel, nd: Nameidata, name: string): KGen<Path | number> {
  const parent = nd.path.dentry;
  const dir = parent.d_inode as Inode;
  if (!dir.i_op.lookup) return -ENOTDIR;
  if (!mutex_trylock(k, dir.i_mutex)) yield* mutex_lock(k, dir.i_mutex);
  let dentry: Dentry | null;
  let found = false;
  try {
    dentry = d_lookup(parent, name, nd.holder);
    if (dentry) {
      found = true;
    } else {
      const fresh = d_alloc(parent, name, nd.holder);
      const old = yield* dir.i_op.lookup(dir, fresh);
      if (typeof old === 'number') {
        dput(fresh, nd.holder);
        return old;
      }
      if (old) dput(fresh, nd.holder);
      dentry = old ?? fresh;
    }
  } finally {
    mutex_unlock(dir.i_mutex);
  }
  if (found && dentry.d_op?.d_revalidate) {
    const v = do_revalidate(dentry, nd);
    if (typeof v === 'number') return v;
    if (v === null) return lookup_fast(nd, name) ?? (yield* lookup_slow(k, nd, name)); // stale: retry
    dentry = v;
  }
  return follow_managed({ mnt: nd.path.mnt, dentry }, nd.holder);
}

interface LinkCount {
  total: number;
  nested: number;
}

/**
 * follow_link (fs/namei.c): count the link (ELOOP after 40, or 8 nested), then ask the inode.
 * Returns the text of a text link for __vfs_follow_link to walk, 0 for a magic link (proc),
 * which has already moved nd.path, or -errno. Never sleeps.
 */
function follow_link(link: Path, nd: Nameidata, lc: LinkCount): string | number {
  // the link as do_lookup found it holds nd's mount through nd: it takes its own reference
  if (link.mnt === nd.path.mnt) mntget(link.mnt, nd.holder);
  if (lc.total >= MAX_TOTAL_LINKS || lc.nested >= MAX_NESTED_LINKS) {
    path_put(link, nd.holder);
    return -ELOOP;
  }
  lc.total++;
  const inode = link.dentry.d_inode as Inode;
  const target = (inode.i_op.follow_link as NonNullable<typeof inode.i_op.follow_link>)(link.dentry, nd);
  path_put(link, nd.holder);
  if (typeof target === 'number') {
    if (target < 0) return target;
    // LAST_BIND: the callee jumped nd.path; a link that lands on another link is ELOOP
    if (nd.path.dentry.d_inode?.i_op.follow_link) return -ELOOP;
    return 0;
  }
  return target;
}

/** __vfs_follow_link (fs/namei.c): walk a text link's target from the link's directory, or from the root. */
function* __vfs_follow_link(k: Kernel, target: string, nd: Nameidata, lc: LinkCount): KGen<number> {
  if (target.startsWith('/')) {
    const root = k.current.fs?.root as Path;
    path_put(nd.path, nd.holder);
    nd.path = path_get(root, nd.holder);
  }
  lc.nested++;
  const saved = nd.flags;
  nd.flags |= LOOKUP_FOLLOW;
  const err = yield* link_path_walk(k, target, nd, lc);
  nd.flags = saved;
  lc.nested--;
  return err;
}

/**
 * link_path_walk (fs/namei.c): walk every component of `name` from nd.path. On success nd.path
 * is the result; on error nd.path is still held and the caller releases it.
 */
function* link_path_walk(k: Kernel, name: string, nd: Nameidata, lc: LinkCount): KGen<number> {
  const n = name.length;
  let at = 0;
  while (at < n && name.charCodeAt(at) === SLASH) at++;
  while (at < n) {
    // the component, then past its slashes: the last component, maybe with trailing slashes
    let end = at;
    while (end < n && name.charCodeAt(end) !== SLASH) end++;
    const comp = name.slice(at, end);
    at = end;
    while (at < n && name.charCodeAt(at) === SLASH) at++;
    const last = at === n;
    const trailingSlash = last && end < n;
    const dir = nd.path.dentry.d_inode as Inode;
    if (!dir.i_op.lookup) return -ENOTDIR;
    const perm = exec_permission(k, dir);
    if (perm) return perm;
    if (comp === '.') continue;
    if (comp === '..') {
      follow_dotdot(k, nd);
      continue;
    }
    if (k.need_resched) yield; // preemption point between components (cond_resched in the ref walk)
    // do_lookup: the dentry cache first, the directory's ->lookup (which may sleep) on a miss
    const r = lookup_fast(nd, comp) ?? (yield* lookup_slow(k, nd, comp));
    if (typeof r === 'number') return r;
    const inode = r.dentry.d_inode;
    if (!inode) {
      path_put_conditional(r, nd);
      return -ENOENT;
    }
    const follow = !last || trailingSlash || (nd.flags & LOOKUP_FOLLOW) !== 0;
    if (inode.i_op.follow_link && follow) {
      const link = follow_link(r, nd, lc);
      const err = typeof link === 'number' ? link : yield* __vfs_follow_link(k, link, nd, lc);
      if (err) return err;
    } else {
      path_to_nameidata(r, nd);
    }
    if ((!last || trailingSlash) && !nd.path.dentry.d_inode?.i_op.lookup) return -ENOTDIR;
  }
  return 0;
}

/**
 * path_lookupat (fs/namei.c): resolve `name` from the root or from `base` (cwd or a dirfd's
 * path). Returns a path referenced as `holder`, or -errno with nothing held.
 */
export function* kern_path(k: Kernel, name: string, flags: number, holder: Holder, base?: Path): KGen<Path | number> {
  if (name === '') return -ENOENT;
  if (name.length >= PATH_MAX) return -ENAMETOOLONG;
  const fs = k.current.fs;
  if (!fs) return -ENOENT;
  const start = name.startsWith('/') ? fs.root : (base ?? fs.pwd);
  const nd: Nameidata = { path: path_get(start, holder), flags, holder };
  const err = yield* link_path_walk(k, name, nd, { total: 0, nested: 0 });
  const last = nd.path.dentry.d_inode;
  // a trailing symlink that was not followed goes back as it is (do_last: open's may_open says ELOOP)
  if (!err && flags & LOOKUP_DIRECTORY && !last?.i_op.lookup && !last?.i_op.follow_link) {
    path_put(nd.path, holder);
    return -ENOTDIR;
  }
  if (err) {
    path_put(nd.path, holder);
    return err;
  }
  return nd.path;
}

/**
 * The parent-and-last-component walk used by mknod, mkdir, unlink, rmdir (path_lookupat with
 * LOOKUP_PARENT): the directory, referenced, and the final name.
 */
export function* kern_path_parent(k: Kernel, name: string, holder: Holder): KGen<{ parent: Path; last: string } | number> {
  const trimmed = name.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  const dirname = cut < 0 ? '.' : cut === 0 ? '/' : trimmed.slice(0, cut);
  const last = cut < 0 ? trimmed : trimmed.slice(cut + 1);
  if (name === '') return -ENOENT;
  const parent = yield* kern_path(k, dirname, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, holder);
  if (typeof parent === 'number') return parent;
  return { parent, last };
}

/**
 * lookup_hash (fs/namei.c): the child dentry of a walked parent, cached or looked up, positive
 * or negative, referenced as `holder` (mounts not followed: callers want the dentry itself).
 */
export function* lookup_one(k: Kernel, parent: Path, name: string, holder: Holder): KGen<Dentry | number> {
  const dir = parent.dentry.d_inode as Inode;
  const perm = exec_permission(k, dir);
  if (perm) return perm;
  let d = d_lookup(parent.dentry, name, holder);
  if (d && d.d_op?.d_revalidate && d.d_op.d_revalidate(d, null) === 0 && d_invalidate(d) === 0) {
    dput(d, holder);
    d = null;
  }
  if (d) return d;
  if (!dir.i_op.lookup) return -ENOTDIR;
  if (!mutex_trylock(k, dir.i_mutex)) yield* mutex_lock(k, dir.i_mutex);
  try {
    const again = d_lookup(parent.dentry, name, holder);
    if (again) return again;
    const fresh = d_alloc(parent.dentry, name, holder);
    const old = yield* dir.i_op.lookup(dir, fresh);
    if (typeof old === 'number') {
      dput(fresh, holder);
      return old;
    }
    if (old) {
      dput(fresh, holder);
      return old;
    }
    return fresh;
  } finally {
    mutex_unlock(dir.i_mutex);
  }
}

/**
 * d_path (fs/dcache.c): the name of a path as seen from the task's root, crossing mounts;
 * an unhashed dentry gets " (deleted)"; a dentry with ->d_dname names itself.
 */
export function d_path(k: Kernel, p: Path): string {
  // a pseudo file names itself ("pipe:[12]"): it has no place in any tree
  if (p.dentry.d_op?.d_dname) return p.dentry.d_op.d_dname(p.dentry);
  const root = k.current.fs?.root;
  const parts: string[] = [];
  let { mnt, dentry } = p;
  const deleted = !dentry.d_hashed && !dentry.isRoot;
  for (let guard = 0; guard < 4096; guard++) {
    if (root && dentry === root.dentry && mnt === root.mnt) break;
    if (dentry === mnt.mnt_root || dentry.isRoot) {
      const parent: Vfsmount = mnt.mnt_parent;
      if (parent === mnt) break;
      dentry = mnt.mnt_mountpoint;
      mnt = parent;
      continue;
    }
    parts.unshift(dentry.d_name);
    dentry = dentry.d_parent;
  }
  return '/' + parts.join('/') + (deleted ? ' (deleted)' : '');
}
