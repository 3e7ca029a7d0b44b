// Refcounts and oopses: kget/kput/kfree misuse is an oops (as the kernel prints one), and
// the refcount-conservation property P2 (DESIGN.md) over real lifecycles.
import { expect } from 'chai';
import { kfree, kget, kput } from '../../kernel/object';
import { Mm } from '../../kernel/task';
import { CLONE_FILES, CLONE_NEWNET, CLONE_NEWUTS } from '../../kernel/flags';
import { ENOENT } from '../../kernel/errno';
import { Dentry, Inode } from '../../kernel/fs';
import {
  boot, conservationViolations, exitAndReap, exitTask, fork, live, mkfile, objs, openFd, reap, sys,
} from './util';

describe('kernel/object: refcount misuse is an oops, never an exception', () => {
  it('get on a NULL pointer: "BUG: unable to handle kernel NULL pointer dereference"', () => {
    const k = boot();
    expect(kget(k, null, 'test', 'get_net')).to.equal(null);
    expect(k.oopses).to.have.length(1);
    expect(k.oopses[0].message).to.match(/NULL pointer dereference/);
    expect(k.oopses[0].at).to.equal('get_net');
  });

  it('put on a NULL pointer (proc_evict_inode → ns_ops->put(NULL)) is an oops', () => {
    const k = boot();
    expect(kput(k, null, 'test', 'put_net')).to.equal(false);
    expect(k.oopses.map((o) => o.message)).to.deep.equal(['BUG: unable to handle kernel NULL pointer dereference']);
  });

  it('a put below zero is a refcount underflow oops and does not free', () => {
    const k = boot();
    const mm = new Mm(k, 'a');
    expect(kput(k, mm, 'a', 'mmput')).to.equal(true); // atomic_dec_and_test: last reference
    expect(mm.count).to.equal(0);
    expect(kput(k, mm, 'a', 'mmput')).to.equal(false);
    expect(k.oopses.map((o) => o.message)).to.include('BUG: refcount underflow');
    expect(mm.count).to.equal(0);
  });

  it('a get or put after free is a use-after-free oops; a second kfree is a double free', () => {
    const k = boot();
    const mm = new Mm(k, 'a');
    kput(k, mm, 'a', 'mmput');
    kfree(k, mm, 'mmdrop');
    expect(k.objects.live.has(mm.id)).to.equal(false);
    kget(k, mm, 'b', 'get');
    kput(k, mm, 'b', 'put');
    kfree(k, mm, 'mmdrop');
    expect(k.oopses.map((o) => o.message)).to.deep.equal([
      'BUG: use after free (get)', 'BUG: use after free (put)', 'BUG: double free',
    ]);
  });

  it('holders: each kget records its holder, each kput removes exactly one', () => {
    const k = boot();
    const mm = new Mm(k, 'a');
    kget(k, mm, 'b', 'get');
    kget(k, mm, 'b', 'get');
    expect(mm.count).to.equal(3);
    expect([...mm.holders.entries()]).to.deep.equal([['a', 1], ['b', 2]]);
    kput(k, mm, 'b', 'put');
    expect(mm.holders.get('b')).to.equal(1);
    expect(k.oopses).to.deep.equal([]);
  });
});

describe('P2 refcount conservation over real lifecycles', () => {
  it('after boot every live object has count == number of holders', () => {
    const k = boot();
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('fork, unshare, open ns files, CLONE_FILES, exit and reap keep count == holders and leave no oops', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET | CLONE_NEWUTS }).ret).to.equal(0);
    const b = fork(k, a, CLONE_FILES);
    openFd(k, b, `/proc/${a.pid.nr}/ns/net`);
    openFd(k, a, '/proc/self/ns/uts');
    mkfile(k, k.init, '/tmp/f');
    openFd(k, b, '/tmp/f');
    expect(conservationViolations(k)).to.deep.equal([]);
    exitAndReap(k, b);
    expect(conservationViolations(k)).to.deep.equal([]);
    exitAndReap(k, a);
    expect(conservationViolations(k)).to.deep.equal([]);
    expect(sys(k, k.init, 'drop_caches', { mode: 3 }).ret).to.equal(0);
    expect(conservationViolations(k)).to.deep.equal([]);
    expect(k.oopses).to.deep.equal([]);
  });

  it('an object with count 0 is alive only as a cached dentry on its sb LRU or an unused inode on inode_lru', () => {
    const k = boot();
    const a = fork(k, k.init);
    sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` });
    sys(k, k.init, 'stat', { path: '/tmp/nope' });
    exitTask(k, a);
    for (const o of k.objects.live.values()) {
      if (o.count !== 0) continue;
      if (o instanceof Dentry) expect(o.d_sb.s_dentry_lru.has(o), o.id).to.equal(true);
      else if (o instanceof Inode) expect(k.inode_lru.has(o), o.id).to.equal(true);
      else expect.fail(`${o.id} is alive with count 0`);
    }
    reap(k, k.init, a);
  });

  it('the task_struct is freed at reap; its struct pid is freed once no proc inode pins it', () => {
    const k = boot();
    const a = fork(k, k.init);
    const pidId = a.pid.id;
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    exitAndReap(k, a);
    expect(a.freed).to.equal(true);
    // proc_pid_make_inode took get_task_pid: the inode still pins the pid after detach_pid
    expect(k.objects.live.has(pidId)).to.equal(true);
    expect(a.pid.task).to.equal(null);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(k.objects.live.has(pidId)).to.equal(false);
    expect(k.oopses).to.deep.equal([]);
  });
});

describe('proc_evict_inode: the seed defect (evict-null-put) vs 3.0 as released', () => {
  it('seed: lookup of /proc/<zombie>/ns/net sets ns_ops before get() → ENOENT and put(NULL) oopses', () => {
    const k = boot('seed');
    const a = fork(k, k.init);
    exitTask(k, a);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(k.oopses.length).to.be.at.least(1);
    expect(k.oopses[0].message).to.match(/NULL pointer dereference/);
  });

  it('v3.0: get() before ns_ops: the zombie lookup is ENOENT and evict does not call put', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    exitTask(k, a);
    const netsBefore = live(k, 'net');
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
    expect(live(k, 'net')).to.deep.equal(netsBefore);
    // the failed instantiation left no proc inode behind
    expect(objs<Inode>(k, 'inode').filter((i) => i.i_sb === k.procMnt?.mnt_sb && i.i_mode === 0o100400)).to.have.length(0);
    reap(k, k.init, a);
  });
});
