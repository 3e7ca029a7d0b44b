// kernel/fork.c and kernel/exit.c: fork, the staged do_exit, exit_notify (reparent,
// exit_task_namespaces, zombie), release_task, wait, threads.
// Expectations from docs/kernel-reading.md §kernel/exit.c and DESIGN.md (task exit order).
import { expect } from 'chai';
import { ECHILD, ENOENT } from '../../kernel/errno';
import { CLONE_NEWNET } from '../../kernel/flags';
import { submit } from '../../kernel/sched';
import { Task } from '../../kernel/task';
import { boot, exitAndReap, exitTask, fork, ok, openFd, reap, sys, THREAD } from './util';

describe('fork (copy_process)', () => {
  it('returns the child pid; the child is in the pid hash with the caller as real_parent', () => {
    const k = boot();
    const r = sys(k, k.init, 'clone', { flags: 0 });
    expect(r.ret).to.be.greaterThan(1);
    const c = k.tasks.get(r.ret) as Task;
    expect(c.real_parent).to.equal(k.init);
    expect(k.init.children).to.include(c);
    expect(c.tgid).to.equal(c.pid.nr);
  });

  it('copy_process: a child forked by a non-leader thread has that thread as real_parent (p->real_parent = current)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const c = fork(k, t);
    expect(c.real_parent).to.equal(t);
  });

  it('CLONE_THREAD: same tgid as the leader, its own pid; getpid returns the tgid', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    expect(t.tgid).to.equal(a.tgid);
    expect(t.pid.nr).to.not.equal(a.pid.nr);
    expect(t.group_leader).to.equal(a);
    expect(sys(k, t, 'getpid').ret).to.equal(a.tgid);
  });

  it('CLONE_VM shares the mm (one mm, two users)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    expect(t.mm).to.equal(a.mm);
    expect(a.mm?.count).to.equal(2);
  });
});

describe('do_exit stages (3.0 order: exit_mm, exit_files, exit_fs, exit_notify)', () => {
  it('each stage is a preemption point, in the kernel\'s order', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(submit(k, a, { op: 'exit', args: { code: 0 } })).to.equal(true);
    expect(k.advance(a)).to.equal(null);
    expect([a.mm === null, a.files === null, a.fs === null, a.nsproxy === null]).to.deep.equal([true, false, false, false]);
    expect(a.state).to.equal('exiting');
    expect(k.advance(a)).to.equal(null);
    expect([a.mm === null, a.files === null, a.fs === null, a.nsproxy === null]).to.deep.equal([true, true, false, false]);
    expect(k.advance(a)).to.equal(null);
    expect([a.mm === null, a.files === null, a.fs === null, a.nsproxy === null]).to.deep.equal([true, true, true, false]);
    expect(a.state).to.equal('exiting');
    // exit_notify: exit_task_namespaces, whose switch_task_namespaces may sleep (synchronize_rcu),
    // before the task is a zombie
    expect(k.advance(a)).to.equal(null);
    expect(a.nsproxy).to.equal(null);
    expect(a.state).to.equal('exiting');
    const done = k.advance(a);
    expect(done?.result.ret).to.equal(0);
    expect(a.nsproxy).to.equal(null);
    expect(a.state).to.equal('zombie');
  });

  it('exit_notify: the zombie\'s nsproxy is already NULL, but its pid is still attached (/proc/<zombie> resolves)', () => {
    const k = boot();
    const a = fork(k, k.init);
    exitTask(k, a);
    expect(a.state).to.equal('zombie');
    expect(a.nsproxy).to.equal(null);
    expect(a.pid.task).to.equal(a);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}` }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
  });

  it('a zombie runs no more syscalls', () => {
    const k = boot();
    const a = fork(k, k.init);
    exitTask(k, a);
    expect(submit(k, a, { op: 'getpid', args: {} })).to.equal(false);
  });

  it('do_exit of init: "Kernel panic - not syncing: Attempted to kill init!"', () => {
    const k = boot();
    sys(k, k.init, 'exit', { code: 0 });
    expect(k.oopses.map((o) => o.message)).to.deep.equal(['Kernel panic - not syncing: Attempted to kill init!']);
  });

  it('exit_files → close_files: a file only the exiting task held is freed at exit, before the reap', () => {
    const k = boot();
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    const f = a.files?.fdt[fd];
    exitTask(k, a);
    expect(f?.freed).to.equal(true);
    reap(k, k.init, a);
  });
});

describe('release_task and wait', () => {
  it('wait_task_zombie → release_task: returns the pid, detaches it (/proc/<pid> → ENOENT), frees the task', () => {
    const k = boot();
    const a = fork(k, k.init);
    const nr = a.pid.nr;
    exitTask(k, a);
    expect(sys(k, k.init, 'wait', { pid: nr }).ret).to.equal(nr);
    expect(k.tasks.has(nr)).to.equal(false);
    expect(a.freed).to.equal(true);
    expect(sys(k, k.init, 'stat', { path: `/proc/${nr}` }).ret).to.equal(-ENOENT);
  });

  it('do_wait: no such child → ECHILD; a running child with WNOHANG → 0', () => {
    const k = boot();
    const a = fork(k, k.init);
    const b = fork(k, a);
    expect(sys(k, k.init, 'wait', { pid: b.pid.nr }).ret).to.equal(-ECHILD); // a grandchild is not a child
    expect(sys(k, k.init, 'wait', { pid: a.pid.nr }).ret).to.equal(0);
    expect(sys(k, b, 'wait', { pid: -1 }).ret).to.equal(-ECHILD);
  });

  it('wait(-1) reaps any zombie child', () => {
    const k = boot();
    const a = fork(k, k.init);
    exitTask(k, a);
    expect(sys(k, k.init, 'wait', { pid: -1 }).ret).to.equal(a.pid.nr);
  });

  it('a task cannot reap twice: the second wait → ECHILD', () => {
    const k = boot();
    const a = fork(k, k.init);
    exitAndReap(k, a);
    expect(sys(k, k.init, 'wait', { pid: a.pid.nr }).ret).to.equal(-ECHILD);
  });
});

describe('forget_original_parent (reparenting)', () => {
  it('children of an exiting task with no other thread go to init', () => {
    const k = boot();
    const a = fork(k, k.init);
    const b = fork(k, a);
    exitTask(k, a);
    expect(b.real_parent).to.equal(k.init);
    expect(k.init.children).to.include(b);
    reap(k, k.init, a);
    exitTask(k, b);
    reap(k, k.init, b);
  });

  it('find_new_reaper: children go to a live thread of the same group first', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const c = fork(k, a);
    exitTask(k, a);
    expect(c.real_parent).to.equal(t);
  });
});

describe('threads', () => {
  it('exit_notify: a non-leader thread is released at once (DEATH_REAP): gone from the pid hash, no zombie', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const nr = t.pid.nr;
    exitTask(k, t);
    expect(k.tasks.has(nr)).to.equal(false);
    expect(t.freed).to.equal(true);
    expect(a.state).to.equal('running');
  });

  it('delay_group_leader: a zombie leader with live threads is not reaped; it is once the last thread has gone', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    exitTask(k, a);
    expect(a.state).to.equal('zombie');
    expect(sys(k, k.init, 'wait', { pid: a.pid.nr }).ret).to.equal(0);
    exitTask(k, t);
    expect(sys(k, k.init, 'wait', { pid: a.pid.nr }).ret).to.equal(a.pid.nr);
  });

  it('proc_pid_lookup finds a thread id, though /proc readdir lists only group leaders', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    expect(sys(k, k.init, 'stat', { path: `/proc/${t.pid.nr}` }).ret).to.equal(0);
    const fd = ok(k, k.init, 'open', { path: '/proc', flags: 0o200000 });
    const names: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = sys(k, k.init, 'getdents64', { fd, count: 4096 });
      if (r.ret <= 0) break;
      names.push(...(r.obs?.dirents ?? []).map((e) => e.name));
    }
    expect(names).to.include(String(a.pid.nr));
    expect(names).to.not.include(String(t.pid.nr));
    expect(names.slice(0, 3)).to.deep.equal(['.', '..', 'self']);
  });

  it('proc_task_lookup: /proc/<tgid>/task/<tid> resolves; a pid of another group → ENOENT (same_thread_group)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const other = fork(k, k.init);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/task/${t.pid.nr}` }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/task/${other.pid.nr}` }).ret).to.equal(-ENOENT);
  });

  it('a thread shares its leader\'s nsproxy; unshare in the thread does not move the leader', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    expect(t.nsproxy).to.equal(a.nsproxy);
    expect(sys(k, t, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    expect(t.nsproxy?.net_ns).to.not.equal(a.nsproxy?.net_ns);
  });
});
