// Kernel releases: an ordered atLeast() for rules that changed once, and one procfs table per
// release (procfs/namespaces_3_0.ts, namespaces_3_8.ts, nsfs.ts), picked once at boot.
import { expect } from 'chai';
import { EINVAL } from '../../kernel/errno';
import { atLeast, makeProfile, Profile, PROFILE_NAMES } from '../../kernel/profile';
import { newKernel, nsEntryNames, ns_entries, procEraFor } from '../../procfs';
import { boot, fileAt, fork, openFd, sys } from '../kernel/util';
import { THREAD, listDir, statOf } from './util';

function profile(name: string): Profile {
  const p = makeProfile(name);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('kernel releases, ordered', () => {
  it('atLeast: the seed and v3.0 are 3.0, v3.8 is 3.8, nsfs is today\'s 6.18', () => {
    const at = (name: string) => (['3.0', '3.3', '3.8', '3.9', '4.6', '4.12', '5.6', '6.18'] as const)
      .filter((r) => atLeast(profile(name), r));
    expect(at('seed')).to.deep.equal(['3.0']);
    expect(at('v3.0')).to.deep.equal(['3.0']);
    expect(at('v3.8')).to.deep.equal(['3.0', '3.3', '3.8']);
    expect(at('nsfs')).to.deep.equal(['3.0', '3.3', '3.8', '3.9', '4.6', '4.12', '5.6', '6.18']);
  });

  it('a kernel is the release of the profile it boots', () => {
    for (const name of PROFILE_NAMES) {
      const k = boot(name);
      expect(atLeast(k, '3.8'), name).to.equal(atLeast(profile(name), '3.8'));
      expect(atLeast(k, '5.6'), name).to.equal(atLeast(profile(name), '5.6'));
    }
  });
});

describe('procfs eras: one table per release, chosen at boot', () => {
  it('boot picks the era of the profile\'s release (k.procfs), and each release has its own', () => {
    const eras = ['v3.0', 'v3.8', 'nsfs'].map((n) => procEraFor(profile(n)));
    expect(new Set(eras).size).to.equal(3);
    expect(procEraFor(profile('seed'))).to.equal(eras[0]);
    for (const name of PROFILE_NAMES) expect(newKernel(profile(name)).procfs, name).to.equal(procEraFor(profile(name)));
    expect(new Set(eras.map((e) => e.ns_file_operations)).size).to.equal(3);
    expect(Object.isFrozen(eras[2])).to.equal(true);
  });

  it('nsEntryNames gives each profile\'s /proc/<pid>/ns without booting, as its readdir lists it', () => {
    expect(nsEntryNames(profile('seed'))).to.deep.equal(['net', 'uts', 'ipc']);
    expect(nsEntryNames(profile('v3.0'))).to.deep.equal(['net', 'uts', 'ipc']);
    expect(nsEntryNames(profile('v3.8'))).to.deep.equal(['net', 'uts', 'ipc', 'pid', 'user', 'mnt']);
    expect(nsEntryNames(profile('nsfs'))).to.deep.equal([
      'net', 'uts', 'ipc', 'pid', 'pid_for_children', 'user', 'mnt', 'cgroup', 'time', 'time_for_children',
    ]);
    for (const name of PROFILE_NAMES) {
      const k = boot(name);
      expect(ns_entries(k).map((e) => e.name), name).to.deep.equal(nsEntryNames(profile(name)));
      expect(listDir(k, k.init, '/proc/1/ns').map((d) => d.name).slice(2), name).to.deep.equal(nsEntryNames(profile(name)));
    }
  });

  it('an opened ns file has the booted era\'s ns_file_operations, and proc_ns_fget knows a ns file by that object, not by its name', () => {
    for (const [name, other] of [['v3.0', 'v3.8'], ['v3.8', 'nsfs'], ['nsfs', 'v3.0']]) {
      const k = boot(name);
      const fd = openFd(k, k.init, '/proc/1/ns/uts');
      const f = fileAt(k.init, fd);
      expect(f.f_op, name).to.equal(procEraFor(profile(name)).ns_file_operations);
      expect(sys(k, k.init, 'setns', { fd, nstype: 0 }).ret, name).to.equal(0);
      // another release's table, with the same operations: not this kernel's ns file
      const foreign = procEraFor(profile(other)).ns_file_operations;
      expect(foreign).to.not.equal(f.f_op);
      expect(foreign).to.deep.equal(f.f_op);
      Object.assign(f, { f_op: foreign }); // f_op is readonly: only a test swaps it
      expect(sys(k, k.init, 'setns', { fd, nstype: 0 }).ret, name).to.equal(-EINVAL);
    }
  });
});

describe('pid directories per era: nothing of one world stays in the process for the next', () => {
  it('tid_base_stuff and tgid_base_stuff are each era\'s own: worlds of 3.0, 3.8 and 3.0 again in one process list /proc/<pid>/task/<tid>/ns as their own release does', () => {
    for (const name of ['v3.0', 'v3.8', 'v3.0', 'nsfs']) {
      const k = boot(name);
      const a = fork(k, k.init);
      const t = fork(k, a, THREAD);
      const dir = `/proc/${a.pid.nr}/task/${t.pid.nr}`;
      expect(listDir(k, k.init, `${dir}/ns`).map((d) => d.name).slice(2), name).to.deep.equal(nsEntryNames(profile(name)));
      // 3.0: regular files S_IFREG|0400; from 3.8: links S_IFLNK|0777
      const want = atLeast(k, '3.8') ? 0o120777 : 0o100400;
      expect(statOf(k, k.init, `${dir}/ns/uts`, 'lstat').mode, name).to.equal(want);
      expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns/uts`, 'lstat').mode, name).to.equal(want);
    }
  });

  it('i_nlink = 2 + the directories among the entries (pid_entry_count_dirs): /proc/<pid> has task, fd, ns (5); /proc/<pid>/task/<tid> has fd, ns (4); ns and fd have 2', () => {
    for (const name of ['v3.0', 'v3.8']) {
      const k = boot(name);
      const a = fork(k, k.init);
      expect(statOf(k, k.init, `/proc/${a.pid.nr}`).nlink, name).to.equal(5);
      expect(statOf(k, k.init, `/proc/${a.pid.nr}/task/${a.pid.nr}`).nlink, name).to.equal(4);
      expect(statOf(k, k.init, `/proc/${a.pid.nr}/ns`).nlink, name).to.equal(2);
      expect(statOf(k, k.init, `/proc/${a.pid.nr}/fd`).nlink, name).to.equal(2);
    }
  });
});

describe('get_next_ino (fs/inode.c): one counter per kernel, counting up', () => {
  it('each new proc inode takes the next number; a second kernel in the process starts from the same number as the first', () => {
    const first: number[][] = [];
    for (let world = 0; world < 2; world++) {
      const k = boot('v3.0');
      const a = fork(k, k.init);
      const b = fork(k, k.init);
      const ia = statOf(k, k.init, `/proc/${a.pid.nr}`).ino;
      const ib = statOf(k, k.init, `/proc/${b.pid.nr}`).ino;
      expect(ib).to.equal(ia + 1);
      first.push([ia, ib]);
    }
    expect(first[1]).to.deep.equal(first[0]);
  });

  it('leaky-global (synthetic): the counter is the process\'s, so the next kernel goes on counting where the last one stopped', () => {
    const seen: number[] = [];
    for (let world = 0; world < 2; world++) {
      const k = boot('v3.8', [], ['leaky-global']);
      const a = fork(k, k.init);
      const b = fork(k, k.init);
      const ia = statOf(k, k.init, `/proc/${a.pid.nr}`).ino;
      expect(statOf(k, k.init, `/proc/${b.pid.nr}`).ino).to.equal(ia + 1);
      seen.push(ia);
    }
    expect(seen[1]).to.be.greaterThan(seen[0] + 1);
  });
});
