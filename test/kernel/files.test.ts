// fs/file.c, fs/fcntl.c, fs/open.c, fs/read_write.c, fs/readdir.c: the fd table and file
// references. Expectations from docs/kernel-reading.md (fs/read_write.c, fs/readdir.c,
// kernel/exit.c exit_files) and the fd-table rules of fs/file.c (alloc_fd: lowest free fd;
// RLIMIT_NOFILE 1024 → EMFILE) and fs/fcntl.c (sys_dup3: a bad newfd is EBADF).
import { expect } from 'chai';
import { EBADF, EINVAL, EISDIR, EMFILE, ENOTDIR, ESPIPE } from '../../kernel/errno';
import { CLONE_FILES, O_CREAT, O_DIRECTORY, O_RDWR, O_WRONLY, SEEK_SET } from '../../kernel/flags';
import { boot, exitAndReap, exitTask, fileAt, fork, mkfile, openFd, reap, sys } from './util';

describe('the fd table (alloc_fd, close)', () => {
  it('alloc_fd: open returns the lowest free descriptor, and reuses a closed one', () => {
    const k = boot();
    expect(openFd(k, k.init, '/tmp')).to.equal(0);
    expect(openFd(k, k.init, '/mnt')).to.equal(1);
    expect(openFd(k, k.init, '/run')).to.equal(2);
    expect(sys(k, k.init, 'close', { fd: 1 }).ret).to.equal(0);
    expect(openFd(k, k.init, '/proc')).to.equal(1);
  });

  it('close: a closed or never-opened fd → EBADF', () => {
    const k = boot();
    const fd = openFd(k, k.init, '/tmp');
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(-EBADF);
    expect(sys(k, k.init, 'close', { fd: 500 }).ret).to.equal(-EBADF);
    expect(sys(k, k.init, 'close', { fd: -1 }).ret).to.equal(-EBADF);
  });

  it('alloc_fd: EMFILE once descriptors 0..1023 (RLIMIT_NOFILE) are all in use', () => {
    const k = boot();
    const fd = openFd(k, k.init, '/tmp');
    for (let i = 1; i < 1024; i++) expect(sys(k, k.init, 'dup', { fd }).ret).to.equal(i);
    expect(sys(k, k.init, 'dup', { fd }).ret).to.equal(-EMFILE);
    expect(sys(k, k.init, 'open', { path: '/tmp' }).ret).to.equal(-EMFILE);
  });

  it('filp_close/fput: the last close frees the file and releases its dentry and vfsmount references', () => {
    const k = boot();
    const fd = openFd(k, k.init, '/tmp');
    const f = fileAt(k.init, fd);
    const { dentry, mnt } = f.f_path;
    const dc = dentry.count;
    const mc = mnt.count;
    expect(dentry.holders.get(f.id)).to.equal(1);
    expect(mnt.holders.get(f.id)).to.equal(1);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(f.freed).to.equal(true);
    expect(dentry.count).to.equal(dc - 1);
    expect(mnt.count).to.equal(mc - 1);
  });
});

describe('dup and dup2', () => {
  it('sys_dup: the lowest free fd, the same struct file with one more reference', () => {
    const k = boot();
    const fd = openFd(k, k.init, '/tmp');
    const f = fileAt(k.init, fd);
    expect(sys(k, k.init, 'dup', { fd }).ret).to.equal(fd + 1);
    expect(fileAt(k.init, fd + 1)).to.equal(f);
    expect(f.count).to.equal(2);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(f.freed).to.equal(false);
  });

  it('sys_dup: a bad oldfd → EBADF', () => {
    const k = boot();
    expect(sys(k, k.init, 'dup', { fd: 42 }).ret).to.equal(-EBADF);
  });

  it('sys_dup2: an open newfd is closed (its file freed if that was the last reference) and returned', () => {
    const k = boot();
    const a = openFd(k, k.init, '/tmp');
    const b = openFd(k, k.init, '/mnt');
    const fa = fileAt(k.init, a);
    const fb = fileAt(k.init, b);
    expect(sys(k, k.init, 'dup2', { oldfd: a, newfd: b }).ret).to.equal(b);
    expect(fileAt(k.init, b)).to.equal(fa);
    expect(fb.freed).to.equal(true);
    expect(fa.count).to.equal(2);
  });

  it('sys_dup2(fd, fd) returns fd unchanged; on a closed fd → EBADF', () => {
    const k = boot();
    const a = openFd(k, k.init, '/tmp');
    const f = fileAt(k.init, a);
    expect(sys(k, k.init, 'dup2', { oldfd: a, newfd: a }).ret).to.equal(a);
    expect(f.count).to.equal(1);
    expect(sys(k, k.init, 'dup2', { oldfd: 7, newfd: 7 }).ret).to.equal(-EBADF);
  });

  it('sys_dup2: newfd ≥ RLIMIT_NOFILE → EBADF (expand_files EMFILE is reported as EBADF)', () => {
    const k = boot();
    const a = openFd(k, k.init, '/tmp');
    expect(sys(k, k.init, 'dup2', { oldfd: a, newfd: 1024 }).ret).to.equal(-EBADF);
    expect(sys(k, k.init, 'dup2', { oldfd: a, newfd: 1023 }).ret).to.equal(1023);
  });
});

describe('fork and CLONE_FILES', () => {
  it('dup_fd: fork copies the table; each file gains a reference; the child\'s close leaves the parent\'s fd', () => {
    const k = boot();
    const fd = openFd(k, k.init, '/tmp');
    const f = fileAt(k.init, fd);
    const c = fork(k, k.init);
    expect(c.files).to.not.equal(k.init.files);
    expect(fileAt(c, fd)).to.equal(f);
    expect(f.count).to.equal(2);
    expect(sys(k, c, 'close', { fd }).ret).to.equal(0);
    expect(fileAt(k.init, fd)).to.equal(f);
    expect(f.count).to.equal(1);
  });

  it('CLONE_FILES: one files_struct (count 2); a close in the child closes the parent\'s fd', () => {
    const k = boot();
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    const c = fork(k, a, CLONE_FILES);
    expect(c.files).to.equal(a.files);
    expect(a.files?.count).to.equal(2);
    expect(sys(k, c, 'close', { fd }).ret).to.equal(0);
    expect(sys(k, a, 'close', { fd }).ret).to.equal(-EBADF);
  });

  it('put_files_struct: the exit of one CLONE_FILES sharer closes nothing', () => {
    const k = boot();
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    const f = fileAt(a, fd);
    const c = fork(k, a, CLONE_FILES);
    exitAndReap(k, c);
    expect(f.freed).to.equal(false);
    expect(a.files?.count).to.equal(1);
    expect(fileAt(a, fd)).to.equal(f);
  });

  it('unshare(CLONE_FILES) of a shared table gives a private copy: closes no longer cross', () => {
    const k = boot();
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    const c = fork(k, a, CLONE_FILES);
    expect(sys(k, c, 'unshare', { flags: CLONE_FILES }).ret).to.equal(0);
    expect(c.files).to.not.equal(a.files);
    expect(a.files?.count).to.equal(1);
    expect(sys(k, c, 'close', { fd }).ret).to.equal(0);
    expect(fileAt(a, fd).freed).to.equal(false);
  });

  it('exit_files: the last sharer\'s exit closes every file', () => {
    const k = boot();
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    const f = fileAt(a, fd);
    const c = fork(k, a, CLONE_FILES);
    exitTask(k, a);
    expect(f.freed).to.equal(false);
    exitTask(k, c);
    expect(f.freed).to.equal(true);
    reap(k, k.init, a);
  });
});

describe('open, read, lseek, getdents64 errnos', () => {
  it('may_open: O_DIRECTORY on a regular file → ENOTDIR; a directory for writing → EISDIR', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'open', { path: '/tmp/f', flags: O_DIRECTORY }).ret).to.equal(-ENOTDIR);
    expect(sys(k, k.init, 'open', { path: '/tmp', flags: O_WRONLY }).ret).to.equal(-EISDIR);
    expect(sys(k, k.init, 'open', { path: '/tmp', flags: O_RDWR }).ret).to.equal(-EISDIR);
  });

  it('O_CREAT creates a missing file, and opens an existing one', () => {
    const k = boot();
    expect(sys(k, k.init, 'open', { path: '/tmp/new', flags: O_CREAT }).ret).to.be.at.least(0);
    expect(sys(k, k.init, 'stat', { path: '/tmp/new' }).obs?.stat?.mode).to.equal(0o100644);
    expect(sys(k, k.init, 'open', { path: '/tmp/new', flags: O_CREAT }).ret).to.be.at.least(0);
  });

  it('vfs_read: a file not open for reading → EBADF (checked before ->read)', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f', O_WRONLY);
    expect(sys(k, k.init, 'read', { fd, count: 1 }).ret).to.equal(-EBADF);
  });

  it('3.0 ns file (ns_file_operations = { .llseek = no_llseek }): read → EINVAL, lseek → ESPIPE', () => {
    const k = boot('v3.0');
    const fd = openFd(k, k.init, '/proc/self/ns/net');
    expect(sys(k, k.init, 'read', { fd, count: 16 }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'lseek', { fd, offset: 0, whence: SEEK_SET }).ret).to.equal(-ESPIPE);
  });

  it('3.0 ns file: open O_RDWR by root succeeds (0400, CAP_DAC_OVERRIDE; no ->open to refuse it)', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'open', { path: '/proc/self/ns/net', flags: O_RDWR }).ret).to.be.at.least(0);
  });

  it('proc_ns_dir_operations (3.0): read → EISDIR (generic_read_dir); lseek → ESPIPE (no .llseek)', () => {
    const k = boot('v3.0');
    const fd = openFd(k, k.init, '/proc/self/ns', O_DIRECTORY);
    expect(sys(k, k.init, 'read', { fd, count: 16 }).ret).to.equal(-EISDIR);
    expect(sys(k, k.init, 'lseek', { fd, offset: 0, whence: SEEK_SET }).ret).to.equal(-ESPIPE);
  });

  it('sys_lseek: a bad fd → EBADF before the whence check; whence > SEEK_END → EINVAL', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'lseek', { fd: 77, offset: 0, whence: 9 }).ret).to.equal(-EBADF);
    expect(sys(k, k.init, 'lseek', { fd, offset: 0, whence: 9 }).ret).to.equal(-EINVAL);
    expect(sys(k, k.init, 'lseek', { fd, offset: 5, whence: SEEK_SET }).ret).to.equal(5);
  });

  it('vfs_readdir: a regular file has no ->readdir → ENOTDIR; a bad fd → EBADF', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'getdents64', { fd, count: 4096 }).ret).to.equal(-ENOTDIR);
    expect(sys(k, k.init, 'getdents64', { fd: 99, count: 4096 }).ret).to.equal(-EBADF);
  });

  it('fstat on a bad fd → EBADF; on an open file gives the same inode as stat', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'fstat', { fd: 99 }).ret).to.equal(-EBADF);
    expect(sys(k, k.init, 'fstat', { fd }).obs?.stat?.ino).to.equal(sys(k, k.init, 'stat', { path: '/tmp/f' }).obs?.stat?.ino);
  });
});
