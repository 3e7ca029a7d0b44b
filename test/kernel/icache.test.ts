// fs/inode.c: iput_final with the sb's drop_inode. memfs uses generic_drop_inode (an unused,
// linked, hashed inode stays cached on the inode LRU); proc uses generic_delete_inode (never
// cached: evicted at the last iput). Expectations from docs/kernel-reading.md §fs/inode.c,
// §fs/proc/inode.c and SURPRISES 5.
import { expect } from 'chai';
import { EACCES } from '../../kernel/errno';
import { CLONE_NEWNET } from '../../kernel/flags';
import { Inode } from '../../kernel/fs';
import { NetNamespace } from '../../kernel/namespaces';
import { shrink_dcache_sb } from '../../kernel/dcache';
import { prune_icache } from '../../kernel/inode';
import { asUser, boot, fileAt, fork, inodeAt, mkfile, objs, ok, openFd, procSb, sys } from './util';

function memfsInode(k: ReturnType<typeof boot>, path: string): Inode {
  const fd = openFd(k, k.init, path);
  const inode = inodeAt(k.init, fd);
  expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
  return inode;
}

describe('memfs inodes: generic_drop_inode keeps unused inodes cached', () => {
  it('iput_final: after the dentry is pruned the inode stays alive with i_count 0 on the inode LRU', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const inode = memfsInode(k, '/tmp/f');
    shrink_dcache_sb(k.rootMnt.mnt_sb);
    expect(inode.freed).to.equal(false);
    expect(inode.count).to.equal(0);
    expect(k.inode_lru.has(inode)).to.equal(true);
  });

  it('iget_locked finds the cached inode again (same object); __iget leaves it on the LRU, prune_icache takes it off without evicting it', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const inode = memfsInode(k, '/tmp/f');
    shrink_dcache_sb(k.rootMnt.mnt_sb);
    const st = sys(k, k.init, 'stat', { path: '/tmp/f' });
    expect(st.obs?.stat?.ino).to.equal(inode.i_ino);
    const again = memfsInode(k, '/tmp/f');
    expect(again).to.equal(inode);
    expect(inode.count).to.equal(1); // the dentry's reference
    expect(k.inode_lru.has(inode)).to.equal(true); // 3.0 __iget: i_count++ only
    prune_icache(k); // a used inode is taken off the LRU, not evicted
    expect(inode.freed).to.equal(false);
    expect(k.inode_lru.has(inode)).to.equal(false);
  });

  it('drop_caches (prune_icache) evicts unused cached inodes; the next lookup reads a new inode with the same number', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const inode = memfsInode(k, '/tmp/f');
    expect(sys(k, k.init, 'drop_caches', { mode: 3 }).ret).to.equal(0);
    expect(inode.freed).to.equal(true);
    expect(k.inode_lru.has(inode)).to.equal(false);
    const fresh = memfsInode(k, '/tmp/f');
    expect(fresh).to.not.equal(inode);
    expect(fresh.i_ino).to.equal(inode.i_ino);
  });

  it('prune_icache never evicts an inode in use', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    const inode = inodeAt(k.init, fd);
    ok(k, k.init, 'drop_caches', { mode: 3 });
    expect(inode.freed).to.equal(false);
    expect(inode.count).to.equal(1);
  });

  it('generic_drop_inode: an unlinked file (i_nlink 0) is evicted at its last iput, never cached', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    const inode = inodeAt(k.init, fd);
    expect(sys(k, k.init, 'unlink', { path: '/tmp/f' }).ret).to.equal(0);
    expect(inode.freed).to.equal(false); // still open
    expect(inode.i_nlink).to.equal(0);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(inode.freed).to.equal(true);
    expect(k.inode_lru.has(inode)).to.equal(false);
  });

  it('d_delete of an unused file: unlink makes the dentry negative and evicts the inode at once', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const inode = memfsInode(k, '/tmp/f');
    expect(sys(k, k.init, 'unlink', { path: '/tmp/f' }).ret).to.equal(0);
    expect(inode.freed).to.equal(true);
  });
});

describe('proc inodes: generic_delete_inode, never on the inode LRU', () => {
  it('a proc ns inode dies with its dentry: drop_caches frees both, and the inode never visits the LRU', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const inode = inodeAt(k.init, fd);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(inode.freed).to.equal(false); // the cached dentry still holds it
    shrink_dcache_sb(procSb(k));
    expect(inode.freed).to.equal(true);
    expect(k.inode_lru.has(inode)).to.equal(false);
  });

  it('no proc inode is ever on the inode LRU, whatever the lifecycle', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    for (const p of [`/proc/${a.pid.nr}/ns/net`, `/proc/${a.pid.nr}/ns`, '/proc/self/ns/uts', `/proc/${a.pid.nr}/fd`]) {
      sys(k, k.init, 'stat', { path: p });
    }
    sys(k, a, 'exit', { code: 0 });
    sys(k, k.init, 'wait', { pid: a.pid.nr });
    shrink_dcache_sb(procSb(k));
    for (const i of k.inode_lru) expect(i.i_sb).to.not.equal(procSb(k));
    const procCount0 = objs<Inode>(k, 'inode').filter((i) => i.i_sb === procSb(k) && i.count === 0);
    expect(procCount0).to.deep.equal([]);
  });

  it('proc_evict_inode puts the namespace (3.0): freeing the ns inode drops the ns refcount by one', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const inode = inodeAt(k.init, fd);
    expect(net.holders.get(inode.id)).to.equal(1);
    expect(net.count).to.equal(2);
    sys(k, k.init, 'close', { fd });
    ok(k, k.init, 'drop_caches', { mode: 2 });
    expect(inode.freed).to.equal(true);
    expect(net.count).to.equal(1);
    expect(net.holders.has(inode.id)).to.equal(false);
  });

  it('3.8: the one ns inode is evicted (and its ns reference put) as soon as the last file closes', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const f1 = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const f2 = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const inode = fileAt(k.init, f1).f_path.dentry.d_inode as Inode;
    expect(net.count).to.equal(2);
    sys(k, k.init, 'close', { fd: f1 });
    expect(inode.freed).to.equal(false);
    sys(k, k.init, 'close', { fd: f2 });
    expect(inode.freed).to.equal(true);
    expect(net.count).to.equal(1);
    expect(procSb(k).s_inode_hash.has(net.inum)).to.equal(false);
  });
});

describe('drop_caches permissions', () => {
  it('/proc/sys/vm/drop_caches is 0644 root: another uid → EACCES', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'drop_caches', { mode: 3 }).ret).to.equal(-EACCES);
  });
});
