// fs/proc/root.c and the /proc/self part of fs/proc/base.c: proc_root_readdir →
// proc_pid_readdir (next_tgid), proc_root_lookup → proc_base_lookup ("self") → proc_pid_lookup.
// Expectations from the 3.0 C (docs/kernel-reading.md §/proc/<pid> lookup, §/proc/self).
import { expect } from 'chai';
import { ENOENT, ENOMEM } from '../../kernel/errno';
import { d_alloc } from '../../kernel/dcache';
import { proc_base_instantiate } from '../../procfs/root';
import { DT_DIR, DT_LNK } from '../../kernel/flags';
import { boot, exitAndReap, exitTask, fork, openDir, sys } from '../kernel/util';
import { THREAD, getdents, linkText, listDir, statOf } from './util';

const names = (ds: { name: string }[]): string[] => ds.map((d) => d.name);

describe('proc_root_readdir / proc_pid_readdir (fs/proc/root.c, base.c)', () => {
  it('".", "..", "self", then each thread-group leader by pid: threads are not listed (next_tgid skips non-leaders), zombies are, reaped tasks are not', () => {
    const k = boot();
    const a = fork(k, k.init);
    fork(k, a, THREAD);
    const z = fork(k, k.init);
    const r = fork(k, k.init);
    const b = fork(k, k.init);
    exitTask(k, z);
    exitAndReap(k, r);
    const ds = listDir(k, k.init, '/proc');
    expect(names(ds)).to.deep.equal(['.', '..', 'self', '1', String(a.pid.nr), String(z.pid.nr), String(b.pid.nr)]);
    expect(ds.map((d) => d.type)).to.deep.equal([DT_DIR, DT_DIR, DT_LNK, DT_DIR, DT_DIR, DT_DIR, DT_DIR]);
  });

  it('"." and ".." of the proc root are both PROC_ROOT_INO (the mount root is its own parent)', () => {
    const k = boot();
    const ds = listDir(k, k.init, '/proc');
    expect(ds[0].ino).to.equal(1);
    expect(ds[1].ino).to.equal(1);
  });

  it('proc_fill_cache: a pid entry\'s d_ino is the inode number stat then shows for /proc/<pid>', () => {
    const k = boot();
    const a = fork(k, k.init);
    const ds = listDir(k, k.init, '/proc');
    const e = ds.find((d) => d.name === String(a.pid.nr));
    expect(e?.ino).to.equal(statOf(k, k.init, `/proc/${a.pid.nr}`).ino);
  });

  it('proc_base_fill_cache → proc_fill_cache: "self"\'s d_ino is the inode number lstat shows for /proc/self', () => {
    const k = boot();
    fork(k, k.init);
    statOf(k, k.init, '/proc/1'); // other proc inodes take numbers from get_next_ino first
    const ds = listDir(k, k.init, '/proc');
    const self = ds.find((d) => d.name === 'self');
    expect(self?.ino).to.equal(statOf(k, k.init, '/proc/self', 'lstat').ino);
  });

  it('proc_pid_readdir: a pid entry sits at f_pos tgid + TGID_OFFSET (FIRST_PROCESS_ENTRY 256 + 1 for "self" = 257), so record "1" has d_off = next tgid + 257', () => {
    const k = boot();
    const a = fork(k, k.init);
    const ds = listDir(k, k.init, '/proc');
    const one = ds.find((d) => d.name === '1');
    expect(one?.off).to.equal(a.pid.nr + 257);
  });

  it('next_tgid: a listing resumed after a reap continues at the next tgid at or above f_pos — no duplicate, nothing skipped', () => {
    const k = boot();
    const a = fork(k, k.init);
    const b = fork(k, k.init);
    const c = fork(k, k.init);
    const fd = openDir(k, k.init, '/proc');
    const first = getdents(k, k.init, fd, 5 * 24);
    expect(names(first.dirents)).to.deep.equal(['.', '..', 'self', '1', String(a.pid.nr)]);
    exitAndReap(k, a); // already listed
    exitAndReap(k, b); // not yet listed
    const rest = getdents(k, k.init, fd);
    expect(names(rest.dirents)).to.deep.equal([String(c.pid.nr)]);
    expect(getdents(k, k.init, fd).ret).to.equal(0);
  });

  it('proc_root_lookup: "self" is found by proc_base_lookup before any pid; an unknown non-numeric name → ENOENT', () => {
    const k = boot();
    const a = fork(k, k.init);
    expect(linkText(k, a, '/proc/self')).to.equal(String(a.pid.nr));
    expect(statOf(k, a, '/proc/self').ino).to.equal(statOf(k, a, `/proc/${a.pid.nr}`).ino);
    expect(sys(k, a, 'stat', { path: '/proc/selff' }).ret).to.equal(-ENOENT);
  });

  it('proc_self_follow_link: /proc/self/task of a thread is its group\'s task dir (tgid, not tid)', () => {
    const k = boot();
    const a = fork(k, k.init);
    const t = fork(k, a, THREAD);
    expect(names(listDir(k, t, '/proc/self/task')).slice(2)).to.deep.equal([String(a.pid.nr), String(t.pid.nr)]);
  });
});

describe('proc_pid_readdir: the end of the listing', () => {
  it('after the last tgid f_pos is PID_MAX_LIMIT + TGID_OFFSET: a task forked after the end is not listed by the next getdents64', () => {
    const k = boot();
    fork(k, k.init);
    const fd = openDir(k, k.init, '/proc');
    for (let i = 0; i < 10 && getdents(k, k.init, fd).ret > 0; i++);
    fork(k, k.init);
    expect(getdents(k, k.init, fd).ret).to.equal(0);
  });

  it('the last record\'s d_off is that end: PID_MAX_LIMIT (4 * 1024 * 1024 on x86_64) + TGID_OFFSET (257) = 4194561', () => {
    const k = boot();
    fork(k, k.init);
    const ds = listDir(k, k.init, '/proc');
    expect(ds[ds.length - 1].off).to.equal(4194561);
  });
});

describe('proc_base_instantiate (fs/proc/base.c, 3.0): the "self" entry', () => {
  it('a task whose pid is gone (get_task_pid NULL) → -ENOMEM (error is still ERR_PTR(-ENOMEM)), and the new inode is put (out_iput): nothing left, no oops', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    exitAndReap(k, a);
    const root = k.procMnt?.mnt_root;
    if (!root?.d_inode) throw new Error('no proc root');
    const dentry = d_alloc(root, 'self', 'test');
    const before = new Set(k.objects.live.keys());
    expect(proc_base_instantiate(root.d_inode, dentry, a)).to.equal(-ENOMEM);
    expect([...k.objects.live.keys()].filter((id) => !before.has(id))).to.deep.equal([]);
    expect(dentry.d_inode).to.equal(null);
    expect(k.oopses).to.deep.equal([]);
  });
});
