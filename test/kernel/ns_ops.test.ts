// The proc_ns_operations of each namespace type (procfs/ns_ops.ts): an oops names the kernel
// function that hit it, as the kernel's oops does, and the trace reports it (P2's "oops: … in
// <function>", procns show). Each get takes its reference with the type's own get (netns_get →
// get_net, kernel/utsname.c utsns_get → get_uts_ns, …), each install gets and puts in the order
// of its C, and the table's put is <type>ns_put (net/core/net_namespace.c netns_put, …).
// A namespace freed behind the model's back makes every get and put of it an oops
// ("use after free"), so the list of oopses is the list of the functions that touched it, in order.
import { expect } from 'chai';
import { Kernel } from '../../kernel/kernel';
import { Task } from '../../kernel/task';
import { Namespace } from '../../kernel/namespaces';
import { ProcNsOperations } from '../../kernel/proc_fs';
import { kfree } from '../../kernel/object';
import { ENOENT } from '../../kernel/errno';
import { CLONE_NEWUSER, DT_UNKNOWN, O_DIRECTORY } from '../../kernel/flags';
import {
  cgroupns_operations, ipcns_operations, mntns_operations, netns_operations, pidns_for_children_operations, pidns_operations,
  timens_for_children_operations, timens_operations, userns_operations, utsns_operations,
} from '../../procfs/ns_ops';
import { boot, exitTask, fork, sys } from './util';

interface Case {
  ops: ProcNsOperations;
  /** The namespace the table's get takes from the task. */
  of: (t: Task) => Namespace | null | undefined;
  /** The function the get takes its reference with (the C of <type>ns_get). */
  get: string;
  /** The gets and puts of <type>ns_install on the nsproxy's namespace and the new one, in the C's order. */
  install: string[];
}

const CASES: Case[] = [
  // netns_install (net/core/net_namespace.c): put_net(nsproxy->net_ns); nsproxy->net_ns = get_net(ns);
  { ops: netns_operations, of: (t) => t.nsproxy?.net_ns, get: 'get_net', install: ['put_net', 'get_net'] },
  // utsns_install (kernel/utsname.c): get_uts_ns(ns); put_uts_ns(nsproxy->uts_ns);
  { ops: utsns_operations, of: (t) => t.nsproxy?.uts_ns, get: 'get_uts_ns', install: ['get_uts_ns', 'put_uts_ns'] },
  // ipcns_install (ipc/namespace.c): put_ipc_ns(nsproxy->ipc_ns); nsproxy->ipc_ns = get_ipc_ns(ns);
  { ops: ipcns_operations, of: (t) => t.nsproxy?.ipc_ns, get: 'get_ipc_ns', install: ['put_ipc_ns', 'get_ipc_ns'] },
  // mntns_install (fs/namespace.c, 3.8): get_mnt_ns(mnt_ns); put_mnt_ns(nsproxy->mnt_ns);
  { ops: mntns_operations, of: (t) => t.nsproxy?.mnt_ns, get: 'get_mnt_ns', install: ['get_mnt_ns', 'put_mnt_ns'] },
  // pidns_get: get_pid_ns(task_active_pid_ns(task)); pidns_install: put_pid_ns(nsproxy->pid_ns); nsproxy->pid_ns = get_pid_ns(new);
  { ops: pidns_operations, of: (t) => t.pid.ns, get: 'get_pid_ns', install: ['put_pid_ns', 'get_pid_ns'] },
  // pidns_for_children_get (4.12): get_pid_ns(task->nsproxy->pid_ns_for_children); the install is pidns_install
  { ops: pidns_for_children_operations, of: (t) => t.nsproxy?.pid_ns, get: 'get_pid_ns', install: ['put_pid_ns', 'get_pid_ns'] },
  // cgroupns_install (kernel/cgroup/namespace.c): get_cgroup_ns(cgroup_ns); put_cgroup_ns(nsproxy->cgroup_ns);
  { ops: cgroupns_operations, of: (t) => t.nsproxy?.cgroup_ns, get: 'get_cgroup_ns', install: ['get_cgroup_ns', 'put_cgroup_ns'] },
  // timens_install (kernel/time/namespace.c): get_time_ns(ns); put_time_ns(nsproxy->time_ns); then the same for time_ns_for_children
  { ops: timens_operations, of: (t) => t.nsproxy?.time_ns, get: 'get_time_ns', install: ['get_time_ns', 'put_time_ns', 'get_time_ns', 'put_time_ns'] },
  { ops: timens_for_children_operations, of: (t) => t.nsproxy?.time_ns_for_children, get: 'get_time_ns', install: ['get_time_ns', 'put_time_ns', 'get_time_ns', 'put_time_ns'] },
];

/** A fresh nsfs kernel (every type) and a task of its own, with its namespace of this type freed. */
function withFreed(c: Case): { k: Kernel; t: Task; ns: Namespace } {
  const k = boot('nsfs');
  const t = fork(k, k.init);
  const ns = c.of(t);
  if (!ns) throw new Error(`no ${c.ops.name} namespace`);
  kfree(k, ns, 'test');
  k.oopses.length = 0;
  return { k, t, ns };
}

const ats = (k: Kernel): string[] => k.oopses.map((o) => o.at);

describe('proc_ns_operations: an oops names the kernel function, as the kernel prints it', () => {
  for (const c of CASES) {
    it(`${c.ops.name}: get takes its reference with ${c.get}`, () => {
      const { k, t, ns } = withFreed(c);
      expect(c.ops.get(k, t, 'test')).to.equal(ns);
      expect(k.oopses.map((o) => o.message)).to.deep.equal(['BUG: use after free (get)']);
      expect(ats(k)).to.deep.equal([c.get]);
    });

    it(`${c.ops.name}: install runs ${c.install.join(', ')}`, () => {
      const { k, t, ns } = withFreed(c);
      k.current = t;
      expect(c.ops.install(k, t.nsproxy as NonNullable<Task['nsproxy']>, ns)).to.equal(0);
      expect(ats(k)).to.deep.equal(c.install);
    });

    it(`${c.ops.name}: its put is ${c.ops.nstype}ns_put`, () => {
      const { k, ns } = withFreed(c);
      c.ops.put(k, ns, 'test');
      c.ops.put(k, null, 'test');
      expect(k.oopses.map((o) => o.message)).to.deep.equal(['BUG: use after free (put)', 'BUG: unable to handle kernel NULL pointer dereference']);
      expect(ats(k)).to.deep.equal([`${c.ops.nstype}ns_put`, `${c.ops.nstype}ns_put`]);
    });
  }

  it('user: userns_get is get_user_ns(__task_cred(task)->user_ns); userns_install gets the new and puts the old (3.8: put_user_ns(cred->user_ns); set_cred_user_ns(cred, get_user_ns(user_ns)) on a prepared cred)', () => {
    const k = boot('nsfs');
    const t = fork(k, k.init);
    const u = fork(k, k.init, CLONE_NEWUSER);
    const old = t.user_ns;
    const ns = u.user_ns;
    kfree(k, old, 'test');
    kfree(k, ns, 'test');
    k.oopses.length = 0;
    expect(userns_operations.get(k, t, 'test')).to.equal(old);
    expect(ats(k)).to.deep.equal(['get_user_ns']);
    k.oopses.length = 0;
    k.current = t;
    expect(userns_operations.install(k, t.nsproxy as NonNullable<Task['nsproxy']>, ns)).to.equal(0);
    expect(ats(k).slice().sort()).to.deep.equal(['get_user_ns', 'put_user_ns']);
    k.oopses.length = 0;
    userns_operations.put(k, null, 'test');
    expect(ats(k)).to.deep.equal(['userns_put']);
  });

  it('the seed\'s evict-null-put: proc_evict_inode calls ns_ops->put(NULL), and each oops is in that entry\'s put (netns_put, utsns_put, ipcns_put)', () => {
    const k = boot('seed');
    const z = fork(k, k.init);
    exitTask(k, z);
    const fd = sys(k, k.init, 'open', { path: `/proc/${z.pid.nr}/ns`, flags: O_DIRECTORY }).ret;
    expect(fd).to.be.at.least(0);
    const r = sys(k, k.init, 'getdents64', { fd, count: 4096 });
    expect(r.obs?.dirents?.slice(2).map((d) => [d.name, d.type])).to.deep.equal([['net', DT_UNKNOWN], ['uts', DT_UNKNOWN], ['ipc', DT_UNKNOWN]]);
    expect(k.oopses.map((o) => `${o.message} in ${o.at}`)).to.deep.equal(['net', 'uts', 'ipc'].map((x) => `BUG: unable to handle kernel NULL pointer dereference in ${x}ns_put`));
    expect(sys(k, k.init, 'stat', { path: `/proc/${z.pid.nr}/ns/net` }).ret).to.equal(-ENOENT);
    expect(ats(k).at(-1)).to.equal('netns_put');
  });
});
