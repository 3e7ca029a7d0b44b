// The proc_ns_operations of each namespace type: netns_operations (net/core/net_namespace.c),
// utsns_operations (kernel/utsname.c), ipcns_operations (ipc/namespace.c), and from 3.8
// mntns_operations (fs/namespace.c), pidns_operations (kernel/pid_namespace.c),
// userns_operations (kernel/user_namespace.c).
import type { Holder } from '../kernel/object';
import type { Kernel } from '../kernel/kernel';
import type { Task } from '../kernel/task';
import type { Nsproxy } from '../kernel/nsproxy';
import { ProcNsOperations } from '../kernel/proc_fs';
import {
  CgroupNamespace, get_ns, IpcNamespace, MntNamespace, Namespace, NetNamespace, NS_CLONE_FLAG, NsType, PidNamespace,
  put_ns, TimeNamespace, UserNamespace, UtsNamespace,
} from '../kernel/namespaces';
import { capable } from '../kernel/cred';
import { atLeast } from '../kernel/profile';
import { EINVAL, EPERM, EUSERS } from '../kernel/errno';
import { mntget, mntput } from '../kernel/mount';
import { dget, dput } from '../kernel/dcache';
import { Path, Vfsmount } from '../kernel/fs';

/** From 3.8 each install checks the capability that 3.0's setns checked up front. */
function installAllowed(k: Kernel): boolean {
  return !atLeast(k, '3.8') || capable(k, 'CAP_SYS_ADMIN');
}

function inum(ns: Namespace): number {
  return ns.inum;
}

function ops(type: NsType, name: string, get: ProcNsOperations['get'], install: ProcNsOperations['install']): ProcNsOperations {
  // netns_put, utsns_put, … pidns_put (pid_for_children's too), timens_put: an oops names the table's put
  const at = `${type}ns_put`;
  const put = (k: Kernel, ns: Namespace | null, holder: Holder): void => put_ns(k, ns, holder, at);
  return Object.freeze({ name, nstype: type, type: NS_CLONE_FLAG[type], get, put, install, inum });
}

/** netns_get: NULL once the task's nsproxy is gone (exit_task_namespaces). */
function netns_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const nsproxy = task.nsproxy;
  return nsproxy ? get_ns(k, nsproxy.net_ns, holder, 'get_net') : null;
}

/** netns_install: put the old, get the new. */
function netns_install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number {
  if (!installAllowed(k)) return -EPERM;
  put_ns(k, nsproxy.net_ns, nsproxy, 'put_net');
  nsproxy.net_ns = get_ns(k, ns as NetNamespace, nsproxy, 'get_net');
  return 0;
}

/** utsns_get (kernel/utsname.c). */
function utsns_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const nsproxy = task.nsproxy;
  return nsproxy ? get_ns(k, nsproxy.uts_ns, holder, 'get_uts_ns') : null;
}

/** utsns_install (kernel/utsname.c): get the new, then put the old. */
function utsns_install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number {
  if (!installAllowed(k)) return -EPERM;
  get_ns(k, ns, nsproxy, 'get_uts_ns');
  put_ns(k, nsproxy.uts_ns, nsproxy, 'put_uts_ns');
  nsproxy.uts_ns = ns as UtsNamespace;
  return 0;
}

/** ipcns_get (ipc/namespace.c). */
function ipcns_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const nsproxy = task.nsproxy;
  return nsproxy ? get_ns(k, nsproxy.ipc_ns, holder, 'get_ipc_ns') : null;
}

/** ipcns_install (ipc/namespace.c): exit_sem (no semaphores modelled), put the old, get the new. */
function ipcns_install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number {
  if (!installAllowed(k)) return -EPERM;
  put_ns(k, nsproxy.ipc_ns, nsproxy, 'put_ipc_ns');
  nsproxy.ipc_ns = get_ns(k, ns as IpcNamespace, nsproxy, 'get_ipc_ns');
  return 0;
}

/** mntns_get (fs/namespace.c, 3.8). */
function mntns_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const nsproxy = task.nsproxy;
  return nsproxy ? get_ns(k, nsproxy.mnt_ns, holder, 'get_mnt_ns') : null;
}

/**
 * mntns_install (fs/namespace.c, 3.8): CAP_SYS_ADMIN; a shared fs_struct is EINVAL; then the
 * namespace changes and root and cwd move to its root.
 */
function mntns_install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number {
  const fs = k.current.fs;
  if (!capable(k, 'CAP_SYS_ADMIN')) return -EPERM;
  if (!fs || fs.count !== 1) return -EINVAL;
  const mnt_ns = ns as MntNamespace;
  get_ns(k, mnt_ns, nsproxy, 'get_mnt_ns');
  put_ns(k, nsproxy.mnt_ns, nsproxy, 'put_mnt_ns');
  nsproxy.mnt_ns = mnt_ns;
  const root = mnt_ns.root as Vfsmount;
  // set_fs_root / set_fs_pwd to the namespace's root (mounts on it are not followed here)
  for (const which of ['root', 'pwd'] as const) {
    const old: Path = fs[which];
    fs[which] = { mnt: mntget(root, fs), dentry: dget(root.mnt_root, fs) };
    dput(old.dentry, fs);
    mntput(old.mnt, fs);
  }
  return 0;
}

/** pidns_get (kernel/pid_namespace.c, 3.8): the task's active pid namespace (of its struct pid). */
function pidns_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  if (task.pid.task !== task) return null;
  return get_ns(k, task.pid.ns, holder, 'get_pid_ns');
}

/**
 * pidns_install (kernel/pid_namespace.c, 3.8): only the active namespace or one of its
 * descendants; it changes the namespace of children to come, not the caller's.
 */
function pidns_install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number {
  const active = k.current.pid.ns;
  const target = ns as PidNamespace;
  if (!capable(k, 'CAP_SYS_ADMIN')) return -EPERM;
  let a: PidNamespace | null = target;
  while (a && a !== active) a = a.parent;
  if (!a) return -EINVAL;
  put_ns(k, nsproxy.pid_ns, nsproxy, 'put_pid_ns');
  nsproxy.pid_ns = get_ns(k, target, nsproxy, 'get_pid_ns');
  return 0;
}

/** userns_get (kernel/user_namespace.c, 3.8): from the task's credentials, while the task exists. */
function userns_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  return get_ns(k, task.user_ns, holder, 'get_user_ns');
}

/** userns_install (kernel/user_namespace.c, 3.8): not the current one, not shared mm or fs, then the creds change. */
function userns_install(k: Kernel, _nsproxy: Nsproxy, ns: Namespace): number {
  const t = k.current;
  if (ns === t.user_ns) return -EINVAL;
  if ((t.mm && t.mm.count > 1) || (t.fs && t.fs.count !== 1)) return -EINVAL;
  if (!capable(k, 'CAP_SYS_ADMIN')) return -EPERM;
  get_ns(k, ns, t, 'get_user_ns');
  const old = t.user_ns;
  t.user_ns = ns as UserNamespace;
  put_ns(k, old, t, 'put_user_ns');
  return 0;
}

/**
 * pidns_for_children_get (kernel/pid_namespace.c, 4.12): the namespace the task's children will
 * be in, but only once it has an init (child_reaper): until then NULL, so ENOENT.
 */
function pidns_for_children_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const ns = task.nsproxy?.pid_ns ?? null;
  if (!ns || !ns.child_reaper) return null;
  return get_ns(k, ns, holder, 'get_pid_ns');
}

/** cgroupns_get / cgroupns_install (kernel/cgroup/namespace.c). */
function cgroupns_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const nsproxy = task.nsproxy;
  return nsproxy?.cgroup_ns ? get_ns(k, nsproxy.cgroup_ns, holder, 'get_cgroup_ns') : null;
}
function cgroupns_install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number {
  if (!capable(k, 'CAP_SYS_ADMIN')) return -EPERM;
  get_ns(k, ns, nsproxy, 'get_cgroup_ns');
  put_ns(k, nsproxy.cgroup_ns, nsproxy, 'put_cgroup_ns');
  nsproxy.cgroup_ns = ns as CgroupNamespace;
  return 0;
}

/** timens_get, timens_for_children_get (kernel/time/namespace.c). */
function timens_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const nsproxy = task.nsproxy;
  return nsproxy?.time_ns ? get_ns(k, nsproxy.time_ns, holder, 'get_time_ns') : null;
}
function timens_for_children_get(k: Kernel, task: Task, holder: Holder): Namespace | null {
  const nsproxy = task.nsproxy;
  return nsproxy?.time_ns_for_children ? get_ns(k, nsproxy.time_ns_for_children, holder, 'get_time_ns') : null;
}

/**
 * current_is_single_threaded (lib/is_single_threaded.c): the only live thread of its group
 * (signal->live: a thread that has begun do_exit no longer counts, a zombie leader neither), and
 * either the only user of its mm or sharing it with no other process (CLONE_VM).
 */
function current_is_single_threaded(k: Kernel): boolean {
  const task = k.current;
  const g = task.group_leader;
  if ([g, ...g.thread_group].filter((t) => t.state === 'running').length !== 1) return false;
  // then no other process with this mm (the C first takes mm_users == 1 as the answer of that search)
  const mm = task.mm;
  for (const p of k.tasks.values()) if (p.group_leader !== g && p.mm === mm) return false;
  return true;
}

/** timens_install (kernel/time/namespace.c): both the task's and its children's time namespace. */
function timens_install(k: Kernel, nsproxy: Nsproxy, ns: Namespace): number {
  if (!current_is_single_threaded(k)) return -EUSERS;
  if (!capable(k, 'CAP_SYS_ADMIN')) return -EPERM;
  get_ns(k, ns, nsproxy, 'get_time_ns');
  put_ns(k, nsproxy.time_ns, nsproxy, 'put_time_ns');
  nsproxy.time_ns = ns as TimeNamespace;
  get_ns(k, ns, nsproxy, 'get_time_ns');
  put_ns(k, nsproxy.time_ns_for_children, nsproxy, 'put_time_ns');
  nsproxy.time_ns_for_children = ns as TimeNamespace;
  return 0;
}

export const netns_operations = ops('net', 'net', netns_get, netns_install);
export const utsns_operations = ops('uts', 'uts', utsns_get, utsns_install);
export const ipcns_operations = ops('ipc', 'ipc', ipcns_get, ipcns_install);
export const pidns_operations = ops('pid', 'pid', pidns_get, pidns_install);
export const userns_operations = ops('user', 'user', userns_get, userns_install);
export const mntns_operations = ops('mnt', 'mnt', mntns_get, mntns_install);
export const pidns_for_children_operations = ops('pid', 'pid_for_children', pidns_for_children_get, pidns_install);
export const cgroupns_operations = ops('cgroup', 'cgroup', cgroupns_get, cgroupns_install);
export const timens_operations = ops('time', 'time', timens_get, timens_install);
export const timens_for_children_operations = ops('time', 'time_for_children', timens_for_children_get, timens_install);

