// kernel/nsproxy.c: struct nsproxy, shared between tasks; namespaces copied on clone and
// unshare; setns. Also the per-type copy_* helpers from utsname.c, ipc/namespace.c,
// net_namespace.c, pid_namespace.c and fs/namespace.c's copy_mnt_ns.
import type { Kernel } from './kernel';
import { task_active_pid_ns, type Task } from './task';
import type { FsStruct } from './fs_struct';
import { KObject, kfree, kget, kput, ktransfer, type Holder } from './object';
import {
  CgroupNamespace, get_ns, IpcNamespace, MntNamespace, Namespace, NetNamespace, ns_alloc_inum, PidNamespace, put_ns,
  TimeNamespace, UtsNamespace,
} from './namespaces';
import { capable } from './cred';
import { copy_tree, mntget, mntput } from './mount';
import { PROC_I } from './proc_fs';
import { fput } from './file';
import { EINVAL, EPERM } from './errno';
import {
  CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUTS, CLONE_SYSVSEM,
  CLONE_THREAD, CLONE_VM,
} from './flags';
import { atLeast, has } from './profile';

export class Nsproxy extends KObject {
  readonly kind = 'nsproxy' as const;
  uts_ns: UtsNamespace | null = null;
  ipc_ns: IpcNamespace | null = null;
  mnt_ns: MntNamespace | null = null;
  /** pid_ns_for_children in today's kernels. */
  pid_ns: PidNamespace | null = null;
  net_ns: NetNamespace | null = null;
  /** nsfs profile only (null on 3.0 and 3.8). */
  cgroup_ns: CgroupNamespace | null = null;
  time_ns: TimeNamespace | null = null;
  time_ns_for_children: TimeNamespace | null = null;
  constructor(k: Kernel, holder: Holder) {
    super(k, holder);
    this.register();
  }
}

/** The namespaces an nsproxy holds, in free_nsproxy's order. */
export function nsproxyMembers(p: Nsproxy): Namespace[] {
  const out: Namespace[] = [];
  for (const ns of [p.mnt_ns, p.uts_ns, p.ipc_ns, p.pid_ns, p.net_ns, p.cgroup_ns, p.time_ns, p.time_ns_for_children]) if (ns) out.push(ns);
  return out;
}

/** get_nsproxy (include/linux/nsproxy.h). */
export function get_nsproxy(ns: Nsproxy, holder: Holder): void {
  kget(ns.k, ns, holder, 'get_nsproxy');
}

/** put_nsproxy (include/linux/nsproxy.h). */
export function put_nsproxy(ns: Nsproxy, holder: Holder): void {
  if (kput(ns.k, ns, holder, 'put_nsproxy')) free_nsproxy(ns);
}

/** free_nsproxy (kernel/nsproxy.c): put mnt, uts, ipc, pid, then net (unconditionally). */
export function free_nsproxy(ns: Nsproxy): void {
  const k = ns.k;
  if (ns.mnt_ns) put_ns(k, ns.mnt_ns, ns, 'put_mnt_ns');
  if (ns.uts_ns) put_ns(k, ns.uts_ns, ns, 'put_uts_ns');
  if (ns.ipc_ns) put_ns(k, ns.ipc_ns, ns, 'put_ipc_ns');
  if (ns.pid_ns) put_ns(k, ns.pid_ns, ns, 'put_pid_ns');
  if (ns.time_ns) put_ns(k, ns.time_ns, ns, 'put_time_ns');
  if (ns.time_ns_for_children) put_ns(k, ns.time_ns_for_children, ns, 'put_time_ns');
  if (ns.cgroup_ns) put_ns(k, ns.cgroup_ns, ns, 'put_cgroup_ns');
  put_ns(k, ns.net_ns, ns, 'put_net');
  kfree(k, ns, 'free_nsproxy');
}

/**
 * copy_mnt_ns / dup_mnt_ns (fs/namespace.c): CLONE_NEWNS copies the whole mount tree and moves
 * the task's root and cwd onto the copies.
 */
function copy_mnt_ns(k: Kernel, flags: number, ns: MntNamespace, new_fs: FsStruct | null, holder: Holder): MntNamespace {
  if (!(flags & CLONE_NEWNS)) return get_ns(k, ns, holder, 'get_mnt_ns') as MntNamespace;
  const new_ns = new MntNamespace(k, holder);
  ns_alloc_inum(new_ns, false);
  const map = copy_tree(new_ns, ns.root as NonNullable<MntNamespace['root']>);
  new_ns.root = map.get(ns.root as NonNullable<MntNamespace['root']>) ?? null;
  if (new_fs) {
    for (const which of ['root', 'pwd'] as const) {
      const q = map.get(new_fs[which].mnt);
      if (!q) continue;
      const p = new_fs[which].mnt;
      new_fs[which] = { mnt: mntget(q, new_fs), dentry: new_fs[which].dentry };
      mntput(p, new_fs);
    }
  }
  return new_ns;
}

/** copy_utsname (kernel/utsname.c): CLONE_NEWUTS clones the old name. */
function copy_utsname(k: Kernel, flags: number, old: UtsNamespace, holder: Holder): UtsNamespace {
  if (!(flags & CLONE_NEWUTS)) return get_ns(k, old, holder, 'get_uts_ns') as UtsNamespace;
  const ns = new UtsNamespace(k, holder, old.nodename);
  ns_alloc_inum(ns, false);
  return ns;
}

/** copy_ipcs (ipc/namespace.c). */
function copy_ipcs(k: Kernel, flags: number, old: IpcNamespace, holder: Holder): IpcNamespace {
  if (!(flags & CLONE_NEWIPC)) return get_ns(k, old, holder, 'get_ipc_ns') as IpcNamespace;
  const ns = new IpcNamespace(k, holder);
  ns_alloc_inum(ns, false);
  return ns;
}

/**
 * copy_pid_ns (kernel/pid_namespace.c): `old` is pid_ns_for_children. CLONE_NEWPID makes a
 * child of it, but only while it is still the caller's active namespace: after an
 * unshare(CLONE_NEWPID) a second one is EINVAL (3.8).
 */
function copy_pid_ns(k: Kernel, flags: number, old: PidNamespace, holder: Holder): PidNamespace | number {
  if (!(flags & CLONE_NEWPID)) return get_ns(k, old, holder, 'get_pid_ns') as PidNamespace;
  if (flags & CLONE_THREAD) return -EINVAL;
  if (task_active_pid_ns(k.current) !== old) return -EINVAL;
  const ns = new PidNamespace(k, holder, old);
  get_ns(k, old, ns, 'create_pid_namespace');
  ns_alloc_inum(ns, false);
  return ns;
}

/** copy_net_ns (net/core/net_namespace.c). */
function copy_net_ns(k: Kernel, flags: number, old: NetNamespace, holder: Holder): NetNamespace {
  if (!(flags & CLONE_NEWNET)) return get_ns(k, old, holder, 'get_net') as NetNamespace;
  const ns = new NetNamespace(k, holder);
  ns_alloc_inum(ns, false);
  return ns;
}

/**
 * create_new_namespaces (kernel/nsproxy.c): a new nsproxy in which each namespace is either
 * new (its CLONE_NEW* flag) or the task's current one with a new reference, in the kernel's
 * order mnt, uts, ipc, pid, net.
 */
export function create_new_namespaces(k: Kernel, flags: number, tsk: Task, new_fs: FsStruct | null): Nsproxy | number {
  const old = tsk.nsproxy as Nsproxy;
  const p = new Nsproxy(k, 'create_nsproxy');
  p.mnt_ns = copy_mnt_ns(k, flags, old.mnt_ns as MntNamespace, new_fs, p);
  p.uts_ns = copy_utsname(k, flags, old.uts_ns as UtsNamespace, p);
  p.ipc_ns = copy_ipcs(k, flags, old.ipc_ns as IpcNamespace, p);
  const pid_ns = copy_pid_ns(k, flags, old.pid_ns as PidNamespace, p);
  if (typeof pid_ns === 'number') {
    // out_pid: unwind ipc, uts, mnt, then free the nsproxy
    put_ns(k, p.ipc_ns, p, 'put_ipc_ns');
    put_ns(k, p.uts_ns, p, 'put_uts_ns');
    put_ns(k, p.mnt_ns, p, 'put_mnt_ns');
    kfree(k, p, 'free_nsproxy');
    return pid_ns;
  }
  p.pid_ns = pid_ns;
  p.net_ns = copy_net_ns(k, flags, old.net_ns as NetNamespace, p);
  if (old.cgroup_ns) {
    // copy_cgroup_ns (kernel/cgroup/namespace.c)
    if (flags & CLONE_NEWCGROUP) {
      p.cgroup_ns = new CgroupNamespace(k, p);
      ns_alloc_inum(p.cgroup_ns, false);
    } else {
      p.cgroup_ns = get_ns(k, old.cgroup_ns, p, 'get_cgroup_ns');
    }
  }
  if (old.time_ns && old.time_ns_for_children) {
    // copy_time_ns (kernel/time/namespace.c): a new one is for the children; the task's own stays
    p.time_ns = get_ns(k, old.time_ns, p, 'get_time_ns');
    if (flags & CLONE_NEWTIME) {
      p.time_ns_for_children = new TimeNamespace(k, p);
      ns_alloc_inum(p.time_ns_for_children, false);
    } else {
      p.time_ns_for_children = get_ns(k, old.time_ns_for_children, p, 'get_time_ns');
    }
  }
  return p;
}

/** timens_on_fork (kernel/time/namespace.c): the child lives in its parent's time_for_children. */
function timens_on_fork(k: Kernel, p: Nsproxy): void {
  if (!p.time_ns_for_children || p.time_ns === p.time_ns_for_children) return;
  const ns = get_ns(k, p.time_ns_for_children, p, 'get_time_ns');
  put_ns(k, p.time_ns, p, 'put_time_ns');
  p.time_ns = ns;
}

/**
 * copy_namespaces (kernel/nsproxy.c), on clone: without CLONE_NEW* flags the child shares the
 * parent's nsproxy; with them it needs CAP_SYS_ADMIN and gets a new one.
 */
export function copy_namespaces(k: Kernel, flags: number, tsk: Task): number {
  const old = tsk.nsproxy;
  if (!old) return 0;
  get_nsproxy(old, tsk);
  const timeDiffers = old.time_ns_for_children !== old.time_ns && !(flags & CLONE_VM);
  if (!(flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME)) && !timeDiffers) return 0;
  let err = 0;
  if (flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME) && !capable(k, 'CAP_SYS_ADMIN')) err = -EPERM;
  else if (flags & CLONE_NEWIPC && flags & CLONE_SYSVSEM) err = -EINVAL;
  else {
    const n = create_new_namespaces(k, flags, tsk, tsk.fs);
    if (typeof n === 'number') err = n;
    else {
      timens_on_fork(k, n);
      tsk.nsproxy = n;
      ktransferNsproxy(n, tsk);
    }
  }
  put_nsproxy(old, tsk);
  if (err) tsk.nsproxy = null;
  return err;
}

function ktransferNsproxy(n: Nsproxy, to: Holder): void {
  ktransfer(n, 'create_nsproxy', to);
}

/**
 * unshare_nsproxy_namespaces (kernel/nsproxy.c): CLONE_NEWNS/UTS/IPC/NET (and NEWPID from 3.8,
 * NEWCGROUP from 4.6, NEWTIME from 5.6) need CAP_SYS_ADMIN and give a new nsproxy, which
 * sys_unshare then switches to.
 */
export function unshare_nsproxy_namespaces(k: Kernel, flags: number, new_fs: FsStruct | null): Nsproxy | null | number {
  const nsflags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET
    | (atLeast(k, '3.8') ? CLONE_NEWPID : 0) | (atLeast(k, '4.6') ? CLONE_NEWCGROUP : 0) | (atLeast(k, '5.6') ? CLONE_NEWTIME : 0);
  if (!(flags & nsflags)) return null;
  if (!capable(k, 'CAP_SYS_ADMIN')) return -EPERM;
  return create_new_namespaces(k, flags, k.current, new_fs ?? k.current.fs);
}

/**
 * switch_task_namespaces (kernel/nsproxy.c): the task takes over the caller's reference on
 * `next`; its old nsproxy loses the task's reference and is freed if that was the last.
 */
export function switch_task_namespaces(p: Task, next: Nsproxy | null): void {
  const ns = p.nsproxy;
  p.nsproxy = next;
  if (next) ktransferNsproxy(next, p);
  if (ns) put_nsproxy(ns, p);
}

/** exit_task_namespaces (kernel/nsproxy.c). */
export function exit_task_namespaces(p: Task): void {
  switch_task_namespaces(p, null);
}

/**
 * sys_setns (kernel/nsproxy.c). 3.0 checks CAP_SYS_ADMIN first; from 3.8 each install checks
 * the capability instead, after the fd and the type.
 */
export function sys_setns(k: Kernel, fd: number, nstype: number): number {
  const tsk = k.current;
  if (!atLeast(k, '3.8') && !capable(k, 'CAP_SYS_ADMIN')) return -EPERM;
  const file = k.procfs.proc_ns_fget(k, fd);
  if (typeof file === 'number') return file;
  let err = -EINVAL;
  try {
    const ei = PROC_I(file.f_path.dentry.d_inode as NonNullable<typeof file.f_path.dentry.d_inode>);
    const ops = ei.ns_ops;
    // proc_ns_fget admits only ns files, whose inode always has ns_ops and ns; the test only narrows types.
    if (!ops || !ei.ns) return err;
    if (nstype && ops.type !== nstype && !has(k.profile, 'setns-no-type-check')) return err;
    const new_nsproxy = create_new_namespaces(k, 0, tsk, tsk.fs);
    if (typeof new_nsproxy === 'number') return new_nsproxy;
    err = ops.install(k, new_nsproxy, ei.ns);
    if (err) {
      free_nsproxy(new_nsproxy);
      return err;
    }
    switch_task_namespaces(tsk, new_nsproxy);
    return 0;
  } finally {
    fput(file, 'proc_ns_fget');
  }
}
