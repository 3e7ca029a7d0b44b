// Credentials and ptrace_may_access (kernel/cred.c, kernel/sys.c, kernel/ptrace.c) as they
// decide /proc/<pid>/ns access. Expectations from docs/kernel-reading.md (kernel/ptrace.c,
// fs/proc/namespaces.c, fs/proc/base.c) and DESIGN.md.
import { expect } from 'chai';
import { CLONE_NEWNET, O_DIRECTORY, O_RDONLY } from '../../kernel/flags';
import { EACCES, ENOENT, EPERM } from '../../kernel/errno';
import { asUser, boot, exitTask, fork, openFd, reap, sys } from './util';

const ALL_BUT_PTRACE = ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_SETUID', 'CAP_SYS_ADMIN'];

describe('credentials: setuid and capset', () => {
  it('sys_setuid + cap_emulate_setxuid: root leaving uid 0 loses its capabilities (unshare → EPERM)', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(u.cred).to.include({ uid: 1000, euid: 1000, suid: 1000, fsuid: 1000 });
    expect(u.cred.caps.size).to.equal(0);
    expect(sys(k, u, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(-EPERM);
  });

  it('sys_setuid: without CAP_SETUID only the real or saved uid is allowed (EPERM otherwise)', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'setuid', { uid: 0 }).ret).to.equal(-EPERM);
    expect(sys(k, u, 'setuid', { uid: 1000 }).ret).to.equal(0);
  });

  it('commit_creds: an euid change makes the mm non-dumpable (suid_dumpable 0)', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(a.mm?.dumpable).to.equal(1);
    expect(sys(k, a, 'setuid', { uid: 1000 }).ret).to.equal(0);
    expect(a.mm?.dumpable).to.equal(0);
  });

  it('capset: a capability not in the current set cannot be gained (EPERM)', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(sys(k, a, 'capset', { caps: ALL_BUT_PTRACE }).ret).to.equal(0);
    expect(sys(k, a, 'capset', { caps: [...ALL_BUT_PTRACE, 'CAP_SYS_PTRACE'] }).ret).to.equal(-EPERM);
  });
});

describe('__ptrace_may_access (3.0) as proc_ns_dir_lookup uses it: failure is EPERM', () => {
  it('another uid without CAP_SYS_PTRACE: /proc/1/ns/net → EPERM', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'stat', { path: '/proc/1/ns/net' }).ret).to.equal(-EPERM);
  });

  it('same uid but target not dumpable (get_dumpable 0 after setuid) and no CAP_SYS_PTRACE → EPERM', () => {
    const k = boot('v3.0');
    const b = asUser(k, k.init, 1000);
    const c = asUser(k, k.init, 1000);
    expect(sys(k, c, 'stat', { path: `/proc/${b.pid.nr}/ns/net` }).ret).to.equal(-EPERM);
  });

  it('task == current always passes, even when not dumpable: stat of its own ns/net succeeds', () => {
    const k = boot('v3.0');
    const b = asUser(k, k.init, 1000);
    expect(sys(k, b, 'stat', { path: `/proc/${b.pid.nr}/ns/net` }).ret).to.equal(0);
  });

  it('proc_pid_make_inode: a non-dumpable task\'s ns file is owned by 0:0, so the task itself cannot open it (0400 → EACCES)', () => {
    const k = boot('v3.0');
    const b = asUser(k, k.init, 1000);
    const st = sys(k, b, 'stat', { path: '/proc/self/ns/net' });
    expect(st.ret).to.equal(0);
    expect(st.obs?.stat?.uid).to.equal(0);
    expect(sys(k, b, 'open', { path: '/proc/self/ns/net', flags: O_RDONLY }).ret).to.equal(-EACCES);
  });

  it('root without CAP_SYS_PTRACE: same-uid dumpable target with no more capabilities passes, another uid gets EPERM', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    const r = fork(k, k.init);
    const t = fork(k, k.init);
    expect(sys(k, r, 'capset', { caps: ALL_BUT_PTRACE }).ret).to.equal(0);
    expect(sys(k, t, 'capset', { caps: ALL_BUT_PTRACE }).ret).to.equal(0);
    expect(sys(k, r, 'stat', { path: `/proc/${t.pid.nr}/ns/net` }).ret).to.equal(0);
    expect(sys(k, r, 'stat', { path: `/proc/${u.pid.nr}/ns/net` }).ret).to.equal(-EPERM);
  });

  it('cap_ptrace_access_check: a target whose permitted set is not a subset of the caller\'s needs CAP_SYS_PTRACE (EPERM)', () => {
    const k = boot('v3.0');
    const r = fork(k, k.init);
    expect(sys(k, r, 'capset', { caps: ALL_BUT_PTRACE }).ret).to.equal(0);
    expect(sys(k, r, 'stat', { path: '/proc/1/ns/net' }).ret).to.equal(-EPERM); // init keeps CAP_SYS_PTRACE
    expect(sys(k, r, 'stat', { path: '/proc/self/ns/net' }).ret).to.equal(0);
  });

  it('zombie (mm == NULL, not dumpable): a non-root parent gets EPERM; root gets ENOENT (no nsproxy)', () => {
    const k = boot('v3.0');
    const b = asUser(k, k.init, 1000);
    const c = fork(k, b);
    exitTask(k, c);
    expect(sys(k, b, 'stat', { path: `/proc/${c.pid.nr}/ns/net` }).ret).to.equal(-EPERM);
    expect(sys(k, k.init, 'stat', { path: `/proc/${c.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    reap(k, b, c);
  });

  it('root without CAP_SYS_PTRACE on a root-owned zombie: the dumpable test fails → EPERM', () => {
    const k = boot('v3.0');
    const r = fork(k, k.init);
    const z = fork(k, k.init);
    exitTask(k, z);
    expect(sys(k, r, 'capset', { caps: ALL_BUT_PTRACE }).ret).to.equal(0);
    expect(sys(k, r, 'stat', { path: `/proc/${z.pid.nr}/ns/net` }).ret).to.equal(-EPERM);
  });

  it('proc_ns_dir_readdir (3.0): EPERM without ptrace access, after the open itself succeeded', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    const r = fork(k, k.init);
    expect(sys(k, r, 'capset', { caps: ALL_BUT_PTRACE }).ret).to.equal(0);
    const fd = openFd(k, r, `/proc/${u.pid.nr}/ns`, O_DIRECTORY); // DAC_OVERRIDE opens the 0511 dir
    expect(sys(k, r, 'getdents64', { fd, count: 4096 }).ret).to.equal(-EPERM);
  });

  it('ns dir mode 0511: another uid may not open it for reading (EACCES from generic_permission)', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'open', { path: '/proc/1/ns', flags: O_DIRECTORY }).ret).to.equal(-EACCES);
  });
});

describe('pid_getattr', () => {
  it('/proc/<pid> (0555) shows the task\'s euid even when not dumpable; the ns dir (0511) shows 0 then', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, k.init, 'stat', { path: `/proc/${u.pid.nr}` }).obs?.stat?.uid).to.equal(1000);
    expect(sys(k, k.init, 'stat', { path: `/proc/${u.pid.nr}/ns` }).obs?.stat?.uid).to.equal(0);
  });
});

describe('3.8: the ptrace check moved to follow_link/readlink (EACCES)', () => {
  it('proc_ns_dir_lookup (3.8) does no ptrace check: lstat of another uid\'s ns/net succeeds as a symlink', () => {
    const k = boot('v3.8');
    const u = asUser(k, k.init, 1000);
    const st = sys(k, u, 'lstat', { path: '/proc/1/ns/net' });
    expect(st.ret).to.equal(0);
    expect(st.obs?.stat?.mode).to.equal(0o120777);
  });

  it('proc_ns_readlink / proc_ns_follow_link (3.8): another uid gets EACCES', () => {
    const k = boot('v3.8');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'readlink', { path: '/proc/1/ns/net' }).ret).to.equal(-EACCES);
    expect(sys(k, u, 'stat', { path: '/proc/1/ns/net' }).ret).to.equal(-EACCES);
  });

  it('proc_ns_readlink (3.8): a zombie passes ptrace for root but has no namespace → ENOENT', () => {
    const k = boot('v3.8');
    const z = fork(k, k.init);
    exitTask(k, z);
    expect(sys(k, k.init, 'readlink', { path: `/proc/${z.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
  });
});
