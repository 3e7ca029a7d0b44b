// "Close the race of the process dying before we return the dentry" (fs/proc/base.c, 3.0):
// proc_pid_instantiate, proc_pident_instantiate, proc_task_instantiate and proc_fd_instantiate
// each end with d_add and then the dentry's own revalidate (pid_revalidate, or tid_fd_revalidate
// for an fd link); if the task was reaped (or the fd closed) after proc_pid_make_inode took the
// pid, the revalidate d_drops the dentry and the lookup is -ENOENT (docs/kernel-reading.md
// §proc_pident_instantiate, §task/<tid>, §fd magic link). Each test stops the looking-up task at
// the preemption point between proc_pid_make_inode and d_add, lets the target die there, and
// checks the lookup fails and nothing leaks. The same for proc_ns_instantiate, with and without
// the synthetic flag that removes its race check.
import { expect } from 'chai';
import { ENOENT } from '../../kernel/errno';
import { Kernel } from '../../kernel/kernel';
import { Pid, Task } from '../../kernel/task';
import { CLONE_NEWNET } from '../../kernel/flags';
import { NetNamespace } from '../../kernel/namespaces';
import { submit } from '../../kernel/sched';
import {
  advanceUntil, boot, conservationViolations, dentries, finish, fork, heldBy, ok, openFd, reap, runExit, sys,
} from '../kernel/util';
import { THREAD, statOf } from './util';

/** How many proc inodes hold this pid (proc_pid_make_inode's get_task_pid). */
function inodeHolds(pid: Pid): number {
  let n = 0;
  for (const [h, c] of pid.holders) if (h.startsWith('inode#')) n += c;
  return n;
}

/** Start `op path` (stat by default) on `t` and stop it once one more proc inode holds `pid` (proc_pid_make_inode done, d_add not yet). */
function statUntilNewInode(k: Kernel, t: Task, path: string, pid: Pid, op: 'stat' | 'lstat' = 'stat'): void {
  const before = inodeHolds(pid);
  expect(submit(k, t, { op, args: { path } })).to.equal(true);
  expect(advanceUntil(k, t, () => inodeHolds(pid) > before)).to.equal(null);
}

describe('close the race: the revalidate at the end of each instantiate (fs/proc/base.c)', () => {
  it('proc_pid_instantiate: /proc/<pid> reaped between proc_pid_make_inode and d_add → pid_revalidate fails → ENOENT; the dentry and the pid die', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const pid = a.pid;
    statUntilNewInode(k, b, `/proc/${pid.nr}`, pid);
    runExit(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, String(pid.nr))).to.have.length(0);
    expect(pid.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_pid_instantiate: a task still alive at d_add → the lookup succeeds and its dentry stays cached (pid_revalidate is 1)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    statUntilNewInode(k, b, `/proc/${a.pid.nr}`, a.pid);
    expect(finish(k, b).ret).to.equal(0);
    expect(dentries(k, String(a.pid.nr)).filter((d) => d.d_hashed)).to.have.length(1);
  });

  it('proc_pid_make_inode: the task reaped while new_inode sleeps (before get_task_pid) → NULL → ENOENT, and the new inode is put at once', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const pid = a.pid;
    const name = String(pid.nr);
    const inodes = (): number => k.objects.ofKind('inode').length;
    const before = inodes();
    expect(submit(k, b, { op: 'stat', args: { path: `/proc/${name}` } })).to.equal(true);
    // d_alloc'ed, ->lookup called, proc_pid_instantiate at its first preemption point
    expect(advanceUntil(k, b, () => dentries(k, name).some((d) => d.d_inode === null))).to.equal(null);
    expect(inodeHolds(pid)).to.equal(0);
    runExit(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(inodes()).to.equal(before);
    expect(dentries(k, name)).to.have.length(0);
    expect(pid.freed).to.equal(true);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  for (const [what, sub, parent] of [['proc_pident_instantiate', 'fd', 'pid'], ['proc_task_instantiate', 'task/TID', 'task'], ['proc_fd_instantiate', 'fd/0', 'fd']] as const) {
    it(`${what}: the task gone while new_inode sleeps → proc_pid_make_inode NULL → ENOENT`, () => {
      const k = boot('v3.0');
      const a = fork(k, k.init);
      const t = fork(k, a, THREAD);
      const b = fork(k, k.init);
      expect(openFd(k, a, '/tmp')).to.equal(0);
      const target = what === 'proc_task_instantiate' ? t : a;
      const path = `/proc/${a.pid.nr}/${sub.replace('TID', String(t.pid.nr))}`;
      const dirPath = path.slice(0, path.lastIndexOf('/'));
      statOf(k, k.init, dirPath); // only the last component is instantiated
      const name = path.slice(path.lastIndexOf('/') + 1);
      const held = inodeHolds(target.pid);
      expect(submit(k, b, { op: 'stat', args: { path } })).to.equal(true);
      expect(advanceUntil(k, b, () => dentries(k, name, parent === 'pid' ? String(a.pid.nr) : parent).some((d) => d.d_inode === null))).to.equal(null);
      expect(inodeHolds(target.pid), 'new_inode sleeps before get_task_pid').to.equal(held);
      if (target === t) runExit(k, t); // a thread is released at once
      else {
        runExit(k, t);
        runExit(k, a);
        reap(k, k.init, a);
      }
      expect(finish(k, b).ret).to.equal(-ENOENT);
      expect(conservationViolations(k)).to.deep.equal([]);
    });
  }

  it('proc_fd_instantiate: an fd opened while new_inode sleeps is found by fcheck_files after it → the lookup of /proc/<pid>/fd/<n> succeeds', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    ok(k, a, 'close', { fd }); // the next open takes this number again
    statOf(k, k.init, `/proc/${a.pid.nr}/fd`);
    const held = inodeHolds(a.pid);
    expect(submit(k, b, { op: 'stat', args: { path: `/proc/${a.pid.nr}/fd/${fd}` } })).to.equal(true);
    expect(advanceUntil(k, b, () => dentries(k, String(fd), 'fd').some((d) => d.d_inode === null))).to.equal(null);
    expect(inodeHolds(a.pid), 'new_inode sleeps before get_task_pid').to.equal(held);
    expect(openFd(k, a, '/tmp')).to.equal(fd);
    expect(finish(k, b).ret).to.equal(0);
  });

  it('proc_pident_instantiate: /proc/<pid>/fd reaped between proc_pid_make_inode and d_add → ENOENT, nothing leaks', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const pid = a.pid;
    statOf(k, k.init, `/proc/${pid.nr}`); // /proc/<pid> cached: only "fd" is instantiated
    statUntilNewInode(k, b, `/proc/${pid.nr}/fd`, pid);
    runExit(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, 'fd', String(pid.nr))).to.have.length(0);
    expect(pid.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_pident_instantiate: a zombie (pid still attached) at d_add passes pid_revalidate → /proc/<pid>/ns resolves', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    statOf(k, k.init, `/proc/${a.pid.nr}`);
    statUntilNewInode(k, b, `/proc/${a.pid.nr}/ns`, a.pid);
    runExit(k, a); // a zombie until reaped: get_proc_task still finds it
    expect(finish(k, b).ret).to.equal(0);
  });

  it('proc_task_instantiate: a thread released between proc_pid_make_inode and d_add of /proc/<tgid>/task/<tid> → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const b = fork(k, k.init);
    const pid = t.pid;
    statOf(k, k.init, `/proc/${a.pid.nr}/task`);
    statUntilNewInode(k, b, `/proc/${a.pid.nr}/task/${pid.nr}`, pid);
    runExit(k, t); // a non-leader thread is released at once
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, String(pid.nr), 'task')).to.have.length(0);
    expect(pid.freed).to.equal(true);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_fd_instantiate: the fd closed between proc_pid_make_inode and d_add → tid_fd_revalidate fails → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    statOf(k, k.init, `/proc/${a.pid.nr}/fd`);
    statUntilNewInode(k, b, `/proc/${a.pid.nr}/fd/${fd}`, a.pid);
    ok(k, a, 'close', { fd });
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, String(fd), 'fd').filter((d) => d.d_hashed)).to.have.length(0);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_fd_instantiate: the task reaped between proc_pid_make_inode and d_add → ENOENT; the fd still open → the link resolves', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    const pid = a.pid;
    statOf(k, k.init, `/proc/${pid.nr}/fd`);
    statUntilNewInode(k, b, `/proc/${pid.nr}/fd/${fd}`, pid);
    runExit(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(pid.freed).to.equal(true);
    expect(conservationViolations(k)).to.deep.equal([]);

    const c = fork(k, k.init);
    const cfd = openFd(k, c, '/tmp');
    statOf(k, k.init, `/proc/${c.pid.nr}/fd`);
    statUntilNewInode(k, b, `/proc/${c.pid.nr}/fd/${cfd}`, c.pid);
    expect(finish(k, b).ret).to.equal(0);
  });
});

describe('close the race in proc_ns_instantiate, and the synthetic flag no-revalidate-race-check', () => {
  for (const profile of ['v3.0', 'v3.8']) {
    it(`${profile}: reaped after proc_pid_make_inode, before d_add → ENOENT; with no-revalidate-race-check the dead task's ns entry is returned`, () => {
      for (const inject of [[], ['no-revalidate-race-check']]) {
        const k = boot(profile, [], inject);
        const a = fork(k, k.init);
        const b = fork(k, k.init);
        const pid = a.pid;
        statOf(k, k.init, `/proc/${pid.nr}/ns`);
        // lstat: on 3.8 the entry is a link, and following it would ask the dead task again
        statUntilNewInode(k, b, `/proc/${pid.nr}/ns/net`, pid, 'lstat');
        runExit(k, a);
        reap(k, k.init, a);
        const r = finish(k, b);
        if (inject.length) {
          expect(r.ret, 'the bug: a dentry for a reaped task').to.equal(0);
        } else {
          expect(r.ret).to.equal(-ENOENT);
          expect(pid.freed).to.equal(true);
        }
        expect(k.oopses).to.deep.equal([]);
      }
    });
  }

  // the seed too: no inode was made, so there is nothing to evict and no put(NULL)
  for (const profile of ['seed', 'v3.0', 'v3.8']) {
    it(`${profile}: proc_ns_instantiate: the task reaped while new_inode sleeps (before get_task_pid) → proc_pid_make_inode NULL → ENOENT, no oops; the new inode is put at once`, () => {
      const k = boot(profile);
      const a = fork(k, k.init);
      const b = fork(k, k.init);
      const pid = a.pid;
      statOf(k, k.init, `/proc/${pid.nr}/ns`); // only "net" is instantiated
      const inodes = (): number => k.objects.ofKind('inode').length;
      const before = inodes();
      const held = inodeHolds(pid);
      expect(submit(k, b, { op: 'lstat', args: { path: `/proc/${pid.nr}/ns/net` } })).to.equal(true);
      expect(advanceUntil(k, b, () => dentries(k, 'net', 'ns').some((d) => d.d_inode === null))).to.equal(null);
      expect(inodeHolds(pid), 'new_inode sleeps before get_task_pid').to.equal(held);
      runExit(k, a);
      reap(k, k.init, a);
      expect(finish(k, b).ret).to.equal(-ENOENT);
      expect(dentries(k, 'net', 'ns')).to.have.length(0);
      expect(inodes()).to.be.at.most(before);
      expect(pid.freed).to.equal(true);
      expect(k.oopses).to.deep.equal([]);
    });
  }

  it('v3.0 with no-revalidate-race-check: stat of a reaped task\'s ns/net succeeds (the bug); the dentry dies on its last dput (pid_delete_dentry: no task), putting the namespace its inode took', () => {
    const k = boot('v3.0', [], ['no-revalidate-race-check']);
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const b = fork(k, k.init);
    expect(submit(k, b, { op: 'stat', args: { path: `/proc/${a.pid.nr}/ns/net` } })).to.equal(true);
    expect(advanceUntil(k, b, () => heldBy(net, 'inode#'))).to.equal(null);
    runExit(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(0);
    // pid_delete_dentry kills it on the last dput (the pid has no task), so the net goes with it
    expect(net.freed).to.equal(true);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
  });
});
