// The syscall layer: arguments of the wrong type are an errno, never a JavaScript exception;
// an unknown syscall is ENOSYS (sys_ni_syscall). The errno for each bad argument follows what
// the kernel returns for the closest bad value: a bad fd EBADF (fget), a bad pointer EFAULT
// (getname / copy_from_user), bad flags EINVAL.
import { expect } from 'chai';
import { EBADF, EFAULT, EINVAL, ENOSYS, EPERM } from '../../kernel/errno';
import { syscall } from '../../kernel/sched';
import { SYSCALL_NAMES } from '../../kernel/syscall_table';
import { asUser, boot, openFd, sys } from './util';

describe('syscall table', () => {
  it('sys_ni_syscall: an unknown syscall → ENOSYS', () => {
    const k = boot();
    expect(sys(k, k.init, 'reboot').ret).to.equal(-ENOSYS);
    expect(sys(k, k.init, '').ret).to.equal(-ENOSYS);
  });

  it('Object prototype names are not syscalls → ENOSYS', () => {
    const k = boot();
    for (const op of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(sys(k, k.init, op).ret, op).to.equal(-ENOSYS);
    }
  });

  it('args that are not an object are treated as no arguments', () => {
    const k = boot();
    expect(syscall(k, k.init, { op: 'getpid', args: null as unknown as Record<string, unknown> }).ret).to.equal(1);
    expect(syscall(k, k.init, { op: 'close', args: 7 as unknown as Record<string, unknown> }).ret).to.equal(-EBADF);
  });

  it('every syscall in the table returns an integer ret for garbage arguments', () => {
    const k = boot();
    const a = asUser(k, k.init, 1000);
    const garbage: Record<string, unknown> = {
      fd: 'x', oldfd: {}, newfd: [], path: 12, target: null, source: 3, flags: 'f', count: 'c', uid: 'u',
      caps: 'all', name: 7, pid: 'p', nstype: '0', mode: 'm', offset: {}, whence: 'w', dirfd: 'd', code: 'c',
    };
    for (const op of SYSCALL_NAMES) {
      if (op === 'exit') continue;
      const r = sys(k, a, op, garbage);
      expect(Number.isInteger(r.ret), op).to.equal(true);
    }
  });
});

describe('argument validation: wrong types are an errno', () => {
  it('fd arguments that are not integers → EBADF (close, dup, dup2, fstat, read, lseek, getdents64, setns)', () => {
    const k = boot();
    openFd(k, k.init, '/tmp');
    for (const bad of ['0', 0.5, null, {}, NaN, 2 ** 53]) {
      expect(sys(k, k.init, 'close', { fd: bad }).ret).to.equal(-EBADF);
      expect(sys(k, k.init, 'dup', { fd: bad }).ret).to.equal(-EBADF);
      expect(sys(k, k.init, 'dup2', { oldfd: bad, newfd: 3 }).ret).to.equal(-EBADF);
      expect(sys(k, k.init, 'fstat', { fd: bad }).ret).to.equal(-EBADF);
      expect(sys(k, k.init, 'read', { fd: bad, count: 1 }).ret).to.equal(-EBADF);
      expect(sys(k, k.init, 'lseek', { fd: bad, offset: 0, whence: 0 }).ret).to.equal(-EBADF);
      expect(sys(k, k.init, 'getdents64', { fd: bad, count: 100 }).ret).to.equal(-EBADF);
      expect(sys(k, k.init, 'setns', { fd: bad, nstype: 0 }).ret).to.equal(-EBADF);
    }
  });

  it('path pointers that are not strings → EFAULT (open, stat, lstat, readlink, mknod, mkdir, unlink, rmdir, umount2)', () => {
    const k = boot();
    for (const op of ['open', 'stat', 'lstat', 'readlink', 'mknod', 'mkdir', 'unlink', 'rmdir']) {
      expect(sys(k, k.init, op, { path: 42 }).ret, op).to.equal(-EFAULT);
      expect(sys(k, k.init, op, {}).ret, op).to.equal(-EFAULT);
    }
    expect(sys(k, k.init, 'umount2', { target: 42 }).ret).to.equal(-EFAULT);
    expect(sys(k, k.init, 'mount', { source: 1, target: '/mnt' }).ret).to.equal(-EFAULT);
  });

  it('flag words that are not integers → EINVAL (clone, unshare, open, umount2)', () => {
    const k = boot();
    expect(sys(k, k.init, 'clone', { flags: 'x' }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'unshare', { flags: null }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'open', { path: '/tmp', flags: 1.5 }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'umount2', { target: '/proc', flags: '2' }).ret).to.equal(-EINVAL);
  });

  it('setns: an nstype that is not an integer → EINVAL', () => {
    const k = boot();
    const fd = openFd(k, k.init, '/proc/self/ns/net');
    expect(sys(k, k.init, 'setns', { fd, nstype: 'net' }).ret).to.equal(-EINVAL);
  });

  it('sethostname: CAP_SYS_ADMIN first (EPERM), then more than __NEW_UTS_LEN (64) bytes → EINVAL', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'sethostname', { name: 'x'.repeat(100) }).ret).to.equal(-EPERM);
    expect(sys(k, k.init, 'sethostname', { name: 'x'.repeat(65) }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'sethostname', { name: 'x'.repeat(64) }).ret).to.equal(0);
    expect(sys(k, k.init, 'sethostname', { name: 5 }).ret).to.equal(-EFAULT);
  });

  it('capset with an unknown capability name → EINVAL; wait with a non-integer pid → EINVAL', () => {
    const k = boot();
    expect(sys(k, k.init, 'capset', { caps: ['CAP_NOPE'] }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'capset', { caps: 'CAP_SYS_ADMIN' }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'wait', { pid: 'x' }).ret).to.equal(-EINVAL);
  });
});
