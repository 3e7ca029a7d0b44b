// kernel/sched.ts: interleavings at the kernel's preemption points. A task exits (or is reaped)
// between another task's path-walk components, or inside proc_ns_instantiate; the exit stages
// are observed from another task. Expectations from docs/kernel-reading.md (proc_ns_instantiate
// "close the race", get_proc_task, proc_fd_instantiate, exit order) and DESIGN.md (P8).
import { expect } from 'chai';
import { EACCES, ENOENT, EPERM } from '../../kernel/errno';
import { CLONE_NEWNET } from '../../kernel/flags';
import { Dentry } from '../../kernel/fs';
import { NetNamespace } from '../../kernel/namespaces';
import { Kernel } from '../../kernel/kernel';
import { ReplayPicks, runToIdle, schedStep, submit } from '../../kernel/sched';
import {
  advanceUntil, asUser, boot, conservationViolations, dentries, finish, fork, heldBy, mkfile, ok, openFd, reap, runExit, sys, THREAD,
} from './util';

/** The walk of `holder` sits on the instantiated /proc/<pid>/ns directory, before the next component. */
function walkAtNsDir(k: Kernel, pid: number, holder: string): () => boolean {
  return () => dentries(k, 'ns', String(pid)).some((d: Dentry) => d.d_inode !== null && d.holders.has(holder));
}

describe('a task exits between another task\'s path-walk components', () => {
  it('exit (zombie) between "ns" and "net": proc_ns_instantiate gets NULL from netns_get → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    expect(submit(k, b, { op: 'stat', args: { path: `/proc/${a.pid.nr}/ns/net` } })).to.equal(true);
    expect(advanceUntil(k, b, walkAtNsDir(k, a.pid.nr, 'stat'))).to.equal(null);
    runExit(k, a);
    expect(a.state).to.equal('zombie');
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('exit and reap between "ns" and "net": get_proc_task is NULL → ENOENT, and every /proc/<pid> dentry dies with the walk', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const pidObj = a.pid;
    expect(submit(k, b, { op: 'stat', args: { path: `/proc/${a.pid.nr}/ns/net` } })).to.equal(true);
    expect(advanceUntil(k, b, walkAtNsDir(k, a.pid.nr, 'stat'))).to.equal(null);
    runExit(k, a);
    reap(k, k.init, a);
    expect(dentries(k, 'ns', String(a.pid.nr))).to.have.length(1); // in use by b's walk: survives the flush
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, String(a.pid.nr))).to.have.length(0);
    expect(dentries(k, 'ns', String(a.pid.nr))).to.have.length(0);
    expect(pidObj.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('proc_ns_instantiate closes the race: reaped after get() but before d_add → pid_revalidate fails → ENOENT, the ns reference is put', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const b = fork(k, k.init);
    expect(submit(k, b, { op: 'stat', args: { path: `/proc/${a.pid.nr}/ns/net` } })).to.equal(true);
    // stop b once the new proc inode holds the namespace (ns_ops->get done, dentry not yet hashed)
    expect(advanceUntil(k, b, () => heldBy(net, 'inode#'))).to.equal(null);
    runExit(k, a);
    reap(k, k.init, a);
    expect(net.freed).to.equal(false); // the half-built inode still holds it
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(net.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
    expect(conservationViolations(k)).to.deep.equal([]);
  });

  it('a thread released between "<tid>" and "ns" of /proc/<tgid>/task/<tid>/ns/net: get_proc_task NULL → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const b = fork(k, k.init);
    const tid = String(t.pid.nr);
    expect(submit(k, b, { op: 'stat', args: { path: `/proc/${a.pid.nr}/task/${tid}/ns/net` } })).to.equal(true);
    const atTidDir = (): boolean => dentries(k, tid, 'task').some((d) => d.d_inode !== null && d.holders.has('stat'));
    expect(advanceUntil(k, b, atTidDir)).to.equal(null);
    runExit(k, t); // a non-leader thread: released at once
    expect(finish(k, b).ret).to.equal(-ENOENT);
    expect(dentries(k, tid, 'task')).to.have.length(0);
    expect(k.oopses).to.deep.equal([]);
  });
});

describe('observing the exit stages from another task', () => {
  it('after exit_mm (mm == NULL) a same-uid observer without CAP_SYS_PTRACE gets EPERM: the task is no longer dumpable', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const r = fork(k, k.init);
    ok(k, r, 'capset', { caps: ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_SETUID', 'CAP_SYS_ADMIN'] });
    ok(k, a, 'capset', { caps: ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_SETUID', 'CAP_SYS_ADMIN'] }); // no more than r has (cap_ptrace_access_check)
    expect(sys(k, r, 'stat', { path: `/proc/${a.pid.nr}/ns/uts` }).ret).to.equal(0); // same uid 0, dumpable
    expect(submit(k, a, { op: 'exit', args: {} })).to.equal(true);
    k.advance(a); // exit_mm
    expect(a.mm).to.equal(null);
    expect(a.nsproxy).to.not.equal(null);
    expect(sys(k, r, 'stat', { path: `/proc/${a.pid.nr}/ns/ipc` }).ret).to.equal(-EPERM);
    finish(k, a);
  });

  it('proc_fd_instantiate: the fd link resolves before exit_files and is ENOENT after it (files == NULL), before the zombie state', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp/f');
    expect(submit(k, a, { op: 'exit', args: {} })).to.equal(true);
    k.advance(a); // exit_mm
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/fd/${fd}` }).ret).to.equal(0);
    k.advance(a); // exit_files
    expect(a.state).to.equal('exiting');
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/fd/${fd}` }).ret).to.equal(-ENOENT);
    finish(k, a);
  });

  it('exit_task_namespaces runs in exit_notify, after exit_fs: until then root can still open /proc/<pid>/ns/net', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    expect(submit(k, a, { op: 'exit', args: {} })).to.equal(true);
    k.advance(a);
    k.advance(a);
    k.advance(a); // exit_mm, exit_files, exit_fs done
    expect(a.fs).to.equal(null);
    expect(sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns/uts` }).ret).to.be.at.least(0);
    finish(k, a);
    expect(sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns/ipc` }).ret).to.equal(-ENOENT);
  });

  it('3.8: proc_ns_follow_link on an exiting task whose nsproxy is gone → ENOENT; a foreign uid → EACCES first', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    const u = asUser(k, k.init, 1000);
    runExit(k, a);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(sys(k, u, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(-EACCES);
  });
});

describe('the scheduler (P8 determinism)', () => {
  it('schedStep runs the pick-th runnable task in pid order', () => {
    const k = boot();
    const b = fork(k, k.init);
    submit(k, k.init, { op: 'getpid', args: {} });
    submit(k, b, { op: 'getpid', args: {} });
    const picks = new ReplayPicks([1, 0]);
    const first = schedStep(k, picks);
    expect(first?.task).to.equal(b);
    expect(first?.result.ret).to.equal(b.tgid);
    const second = schedStep(k, picks);
    expect(second?.task).to.equal(k.init);
  });

  it('the same picks replay the same interleaving: identical completion order and results', () => {
    const run = (): string[] => {
      const k = boot('v3.0');
      const a = fork(k, k.init);
      const b = fork(k, k.init);
      submit(k, b, { op: 'stat', args: { path: `/proc/${a.pid.nr}/ns/net` } });
      submit(k, a, { op: 'exit', args: {} });
      submit(k, k.init, { op: 'open', args: { path: `/proc/${a.pid.nr}/ns/uts` } });
      const out = runToIdle(k, new ReplayPicks([2, 0, 1, 1, 0, 2, 2, 1, 0, 0, 1, 2, 0, 1, 2]));
      return out.map((c) => `${c.task.pid.nr}:${c.call.op}:${c.result.ret}`);
    };
    expect(run()).to.deep.equal(run());
  });

  it('submit refuses a busy task (one syscall in flight per task)', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(submit(k, a, { op: 'stat', args: { path: '/proc/self/ns/net' } })).to.equal(true);
    expect(submit(k, a, { op: 'getpid', args: {} })).to.equal(false);
    finish(k, a);
    expect(submit(k, a, { op: 'getpid', args: {} })).to.equal(true);
  });
});
