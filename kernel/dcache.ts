// fs/dcache.c: the dentry cache. d_alloc, d_add, d_lookup, dget/dput with the sb's LRU of unused
// dentries, d_drop, d_invalidate, and the shrinkers that model memory pressure.
import { Dentry, Inode, SuperBlock } from './fs';
import { iput } from './inode';
import { kfree, kget, kput, ktransfer, type Holder } from './object';
import { EBUSY } from './errno';
import { S_ISDIR } from './flags';

/** d_alloc (fs/dcache.c): a new unhashed negative child of `parent`, which it pins with dget. */
export function d_alloc(parent: Dentry, name: string, holder: Holder): Dentry {
  const d = new Dentry(parent.k, name, parent, parent.d_sb, holder);
  dget(parent, d);
  parent.children().d_subdirs.add(d);
  return d;
}

/** d_alloc_root (fs/dcache.c): the root dentry of a superblock, its own parent. */
export function d_alloc_root(root_inode: Inode, holder: Holder): Dentry {
  const d = new Dentry(root_inode.k, '/', null, root_inode.i_sb, holder);
  d_instantiate(d, root_inode);
  return d;
}

/** d_alloc_pseudo (fs/dcache.c, 3.8): a dentry of `sb` outside any tree, never hashed. */
export function d_alloc_pseudo(sb: SuperBlock, name: string, holder: Holder): Dentry {
  const d = new Dentry(sb.k, name, null, sb, holder);
  return d;
}

/**
 * d_instantiate (fs/dcache.c): the dentry takes over the caller's inode reference. By the
 * convention of this port that reference is held as 'new_inode' (new_inode, iget_locked).
 */
export function d_instantiate(dentry: Dentry, inode: Inode | null): void {
  dentry.d_inode = inode;
  if (inode) ktransfer(inode, 'new_inode', dentry);
}

/** d_rehash (fs/dcache.c): make the dentry findable by d_lookup. */
export function d_rehash(dentry: Dentry): void {
  if (dentry.isRoot) return;
  dentry.d_hashed = true;
  dentry.d_parent.children().d_hash.set(dentry.d_name, dentry);
}

/** d_add (fs/dcache.c): instantiate, then hash. */
export function d_add(dentry: Dentry, inode: Inode | null): void {
  d_instantiate(dentry, inode);
  d_rehash(dentry);
}

/** d_lookup (fs/dcache.c): the hashed child by name, referenced, or null. Does not revalidate. */
export function d_lookup(parent: Dentry, name: string, holder: Holder): Dentry | null {
  const d = parent.d_hash.get(name);
  if (!d) return null;
  return dget(d, holder);
}

/** d_hash_and_lookup (fs/dcache.c): d_lookup for callers that build the name themselves. */
export const d_hash_and_lookup = d_lookup;

/**
 * dget (include/linux/dcache.h, 3.0: dget_dlock): d_count++ and nothing else. A cached dentry
 * that comes back into use stays on the LRU; the shrinkers take used ones off it as they meet
 * them (the LRU is lazy since 2.6.38).
 */
export function dget(d: Dentry, holder: Holder): Dentry {
  kget(d.k, d, holder, 'dget');
  return d;
}

/** __d_drop / d_drop (fs/dcache.c): unhash, so lookups no longer find it. */
export function d_drop(d: Dentry): void {
  if (!d.d_hashed) return;
  d.d_hashed = false;
  if (d.d_parent.d_hash.get(d.d_name) === d) d.d_parent.d_hash.delete(d.d_name);
}

/**
 * dput (fs/dcache.c): drop a reference. On the last one, d_op->d_delete or an unhashed
 * dentry kills it (and the kill drops its reference on the parent); otherwise it stays cached
 * on the LRU, unused.
 */
export function dput(dentry: Dentry | null, holder: Holder): void {
  let d = dentry;
  let h = holder;
  while (d) {
    if (d.count > 1 || d.freed) {
      kput(d.k, d, h, 'dput');
      return;
    }
    let kill = false;
    if (d.d_op?.d_delete && d.d_op.d_delete(d)) kill = true;
    else if (!d.d_hashed) kill = true;
    if (!kill) {
      kput(d.k, d, h, 'dput');
      d.d_sb.s_dentry_lru.add(d); // dentry_lru_add: only if not on it already (its place is kept)
      return;
    }
    kput(d.k, d, h, 'dput');
    const parent = dentry_kill(d);
    h = d;
    d = parent;
  }
}

/**
 * dentry_kill / d_kill (fs/dcache.c): an unused dentry is unhashed, taken off the LRU and its
 * parent's list, its inode is put (dentry_iput), it is freed. Returns the parent, whose
 * reference the caller must now drop, or null for a root.
 */
function dentry_kill(d: Dentry): Dentry | null {
  d_drop(d);
  d.d_sb.s_dentry_lru.delete(d);
  const parent = d.isRoot ? null : d.d_parent;
  if (parent) parent.d_subdirs.delete(d);
  dentry_iput(d);
  kfree(d.k, d, 'd_free');
  return parent;
}

/** dentry_iput (fs/dcache.c): the dentry lets go of its inode. */
function dentry_iput(d: Dentry): void {
  const inode = d.d_inode;
  if (!inode) return;
  d.d_inode = null;
  iput(inode, d);
}

/** d_delete (fs/dcache.c): after unlink. The only user turns negative; otherwise unhash. */
export function d_delete(d: Dentry): void {
  if (d.count === 1) {
    dentry_iput(d);
    return;
  }
  d_drop(d);
}

/**
 * d_invalidate (fs/dcache.c): drop a dentry that revalidation found stale, unless it is a busy
 * directory or a mountpoint, which stay (-EBUSY).
 */
export function d_invalidate(d: Dentry): number {
  if (!d.d_hashed) return 0;
  if (d.d_subdirs.size) shrink_dcache_parent(d);
  if (d.count > 1 && d.d_inode) {
    if (S_ISDIR(d.d_inode.i_mode) || d.d_mounted > 0) return -EBUSY;
  }
  d_drop(d);
  return 0;
}

/**
 * try_prune_one_dentry (fs/dcache.c): kill an unused dentry, then each ancestor that this
 * leaves unused (without a d_delete or LRU stop, as the kernel does).
 */
function try_prune_one_dentry(d: Dentry): void {
  let h: Holder = d;
  let parent = dentry_kill(d);
  while (parent) {
    if (parent.count > 1) {
      kput(parent.k, parent, h, 'try_prune_one_dentry');
      return;
    }
    kput(parent.k, parent, h, 'try_prune_one_dentry');
    h = parent;
    parent = dentry_kill(parent);
  }
}

/**
 * select_parent (fs/dcache.c): the unused dentries below `parent`, depth first, each moved to
 * the LRU's tail; a used one met on the way is taken off the LRU.
 */
function select_parent(parent: Dentry, out: Dentry[]): void {
  const lru = parent.d_sb.s_dentry_lru;
  for (const child of parent.d_subdirs) {
    if (child.count === 0) {
      lru.delete(child); // dentry_lru_move_tail
      lru.add(child);
      out.push(child);
    } else {
      lru.delete(child);
    }
    if (child.d_subdirs.size) select_parent(child, out);
  }
}

/** shrink_dcache_parent (fs/dcache.c): prune every unused dentry below `parent`. */
export function shrink_dcache_parent(parent: Dentry): number {
  let pruned = 0;
  for (;;) {
    const found: Dentry[] = [];
    select_parent(parent, found);
    let n = 0;
    // Deepest first: a child's kill may leave its parent unused, which the ancestor walk takes.
    for (const d of found.reverse()) {
      if (d.freed || d.count !== 0) continue;
      try_prune_one_dentry(d);
      n++;
    }
    if (n === 0) return pruned;
    pruned += n;
  }
}

/**
 * shrink_dcache_sb (fs/dcache.c): take the whole LRU and prune every unused dentry on it
 * (shrink_dentry_list); a used one is only taken off the LRU. Again until the LRU is empty.
 */
export function shrink_dcache_sb(sb: SuperBlock): number {
  let pruned = 0;
  const lru = sb.s_dentry_lru;
  while (lru.size) {
    for (const d of [...lru]) {
      if (!lru.has(d)) continue; // an ancestor pruned with an earlier one
      lru.delete(d);
      if (d.count !== 0) continue;
      try_prune_one_dentry(d);
      pruned++;
    }
  }
  return pruned;
}

/** d_mountpoint (include/linux/dcache.h). */
export function d_mountpoint(d: Dentry): boolean {
  return d.d_mounted > 0;
}
