// fs/namei.c: the path walk. Expectations from docs/kernel-reading.md §fs/namei.c
// (link_path_walk, walk_component, follow_link, path_lookupat, exec_permission),
// §fs/proc/base.c (/proc/self, fd magic links, proc_fd_permission, name_to_int).
import { expect } from 'chai';
import { EACCES, EBADF, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR } from '../../kernel/errno';
import { O_DIRECTORY, O_NOFOLLOW, O_RDWR } from '../../kernel/flags';
import { asUser, boot, fork, mkfile, ok, openFd, sys, THREAD } from './util';

const ALL_BUT_PTRACE = ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_SETUID', 'CAP_SYS_ADMIN'];

function ino(k: ReturnType<typeof boot>, path: string, op = 'stat'): number | undefined {
  return sys(k, k.init, op, { path }).obs?.stat?.ino;
}

describe('walk errors', () => {
  it('walk_component: a missing component → ENOENT, also in the middle of the path', () => {
    const k = boot();
    expect(sys(k, k.init, 'stat', { path: '/tmp/nope' }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/nope/x' }).ret).to.equal(-ENOENT);
  });

  it('link_path_walk: a non-directory in the middle of the path → ENOTDIR', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'stat', { path: '/tmp/f/x' }).ret).to.equal(-ENOTDIR);
  });

  it('lookup_last: a trailing slash forces LOOKUP_DIRECTORY: "/tmp/f/" → ENOTDIR, "/tmp/" is fine', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'stat', { path: '/tmp/f/' }).ret).to.equal(-ENOTDIR);
    expect(sys(k, k.init, 'stat', { path: '/tmp/' }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: '/proc/self/ns/net/' }).ret).to.equal(-ENOTDIR);
  });

  it('getname: an empty path → ENOENT; PATH_MAX or longer → ENAMETOOLONG', () => {
    const k = boot();
    expect(sys(k, k.init, 'stat', { path: '' }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/' + 'a'.repeat(5000) }).ret).to.equal(-ENAMETOOLONG);
  });

  it('exec_permission: another uid cannot search /proc/1/fd (0500, proc_fd_permission) → EACCES', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(sys(k, u, 'stat', { path: '/proc/1/fd/0' }).ret).to.equal(-EACCES);
  });

  it('proc_fd_permission: a task may always search its own fd dir, even when it is owned by 0 (not dumpable)', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, u, '/tmp/f');
    expect(sys(k, u, 'stat', { path: `/proc/${u.pid.nr}/fd` }).obs?.stat?.uid).to.equal(0);
    expect(sys(k, u, 'stat', { path: `/proc/${u.pid.nr}/fd/${fd}` }).ret).to.equal(0);
  });
});

describe('dots', () => {
  it('"." stays; ".." goes up; "/.." stays at the root', () => {
    const k = boot();
    expect(ino(k, '/tmp/.')).to.equal(ino(k, '/tmp'));
    expect(ino(k, '/tmp/..')).to.equal(ino(k, '/'));
    expect(ino(k, '/..')).to.equal(ino(k, '/'));
    expect(ino(k, '/tmp/../tmp/./')).to.equal(ino(k, '/tmp'));
  });

  it('follow_dotdot crosses a mount root upward: "/proc/.." is "/" (same dev and ino)', () => {
    const k = boot();
    const a = sys(k, k.init, 'stat', { path: '/proc/..' }).obs?.stat;
    const b = sys(k, k.init, 'stat', { path: '/' }).obs?.stat;
    expect(a).to.deep.equal(b);
  });

  it('relative paths start at the cwd; a dirfd that is not a directory → ENOTDIR; a bad dirfd → EBADF', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    expect(ino(k, 'tmp')).to.equal(ino(k, '/tmp'));
    const ffd = openFd(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'stat', { path: 'x', dirfd: ffd }).ret).to.equal(-ENOTDIR);
    expect(sys(k, k.init, 'stat', { path: 'x', dirfd: 55 }).ret).to.equal(-EBADF);
    const dfd = openFd(k, k.init, '/tmp', O_DIRECTORY);
    expect(sys(k, k.init, 'stat', { path: 'f', dirfd: dfd }).ret).to.equal(0);
  });

  it('path_init: an absolute path ignores dirfd entirely, even a bad one', () => {
    const k = boot();
    expect(sys(k, k.init, 'stat', { path: '/tmp', dirfd: 55 }).ret).to.equal(0);
  });
});

describe('/proc/self', () => {
  it('proc_self_follow_link: "/proc/self" reads as the caller\'s tgid and resolves to /proc/<tgid>', () => {
    const k = boot();
    const a = fork(k, k.init);
    const rl = sys(k, a, 'readlink', { path: '/proc/self' });
    expect(rl.obs?.text).to.equal(String(a.pid.nr));
    expect(rl.ret).to.equal(String(a.pid.nr).length);
    expect(sys(k, a, 'stat', { path: '/proc/self' }).obs?.stat?.ino)
      .to.equal(sys(k, a, 'stat', { path: `/proc/${a.pid.nr}` }).obs?.stat?.ino);
  });

  it('a thread\'s /proc/self is its tgid (task_tgid_nr_ns), not its tid', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    expect(sys(k, t, 'readlink', { path: '/proc/self' }).obs?.text).to.equal(String(a.pid.nr));
  });

  it('lstat of /proc/self is the link itself (S_IFLNK|0777)', () => {
    const k = boot();
    expect(sys(k, k.init, 'lstat', { path: '/proc/self' }).obs?.stat?.mode).to.equal(0o120777);
  });

  it('path_openat: a trailing symlink under O_NOFOLLOW → ELOOP', () => {
    const k = boot();
    expect(sys(k, k.init, 'open', { path: '/proc/self', flags: O_NOFOLLOW }).ret).to.equal(-ELOOP);
  });

  it('path_openat: O_NOFOLLOW|O_DIRECTORY on a trailing symlink is still ELOOP (do_last returns the link, not ENOTDIR)', () => {
    const k = boot();
    expect(sys(k, k.init, 'open', { path: '/proc/self', flags: O_NOFOLLOW | O_DIRECTORY }).ret).to.equal(-ELOOP);
  });

  it('follow_link: 40 links in one walk are fine; the 41st → ELOOP (total_link_count >= 40)', () => {
    const k = boot();
    const forty = '/proc' + '/self/..'.repeat(39) + '/self';
    const fortyOne = '/proc' + '/self/..'.repeat(40) + '/self';
    expect(sys(k, k.init, 'stat', { path: forty }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: fortyOne }).ret).to.equal(-ELOOP);
  });
});

describe('/proc/<pid>/fd/<n> magic links', () => {
  it('proc_pid_follow_link: stat through /proc/self/fd/<n> lands on the open file itself', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    const viaLink = sys(k, k.init, 'stat', { path: `/proc/self/fd/${fd}` }).obs?.stat;
    const direct = sys(k, k.init, 'stat', { path: '/tmp/f' }).obs?.stat;
    expect(viaLink).to.deep.equal(direct);
  });

  it('proc_fd_instantiate: the link\'s mode mirrors the file\'s access (read-only → S_IFLNK|0500, O_RDWR → 0700)', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const r = openFd(k, k.init, '/tmp/f');
    const rw = openFd(k, k.init, '/tmp/f', O_RDWR);
    expect(sys(k, k.init, 'lstat', { path: `/proc/self/fd/${r}` }).obs?.stat?.mode).to.equal(0o120500);
    expect(sys(k, k.init, 'lstat', { path: `/proc/self/fd/${rw}` }).obs?.stat?.mode).to.equal(0o120700);
  });

  it('proc_pid_readlink: d_path of the file ("/tmp/f"); an fd that is not open → ENOENT', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'readlink', { path: `/proc/self/fd/${fd}` }).obs?.text).to.equal('/tmp/f');
    expect(sys(k, k.init, 'readlink', { path: '/proc/self/fd/77' }).ret).to.equal(-ENOENT);
  });

  it('tid_fd_revalidate: after close the cached fd dentry is dropped and the fresh lookup → ENOENT', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp/f');
    expect(sys(k, k.init, 'stat', { path: `/proc/self/fd/${fd}` }).ret).to.equal(0);
    ok(k, k.init, 'close', { fd });
    expect(sys(k, k.init, 'stat', { path: `/proc/self/fd/${fd}` }).ret).to.equal(-ENOENT);
  });

  it('proc_fd_access_allowed: past the fd dir (DAC_OVERRIDE), following another uid\'s fd link without CAP_SYS_PTRACE → EACCES', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const u = asUser(k, k.init, 1000);
    const fd = openFd(k, u, '/tmp/f');
    const r = fork(k, k.init);
    expect(sys(k, r, 'capset', { caps: ALL_BUT_PTRACE }).ret).to.equal(0);
    expect(sys(k, r, 'stat', { path: `/proc/${u.pid.nr}/fd/${fd}` }).ret).to.equal(-EACCES);
    expect(sys(k, r, 'readlink', { path: `/proc/${u.pid.nr}/fd/${fd}` }).ret).to.equal(-EACCES);
  });

  it('a fd link to a directory is followed by later components: /proc/self/fd/<n>/f', () => {
    const k = boot();
    mkfile(k, k.init, '/tmp/f');
    const fd = openFd(k, k.init, '/tmp', O_DIRECTORY);
    expect(sys(k, k.init, 'stat', { path: `/proc/self/fd/${fd}/f` }).obs?.stat?.ino).to.equal(ino(k, '/tmp/f'));
  });
});

describe('proc name lookups', () => {
  it('name_to_int: "/proc/01" and "/proc/0" → ENOENT (a leading zero is not a pid)', () => {
    const k = boot();
    expect(sys(k, k.init, 'stat', { path: '/proc/1' }).ret).to.equal(0);
    expect(sys(k, k.init, 'stat', { path: '/proc/01' }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/proc/0' }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/proc/1x' }).ret).to.equal(-ENOENT);
  });

  it('proc_pident_lookup: an unknown entry → ENOENT; proc_ns_dir_lookup: an unknown ns name → ENOENT', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'stat', { path: '/proc/1/nope' }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/proc/1/ns/nope' }).ret).to.equal(-ENOENT);
  });

  it('the ns dir is S_IFDIR|0511 and /proc/<pid> is S_IFDIR|0555', () => {
    const k = boot('v3.0');
    expect(sys(k, k.init, 'stat', { path: '/proc/1/ns' }).obs?.stat?.mode).to.equal(0o40511);
    expect(sys(k, k.init, 'stat', { path: '/proc/1' }).obs?.stat?.mode).to.equal(0o40555);
  });
});
