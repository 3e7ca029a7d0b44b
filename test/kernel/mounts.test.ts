// fs/namespace.c: bind mounts (do_loopback, graft_tree), umount (sys_umount, do_umount,
// propagate_mount_busy), MNT_DETACH, CLONE_NEWNS copies. Expectations from
// docs/kernel-reading.md §fs/namespace.c, SURPRISES 12, and DESIGN.md (bind mounts pin namespaces).
import { expect } from 'chai';
import { EAGAIN, EBUSY, EINVAL, ENOENT, ENOTDIR, EPERM } from '../../kernel/errno';
import { CLONE_NEWNET, CLONE_NEWNS, MNT_DETACH } from '../../kernel/flags';
import { NetNamespace } from '../../kernel/namespaces';
import { Vfsmount } from '../../kernel/fs';
import { asUser, boot, exitAndReap, fileAt, fork, mkfile, ok, openFd, sys } from './util';

const MNT_EXPIRE = 4;

/** A task with its own net namespace, whose ns file is bound on /tmp/f; the task is then reaped. */
function pinnedNet(k: ReturnType<typeof boot>): NetNamespace {
  const a = fork(k, k.init);
  ok(k, a, 'unshare', { flags: CLONE_NEWNET });
  const net = a.nsproxy?.net_ns as NetNamespace;
  mkfile(k, k.init, '/tmp/f');
  expect(sys(k, k.init, 'mount', { source: `/proc/${a.pid.nr}/ns/net`, target: '/tmp/f' }).ret).to.equal(0);
  exitAndReap(k, a);
  return net;
}

describe('bind mounts (do_loopback / graft_tree)', () => {
  it('a proc ns file can be bound onto a file; the walk then crosses into it (follow_mount)', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'stat', { path: '/tmp/f' }).obs?.stat?.mode).to.equal(0o100644);
    expect(sys(k, k.init, 'mount', { source: '/proc/self/ns/net', target: '/tmp/f' }).ret).to.equal(0);
    const st = sys(k, k.init, 'stat', { path: '/tmp/f' });
    expect(st.obs?.stat?.mode).to.equal(0o100400);
    expect(st.obs?.stat?.dev).to.equal(k.procMnt?.mnt_sb.s_dev);
  });

  it('the bind mount pins the ns dentry, hence the inode and the namespace, after the task is reaped', () => {
    const k = boot('v3.0');
    const net = pinnedNet(k);
    expect(net.freed).to.equal(false);
    expect(k.oopses).to.deep.equal([]);
  });

  it('graft_tree: a directory onto a file, or a file onto a directory → ENOTDIR', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'mount', { source: '/tmp', target: '/tmp/f' }).ret).to.equal(-ENOTDIR);
    expect(sys(k, k.init, 'mount', { source: '/proc/self/ns/net', target: '/mnt' }).ret).to.equal(-ENOTDIR);
    expect(sys(k, k.init, 'mount', { source: '/proc/self/ns', target: '/tmp/f' }).ret).to.equal(-ENOTDIR);
  });

  it('mount_is_safe: without CAP_SYS_ADMIN → EPERM', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'mount', { source: '/tmp/f', target: '/tmp/f' }).ret).to.equal(-EPERM);
  });

  it('do_mount walks the target before do_loopback\'s capability check: a missing target → ENOENT even without CAP_SYS_ADMIN', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'mount', { source: '/tmp', target: '/nonexistent' }).ret).to.equal(-ENOENT);
  });

  it('do_loopback: an empty source → EINVAL; a missing source → ENOENT', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'mount', { source: '', target: '/mnt' }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'mount', { source: '/tmp/nope', target: '/mnt' }).ret).to.equal(-ENOENT);
  });

  it('mnt_set_mountpoint: the new mount pins its mountpoint dentry and its parent mount', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    const mp = fileAt(k.init, fd).f_path.dentry;
    sys(k, k.init, 'close', { fd });
    const rootCount = k.rootMnt.count;
    expect(sys(k, k.init, 'mount', { source: '/proc/self/ns/net', target: '/tmp/f' }).ret).to.equal(0);
    expect(mp.d_mounted).to.equal(1);
    expect(mp.count).to.equal(1);
    expect(k.rootMnt.count).to.equal(rootCount + 1);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f' }).ret).to.equal(0);
    expect(mp.d_mounted).to.equal(0);
    expect(mp.count).to.equal(0);
    expect(k.rootMnt.count).to.equal(rootCount);
  });

  it('lookup_mnt is keyed by (vfsmount, dentry): a file bound on /mnt/f (through a /tmp bind) is not seen at /tmp/f', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'mount', { source: '/tmp', target: '/mnt' }).ret).to.equal(0);
    expect(sys(k, k.init, 'mount', { source: '/proc/self/ns/net', target: '/mnt/f' }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: '/mnt/f' }).obs?.stat?.mode).to.equal(0o100400);
    expect(sys(k, k.init, 'stat', { path: '/tmp/f' }).obs?.stat?.mode).to.equal(0o100644);
  });

  it('vfs_rmdir: a mountpoint → EBUSY', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'mount', { source: '/run', target: '/mnt' }).ret).to.equal(0);
    expect(sys(k, k.init, 'rmdir', { path: '/mnt' }).ret).to.equal(-EBUSY);
  });

  it('do_loopback walks the source with LOOKUP_FOLLOW: binding /proc/<pid>/fd/<n> pins the open file\'s own dentry', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    const fd = openFd(k, a, '/proc/self/ns/net');
    const nsDentry = fileAt(a, fd).f_path.dentry;
    mkfile(k, k.init, '/tmp/g');
    expect(sys(k, k.init, 'mount', { source: `/proc/${a.pid.nr}/fd/${fd}`, target: '/tmp/g' }).ret).to.equal(0);
    const m = k.rootMnt.mnt_mounts.find((x) => x.mnt_root === nsDentry);
    expect(m).to.not.equal(undefined);
    exitAndReap(k, a);
    expect(net.freed).to.equal(false);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/g' }).ret).to.equal(0);
    expect(net.freed).to.equal(true);
  });

  it('vfs_unlink: a mountpoint → EBUSY', () => {
    const k = boot('v3.0');
    pinnedNet(k);
    expect(sys(k, k.init, 'unlink', { path: '/tmp/f' }).ret).to.equal(-EBUSY);
  });
});

describe('umount (sys_umount / do_umount)', () => {
  it('umount of the bind mount releases the namespace at once (mntput → dput → pid_delete_dentry → evict → put)', () => {
    const k = boot('v3.0');
    const net = pinnedNet(k);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f' }).ret).to.equal(0);
    expect(net.freed).to.equal(true);
    expect(sys(k, k.init, 'stat', { path: '/tmp/f' }).obs?.stat?.mode).to.equal(0o100644);
    expect(k.oopses).to.deep.equal([]);
  });

  it('propagate_mount_busy(mnt, 2): EBUSY while a file is open through the mount; 0 after close', () => {
    const k = boot('v3.0');
    const net = pinnedNet(k);
    const fd = openFd(k, k.init, '/tmp/f');
    expect((fileAt(k.init, fd).f_path.mnt as Vfsmount)).to.not.equal(k.rootMnt);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f' }).ret).to.equal(-EBUSY);
    expect(net.freed).to.equal(false);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f' }).ret).to.equal(0);
    expect(net.freed).to.equal(true);
  });

  it('MNT_DETACH skips the busy check; a detached mount with an open fd lives until that fd closes', () => {
    const k = boot('v3.0');
    const net = pinnedNet(k);
    const fd = openFd(k, k.init, '/tmp/f');
    const mnt = fileAt(k.init, fd).f_path.mnt;
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f', flags: MNT_DETACH }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: '/tmp/f' }).obs?.stat?.mode).to.equal(0o100644); // gone from the tree
    expect(mnt.freed).to.equal(false);
    expect(net.freed).to.equal(false);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(mnt.freed).to.equal(true);
    expect(net.freed).to.equal(true);
  });

  it('propagate_mount_busy: a mount with child mounts is busy; MNT_DETACH takes the whole subtree (umount_tree)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    ok(k, a, 'unshare', { flags: CLONE_NEWNET });
    const net = a.nsproxy?.net_ns as NetNamespace;
    mkfile(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'mount', { source: '/tmp', target: '/mnt' }).ret).to.equal(0);
    expect(sys(k, k.init, 'mount', { source: `/proc/${a.pid.nr}/ns/net`, target: '/mnt/f' }).ret).to.equal(0);
    exitAndReap(k, a);
    expect(sys(k, k.init, 'umount2', { target: '/mnt' }).ret).to.equal(-EBUSY);
    expect(sys(k, k.init, 'umount2', { target: '/mnt', flags: MNT_DETACH }).ret).to.equal(0);
    expect(net.freed).to.equal(true);
    expect(sys(k, k.init, 'stat', { path: '/mnt/f' }).ret).to.equal(-ENOENT);
  });

  it('sys_umount: a path that is not a mount root → EINVAL', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'umount2', { target: '/tmp' }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'umount2', { target: '/proc/self/ns' }).ret).to.equal(-EINVAL);
  });

  it('sys_umount: without CAP_SYS_ADMIN → EPERM, but the mount-root check comes first (EINVAL)', () => {
    const k = boot('v3.0');
    pinnedNet(k);
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'umount2', { target: '/tmp/f' }).ret).to.equal(-EPERM);
    expect(sys(k, u, 'umount2', { target: '/tmp' }).ret).to.equal(-EINVAL);
  });

  it('sys_umount: unknown flag bits → EINVAL; a missing target → ENOENT', () => {
    const k = boot('v3.0');
    pinnedNet(k);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f', flags: 0x100 }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/nope' }).ret).to.equal(-ENOENT);
  });

  it('do_umount MNT_EXPIRE: the first call only marks the mount → EAGAIN; the second unmounts it', () => {
    const k = boot('v3.0');
    const net = pinnedNet(k);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f', flags: MNT_EXPIRE }).ret).to.equal(-EAGAIN);
    expect(net.freed).to.equal(false);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f', flags: MNT_EXPIRE }).ret).to.equal(0);
    expect(net.freed).to.equal(true);
  });

  it('do_umount: MNT_EXPIRE with MNT_DETACH → EINVAL', () => {
    const k = boot('v3.0');
    pinnedNet(k);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f', flags: MNT_EXPIRE | MNT_DETACH }).ret).to.equal(-EINVAL);
  });
});

describe('CLONE_NEWNS: copy_tree', () => {
  it('the child gets a copy of every mount; umount in the child leaves the parent\'s mount in place', () => {
    const k = boot('v3.0');
    const net = pinnedNet(k);
    const c = fork(k, k.init, CLONE_NEWNS);
    expect(c.nsproxy?.mnt_ns).to.not.equal(k.init.nsproxy?.mnt_ns);
    expect(sys(k, c, 'stat', { path: '/tmp/f' }).obs?.stat?.mode).to.equal(0o100400);
    expect(sys(k, c, 'umount2', { target: '/tmp/f' }).ret).to.equal(0);
    expect(sys(k, c, 'stat', { path: '/tmp/f' }).obs?.stat?.mode).to.equal(0o100644);
    expect(sys(k, k.init, 'stat', { path: '/tmp/f' }).obs?.stat?.mode).to.equal(0o100400);
    expect(net.freed).to.equal(false);
  });

  it('a mount made in the child\'s namespace is invisible to the parent', () => {
    const k = boot('v3.0');
    mkfile(k, k.init, '/tmp/f');
    const c = fork(k, k.init, CLONE_NEWNS);
    expect(sys(k, c, 'mount', { source: '/tmp', target: '/mnt' }).ret).to.equal(0);
    expect(sys(k, c, 'stat', { path: '/mnt/f' }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: '/mnt/f' }).ret).to.equal(-ENOENT);
  });

  it('put_mnt_ns: when the last task of a mount namespace is reaped, its copies release the namespace they pinned', () => {
    const k = boot('v3.0');
    const net = pinnedNet(k);
    const c = fork(k, k.init, CLONE_NEWNS);
    expect(sys(k, k.init, 'umount2', { target: '/tmp/f' }).ret).to.equal(0);
    expect(net.freed).to.equal(false); // the child's copy still pins it
    exitAndReap(k, c);
    expect(net.freed).to.equal(true);
  });
});
