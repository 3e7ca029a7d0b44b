// fs/proc/inode.c: proc's inodes. proc_alloc_inode, proc_evict_inode (which puts the
// namespace a ns inode holds), and proc's super_operations.
import { Inode, SuperBlock, SuperOperations } from '../kernel/fs';
import { generic_delete_inode } from '../kernel/inode';
import { PROC_I, ProcInode } from '../kernel/proc_fs';
import { put_pid } from '../kernel/task';
import { atLeast, has } from '../kernel/profile';

/** proc_alloc_inode (fs/proc/inode.c): pid, fd, proc_get_link, ns and ns_ops start out NULL. */
export function proc_alloc_inode(sb: SuperBlock): Inode {
  const ei = new ProcInode(sb.k, sb);
  ei.pid = null;
  ei.fd = 0;
  ei.proc_get_link = null;
  ei.ns = null;
  ei.ns_ops = null;
  return ei;
}

/**
 * proc_evict_inode (fs/proc/inode.c): stop tracking the pid, then release any namespace.
 * 3.0 (and the seed) test only ns_ops before the put; from 3.8 it tests ns too, since the
 * symlink inodes carry ns_ops with no namespace.
 */
export function proc_evict_inode(inode: Inode): void {
  const k = inode.k;
  const ei = PROC_I(inode);
  // truncate_inode_pages, end_writeback: no page cache here
  put_pid(ei.pid, inode);
  ei.pid = null;
  // Release any associated namespace
  const ns_ops = ei.ns_ops;
  if (has(k.profile, 'missing-put')) return;
  if (!atLeast(k, '3.8')) {
    if (ns_ops && ns_ops.put) ns_ops.put(k, ei.ns, inode);
  } else if (ns_ops && ei.ns) {
    ns_ops.put(k, ei.ns, inode);
  }
}

/** proc_sops (fs/proc/inode.c): drop_inode = generic_delete_inode, so an unused proc inode is evicted at once. */
export const proc_sops: SuperOperations = Object.freeze({
  alloc_inode: proc_alloc_inode,
  drop_inode: generic_delete_inode,
  evict_inode: proc_evict_inode,
});


export { ProcInode };
