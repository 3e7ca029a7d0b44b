// fs/inode.c: the inode cache. new_inode, iget_locked, iput and eviction, the unused-inode LRU.
import type { Kernel } from './kernel';
import { has } from './profile';
import { I_FREEING, I_NEW, Inode, SuperBlock } from './fs';
import { kfree, kget, kput, ktransfer, type Holder } from './object';

/** new_inode (fs/inode.c): an unhashed inode on this sb with one reference, for `holder`. */
export function new_inode(sb: SuperBlock): Inode {
  const inode = sb.s_op.alloc_inode(sb);
  return inode;
}

/** iget_locked (fs/inode.c): find the inode by number in the sb's hash, or allocate a new one marked I_NEW. */
export function iget_locked(sb: SuperBlock, ino: number, holder: Holder): Inode {
  const k = sb.k;
  const found = sb.s_inode_hash.get(ino);
  if (found && !(found.i_state & I_FREEING)) {
    // __iget: i_count++ only; an unused inode coming back into use stays on the LRU (lazy)
    kget(k, found, holder, 'iget_locked');
    return found;
  }
  const inode = sb.s_op.alloc_inode(sb);
  ktransfer(inode, 'new_inode', holder);
  inode.i_ino = ino;
  inode.i_state = I_NEW;
  inode.i_hashed = true;
  sb.s_inode_hash.set(ino, inode);
  return inode;
}

/** unlock_new_inode (fs/inode.c): the new inode is initialised; others may use it. */
export function unlock_new_inode(inode: Inode): void {
  inode.i_state &= ~I_NEW;
}

/** ilookup (fs/inode.c): the cached inode with this number, referenced, or null. */
export function ilookup(sb: SuperBlock, ino: number, holder: Holder): Inode | null {
  const found = sb.s_inode_hash.get(ino);
  if (!found || found.i_state & I_FREEING) return null;
  return kget(sb.k, found, holder, 'ilookup');
}

/** generic_drop_inode (fs/inode.c): drop an unused inode that is unlinked or unhashed. */
export function generic_drop_inode(inode: Inode): boolean {
  return inode.i_nlink === 0 || !inode.i_hashed;
}

/** generic_delete_inode (fs/inode.c): always drop, never keep an unused inode cached. */
export function generic_delete_inode(_inode: Inode): boolean {
  return true;
}

/** iput (fs/inode.c): put a reference; the last one goes to iput_final. */
export function iput(inode: Inode | null, holder: Holder): void {
  if (inode === null) return; // iput(NULL) is allowed in the kernel
  if (kput(inode.k, inode, holder, 'iput')) iput_final(inode);
}

/** iput_final (fs/inode.c): the sb's drop_inode decides between keeping it cached and evicting. */
function iput_final(inode: Inode): void {
  const sb = inode.i_sb;
  const drop = sb.s_op.drop_inode ? sb.s_op.drop_inode(inode) : generic_drop_inode(inode);
  if (!drop) {
    inode.k.inode_lru.add(inode); // inode_lru_list_add: only if not on it already
    return;
  }
  inode.i_state |= I_FREEING;
  inode.k.inode_lru.delete(inode);
  evict(inode);
}

/** evict (fs/inode.c): the sb's evict_inode, then off the hash, then destroyed. */
function evict(inode: Inode): void {
  const sb = inode.i_sb;
  if (sb.s_op.evict_inode) sb.s_op.evict_inode(inode);
  if (inode.i_hashed && sb.s_inode_hash.get(inode.i_ino) === inode) sb.s_inode_hash.delete(inode.i_ino);
  inode.i_hashed = false;
  kfree(inode.k, inode, 'destroy_inode');
}

/**
 * prune_icache (fs/inode.c): memory pressure evicts every unused cached inode; a used one is
 * only taken off the LRU.
 */
export function prune_icache(k: Kernel): number {
  let n = 0;
  for (const inode of [...k.inode_lru]) {
    k.inode_lru.delete(inode);
    if (inode.count !== 0) continue;
    inode.i_state |= I_FREEING;
    evict(inode);
    n++;
  }
  return n;
}

/** leaky-global: the counter kept once per process, so it survives from one world to the next. */
let leaked_last_ino = 2;

/**
 * get_next_ino (fs/inode.c): the next number for an inode with no number of its own (proc,
 * pipefs). The C counter is global to the kernel; here it is per emulated kernel (k.last_ino),
 * as every world is a kernel booted afresh.
 */
export function get_next_ino(k: Kernel): number {
  if (has(k.profile, 'leaky-global')) return leaked_last_ino++;
  return k.last_ino++;
}
