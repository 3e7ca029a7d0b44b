// fs/proc/base.c: /proc/<pid>, /proc/<pid>/task/<tid>, /proc/<pid>/fd, pid_getattr,
// pid_revalidate and proc_flush_task. Every expectation comes from the 3.0 C (fs/proc/base.c,
// as digested in docs/kernel-reading.md), cited in the test title.
import { expect } from 'chai';
import { EACCES, ENOENT, EPERM } from '../../kernel/errno';
import { CLONE_NEWNET, DT_DIR, DT_LNK, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_WRONLY } from '../../kernel/flags';
import { NetNamespace } from '../../kernel/namespaces';
import {
  asUser, boot, dentries, exitAndReap, exitTask, fileAt, fork, openDir, openFd, reap, sys,
} from '../kernel/util';
import { THREAD, getdents, linkText, listDir, statOf } from './util';

const names = (ds: { name: string }[]): string[] => ds.map((d) => d.name);

describe('proc_pid_lookup and name_to_int (fs/proc/base.c)', () => {
  it('proc_pid_lookup: any task id resolves through find_task_by_pid_ns, a thread id included, as S_IFDIR|0555', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    expect(statOf(k, k.init, `/proc/${t.pid.nr}`).mode).to.equal(0o40555);
    expect(statOf(k, k.init, `/proc/${a.pid.nr}`).mode).to.equal(0o40555);
  });

  it('name_to_int: a leading zero, a sign, a non-digit or a value past ~0U names no pid → ENOENT', () => {
    const k = boot();
    expect(sys(k, k.init, 'stat', { path: '/proc/1' }).ret).to.equal(0);
    for (const bad of ['01', '+1', '1a', ' 1', '4294967297', '99999999999']) {
      expect(sys(k, k.init, 'stat', { path: `/proc/${bad}` }).ret, bad).to.equal(-ENOENT);
    }
  });

  it('proc_pid_lookup: a pid with no task (never used, or reaped) → ENOENT', () => {
    const k = boot();
    const a = fork(k, k.init);
    const nr = a.pid.nr;
    exitAndReap(k, a);
    expect(sys(k, k.init, 'stat', { path: `/proc/${nr}` }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '/proc/4242' }).ret).to.equal(-ENOENT);
  });
});

describe('/proc/<pid>: proc_pident_readdir and proc_pident_lookup (fs/proc/base.c)', () => {
  it('proc_pident_readdir: ".", "..", then tgid_base_stuff in table order (task, fd, ns), all DT_DIR, d_off = f_pos after each', () => {
    const k = boot();
    const a = fork(k, k.init);
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}`);
    expect(names(ds)).to.deep.equal(['.', '..', 'task', 'fd', 'ns']);
    expect(ds.map((d) => d.type)).to.deep.equal([DT_DIR, DT_DIR, DT_DIR, DT_DIR, DT_DIR]);
    expect(ds.map((d) => d.off)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('proc_pident_readdir: "." is the directory\'s own inode, ".." is parent_ino = PROC_ROOT_INO (1)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}`);
    expect(ds[0].ino).to.equal(statOf(k, k.init, `/proc/${a.pid.nr}`).ino);
    expect(ds[1].ino).to.equal(1);
  });

  it('proc_pident_readdir resumes at f_pos: a 72-byte buffer holds ".", "..", "task" (24 bytes each); the next call starts at "fd"', () => {
    const k = boot();
    const a = fork(k, k.init);
    const fd = openDir(k, k.init, `/proc/${a.pid.nr}`);
    const first = getdents(k, k.init, fd, 72);
    expect(first.ret).to.equal(72);
    expect(names(first.dirents)).to.deep.equal(['.', '..', 'task']);
    const second = getdents(k, k.init, fd, 72);
    expect(names(second.dirents)).to.deep.equal(['fd', 'ns']);
    expect(getdents(k, k.init, fd, 72).ret).to.equal(0);
  });

  it('proc_fill_cache: the d_ino of an entry is the inode number stat then shows (the instantiated dentry stays cached)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}`);
    const ns = ds.find((d) => d.name === 'ns');
    const fdDir = ds.find((d) => d.name === 'fd');
    expect(ns?.ino).to.equal(statOf(k, k.init, `/proc/${a.pid.nr}/ns`).ino);
    expect(fdDir?.ino).to.equal(statOf(k, k.init, `/proc/${a.pid.nr}/fd`).ino);
  });

  it('proc_pident_lookup: a name not in the table → ENOENT', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/nosuch` }).ret).to.equal(-ENOENT);
  });

  it('tid_base_stuff: /proc/<pid>/task/<tid> has fd and ns but no "task" (lookup → ENOENT)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const dir = `/proc/${a.pid.nr}/task/${t.pid.nr}`;
    expect(names(listDir(k, k.init, dir))).to.deep.equal(['.', '..', 'fd', 'ns']);
    expect(sys(k, k.init, 'stat', { path: `${dir}/task` }).ret).to.equal(-ENOENT);
    expect(statOf(k, k.init, `${dir}/ns`).mode).to.equal(0o40511);
    expect(statOf(k, k.init, `${dir}/fd`).mode).to.equal(0o40500);
  });
});

describe('/proc/<pid>/task: proc_task_readdir and proc_task_lookup (fs/proc/base.c)', () => {
  it('proc_task_readdir: ".", "..", then the leader and each thread by tid in thread-list order, DT_DIR, d_off counting entries', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t1 = fork(k, a, THREAD);
    const t2 = fork(k, t1, THREAD);
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}/task`);
    expect(names(ds)).to.deep.equal(['.', '..', String(a.pid.nr), String(t1.pid.nr), String(t2.pid.nr)]);
    expect(ds.every((d) => d.type === DT_DIR)).to.equal(true);
    expect(ds.map((d) => d.off)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('proc_task_readdir: ".." of /proc/<pid>/task is /proc/<pid> (parent_ino)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}/task`);
    expect(ds[1].ino).to.equal(statOf(k, k.init, `/proc/${a.pid.nr}`).ino);
  });

  it('proc_task_readdir: /proc/<tid>/task of a thread lists its whole group (task->group_leader)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t1 = fork(k, a, THREAD);
    expect(names(listDir(k, k.init, `/proc/${t1.pid.nr}/task`)).slice(2)).to.deep.equal([String(a.pid.nr), String(t1.pid.nr)]);
  });

  it('proc_task_lookup: a thread of the group resolves (S_IFDIR|0555); another process → ENOENT (!same_thread_group); "01" → ENOENT', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const b = fork(k, k.init);
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/task/${t.pid.nr}`).mode).to.equal(0o40555);
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/task/${a.pid.nr}`).mode).to.equal(0o40555);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/task/${b.pid.nr}` }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/task/1` }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/task/0${t.pid.nr}` }).ret).to.equal(-ENOENT);
  });

  it('release_task of a thread (detach_pid): proc_task_readdir no longer lists it and proc_task_lookup → ENOENT', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const tid = t.pid.nr;
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/task/${tid}`).mode).to.equal(0o40555);
    exitTask(k, t); // a non-leader thread is released at once (exit_notify: EXIT_DEAD)
    expect(names(listDir(k, k.init, `/proc/${a.pid.nr}/task`)).slice(2)).to.deep.equal([String(a.pid.nr)]);
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/task/${tid}` }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: `/proc/${tid}` }).ret).to.equal(-ENOENT);
  });
});

describe('/proc/<pid>/fd: proc_readfd_common, proc_lookupfd_common, proc_fd_link (fs/proc/base.c)', () => {
  it('proc_readfd_common: ".", "..", then each open fd ascending as DT_LNK, closed slots skipped; fd N\'s d_off is the next open fd + 2', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(openFd(k, a, '/tmp')).to.equal(0);
    expect(openFd(k, a, '/mnt')).to.equal(1);
    expect(openFd(k, a, '/run')).to.equal(2);
    expect(openFd(k, a, '/proc')).to.equal(3);
    expect(sys(k, a, 'close', { fd: 1 }).ret).to.equal(0);
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}/fd`);
    expect(names(ds)).to.deep.equal(['.', '..', '0', '2', '3']);
    expect(ds.map((d) => d.type)).to.deep.equal([DT_DIR, DT_DIR, DT_LNK, DT_LNK, DT_LNK]);
    // filldir64 writes each call's offset (the f_pos of that fd, fd + 2) into the previous record
    expect(ds.slice(0, 4).map((d) => d.off)).to.deep.equal([1, 2, 4, 5]);
    expect(ds[2].ino).to.equal(statOf(k, k.init, `/proc/${a.pid.nr}/fd/0`, 'lstat').ino);
  });

  it('proc_readfd_common: the loop runs over all max_fds slots, so the last record\'s d_off is max_fds + 2 (66 with the initial 64-slot fdtable, NR_OPEN_DEFAULT = BITS_PER_LONG)', () => {
    const k = boot();
    const a = fork(k, k.init);
    openFd(k, a, '/tmp');
    openFd(k, a, '/mnt');
    const ds = listDir(k, k.init, `/proc/${a.pid.nr}/fd`);
    expect(names(ds)).to.deep.equal(['.', '..', '0', '1']);
    expect(ds[3].off).to.equal(64 + 2);
  });

  it('proc_readfd_common: a zombie has no files (get_files_struct NULL) → only "." and ".."', () => {
    const k = boot();
    const z = fork(k, k.init);
    openFd(k, z, '/tmp');
    exitTask(k, z);
    expect(names(listDir(k, k.init, `/proc/${z.pid.nr}/fd`))).to.deep.equal(['.', '..']);
  });

  it('proc_readfd_common: after the reap, getdents64 on a held /proc/<pid>/fd → ENOENT (get_proc_task NULL)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const dfd = openDir(k, k.init, `/proc/${a.pid.nr}/fd`);
    exitAndReap(k, a);
    expect(getdents(k, k.init, dfd).ret).to.equal(-ENOENT);
  });

  it('proc_lookupfd_common: name_to_int rejects "01" → ENOENT even though fd 1 is open', () => {
    const k = boot();
    const a = fork(k, k.init);
    openFd(k, a, '/tmp');
    openFd(k, a, '/mnt');
    expect(linkText(k, k.init, `/proc/${a.pid.nr}/fd/1`)).to.equal('/mnt');
    expect(sys(k, k.init, 'readlink', { path: `/proc/${a.pid.nr}/fd/01` }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'readlink', { path: `/proc/${a.pid.nr}/fd/x` }).ret).to.equal(-ENOENT);
  });

  it('proc_fd_link reads the table at call time: a reused fd number names the new file through the cached dentry', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(openFd(k, a, '/tmp')).to.equal(0);
    expect(linkText(k, k.init, `/proc/${a.pid.nr}/fd/0`)).to.equal('/tmp');
    expect(sys(k, a, 'close', { fd: 0 }).ret).to.equal(0);
    expect(openFd(k, a, '/run')).to.equal(0);
    expect(linkText(k, k.init, `/proc/${a.pid.nr}/fd/0`)).to.equal('/run');
  });

  it('proc_pid_follow_link: open through /proc/<pid>/fd/<n> opens the same dentry as the task\'s file', () => {
    const k = boot();
    const a = fork(k, k.init);
    const afd = openFd(k, a, '/tmp');
    const rfd = openFd(k, k.init, `/proc/${a.pid.nr}/fd/${afd}`, O_DIRECTORY);
    const mine = k.init.files?.fdt[rfd]?.f_path.dentry;
    const theirs = a.files?.fdt[afd]?.f_path.dentry;
    expect(mine).to.not.equal(undefined);
    expect(mine).to.equal(theirs);
  });

  it('proc_fd_permission: task_pid(current) must be the fd dir\'s own pid — a thread gets EACCES on /proc/<leader>/fd of a non-dumpable group but may open /proc/<leader>/task/<tid>/fd', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000); // setuid cleared dumpable: the fd dirs are owned by 0, mode 0500
    const t = fork(k, u, THREAD);
    expect(sys(k, u, 'open', { path: `/proc/${u.pid.nr}/fd`, flags: O_DIRECTORY }).ret).to.be.at.least(0);
    expect(sys(k, t, 'open', { path: `/proc/${u.pid.nr}/fd`, flags: O_DIRECTORY }).ret).to.equal(-EACCES);
    expect(sys(k, t, 'open', { path: `/proc/${u.pid.nr}/task/${t.pid.nr}/fd`, flags: O_DIRECTORY }).ret).to.be.at.least(0);
  });
});

describe('pid_getattr and pid_revalidate ownership (fs/proc/base.c)', () => {
  it('pid_getattr: a non-dumpable task\'s ns dir (0511) shows uid 0; once dumpable again (prctl PR_SET_DUMPABLE 1) it shows the euid', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/ns`).uid).to.equal(0);
    (u.mm as NonNullable<typeof u.mm>).dumpable = 1; // prctl(PR_SET_DUMPABLE, 1)
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/ns`).uid).to.equal(1000);
  });

  it('pid_revalidate refreshes i_uid on every walk: the fd dir (no ->getattr, generic_fillattr) follows dumpable too', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/fd`).uid).to.equal(0);
    (u.mm as NonNullable<typeof u.mm>).dumpable = 1; // prctl(PR_SET_DUMPABLE, 1)
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/fd`).uid).to.equal(1000);
  });

  it('pid_getattr: a zombie\'s /proc/<pid> (S_IFDIR|0555) still shows its euid; its ns dir shows 0 (mm NULL, not dumpable)', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    (u.mm as NonNullable<typeof u.mm>).dumpable = 1; // prctl(PR_SET_DUMPABLE, 1)
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/ns`).uid).to.equal(1000);
    exitTask(k, u);
    expect(statOf(k, k.init, `/proc/${u.pid.nr}`).uid).to.equal(1000);
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/ns`).uid).to.equal(0);
  });

  it('pid_getattr never fails: fstat of a held /proc/<pid> after the reap succeeds, now with uid 0 (pid_task NULL)', () => {
    const k = boot();
    const u = asUser(k, k.init, 1000);
    const dfd = openDir(k, k.init, `/proc/${u.pid.nr}`);
    const before = sys(k, k.init, 'fstat', { fd: dfd });
    expect(before.ret).to.equal(0);
    expect(before.obs?.stat?.uid).to.equal(1000);
    exitAndReap(k, u);
    const after = sys(k, k.init, 'fstat', { fd: dfd });
    expect(after.ret).to.equal(0);
    expect(after.obs?.stat?.uid).to.equal(0);
    expect(after.obs?.stat?.mode).to.equal(0o40555);
  });
});

describe('proc_flush_task (fs/proc/base.c, from release_task)', () => {
  it('proc_flush_task_mnt: a released thread\'s /proc/<tid> and /proc/<tgid>/task/<tid> dentries are unhashed', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    const tid = String(t.pid.nr);
    statOf(k, k.init, `/proc/${tid}`);
    statOf(k, k.init, `/proc/${a.pid.nr}/task/${tid}`);
    expect(dentries(k, tid).filter((d) => d.d_hashed)).to.have.length(2);
    exitTask(k, t);
    expect(dentries(k, tid).filter((d) => d.d_hashed)).to.have.length(0);
    // the leader's own dentries are untouched
    expect(dentries(k, String(a.pid.nr)).filter((d) => d.d_hashed).length).to.be.at.least(1);
  });

  it('proc_flush_task (3.0): the unused cached ns/net is shrunk at reap, releasing the namespace its inode held — not before, at exit', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const net = a.nsproxy?.net_ns as NetNamespace;
    statOf(k, k.init, `/proc/${a.pid.nr}/ns/net`); // the cached dentry's inode holds a reference
    exitTask(k, a); // exit_task_namespaces drops the nsproxy's reference
    expect(net.freed).to.equal(false);
    reap(k, k.init, a);
    expect(net.freed).to.equal(true);
    expect(k.oopses).to.deep.equal([]);
  });

  it('pid_delete_dentry: a ns/net held open across the reap is killed on its last dput (the pid has no task), and its inode puts the namespace at close — nothing stays cached', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    const net = a.nsproxy?.net_ns as NetNamespace;
    const fd = openFd(k, k.init, `/proc/${a.pid.nr}/ns/net`);
    const dentry = fileAt(k.init, fd).f_path.dentry;
    exitAndReap(k, a); // proc_flush_task shrinks only unused dentries: this one is in use
    expect(net.freed).to.equal(false);
    expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
    expect(dentry.freed).to.equal(true);
    expect(net.freed).to.equal(true);
  });
});

describe('proc_setattr and the ownership pid_revalidate gives inodes without ->getattr (fs/proc/base.c)', () => {
  it('proc_setattr: ATTR_MODE → -EPERM, on every proc inode that links it (pid and tid dirs, fd dir, fd link, 3.0 ns file, 3.8 ns link and ns dir)', () => {
    for (const name of ['v3.0', 'v3.8']) {
      const k = boot(name);
      const a = fork(k, k.init);
      const t = fork(k, a, THREAD);
      openFd(k, a, '/tmp');
      const paths = [`/proc/${a.pid.nr}`, `/proc/${a.pid.nr}/task/${t.pid.nr}`, `/proc/${a.pid.nr}/fd`, `/proc/${a.pid.nr}/fd/0`,
        `/proc/${a.pid.nr}/ns`, `/proc/${a.pid.nr}/ns/net`, `/proc/${a.pid.nr}/task`];
      for (const p of paths) {
        const fd = openFd(k, k.init, p, O_PATH | O_NOFOLLOW);
        const d = fileAt(k.init, fd).f_path.dentry;
        expect(d.d_inode?.i_op.setattr?.(d), `${name} ${p}`).to.equal(-EPERM);
        expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
      }
    }
  });

  it('pid_revalidate: a 3.0 ns file (no ->getattr) is owned by the task\'s euid while it is dumpable, by 0 when it is not; S_ISUID/S_ISGID never show', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000); // setuid cleared dumpable
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/ns/net`).uid).to.equal(0);
    (u.mm as NonNullable<typeof u.mm>).dumpable = 1; // prctl(PR_SET_DUMPABLE, 1)
    const st = statOf(k, k.init, `/proc/${u.pid.nr}/ns/net`);
    expect(st.uid).to.equal(1000);
    expect(st.mode).to.equal(0o100400);
    (u.mm as NonNullable<typeof u.mm>).dumpable = 0;
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/ns/net`).uid).to.equal(0);
  });

  it('tid_fd_revalidate: an fd link is owned by the euid of a dumpable task, 0 otherwise, refreshed on each walk', () => {
    const k = boot('v3.0');
    const u = asUser(k, k.init, 1000);
    const fd = openFd(k, u, '/tmp');
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/fd/${fd}`, 'lstat').uid).to.equal(0);
    (u.mm as NonNullable<typeof u.mm>).dumpable = 1; // prctl(PR_SET_DUMPABLE, 1)
    expect(statOf(k, k.init, `/proc/${u.pid.nr}/fd/${fd}`, 'lstat').uid).to.equal(1000);
  });

  it('pid_getattr: generic_fillattr\'s st_dev is the proc superblock\'s, for /proc/<pid> and its ns dir alike', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const dev = statOf(k, k.init, '/proc').dev;
    expect(statOf(k, k.init, `/proc/${a.pid.nr}`).dev).to.equal(dev);
    expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns`).dev).to.equal(dev);
    expect(statOf(k, k.init, '/tmp').dev).to.not.equal(dev);
  });
});

describe('every proc readdir resumes at f_pos: one 24-byte record per getdents64 call lists what one large call lists', () => {
  // proc_pident_readdir, proc_readfd_common, proc_task_readdir, proc_ns_dir_readdir and
  // proc_root_readdir each pick up at filp->f_pos: 0 is ".", 1 is "..", then the entries; every
  // name here is at most 4 bytes, so each record is align8(19 + 4 + 1) = 24 bytes
  for (const name of ['v3.0', 'v3.8']) {
    it(`${name}: /proc, /proc/<pid>, its fd, task and ns, and /proc/<pid>/task/<tid>`, () => {
      const k = boot(name);
      const a = fork(k, k.init);
      const t = fork(k, a, THREAD);
      openFd(k, a, '/tmp');
      openFd(k, a, '/run');
      for (const dir of ['/proc', `/proc/${a.pid.nr}`, `/proc/${a.pid.nr}/fd`, `/proc/${a.pid.nr}/task`, `/proc/${a.pid.nr}/ns`,
        `/proc/${a.pid.nr}/task/${t.pid.nr}`]) {
        const whole = names(listDir(k, k.init, dir));
        const fd = openDir(k, k.init, dir);
        const one: string[] = [];
        for (let i = 0; i < 100; i++) {
          const r = getdents(k, k.init, fd, 24);
          expect(r.ret, `${name} ${dir}`).to.be.at.least(0);
          if (r.ret === 0) break;
          expect(r.dirents, `${name} ${dir}`).to.have.length(1);
          one.push(r.dirents[0].name);
        }
        expect(one, `${name} ${dir}`).to.deep.equal(whole);
        expect(whole.slice(0, 2)).to.deep.equal(['.', '..']);
        expect(sys(k, k.init, 'close', { fd }).ret).to.equal(0);
      }
    });
  }
});

describe('a directory held open across the reap: its lookup and readdir find no task (get_proc_task NULL → -ENOENT, 3.0)', () => {
  it('/proc/<pid>, /proc/<pid>/task and /proc/<pid>/fd: getdents64 → ENOENT, and a lookup through the dirfd → ENOENT', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    openFd(k, a, '/tmp');
    const dirs = { pid: openDir(k, k.init, `/proc/${a.pid.nr}`), task: openDir(k, k.init, `/proc/${a.pid.nr}/task`), fd: openDir(k, k.init, `/proc/${a.pid.nr}/fd`) };
    exitTask(k, t);
    exitAndReap(k, a);
    for (const [n, dfd] of Object.entries(dirs)) expect(getdents(k, k.init, dfd).ret, n).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: 'ns', dirfd: dirs.pid }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: String(a.pid.nr), dirfd: dirs.task }).ret).to.equal(-ENOENT);
    expect(sys(k, k.init, 'stat', { path: '0', dirfd: dirs.fd }).ret).to.equal(-ENOENT);
  });
});

describe('an fd link held with O_PATH|O_NOFOLLOW (readlinkat(fd, "") on Linux): its ops after the file or the task is gone', () => {
  it('the fd closed: proc_pid_readlink and proc_pid_follow_link get -ENOENT from proc_fd_info; the task reaped: -EACCES from proc_fd_access_allowed', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    const fd = openFd(k, a, '/tmp');
    const lfd = openFd(k, k.init, `/proc/${a.pid.nr}/fd/${fd}`, O_PATH | O_NOFOLLOW);
    const link = fileAt(k.init, lfd).f_path;
    const iop = link.dentry.d_inode?.i_op;
    const follow = (): number | undefined => iop?.follow_link?.(link.dentry, { path: link, flags: 0, holder: 'test' }) as number | undefined;
    expect(iop?.readlink?.(link.dentry)).to.equal('/tmp');
    expect(sys(k, a, 'close', { fd }).ret).to.equal(0);
    expect(iop?.readlink?.(link.dentry)).to.equal(-ENOENT);
    expect(follow()).to.equal(-ENOENT);
    exitAndReap(k, a);
    expect(iop?.readlink?.(link.dentry)).to.equal(-EACCES);
    expect(follow()).to.equal(-EACCES);
    expect(sys(k, k.init, 'close', { fd: lfd }).ret).to.equal(0);
  });

  it('proc_fd_instantiate: the link\'s mode mirrors the file\'s access: O_RDONLY 0500, O_WRONLY 0300, O_RDWR 0700 (S_IFLNK)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    expect(sys(k, a, 'mknod', { path: '/tmp/f' }).ret).to.equal(0);
    const want: Record<number, number> = { [O_RDONLY]: 0o120500, [O_WRONLY]: 0o120300, [O_RDWR]: 0o120700 };
    for (const flags of [O_RDONLY, O_WRONLY, O_RDWR]) {
      const fd = openFd(k, a, '/tmp/f', flags);
      expect(statOf(k, k.init, `/proc/${a.pid.nr}/fd/${fd}`, 'lstat').mode, String(flags)).to.equal(want[flags]);
    }
  });
});

describe('the failure paths of instantiation, under the after-each reference check', () => {
  it('proc_fd_instantiate: an fd number with no file → ENOENT (the new inode is put)', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    openFd(k, a, '/tmp');
    expect(sys(k, k.init, 'stat', { path: `/proc/${a.pid.nr}/fd/9` }).ret).to.equal(-ENOENT);
  });

  it('proc_fill_cache (3.0): a zombie\'s ns entries fail to instantiate and are listed with ino 1 and DT_UNKNOWN (each fresh dentry put)', () => {
    const k = boot('v3.0');
    const z = fork(k, k.init);
    exitTask(k, z);
    const ds = listDir(k, k.init, `/proc/${z.pid.nr}/ns`);
    expect(ds.slice(2).map((d) => [d.name, d.ino, d.type])).to.deep.equal([['net', 1, 0], ['uts', 1, 0], ['ipc', 1, 0]]);
  });
});
