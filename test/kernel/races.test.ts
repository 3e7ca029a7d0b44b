// The yield points the "close the race" checks need: each proc instantiate of fs/proc/base.c
// (3.0) takes the task's pid (proc_pid_make_inode), then d_add()s and revalidates: "Close the
// race of the process dying before we return the dentry". On SMP the task can be reaped between
// the two; procns models that window as a preemption point that yields RACE_POINT. Each test
// stops a lookup there (the new inode pins the pid, no dentry is hashed yet), reaps the task
// (or closes the fd), and expects the revalidate to turn the lookup into ENOENT (the C:
// `error = -ENOENT; ... if (pid_revalidate(dentry, NULL)) error = NULL;`, and
// tid_fd_revalidate for an fd). A test fails if the yield is missing: the call would then never
// be stopped in that window.
import { expect } from 'chai';
import { ENOENT } from '../../kernel/errno';
import { CLONE_NEWNET } from '../../kernel/flags';
import { Kernel } from '../../kernel/kernel';
import { submit } from '../../kernel/sched';
import { Task } from '../../kernel/task';
import { KObject } from '../../kernel/object';
import {
  advanceUntil, boot, conservationViolations, dentries, finish, fork, mkfile, ok, openFd, reap, sys, THREAD,
} from './util';

/** How many proc inodes hold this object. */
function inodeHolders(o: KObject): number {
  let n = 0;
  for (const h of o.holders.keys()) if (h.startsWith('inode#')) n++;
  return n;
}

/**
 * Is t's call stopped at a race point in an instantiate of `name`: one more inode holds `o` than
 * before, and no dentry of that name has an inode yet (d_add has not run)?
 */
function inWindow(k: Kernel, o: KObject, before: number, name: string, parent?: string): () => boolean {
  return () => k.atRacePoint && inodeHolders(o) === before + 1 && dentries(k, name, parent).every((d) => d.d_inode === null);
}

/** Start `path`'s stat on `by`, stopped in the window of the instantiate of `name`. */
function stopInWindow(k: Kernel, by: Task, path: string, o: KObject, name: string, parent?: string): void {
  const before = inodeHolders(o);
  expect(submit(k, by, { op: 'stat', args: { path } })).to.equal(true);
  expect(advanceUntil(k, by, inWindow(k, o, before, name, parent)), 'never stopped between proc_pid_make_inode and d_add').to.equal(null);
}

function exitTask(k: Kernel, t: Task): void {
  expect(submit(k, t, { op: 'exit', args: {} })).to.equal(true);
  expect(finish(k, t).ret).to.equal(0);
}

describe('the close-the-race revalidates of fs/proc/base.c, each with its window', () => {
  it('proc_pid_instantiate: /proc/<pid> reaped between proc_pid_make_inode and d_add → pid_revalidate → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const pid = a.pid;
    stopInWindow(k, b, `/proc/${pid.nr}`, pid, String(pid.nr));
    exitTask(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, String(pid.nr))).to.have.length(0);
    expect(pid.freed).to.equal(true); // the half-built inode was its last holder
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_pident_instantiate: /proc/<pid>/ns reaped in its window → ENOENT; left alone, the same stop succeeds', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    expect(sys(k, b, 'stat', { path: `/proc/${a.pid.nr}` }).ret).to.equal(0); // /proc/<pid> cached
    stopInWindow(k, b, `/proc/${a.pid.nr}/ns`, a.pid, 'ns', String(a.pid.nr));
    exitTask(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);

    const c = fork(k, k.init);
    expect(sys(k, b, 'stat', { path: `/proc/${c.pid.nr}` }).ret).to.equal(0);
    stopInWindow(k, b, `/proc/${c.pid.nr}/ns`, c.pid, 'ns', String(c.pid.nr));
    expect(finish(k, b).ret).to.equal(0);
  });

  it('proc_fd_instantiate: the fd closed in its window → tid_fd_revalidate → ENOENT', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp/f');
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/fd` }).ret).to.equal(0);
    stopInWindow(k, k.init, `/proc/${a.pid.nr}/fd/${fd}`, a.pid, String(fd), 'fd');
    ok(k, a, 'close', { fd });
    expect(finish(k, k.init).ret).to.equal(-ENOENT);
    expect(dentries(k, String(fd), 'fd').filter((d) => d.d_hashed)).to.have.length(0);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_fd_instantiate: the task reaped in its window → ENOENT', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const fd = openFd(k, a, '/tmp/f');
    expect(sys(k, b, 'stat', { path: `/proc/${a.pid.nr}/fd` }).ret).to.equal(0);
    stopInWindow(k, b, `/proc/${a.pid.nr}/fd/${fd}`, a.pid, String(fd), 'fd');
    exitTask(k, a);
    reap(k, k.init, a);
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_task_instantiate: /proc/<tgid>/task/<tid> of a thread released in its window → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const b = fork(k, k.init);
    const tid = String(t.pid.nr);
    expect(sys(k, b, 'stat', { path: `/proc/${a.pid.nr}/task` }).ret).to.equal(0);
    stopInWindow(k, b, `/proc/${a.pid.nr}/task/${tid}`, t.pid, tid, 'task');
    exitTask(k, t); // a thread is released as it exits (exit_notify: autoreap)
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, tid, 'task')).to.have.length(0);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });
});

describe('proc_ns_instantiate (3.0): the window after ns_ops->get() and no-revalidate-race-check', () => {
  /** b's open of /proc/<a>/ns/net, stopped once the new inode holds a's net namespace, then a exits and is reaped. */
  function raceOpen(profile: 'v3.0', inject: string[]): { ret: number; netFreed: boolean } {
    const k = boot(profile, [], inject);
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as KObject;
    const b = fork(k, k.init);
    const before = inodeHolders(net);
    expect(submit(k, b, { op: 'open', args: { path: `/proc/${a.pid.nr}/ns/net` } })).to.equal(true);
    expect(advanceUntil(k, b, () => k.atRacePoint && inodeHolders(net) === before + 1)).to.equal(null);
    exitTask(k, a);
    reap(k, k.init, a);
    const ret = finish(k, b).ret;
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
    return { ret, netFreed: net.freed };
  }

  it('as released: pid_revalidate after d_add sees the reap → ENOENT, and the namespace dies with the inode', () => {
    expect(raceOpen('v3.0', [])).to.deep.equal({ ret: -ENOENT, netFreed: true });
  });

  it('no-revalidate-race-check: the open of a reaped task succeeds, and its fd holds the namespace', () => {
    const r = raceOpen('v3.0', ['no-revalidate-race-check']);
    expect(r.ret).to.be.at.least(0);
    expect(r.netFreed).to.equal(false);
  });
});
