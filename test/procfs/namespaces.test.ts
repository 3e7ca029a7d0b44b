// fs/proc/namespaces.c and fs/proc/inode.c: the 3.0 ns files (and the seed's evict-null-put,
// the stale-ns-dentry fix), the 3.8 magic links (proc_ns_follow_link, proc_ns_readlink,
// proc_ns_get_dentry), and the 3.8 proc_ns_operations install for user namespaces.
// Expectations from docs/kernel-reading.md §fs/proc/namespaces.c, §3.8 design, §fs/proc/inode.c.
import { expect } from 'chai';
import { EACCES, EINVAL, ENOENT, EPERM, EUSERS } from '../../kernel/errno';
import { CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWUTS, CLONE_VM, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET, DT_DIR, DT_LNK, DT_UNKNOWN } from '../../kernel/flags';
import { NetNamespace, PROC_DYNAMIC_FIRST } from '../../kernel/namespaces';
import {
  asUser, boot, exitAndReap, exitTask, fileAt, fork, heldBy, inodeAt, nsOfFd, openDir, openFd, reap, runExit, sys,
} from '../kernel/util';
import { THREAD, capsWithout, linkText, listDir, statOf } from './util';

const names = (ds: { name: string }[]): string[] => ds.map((d) => d.name);

describe('3.0 ns files: proc_ns_instantiate and proc_evict_inode', () => {
  it('proc_ns_instantiate (seed: ei->ns_ops set before get()): a zombie\'s ns/net → ENOENT, and evict calls put(NULL) — a NULL-pointer oops', () => {
    const k = boot('seed');
    const z = fork(k, k.init);
    exitTask(k, z);
    expect(sys(k, k.init, 'stat', { path: `/proc/${z.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(k.oopses.length).to.equal(1);
    expect(k.oopses[0].message).to.match(/NULL pointer dereference/);
  });

  it('proc_ns_instantiate (3.0 as released: get() before ns_ops): the same lookup → ENOENT with no oops', () => {
    const k = boot('v3.0');
    const z = fork(k, k.init);
    exitTask(k, z);
    expect(sys(k, k.init, 'stat', { path: `/proc/${z.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
  });

  it('proc_fill_cache on the seed: listing a zombie\'s ns dir reports net, uts, ipc as ino 1 / DT_UNKNOWN and oopses once per entry (put(NULL) on each evict)', () => {
    const k = boot('seed');
    const z = fork(k, k.init);
    exitTask(k, z);
    const ds = listDir(k, k.init, `/proc/${z.pid.nr}/ns`);
    expect(names(ds)).to.deep.equal(['.', '..', 'net', 'uts', 'ipc']);
    expect(ds.slice(2).map((d) => [d.ino, d.type])).to.deep.equal([[1, DT_UNKNOWN], [1, DT_UNKNOWN], [1, DT_UNKNOWN]]);
    expect(k.oopses.map((o) => o.message)).to.have.length(3);
    expect(k.oopses.every((o) => /NULL pointer dereference/.test(o.message))).to.equal(true);
  });

  it('proc_ns_instantiate (3.0): the entry is S_IFREG|0400 with a fresh get_next_ino number on each instantiation', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const st1 = statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(st1.mode).to.equal(0o100400);
    expect(sys(k, k.init, 'drop_caches', { mode: 2 }).ret).to.equal(0);
    const st2 = statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(st2.ino).to.not.equal(st1.ino);
  });
});

describe('stale-ns-dentry: pid_revalidate never re-reads the namespace (3.0), and its fix', () => {
  it('v3.0 (pid_revalidate only checks the task): a ns/net cached before the task\'s unshare still opens the old net', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const old = a.nsproxy?.net_ns;
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    expect(a.nsproxy?.net_ns).to.not.equal(old);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(nsOfFd(k.init, fd)).to.equal(old);
  });

  it('v3.0 with the stale-ns-dentry fix: the cached ns/net is revalidated against the task, and the reopen names its new net', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(nsOfFd(k.init, fd)).to.equal(a.nsproxy?.net_ns);
  });

  it('with the fix, the dropped stale dentry releases the namespace it held at once (it was the last holder)', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const n1 = a.nsproxy?.net_ns as NetNamespace;
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    expect(n1.freed).to.equal(false); // only the cached dentry's inode holds it
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(n1.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
  });

  it('v3.0: a cached ns/net of a task that became a zombie is still served (pid_revalidate: the task is attached), though an uncached lookup → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    exitTask(k, a);
    exitTask(k, b);
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`).mode).to.equal(0o100400);
    expect(sys(k, k.init, 'stat', { path: `/proc/${b.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
  });

  it('with the fix, that cached zombie ns/net is dropped (get() is NULL, not the held ns) and the fresh lookup → ENOENT', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    exitTask(k, a);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
  });

  it('with the fix, the dentry still dies after the reap: a held /proc/<pid>/ns dirfd then gets ENOENT', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const dfd = sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns`, flags: O_DIRECTORY }).ret;
    expect(dfd).to.be.at.least(0);
    exitTask(k, a);
    reap(k, k.init, a);
    expect(sys(k, k.init, 'stat', { path: 'net', dirfd: dfd }).ret).to.equal(-ENOENT);
  });
});

describe('proc_ns_revalidate (the stale-ns-dentry fix): keeps what still names the task\'s namespace, and takes nothing', () => {
  it('the task still in the same namespace: the cached ns/net dentry is kept, so stat shows the same fresh-per-instantiation inode number', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    const first = statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`).ino;
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`).ino).to.equal(first);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(inodeAt(k.init, fd).i_ino).to.equal(first);
    expect(nsOfFd(k.init, fd)).to.equal(a.nsproxy?.net_ns);
  });

  it('each revalidate puts the namespace and the task it got: after the exit and the reap both are freed, with no reference left', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const net = a.nsproxy?.net_ns as NetNamespace;
    for (let i = 0; i < 3; i++) statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`); // the first instantiates, the others revalidate
    expect(heldBy(net, 'proc_ns_revalidate')).to.equal(false);
    expect(heldBy(a, 'proc_ns_revalidate')).to.equal(false);
    exitTask(k, a);
    reap(k, k.init, a);
    expect(net.freed).to.equal(true);
    expect(a.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
  });

  it('a zombie\'s cached uts and ipc are dropped too (get() NULL), each lookup then ENOENT, without an oops from a put(NULL)', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    for (const n of ['net', 'uts', 'ipc']) statOf(k, k.init, `/proc/${a.pid.nr}/ns/${n}`);
    exitTask(k, a);
    for (const n of ['net', 'uts', 'ipc']) expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/ns/${n}` }).ret, n).to.equal(-ENOENT);
    expect(k.oopses).to.deep.equal([]);
    expect(heldBy(a, 'proc_ns_revalidate')).to.equal(false);
  });
});

describe('readdir-off-by-one (synthetic): a resumed listing of the ns dir starts one entry late', () => {
  // the flag: `i -= 1` instead of `i -= 2` once f_pos is past ".." on entry, so a call that
  // resumes at f_pos = 2 + n lists from entry n + 1; a listing that starts at 0 is unchanged
  for (const [profile, entries] of [['v3.0', ['net', 'uts', 'ipc']], ['v3.8', ['net', 'uts', 'ipc', 'pid', 'user', 'mnt']]] as const) {
    it(`${profile}: 72-byte calls (3 records) list ".", "..", net; then ${entries[2]}… (uts skipped); unflagged, uts follows`, () => {
      for (const bug of [false, true]) {
        const k = boot(profile, [], bug ? ['readdir-off-by-one'] : []);
        const a = fork(k, k.init);
        const fd = sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns`, flags: O_DIRECTORY }).ret;
        const call = (count: number): string[] => names(sys(k, k.init, 'getdents64', { fd, count }).obs?.dirents ?? []);
        expect(call(72), `${profile} bug=${bug}`).to.deep.equal(['.', '..', 'net']);
        expect(call(4096), `${profile} bug=${bug}`).to.deep.equal(bug ? entries.slice(2) : entries.slice(1));
        expect(call(4096)).to.deep.equal([]);
      }
    });
  }

  it('v3.0: resuming at f_pos 2 (right after "..") is not a resumption past an entry: the flagged listing still starts at net', () => {
    const k = boot('v3.0', [], ['readdir-off-by-one']);
    const a = fork(k, k.init);
    const fd = sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns`, flags: O_DIRECTORY }).ret;
    expect(names(sys(k, k.init, 'getdents64', { fd, count: 48 }).obs?.dirents ?? [])).to.deep.equal(['.', '..']);
    expect(names(sys(k, k.init, 'getdents64', { fd, count: 4096 }).obs?.dirents ?? [])).to.deep.equal(['net', 'uts', 'ipc']);
  });
});

describe('3.8: proc_ns_readlink, proc_ns_follow_link, proc_ns_get_dentry', () => {
  it('proc_ns_readlink: "<name>:[inum]"; the initial uts, ipc, user, pid use PROC_*_INIT_INO', () => {
    const k = boot('v3.8');
    expect(linkText(k, k.init, '/proc/1/ns/uts')).to.equal('uts:[4026531838]');
    expect(linkText(k, k.init, '/proc/1/ns/ipc')).to.equal('ipc:[4026531839]');
    expect(linkText(k, k.init, '/proc/1/ns/user')).to.equal('user:[4026531837]');
    expect(linkText(k, k.init, '/proc/1/ns/pid')).to.equal('pid:[4026531836]');
    const net = linkText(k, k.init, '/proc/1/ns/net');
    expect(net).to.match(/^net:\[(\d+)\]$/);
    expect(Number(/\d+/.exec(net)?.[0])).to.be.at.least(PROC_DYNAMIC_FIRST);
  });

  it('proc_ns_instantiate (3.8) makes S_IFLNK|0777 links; proc_ns_get_dentry\'s target is S_IFREG|0444 with st_ino = the inum', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`, 'lstat').mode).to.equal(0o120777);
    const st = statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(st.mode).to.equal(0o100444);
    expect(st.ino).to.equal(a.nsproxy?.net_ns?.inum);
    expect(linkText(k, k.init, `/proc/${a.pid.nr}/ns/net`)).to.equal(`net:[${st.ino}]`);
  });

  it('proc_ns_get_dentry: iget_locked on the inum — two tasks of one namespace reach one inode; an unshared net gets a new dynamic inum', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    const f1 = openFd(k, k.init, '/proc/1/ns/net');
    const f2 = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(inodeAt(k.init, f1)).to.equal(inodeAt(k.init, f2));
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const st = statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(st.ino).to.not.equal(inodeAt(k.init, f1).i_ino);
    expect(st.ino).to.be.at.least(PROC_DYNAMIC_FIRST);
    expect(linkText(k, k.init, `/proc/${a.pid.nr}/ns/net`)).to.equal(`net:[${st.ino}]`);
  });

  it('proc_ns_dir_readdir (3.8): net uts ipc pid user mnt, each DT_LNK, and no ptrace check (root without CAP_SYS_PTRACE lists another uid\'s dir)', () => {
    const k = boot('v3.8');
    const u = asUser(k, k.init, 1000);
    const r = fork(k, k.init);
    expect(sys(k, r, 'capset', { caps: capsWithout('CAP_SYS_PTRACE') }).ret).to.equal(0);
    const ds = listDir(k, r, `/proc/${u.pid.nr}/ns`);
    expect(names(ds)).to.deep.equal(['.', '..', 'net', 'uts', 'ipc', 'pid', 'user', 'mnt']);
    expect(ds.map((d) => d.type)).to.deep.equal([DT_DIR, DT_DIR, DT_LNK, DT_LNK, DT_LNK, DT_LNK, DT_LNK, DT_LNK]);
  });

  it('proc_ns_follow_link: another uid without CAP_SYS_PTRACE → EACCES for stat and open; lstat of the link still succeeds', () => {
    const k = boot('v3.8');
    const u = asUser(k, k.init, 1000);
    const r = fork(k, k.init);
    expect(sys(k, r, 'capset', { caps: capsWithout('CAP_SYS_PTRACE') }).ret).to.equal(0);
    expect(sys(k, r, 'stat', { path: `/proc/${u.pid.nr}/ns/uts` }).ret).to.equal(-EACCES);
    expect(sys(k, r, 'open', { path: `/proc/${u.pid.nr}/ns/uts` }).ret).to.equal(-EACCES);
    expect(sys(k, r, 'readlink', { path: `/proc/${u.pid.nr}/ns/uts` }).ret).to.equal(-EACCES);
    expect(statOf(k, r, `/proc/${u.pid.nr}/ns/uts`, 'lstat').mode).to.equal(0o120777);
  });

  it('proc_ns_follow_link: a zombie (root passes ptrace) has no namespace → stat and open ENOENT, lstat succeeds', () => {
    const k = boot('v3.8');
    const z = fork(k, k.init);
    exitTask(k, z);
    expect(sys(k, k.init, 'stat', { path: `/proc/${z.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'open', { path: `/proc/${z.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(statOf(k, k.init, `/proc/${z.pid.nr}/ns/net`, 'lstat').mode).to.equal(0o120777);
  });

  it('3.8: a cached ns link holds no namespace — an unshared net dies when its task exits (before the reap), and evict puts nothing (ei->ns NULL)', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const net = a.nsproxy?.net_ns as NetNamespace;
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`, 'lstat');
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`).ino).to.equal(net.inum);
    exitTask(k, a);
    expect(net.freed).to.equal(true);
    reap(k, k.init, a);
    expect(k.oopses).to.deep.equal([]);
  });

  it('ns_delete_dentry (3.8): the namespace inode is not cached — it lives exactly while an fd on it is open', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const net = a.nsproxy?.net_ns as NetNamespace;
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const inode = inodeAt(k.init, fd);
    exitTask(k, a);
    reap(k, k.init, a);
    expect(net.freed).to.equal(false); // the fd holds the inode, the inode holds the net
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(inode.freed).to.equal(true);
    expect(net.freed).to.equal(true);
  });
});

describe('3.8: proc_ns_follow_link and proc_ns_readlink on a reaped task (error = ERR_PTR(-EACCES) before get_proc_task)', () => {
  // A walk cannot reach a dead task's link (pid_revalidate drops it), but a held link can: an
  // O_PATH|O_NOFOLLOW fd is such a hold (readlinkat(fd, "") on Linux). The ops are called on it.
  it('get_proc_task NULL → follow_link and readlink return -EACCES, and neither leaves a reference', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`, O_PATH | O_NOFOLLOW);
    const link = fileAt(k.init, fd).f_path;
    const iop = link.dentry.d_inode?.i_op;
    expect(iop?.readlink?.(link.dentry)).to.match(/^net:\[\d+\]$/);
    exitAndReap(k, a);
    expect(iop?.readlink?.(link.dentry)).to.equal(-EACCES);
    const nd = { path: link, flags: 0, holder: 'test' };
    expect(iop?.follow_link?.(link.dentry, nd)).to.equal(-EACCES);
    expect(nd.path).to.equal(link);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(a.freed).to.equal(true);
    expect(a.pid.freed).to.equal(true);
  });

  it('a live task: readlink and follow_link take and put the task (and follow_link the ns) — nothing held after', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const net = a.nsproxy?.net_ns as NetNamespace;
    linkText(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    for (const h of ['proc_ns_readlink', 'proc_ns_follow_link', 'proc_ns_get_dentry']) {
      expect(heldBy(a, h), h).to.equal(false);
      expect(heldBy(net, h), h).to.equal(false);
    }
    exitAndReap(k, a);
    expect(net.freed).to.equal(true);
    expect(a.freed).to.equal(true);
  });
});

describe('userns_install (kernel/user_namespace.c, 3.8) through setns', () => {
  function withChildUserNs(k: ReturnType<typeof boot>) {
    const c = fork(k, k.init, CLONE_NEWUSER);
    expect(c.user_ns).to.not.equal(k.init.user_ns);
    return c;
  }

  it('setns into another user namespace: the caller\'s creds move to it; /proc/self/ns/user then names it', () => {
    const k = boot('v3.8');
    const c = withChildUserNs(k);
    const a = fork(k, k.init);
    const fd = openFd(k, a, `/proc/${c.pid.nr}/ns/user`);
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWUSER }).ret).to.equal(0);
    expect(a.user_ns).to.equal(c.user_ns);
    expect(linkText(k, a, '/proc/self/ns/user')).to.equal(linkText(k, k.init, `/proc/${c.pid.nr}/ns/user`));
    expect(k.oopses).to.deep.equal([]);
  });

  it('userns_install: the caller\'s own user namespace → EINVAL (no regaining capabilities by re-entering)', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/proc/self/ns/user');
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWUSER }).ret).to.equal(-EINVAL);
  });

  it('userns_install: a threaded caller (mm_users > 1) → EINVAL, checked before the capability', () => {
    const k = boot('v3.8');
    const c = withChildUserNs(k);
    const a = fork(k, k.init);
    fork(k, a, THREAD);
    const fd = openFd(k, a, `/proc/${c.pid.nr}/ns/user`);
    expect(sys(k, a, 'capset', { caps: capsWithout('CAP_SYS_ADMIN') }).ret).to.equal(0);
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWUSER }).ret).to.equal(-EINVAL);
    expect(a.user_ns).to.equal(k.init.user_ns);
  });

  it('userns_install: a shared fs_struct (CLONE_FS, fs->users != 1) → EINVAL', () => {
    const k = boot('v3.8');
    const c = withChildUserNs(k);
    const b = fork(k, k.init, CLONE_FS);
    const fd = openFd(k, b, `/proc/${c.pid.nr}/ns/user`);
    expect(sys(k, b, 'setns', { fd, nstype: CLONE_NEWUSER }).ret).to.equal(-EINVAL);
    expect(b.user_ns).to.equal(k.init.user_ns);
  });

  it('userns_install: without CAP_SYS_ADMIN → EPERM, and the creds are unchanged', () => {
    const k = boot('v3.8');
    const c = withChildUserNs(k);
    const a = fork(k, k.init);
    const fd = openFd(k, a, `/proc/${c.pid.nr}/ns/user`);
    expect(sys(k, a, 'capset', { caps: capsWithout('CAP_SYS_ADMIN') }).ret).to.equal(0);
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWUSER }).ret).to.equal(-EPERM);
    expect(a.user_ns).to.equal(k.init.user_ns);
  });
});

describe('nsfs (today\'s kernel, DESIGN.md "as observed on this machine")', () => {
  it('the ns dir lists . .. net uts ipc pid pid_for_children user mnt cgroup time time_for_children: DT_LNK entries, d_off 1..12, reclen 24 (32 cgroup, 40 *_for_children)', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}/ns`);
    expect(names(ds)).to.deep.equal([
      '.', '..', 'net', 'uts', 'ipc', 'pid', 'pid_for_children', 'user', 'mnt', 'cgroup', 'time', 'time_for_children',
    ]);
    expect(ds.map((d) => d.off)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ds.map((d) => d.reclen)).to.deep.equal([24, 24, 24, 24, 24, 24, 40, 24, 24, 32, 24, 40]);
    expect(ds.slice(2).every((d) => d.type === DT_LNK)).to.equal(true);
  });

  it('generic_file_llseek on the ns dir: seeking to a returned d_off resumes right after that entry', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    const fd = sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns`, flags: O_DIRECTORY }).ret;
    expect(fd).to.be.at.least(0);
    const all = sys(k, k.init, 'getdents64', { fd, count: 4096 }).obs?.dirents ?? [];
    const net = all.find((d) => d.name === 'net');
    expect(sys(k, k.init, 'lseek', { fd, offset: net?.off, whence: SEEK_SET }).ret).to.equal(net?.off);
    const rest = sys(k, k.init, 'getdents64', { fd, count: 4096 }).obs?.dirents ?? [];
    expect(rest[0]?.name).to.equal('uts');
  });

  it('generic_file_llseek on the ns dir (as measured on Linux 6.18): SEEK_CUR adds to f_pos, SEEK_END adds to i_size 0, a negative position is EINVAL and keeps f_pos', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    const fd = sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns`, flags: O_DIRECTORY }).ret;
    const seek = (offset: number, whence: number): number => sys(k, k.init, 'lseek', { fd, offset, whence }).ret;
    expect(seek(3, SEEK_SET)).to.equal(3);
    expect(seek(2, SEEK_CUR)).to.equal(5);
    expect(seek(0, SEEK_CUR)).to.equal(5);
    expect(seek(-10, SEEK_CUR)).to.equal(-EINVAL);
    expect(seek(-1, SEEK_SET)).to.equal(-EINVAL);
    expect(seek(0, SEEK_CUR)).to.equal(5); // the failed seeks left f_pos alone
    // f_pos 5: ".", "..", net, uts, ipc are behind; the listing goes on at pid
    expect(names(sys(k, k.init, 'getdents64', { fd, count: 4096 }).obs?.dirents ?? [])[0]).to.equal('pid');
    expect(seek(5, SEEK_END)).to.equal(5);
    expect(seek(0, SEEK_END)).to.equal(0); // rewinddir by SEEK_END: the listing starts again
    expect(names(sys(k, k.init, 'getdents64', { fd, count: 4096 }).obs?.dirents ?? []).slice(0, 3)).to.deep.equal(['.', '..', 'net']);
  });

  it('ns_file_operations (nsfs): a write open of a namespace file is EPERM, O_WRONLY and O_RDWR alike (as measured on Linux 6.18); a read open works', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    for (const n of ['net', 'uts', 'mnt']) {
      expect(sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns/${n}`, flags: O_WRONLY }).ret, n).to.equal(-EPERM);
      expect(sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns/${n}`, flags: O_RDWR }).ret, n).to.equal(-EPERM);
      expect(sys(k, k.init, 'open', { path: `/proc/${a.pid.nr}/ns/${n}`, flags: O_RDONLY }).ret, n).to.be.at.least(0);
    }
  });

  it('ns targets are S_IFREG|0444 with st_ino = the inum; the initial cgroup and time use PROC_CGROUP_INIT_INO / PROC_TIME_INIT_INO', () => {
    const k = boot('nsfs');
    expect(statOf(k, k.init, '/proc/1/ns/uts').mode).to.equal(0o100444);
    expect(statOf(k, k.init, '/proc/1/ns/uts').ino).to.equal(0xeffffffe);
    expect(linkText(k, k.init, '/proc/1/ns/cgroup')).to.equal('cgroup:[4026531835]');
    expect(linkText(k, k.init, '/proc/1/ns/time')).to.equal('time:[4026531834]');
    expect(statOf(k, k.init, '/proc/1/ns/net', 'lstat').mode).to.equal(0o120777);
  });

  it('pidns_for_children_get: after unshare(CLONE_NEWPID), pid_for_children → ENOENT until the first child is forked into the new namespace', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWPID }).ret).to.equal(0);
    const pidBefore = linkText(k, a, '/proc/self/ns/pid');
    expect(sys(k, a, 'readlink', { path: '/proc/self/ns/pid_for_children' }).ret).to.equal(-ENOENT);
    const c = fork(k, a);
    expect(linkText(k, a, '/proc/self/ns/pid_for_children')).to.equal(linkText(k, c, '/proc/self/ns/pid'));
    expect(linkText(k, a, '/proc/self/ns/pid')).to.equal(pidBefore); // the caller's own pid ns is unchanged
  });
});


/** setns into another task's time namespace by a caller that has cloned a task with `flags` (a thread, or CLONE_VM): its result. */
function setnsTimeSharing(flags: number): number {
  const k = boot('nsfs');
  const a = fork(k, k.init);
  expect(sys(k, a, 'unshare', { flags: CLONE_NEWTIME }).ret).to.equal(0);
  const c = fork(k, a);
  const b = fork(k, k.init);
  fork(k, b, flags);
  const fd = openFd(k, b, `/proc/${c.pid.nr}/ns/time`);
  return sys(k, b, 'setns', { fd, nstype: CLONE_NEWTIME }).ret;
}
describe('nsfs: cgroupns and timens get/install (kernel/cgroup/namespace.c, kernel/time/namespace.c)', () => {
  it('ns_get_name prints real_ns_name: time_for_children and pid_for_children read as "time:[...]" and "pid:[...]"', () => {
    const k = boot('nsfs');
    expect(linkText(k, k.init, '/proc/self/ns/time_for_children')).to.equal(linkText(k, k.init, '/proc/self/ns/time'));
    expect(linkText(k, k.init, '/proc/self/ns/pid_for_children')).to.equal(linkText(k, k.init, '/proc/self/ns/pid'));
  });

  it('timens_for_children_get: unshare(CLONE_NEWTIME) changes time_for_children only; a child forked then has it as its time', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    const before = linkText(k, a, '/proc/self/ns/time');
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWTIME }).ret).to.equal(0);
    expect(linkText(k, a, '/proc/self/ns/time')).to.equal(before);
    const forChildren = linkText(k, a, '/proc/self/ns/time_for_children');
    expect(forChildren).to.match(/^time:\[\d+\]$/);
    expect(forChildren).to.not.equal(before);
    const c = fork(k, a);
    expect(linkText(k, c, '/proc/self/ns/time')).to.equal(forChildren);
  });

  it('timens_install: setns moves both time and time_for_children to the target namespace', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWTIME }).ret).to.equal(0);
    const c = fork(k, a);
    const target = linkText(k, c, '/proc/self/ns/time');
    const b = fork(k, k.init);
    const fd = openFd(k, b, `/proc/${c.pid.nr}/ns/time`);
    expect(sys(k, b, 'setns', { fd, nstype: CLONE_NEWTIME }).ret).to.equal(0);
    expect(linkText(k, b, '/proc/self/ns/time')).to.equal(target);
    expect(linkText(k, b, '/proc/self/ns/time_for_children')).to.equal(target); // real_ns_name "time"
  });

  it('timens_install: a multi-threaded caller (!current_is_single_threaded) → EUSERS', () => {
    expect(setnsTimeSharing(THREAD)).to.equal(-EUSERS);
  });

  it('timens_install and cgroupns_install: without CAP_SYS_ADMIN → EPERM', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWTIME | CLONE_NEWCGROUP }).ret).to.equal(0);
    const c = fork(k, a);
    const b = fork(k, k.init);
    const tfd = openFd(k, b, `/proc/${c.pid.nr}/ns/time`);
    const cfd = openFd(k, b, `/proc/${c.pid.nr}/ns/cgroup`);
    expect(sys(k, b, 'capset', { caps: capsWithout('CAP_SYS_ADMIN') }).ret).to.equal(0);
    expect(sys(k, b, 'setns', { fd: tfd, nstype: CLONE_NEWTIME }).ret).to.equal(-EPERM);
    expect(sys(k, b, 'setns', { fd: cfd, nstype: CLONE_NEWCGROUP }).ret).to.equal(-EPERM);
  });

  it('cgroupns_install: setns into another task\'s cgroup namespace; /proc/self/ns/cgroup then names it', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWCGROUP }).ret).to.equal(0);
    const target = linkText(k, a, '/proc/self/ns/cgroup');
    expect(target).to.not.equal(linkText(k, k.init, '/proc/self/ns/cgroup'));
    const b = fork(k, k.init);
    const fd = openFd(k, b, `/proc/${a.pid.nr}/ns/cgroup`);
    expect(sys(k, b, 'setns', { fd, nstype: CLONE_NEWCGROUP }).ret).to.equal(0);
    expect(linkText(k, b, '/proc/self/ns/cgroup')).to.equal(target);
  });

  it('cgroupns_get / timens_get return NULL once the nsproxy is gone: a zombie\'s cgroup and time links → ENOENT', () => {
    const k = boot('nsfs');
    const z = fork(k, k.init);
    exitTask(k, z);
    for (const n of ['cgroup', 'time', 'time_for_children', 'pid_for_children']) {
      expect(sys(k, k.init, 'readlink', { path: `/proc/${z.pid.nr}/ns/${n}` }).ret, n).to.equal(-ENOENT);
    }
  });
});

describe('3.8 and today: which links of a zombie still read (the get() of each type)', () => {
  // pidns_get (task_active_pid_ns: the task's struct pid, attached until the reap) and userns_get
  // (__task_cred(task)->user_ns) do not read the nsproxy that exit_task_namespaces cleared; the
  // others do. Measured on Linux 6.18 here: pid and user read, the rest ENOENT.
  for (const name of ['v3.8', 'nsfs']) {
    it(`${name}: a zombie's pid and user links read as its namespaces; net, uts, ipc, mnt → ENOENT`, () => {
      const k = boot(name);
      const z = fork(k, k.init);
      const pid = linkText(k, k.init, `/proc/${z.pid.nr}/ns/pid`);
      const user = linkText(k, k.init, `/proc/${z.pid.nr}/ns/user`);
      exitTask(k, z);
      expect(linkText(k, k.init, `/proc/${z.pid.nr}/ns/pid`)).to.equal(pid);
      expect(linkText(k, k.init, `/proc/${z.pid.nr}/ns/user`)).to.equal(user);
      for (const n of ['net', 'uts', 'ipc', 'mnt']) {
        expect(sys(k, k.init, 'readlink', { path: `/proc/${z.pid.nr}/ns/${n}` }).ret, n).to.equal(-ENOENT);
      }
    });
  }
});

describe('3.8 install: each type checks CAP_SYS_ADMIN itself (utsns_install, ipcns_install: ns_capable → -EPERM)', () => {
  it('setns into another uts or ipc namespace without CAP_SYS_ADMIN → EPERM and the namespace is kept; with it, the caller moves', () => {
    const k = boot('v3.8');
    const c = fork(k, k.init);
    expect(sys(k, c, 'unshare', { flags: CLONE_NEWUTS | CLONE_NEWIPC }).ret).to.equal(0);
    for (const [n, flag] of [['uts', CLONE_NEWUTS], ['ipc', CLONE_NEWIPC]] as const) {
      const a = fork(k, k.init);
      const fd = openFd(k, a, `/proc/${c.pid.nr}/ns/${n}`);
      const mine = linkText(k, a, `/proc/self/ns/${n}`);
      expect(sys(k, a, 'capset', { caps: capsWithout('CAP_SYS_ADMIN') }).ret).to.equal(0);
      expect(sys(k, a, 'setns', { fd, nstype: flag }).ret, n).to.equal(-EPERM);
      expect(linkText(k, a, `/proc/self/ns/${n}`), n).to.equal(mine);
      const b = fork(k, k.init);
      const bfd = openFd(k, b, `/proc/${c.pid.nr}/ns/${n}`);
      expect(sys(k, b, 'setns', { fd: bfd, nstype: flag }).ret, n).to.equal(0);
      expect(linkText(k, b, `/proc/self/ns/${n}`), n).to.equal(linkText(k, c, `/proc/self/ns/${n}`));
    }
    expect(k.oopses).to.deep.equal([]);
  });

  it('pidns_install: a descendant of the active pid namespace is accepted; the caller\'s own pid ns stays, its next child is born in the target', () => {
    const k = boot('v3.8');
    const c = fork(k, k.init, CLONE_NEWPID);
    const target = linkText(k, k.init, `/proc/${c.pid.nr}/ns/pid`);
    const a = fork(k, k.init);
    const mine = linkText(k, a, '/proc/self/ns/pid');
    const fd = openFd(k, a, `/proc/${c.pid.nr}/ns/pid`);
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWPID }).ret).to.equal(0);
    expect(linkText(k, a, '/proc/self/ns/pid')).to.equal(mine);
    const child = fork(k, a);
    expect(linkText(k, k.init, `/proc/${child.pid.nr}/ns/pid`)).to.equal(target);
    expect(sys(k, a, 'capset', { caps: capsWithout('CAP_SYS_ADMIN') }).ret).to.equal(0);
    expect(sys(k, a, 'setns', { fd, nstype: CLONE_NEWPID }).ret).to.equal(-EPERM);
  });
});

describe('3.0 lookup: the ptrace check, and no-ptrace-check (synthetic)', () => {
  it('another uid\'s task: lookup of ns/net → EPERM; with no-ptrace-check it is instantiated and stat succeeds', () => {
    for (const bug of [false, true]) {
      const k = boot('v3.0', [], bug ? ['no-ptrace-check'] : []);
      const u = asUser(k, k.init, 1000);
      const r = asUser(k, k.init, 1001);
      expect(sys(k, r, 'stat', { path: `/proc/${u.pid.nr}/ns/net` }).ret, `bug=${bug}`).to.equal(bug ? 0 : -EPERM);
    }
  });
});

describe('seed: a live task\'s ns file (evict-null-put\'s order, with get() succeeding)', () => {
  it('S_IFREG|0400, the task\'s namespace, usable by setns; closing after the reap frees it without an oops', () => {
    const k = boot('seed');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const net = a.nsproxy?.net_ns as NetNamespace;
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`).mode).to.equal(0o100400);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    expect(nsOfFd(k.init, fd)).to.equal(net);
    const b = fork(k, k.init);
    const bfd = openFd(k, b, `/proc/${a.pid.nr}/ns/net`);
    expect(sys(k, b, 'setns', { fd: bfd, nstype: CLONE_NEWNET }).ret).to.equal(0);
    expect(b.nsproxy?.net_ns).to.equal(net);
    exitAndReap(k, a);
    exitAndReap(k, b);
    expect(net.freed).to.equal(false);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(net.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
  });
});

describe('the stale-ns-dentry fix keeps pid_delete_dentry', () => {
  it('an ns fd held across the reap: its close is the last dput, which kills the dentry (no task), evicting the inode and freeing the namespace', () => {
    for (const fix of [[], ['stale-ns-dentry']]) {
      const k = boot('v3.0', fix);
      const a = fork(k, k.init);
      expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
      const net = a.nsproxy?.net_ns as NetNamespace;
      const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
      const inode = inodeAt(k.init, fd);
      exitAndReap(k, a);
      expect(net.freed).to.equal(false);
      expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
      expect(inode.freed, `fix=${fix}`).to.equal(true);
      expect(net.freed, `fix=${fix}`).to.equal(true);
    }
  });
});

describe('missing-put (synthetic): proc_evict_inode does not put the namespace', () => {
  it('3.0: the namespace a cached ns/net dentry\'s inode took outlives the reap that evicts it; unflagged it is freed there', () => {
    for (const bug of [false, true]) {
      const k = boot('v3.0', [], bug ? ['missing-put'] : []);
      const a = fork(k, k.init);
      expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
      const net = a.nsproxy?.net_ns as NetNamespace;
      statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`);
      exitAndReap(k, a);
      expect(net.freed, `bug=${bug}`).to.equal(!bug);
    }
  });

  it('3.8: the namespace inode an fd held outlives its close; unflagged the close frees it', () => {
    for (const bug of [false, true]) {
      const k = boot('v3.8', [], bug ? ['missing-put'] : []);
      const a = fork(k, k.init);
      expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
      const net = a.nsproxy?.net_ns as NetNamespace;
      const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
      exitAndReap(k, a);
      expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
      expect(net.freed, `bug=${bug}`).to.equal(!bug);
    }
  });
});

describe('the install of each type through setns (3.8 and today)', () => {
  it('mntns_install (fs/namespace.c, 3.8): the caller enters the mount namespace, and its root and cwd move to that namespace\'s root', () => {
    const k = boot('v3.8');
    const c = fork(k, k.init);
    expect(sys(k, c, 'unshare', { flags: CLONE_NEWNS }).ret).to.equal(0);
    expect(sys(k, c, 'mknod', { path: '/tmp/seen' }).ret).to.equal(0);
    expect(sys(k, c, 'mount', { source: '/tmp', target: '/mnt' }).ret).to.equal(0); // only in c's namespace
    const b = fork(k, k.init);
    const fd = openFd(k, b, `/proc/${c.pid.nr}/ns/mnt`);
    expect(sys(k, b, 'stat', { path: '/mnt/seen' }).ret).to.equal(-ENOENT);
    expect(sys(k, b, 'setns', { fd, nstype: CLONE_NEWNS }).ret).to.equal(0);
    expect(linkText(k, b, '/proc/self/ns/mnt')).to.equal(linkText(k, c, '/proc/self/ns/mnt'));
    expect(sys(k, b, 'stat', { path: '/mnt/seen' }).ret).to.equal(0); // set_fs_root
    expect(sys(k, b, 'stat', { path: 'mnt/seen' }).ret).to.equal(0); // set_fs_pwd
    expect(sys(k, k.init, 'stat', { path: '/mnt/seen' }).ret).to.equal(-ENOENT);
  });

  it('mntns_install: without CAP_SYS_ADMIN → EPERM, and the caller stays in its namespace', () => {
    const k = boot('v3.8');
    const c = fork(k, k.init);
    expect(sys(k, c, 'unshare', { flags: CLONE_NEWNS }).ret).to.equal(0);
    const b = fork(k, k.init);
    const mine = linkText(k, b, '/proc/self/ns/mnt');
    const fd = openFd(k, b, `/proc/${c.pid.nr}/ns/mnt`);
    expect(sys(k, b, 'capset', { caps: capsWithout('CAP_SYS_ADMIN') }).ret).to.equal(0);
    expect(sys(k, b, 'setns', { fd, nstype: CLONE_NEWNS }).ret).to.equal(-EPERM);
    expect(linkText(k, b, '/proc/self/ns/mnt')).to.equal(mine);
  });

  it('nsfs: pid_for_children and time_for_children files are of type CLONE_NEWPID and CLONE_NEWTIME: setns with that nstype works, another is EINVAL', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWPID }).ret).to.equal(0);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWTIME }).ret).to.equal(0);
    fork(k, a); // the new pid namespace's init: pid_for_children now reads
    const b = fork(k, k.init);
    for (const [n, flag] of [['pid_for_children', CLONE_NEWPID], ['time_for_children', CLONE_NEWTIME]] as const) {
      const fd = openFd(k, b, `/proc/${a.pid.nr}/ns/${n}`);
      expect(sys(k, b, 'setns', { fd, nstype: CLONE_NEWNET }).ret, n).to.equal(-EINVAL);
      expect(sys(k, b, 'setns', { fd, nstype: flag }).ret, n).to.equal(0);
    }
    expect(linkText(k, b, '/proc/self/ns/time')).to.equal(linkText(k, a, '/proc/self/ns/time_for_children'));
  });

  it('timens_install: a thread whose leader has exited (a zombie until the group is gone) is single-threaded (signal->live is 1, mm_users 1) → setns works', () => {
    const k = boot('nsfs');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWTIME }).ret).to.equal(0);
    const c = fork(k, a);
    const target = linkText(k, c, '/proc/self/ns/time');
    const b = fork(k, k.init);
    const t = fork(k, b, THREAD);
    const fd = openFd(k, t, `/proc/${c.pid.nr}/ns/time`);
    expect(sys(k, t, 'setns', { fd, nstype: CLONE_NEWTIME }).ret).to.equal(-EUSERS); // b is alive: two live threads
    runExit(k, b);
    expect(b.state).to.equal('zombie');
    expect(sys(k, t, 'setns', { fd, nstype: CLONE_NEWTIME }).ret).to.equal(0);
    expect(linkText(k, t, `/proc/${b.pid.nr}/task/${t.pid.nr}/ns/time`)).to.equal(target); // /proc/self is the zombie leader's
  });

  it('timens_install: a caller sharing its mm with another process (CLONE_VM, no thread: current_is_single_threaded finds it) → EUSERS', () => {
    expect(setnsTimeSharing(CLONE_VM)).to.equal(-EUSERS);
  });
});

describe('3.8: a held /proc/<pid>/ns across the reap, and the namespace inode\'s own operations', () => {
  it('getdents64 and a lookup through the held dirfd → ENOENT (get_proc_task NULL); the ns inode behind a link is proc_setattr\'s too (-EPERM)', () => {
    const k = boot('v3.8');
    const a = fork(k, k.init);
    const dfd = openDir(k, k.init, `/proc/${a.pid.nr}/ns`);
    const nsfd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`, O_PATH);
    const d = fileAt(k.init, nsfd).f_path.dentry;
    expect(d.d_inode?.i_mode).to.equal(0o100444);
    expect(d.d_inode?.i_op.setattr?.(d)).to.equal(-EPERM);
    exitAndReap(k, a);
    expect(sys(k, k.init, 'getdents64', { fd: dfd, count: 4096 }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'lstat', { path: 'net', dirfd: dfd }).ret).to.equal(-ENOENT);
  });
});

describe('3.0 with the stale-ns-dentry fix: an ns dentry in use across the reap', () => {
  it('proc_ns_revalidate fails with pid_revalidate: a lookup of net through a held ns dirfd, while an fd still holds that dentry, → ENOENT', () => {
    const k = boot('v3.0', ['stale-ns-dentry']);
    const a = fork(k, k.init);
    const dfd = openDir(k, k.init, `/proc/${a.pid.nr}/ns`);
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`); // in use: proc_flush_task leaves it hashed
    exitAndReap(k, a);
    expect(sys(k, k.init, 'stat', { path: 'net', dirfd: dfd }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
  });
});
