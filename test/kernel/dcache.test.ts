// fs/dcache.c with proc's d_ops: d_count, the LRU of unused dentries, pid_delete_dentry,
// pid_revalidate + d_invalidate + a fresh lookup, proc_flush_task, and the shrinkers.
// Expectations from docs/kernel-reading.md §fs/dcache.c, §fs/proc/base.c, SURPRISES 5, 11, 13.
import { expect } from 'chai';
import { ENOENT } from '../../kernel/errno';
import { CLONE_NEWNET, O_DIRECTORY } from '../../kernel/flags';
import { Dentry } from '../../kernel/fs';
import { NetNamespace } from '../../kernel/namespaces';
import { shrink_dcache_sb } from '../../kernel/dcache';
import {
  boot, dentries, exitAndReap, exitTask, fileAt, fork, ok, openFd, procSb, reap, sys, THREAD,
} from './util';

function nsDentry(k: ReturnType<typeof boot>, pid: number, name: string): Dentry | undefined {
  return dentries(k, name, 'ns').find((d) => d.d_parent.d_parent.d_name === String(pid));
}

describe('dput and the LRU', () => {
  it('dput: a proc ns dentry of a live task stays cached, unused (d_count 0), on the proc sb LRU', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(0);
    const d = nsDentry(k, a.pid.nr, 'net') as Dentry;
    expect(d).to.not.equal(undefined);
    expect(d.count).to.equal(0);
    expect(d.d_hashed).to.equal(true);
    expect(procSb(k).s_dentry_lru.has(d)).to.equal(true);
  });

  it('d_alloc: a cached child pins its parent (the ns dir has d_count 1 and is not on the LRU)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    const net = nsDentry(k, a.pid.nr, 'net') as Dentry;
    const dir = net.d_parent;
    expect(dir.d_name).to.equal('ns');
    expect(dir.count).to.equal(1);
    expect(dir.holders.get(net.id)).to.equal(1);
    expect(procSb(k).s_dentry_lru.has(dir)).to.equal(false);
  });

  it('dget (3.0: d_count++ only): a cached dentry back in use stays on the LRU; the shrinker takes it off without freeing it', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    const d = nsDentry(k, a.pid.nr, 'net') as Dentry;
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(fileAt(k.init, fd).f_path.dentry).to.equal(d); // the same cached dentry
    expect(d.count).to.equal(1);
    expect(procSb(k).s_dentry_lru.has(d)).to.equal(true); // include/linux/dcache.h dget_dlock
    shrink_dcache_sb(procSb(k)); // shrink_dentry_list: d_count → dentry_lru_del, skip
    expect(d.freed).to.equal(false);
    expect(procSb(k).s_dentry_lru.has(d)).to.equal(false);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(d.count).to.equal(0);
    expect(procSb(k).s_dentry_lru.has(d)).to.equal(true); // dput: dentry_lru_add
  });

  it('memfs negative dentries are cached too: a failed lookup leaves an unused negative dentry on the LRU', () => {
    const k = boot();
    expect(sys(k, k.init, 'stat', { path: '/tmp/nope' }).ret).to.equal(-ENOENT);
    const d = dentries(k, 'nope', 'tmp')[0];
    expect(d.d_inode).to.equal(null);
    expect(d.count).to.equal(0);
    expect(d.d_sb.s_dentry_lru.has(d)).to.equal(true);
  });
});

describe('pid_delete_dentry and proc_flush_task', () => {
  it('proc_flush_task runs at reap, not at exit: a zombie\'s cached dentries are still there', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    exitTask(k, a);
    expect(nsDentry(k, a.pid.nr, 'net')).to.not.equal(undefined);
    reap(k, k.init, a);
    expect(nsDentry(k, a.pid.nr, 'net')).to.equal(undefined);
    expect(dentries(k, String(a.pid.nr))).to.have.length(0);
  });

  it('proc_flush_task shrinks only /proc/<pid>: another task\'s cached ns dentry survives', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    sys(k, k.init, 'stat', { path: `/proc/${b.pid.nr}/ns/net` });
    exitAndReap(k, a);
    expect(nsDentry(k, b.pid.nr, 'net')).to.not.equal(undefined);
  });

  it('proc_flush_task: in-use children survive the reap unhashed-from-above; the last dput then kills them (pid_delete_dentry)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const d = fileAt(k.init, fd).f_path.dentry;
    const pidDir = d.d_parent.d_parent;
    exitAndReap(k, a);
    expect(d.freed).to.equal(false);
    expect(pidDir.d_hashed).to.equal(false); // d_drop(/proc/<pid>)
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}` }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(d.freed).to.equal(true);
    expect(d.d_sb.s_dentry_lru.has(d)).to.equal(false);
    expect(pidDir.freed).to.equal(true);
    expect(net.freed).to.equal(true);
  });

  it('a thread\'s /proc/<tgid>/task/<tid> dentries are flushed when the thread is released', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const p = `/proc/${a.pid.nr}/task/${t.pid.nr}/ns/net`;
    expect(sys(k, k.init, 'stat', { path: p }).ret).to.equal(0);
    expect(dentries(k, String(t.pid.nr), 'task')).to.have.length(1);
    exitTask(k, t); // a non-leader thread: release_task at once
    expect(dentries(k, String(t.pid.nr), 'task')).to.have.length(0);
  });

  it('pid_revalidate fails after the reap → d_drop, then a fresh ->lookup gives ENOENT through a held /proc/<pid> dirfd', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const dirfd = openFd(k, k.init, `/proc/${a.pid.nr}`, O_DIRECTORY);
    const nsfd = openFd(k, k.init, `/proc/${a.pid.nr}/ns`, O_DIRECTORY); // keeps the hashed "ns" child in use
    const nsd = fileAt(k.init, nsfd).f_path.dentry;
    exitAndReap(k, a);
    expect(nsd.d_hashed).to.equal(true); // proc_flush_task d_drops only /proc/<pid> itself
    expect(sys(k, k.init, 'stat', { path: 'ns', dirfd }).ret).to.equal(-ENOENT);
    expect(nsd.d_hashed).to.equal(false); // pid_revalidate: d_drop
    expect(sys(k, k.init, 'stat', { path: 'ns/net', dirfd }).ret).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
  });
});

describe('shrinkers (memory pressure)', () => {
  it('drop_caches: every unused dentry is pruned; a cached ns dentry releases its namespace reference', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    expect(net.count).to.equal(2);
    expect(sys(k, k.init, 'drop_caches', { mode: 2 }).ret).to.equal(0);
    expect(nsDentry(k, a.pid.nr, 'net')).to.equal(undefined);
    expect(net.count).to.equal(1);
    expect(procSb(k).s_dentry_lru.size).to.equal(0);
  });

  it('shrink_dcache_sb never prunes a dentry in use', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const d = fileAt(k.init, fd).f_path.dentry;
    shrink_dcache_sb(procSb(k));
    expect(d.freed).to.equal(false);
    expect(d.count).to.equal(1);
    // and its ancestors, pinned through d_parent references, stay too
    expect(d.d_parent.freed).to.equal(false);
    expect(d.d_parent.d_parent.freed).to.equal(false);
  });

  it('after pruning, the next walk instantiates a new dentry and inode (a different object)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    const before = nsDentry(k, a.pid.nr, 'net') as Dentry;
    ok(k, k.init, 'drop_caches', { mode: 2 });
    expect(before.freed).to.equal(true);
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    const after = nsDentry(k, a.pid.nr, 'net') as Dentry;
    expect(after).to.not.equal(before);
    expect(after.d_inode).to.not.equal(null);
  });
});

describe('proc /proc/self', () => {
  it('proc_base_instantiate: the "self" dentry has no d_op and stays cached across tasks', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(sys(k, a, 'readlink', { path: '/proc/self' }).obs?.text).to.equal(String(a.pid.nr));
    const self = dentries(k, 'self', '/');
    expect(self).to.have.length(1);
    expect(self[0].d_op).to.equal(null);
    expect(sys(k, k.init, 'readlink', { path: '/proc/self' }).obs?.text).to.equal('1');
    expect(dentries(k, 'self', '/')[0]).to.equal(self[0]);
    exitAndReap(k, a);
    expect(self[0].freed).to.equal(false);
  });
});
