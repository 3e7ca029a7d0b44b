// kernel/nsproxy.c: copy_namespaces (clone), unshare_nsproxy_namespaces, setns, and the
// lifetime of a namespace through nsproxy, proc ns files (3.0) and ns inodes (3.8).
// Expectations from docs/kernel-reading.md §kernel/nsproxy.c, §Namespace ops, §3.8, and DESIGN.md.
import { expect } from 'chai';
import {
  CLONE_FILES, CLONE_FS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_SIGHAND,
  CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM, O_DIRECTORY,
} from '../../kernel/flags';
import { EBADF, EINVAL, ENOENT, EPERM } from '../../kernel/errno';
import { Nsproxy } from '../../kernel/nsproxy';
import { NetNamespace, PidNamespace, PROC_DYNAMIC_FIRST } from '../../kernel/namespaces';
import { DT_DIR, DT_UNKNOWN } from '../../kernel/flags';
import {
  asUser, boot, exitAndReap, exitTask, fork, live, nsOfFd, objs, ok, openFd, reap, sys,
} from './util';

describe('copy_namespaces (clone)', () => {
  it('no CLONE_NEW* flag: the child shares the parent\'s nsproxy (get_nsproxy, count 3 with init_task\'s)', () => {
    const k = boot();
    const before = objs(k, 'nsproxy').length;
    const a = fork(k, k.init);
    expect(a.nsproxy).to.equal(k.init.nsproxy);
    expect(k.init.nsproxy?.count).to.equal(3);
    expect(objs(k, 'nsproxy').length).to.equal(before);
  });

  it('CLONE_NEWNET: a new nsproxy and net; the other namespaces gain one reference each; the old nsproxy nets unchanged', () => {
    const k = boot();
    const old = k.init.nsproxy as Nsproxy;
    const counts = { uts: old.uts_ns?.count, ipc: old.ipc_ns?.count, mnt: old.mnt_ns?.count, pid: old.pid_ns?.count, net: old.net_ns?.count };
    const a = fork(k, k.init, CLONE_NEWNET);
    const p = a.nsproxy as Nsproxy;
    expect(p).to.not.equal(old);
    expect(old.count).to.equal(2); // init's and init_task's
    expect(p.count).to.equal(1);
    expect(p.net_ns).to.not.equal(old.net_ns);
    expect(p.net_ns?.count).to.equal(1);
    expect(old.net_ns?.count).to.equal(counts.net);
    expect(p.uts_ns).to.equal(old.uts_ns);
    expect(old.uts_ns?.count).to.equal((counts.uts as number) + 1);
    expect(old.ipc_ns?.count).to.equal((counts.ipc as number) + 1);
    expect(old.mnt_ns?.count).to.equal((counts.mnt as number) + 1);
    // the new nsproxy's reference, plus alloc_pid's get_pid_ns for the child's struct pid
    expect(old.pid_ns?.count).to.equal((counts.pid as number) + 2);
  });

  it('CLONE_NEWNET without CAP_SYS_ADMIN → EPERM, and nothing is left allocated', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    const nsp = u.nsproxy as Nsproxy;
    const countBefore = nsp.count;
    const tasks = objs(k, 'task').length;
    const nets = live(k, 'net');
    expect(sys(k, u, 'clone', { flags: CLONE_NEWNET }).ret).to.equal(-EPERM);
    expect(nsp.count).to.equal(countBefore);
    expect(objs(k, 'task').length).to.equal(tasks);
    expect(live(k, 'net')).to.deep.equal(nets);
  });

  it('CLONE_NEWIPC together with CLONE_SYSVSEM → EINVAL', () => {
    const k = boot();
    expect(sys(k, k.init, 'clone', { flags: CLONE_NEWIPC | CLONE_SYSVSEM }).ret).to.equal(-EINVAL);
  });

  it('copy_process flag checks: NEWNS|FS, THREAD without SIGHAND, SIGHAND without VM → EINVAL', () => {
    const k = boot();
    expect(sys(k, k.init, 'clone', { flags: CLONE_NEWNS | CLONE_FS }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'clone', { flags: CLONE_THREAD | CLONE_VM }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'clone', { flags: CLONE_SIGHAND }).ret).to.equal(-EINVAL);
  });
});

describe('unshare', () => {
  it('check_unshare_flags (3.0): CLONE_NEWPID is not accepted → EINVAL', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'unshare', { flags: CLONE_NEWPID }).ret).to.equal(-EINVAL);
  });

  it('unshare(0) changes nothing: same nsproxy', () => {
    const k = boot();
    const a = fork(k, k.init);
    const p = a.nsproxy;
    expect(sys(k, a, 'unshare', { flags: 0 }).ret).to.equal(0);
    expect(a.nsproxy).to.equal(p);
  });

  it('unshare_nsproxy_namespaces: CLONE_NEWUTS without CAP_SYS_ADMIN → EPERM', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'unshare', { flags: CLONE_NEWUTS }).ret).to.equal(-EPERM);
  });

  it('switch_task_namespaces: the shared old nsproxy loses the task\'s reference; the task owns the new one', () => {
    const k = boot();
    const a = fork(k, k.init);
    const old = k.init.nsproxy as Nsproxy;
    expect(old.count).to.equal(3); // a's, init's and init_task's
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    expect(old.count).to.equal(2);
    expect(a.nsproxy?.count).to.equal(1);
    expect(a.nsproxy?.holders.get(a.id)).to.equal(1);
  });

  it('copy_utsname: after unshare(CLONE_NEWUTS) sethostname changes only the new namespace', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWUTS }).ret).to.equal(0);
    expect(sys(k, a, 'gethostname').obs?.text).to.equal('procns'); // the clone copies the name
    expect(sys(k, a, 'sethostname', { name: 'inner' }).ret).to.equal(0);
    expect(sys(k, a, 'gethostname').obs?.text).to.equal('inner');
    expect(sys(k, k.init, 'gethostname').obs?.text).to.equal('procns');
  });

  it('3.8: unshare(CLONE_NEWPID) changes the namespace of children only (pid_ns for children)', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    const active = a.pid.ns;
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWPID }).ret).to.equal(0);
    expect(a.pid.ns).to.equal(active);
    const c = fork(k, a);
    expect(c.pid.ns).to.not.equal(active);
    expect((c.pid.ns as PidNamespace).parent).to.equal(active);
  });
});

describe('sys_unshare: fs and vm', () => {
  it('CLONE_NEWNS implies CLONE_FS: a shared fs_struct is copied, and only the caller moves to the new tree', () => {
    const k = boot();
    const a = fork(k, k.init, CLONE_FS);
    expect(a.fs).to.equal(k.init.fs);
    const initRootMnt = k.init.fs?.root.mnt;
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNS }).ret).to.equal(0);
    expect(a.fs).to.not.equal(k.init.fs);
    expect(k.init.fs?.count).to.equal(1);
    expect(k.init.fs?.root.mnt).to.equal(initRootMnt);
    expect(a.fs?.root.mnt).to.not.equal(initRootMnt);
    expect(a.fs?.root.mnt.mnt_ns).to.equal(a.nsproxy?.mnt_ns);
  });

  it('check_unshare_flags: CLONE_VM (or THREAD/SIGHAND) with a shared mm (mm_users > 1) → EINVAL; alone it is a no-op', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM);
    expect(sys(k, t, 'unshare', { flags: CLONE_VM }).ret).to.equal(-EINVAL);
    expect(sys(k, t, 'unshare', { flags: CLONE_SIGHAND }).ret).to.equal(-EINVAL);
    const b = fork(k, k.init);
    expect(sys(k, b, 'unshare', { flags: CLONE_VM }).ret).to.equal(0);
  });
});

describe('setns (3.0): the order of checks', () => {
  it('CAP_SYS_ADMIN is checked first: EPERM even for a bad fd', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'setns', { fd: 99, nstype: 0 }).ret).to.equal(-EPERM);
  });

  it('proc_ns_fget: a bad fd → EBADF', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'setns', { fd: 99, nstype: 0 }).ret).to.equal(-EBADF);
  });

  it('proc_ns_fget: a file that is not a ns file → EINVAL', () => {
    const k = boot('v3.0');
    const fd = openFd(k, k.init, '/tmp', O_DIRECTORY);
    expect(sys(k, k.init, 'setns', { fd, nstype: 0 }).ret).to.equal(-EINVAL);
  });

  it('nstype non-zero and not the file\'s type → EINVAL; nothing changes', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/proc/self/ns/net');
    const p = a.nsproxy;
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWIPC }).ret).to.equal(-EINVAL);
    expect(a.nsproxy).to.equal(p);
  });

  it('nstype 0 is accepted, and setns always builds a new nsproxy (the shared one loses a reference)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/proc/self/ns/net');
    const old = a.nsproxy as Nsproxy;
    expect(old.count).to.equal(3); // a's, init's and init_task's
    expect(sys(k, a, 'setns', { fd, nstype: 0 }).ret).to.equal(0);
    expect(a.nsproxy).to.not.equal(old);
    expect(old.count).to.equal(2);
    expect(a.nsproxy?.net_ns).to.equal(old.net_ns);
  });

  it('P6: setns through a held fd works after every task of that namespace is reaped, and joins exactly it', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const b = fork(k, k.init);
    const fd = openFd(k, b, `/proc/${a.pid.nr}/ns/net`);
    exitAndReap(k, a);
    expect(net.freed).to.equal(false);
    expect(sys(k, b, 'setns', { fd, nstype: CLONE_NEWNET }).ret).to.equal(0);
    expect(b.nsproxy?.net_ns).to.equal(net);
    expect(net.count).to.equal(2); // b's nsproxy + the ns inode
    expect(k.oopses).to.deep.equal([]);
  });
});

describe('setns (3.8): fd and type first, privilege in ->install', () => {
  it('no capability check up front: a bad fd is EBADF even without CAP_SYS_ADMIN', () => {
    const k = boot('v3.8');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'setns', { fd: 99, nstype: 0 }).ret).to.equal(-EBADF);
  });

  it('netns_install: without CAP_SYS_ADMIN → EPERM, after the fd and type checks passed', () => {
    const k = boot('v3.8');
    const u = asUser(k, k.init, 1000);
    const fd = ok(k, u, 'open', { path: '/proc/self/ns/net' });
    expect(sys(k, u, 'setns', { fd, nstype: CLONE_NEWIPC }).ret).to.equal(-EINVAL);
    expect(sys(k, u, 'setns', { fd, nstype: CLONE_NEWNET }).ret).to.equal(-EPERM);
  });

  it('mntns_install: a shared fs_struct (fs->users != 1) → EINVAL', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init, CLONE_FS);
    const fd = openFd(k, a, '/proc/self/ns/mnt');
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWNS }).ret).to.equal(-EINVAL);
  });

  it('pidns_install: an ancestor of the active pid namespace → EINVAL', () => {
    const k = boot('v3.8');
    const c = fork(k, k.init, CLONE_NEWPID);
    const fd = openFd(k, c, '/proc/1/ns/pid');
    expect(sys(k, c, 'setns', { fd, nstype: CLONE_NEWPID }).ret).to.equal(-EINVAL);
  });
});

describe('namespace lifetime through proc ns files (3.0)', () => {
  it('an unshared net namespace dies at exit_task_namespaces (before the zombie state) when nothing else holds it', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    exitTask(k, a);
    expect(a.state).to.equal('zombie');
    expect(net.freed).to.equal(true);
    reap(k, k.init, a);
  });

  it('an open ns fd keeps the namespace after the reap; close kills it (dput → pid_delete_dentry → proc_evict_inode → put)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(nsOfFd(k.init, fd)).to.equal(net);
    exitAndReap(k, a);
    expect(net.freed).to.equal(false);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(net.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
  });

  it('a cached ns dentry of a live task pins its namespace: the zombie\'s net lives until proc_flush_task at reap', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(0);
    exitTask(k, a);
    expect(net.freed).to.equal(false); // the unused cached dentry's inode still holds it
    reap(k, k.init, a);
    expect(net.freed).to.equal(true);
  });

  it('pid_revalidate only asks whether the task exists: a zombie\'s cached ns dentry still opens (a fresh lookup would be ENOENT)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(0);
    exitTask(k, a);
    expect(sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.be.at.least(0);
    expect(sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns/uts` }).ret).to.equal(-ENOENT);
  });

  it('stale-ns-dentry (v3.0): pid_revalidate keeps the cached dentry, so /proc/<pid>/ns/net still names the old namespace after unshare', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const oldNet = a.nsproxy?.net_ns;
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(0);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(nsOfFd(k.init, fd)).to.equal(oldNet);
    expect(nsOfFd(k.init, fd)).to.not.equal(a.nsproxy?.net_ns);
  });

  it('3.0 ns files: S_IFREG|S_IRUSR, and a fresh get_next_ino() number on every instantiation', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const p = `/proc/${a.pid.nr}/ns/net`;
    const s1 = sys(k, k.init, 'stat', { path: p });
    expect(s1.obs?.stat?.mode).to.equal(0o100400);
    const s2 = sys(k, k.init, 'stat', { path: p });
    expect(s2.obs?.stat?.ino).to.equal(s1.obs?.stat?.ino); // the cached dentry
    ok(k, k.init, 'drop_caches', { mode: 2 });
    const s3 = sys(k, k.init, 'stat', { path: p });
    expect(s3.obs?.stat?.ino).to.not.equal(s1.obs?.stat?.ino);
  });

  it('3.0 ns_entries are net, uts, ipc only: /proc/<pid>/ns/mnt → ENOENT', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'stat', { path: '/proc/1/ns/mnt' }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/proc/1/ns/pid' }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/proc/1/ns/ipc' }).ret).to.equal(0);
  });
});

describe('proc_ns_dir_readdir (3.0)', () => {
  it('lists ".", "..", net, uts, ipc with f_pos = 2 + index and reclen align8(19 + len + 1)', () => {
    const k = boot('v3.0');
    const fd = openFd(k, k.init, '/proc/1/ns', O_DIRECTORY);
    const r = sys(k, k.init, 'getdents64', { fd, count: 4096 });
    expect(r.ret).to.equal(5 * 24);
    const d = r.obs?.dirents ?? [];
    expect(d.map((e) => e.name)).to.deep.equal(['.', '..', 'net', 'uts', 'ipc']);
    expect(d.map((e) => e.off)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(d.map((e) => e.reclen)).to.deep.equal([24, 24, 24, 24, 24]);
    expect(d[0].type).to.equal(DT_DIR);
    expect(sys(k, k.init, 'getdents64', { fd, count: 4096 }).ret).to.equal(0); // EOF
  });

  it('getdents64: the first record not fitting → EINVAL; a full buffer resumes at f_pos', () => {
    const k = boot('v3.0');
    const fd = openFd(k, k.init, '/proc/1/ns', O_DIRECTORY);
    expect(sys(k, k.init, 'getdents64', { fd, count: 10 }).ret).to.equal(-EINVAL);
    const names: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = sys(k, k.init, 'getdents64', { fd, count: 40 });
      if (r.ret === 0) break;
      expect(r.ret).to.equal(24); // one 24-byte record fits in 40
      names.push(...(r.obs?.dirents ?? []).map((e) => e.name));
    }
    expect(names).to.deep.equal(['.', '..', 'net', 'uts', 'ipc']);
  });

  it('a zombie\'s ns dir (root) still lists net/uts/ipc with ino 1 and DT_UNKNOWN (proc_fill_cache fallback)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    exitTask(k, a);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns`, O_DIRECTORY);
    const r = sys(k, k.init, 'getdents64', { fd, count: 4096 });
    const d = r.obs?.dirents ?? [];
    expect(d.map((e) => e.name)).to.deep.equal(['.', '..', 'net', 'uts', 'ipc']);
    for (const e of d.slice(2)) {
      expect(e.ino).to.equal(1);
      expect(e.type).to.equal(DT_UNKNOWN);
    }
    expect(k.oopses).to.deep.equal([]);
  });

  it('after the reap, getdents64 on a held ns dir fd → ENOENT (get_proc_task is NULL)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns`, O_DIRECTORY);
    exitAndReap(k, a);
    expect(sys(k, k.init, 'getdents64', { fd, count: 4096 }).ret).to.equal(-ENOENT);
  });
});

describe('3.8: one inode per namespace, numbered by its inum', () => {
  it('stat of ns/uts gives PROC_UTS_INIT_INO (0xEFFFFFFE) and S_IFREG|0444; readlink "uts:[4026531838]"', () => {
    const k = boot('v3.8');
    const st = sys(k, k.init, 'stat', { path: '/proc/self/ns/uts' });
    expect(st.obs?.stat?.ino).to.equal(0xeffffffe);
    expect(st.obs?.stat?.mode).to.equal(0o100444);
    const rl = sys(k, k.init, 'readlink', { path: '/proc/self/ns/uts' });
    expect(rl.obs?.text).to.equal('uts:[4026531838]');
    expect(rl.ret).to.equal('uts:[4026531838]'.length);
  });

  it('proc_ns_get_dentry: two tasks in one namespace get the same inode (iget_locked), which holds one reference', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const b = fork(k, a);
    const fa = openFd(k, a, '/proc/self/ns/net');
    const fb = openFd(k, b, '/proc/self/ns/net');
    const ia = a.files?.fdt[fa]?.f_path.dentry.d_inode;
    const ib = b.files?.fdt[fb]?.f_path.dentry.d_inode;
    expect(ia).to.equal(ib);
    expect(ia?.i_ino).to.equal(net.inum);
    expect(net.count).to.equal(2); // the shared nsproxy + the one inode
  });

  it('proc_alloc_inum: dynamic numbers from 0xF0000000, lowest free first, reused at once after proc_free_inum', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init, CLONE_NEWNET);
    const inum = a.nsproxy?.net_ns?.inum as number;
    expect(inum).to.be.at.least(PROC_DYNAMIC_FIRST);
    exitAndReap(k, a);
    const b = fork(k, k.init, CLONE_NEWNET);
    expect(b.nsproxy?.net_ns?.inum).to.equal(inum);
  });

  it('ns_delete_dentry: 3.8 ns dentries are never cached: after stat the namespace has no extra holder', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(0);
    expect(net.count).to.equal(1);
    exitTask(k, a);
    expect(net.freed).to.equal(true);
  });

  it('readdir (3.8) order: ".", "..", net, uts, ipc, pid, user, mnt', () => {
    const k = boot('v3.8');
    const fd = openFd(k, k.init, '/proc/1/ns', O_DIRECTORY);
    const r = sys(k, k.init, 'getdents64', { fd, count: 4096 });
    expect((r.obs?.dirents ?? []).map((e) => e.name)).to.deep.equal(['.', '..', 'net', 'uts', 'ipc', 'pid', 'user', 'mnt']);
  });
});

describe('CLONE_FILES does not share namespaces', () => {
  it('a CLONE_FILES child without CLONE_NEW* still shares only the nsproxy by reference', () => {
    const k = boot();
    const a = fork(k, k.init, CLONE_FILES);
    expect(a.files).to.equal(k.init.files);
    expect(a.nsproxy).to.equal(k.init.nsproxy);
  });
});
