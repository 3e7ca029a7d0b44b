// The namespace objects: struct net, uts_namespace, ipc_namespace, mnt_namespace,
// pid_namespace, user_namespace, each with an identity, a refcount and (3.8+) an inode number.
import type { Kernel } from './kernel';
import { KObject, kfree, kget, kput, type Holder } from './object';
import type { Vfsmount } from './fs';
import { umount_mnt_ns_tree } from './mount';
import { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS } from './flags';

export type NsType = 'net' | 'uts' | 'ipc' | 'mnt' | 'pid' | 'user' | 'cgroup' | 'time';

/** The CLONE_NEW* bit of each type: proc_ns_operations.type. */
export const NS_CLONE_FLAG: Record<NsType, number> = {
  net: CLONE_NEWNET, uts: CLONE_NEWUTS, ipc: CLONE_NEWIPC, mnt: CLONE_NEWNS, pid: CLONE_NEWPID, user: CLONE_NEWUSER,
  cgroup: CLONE_NEWCGROUP, time: CLONE_NEWTIME,
};

const KIND = { net: 'net', uts: 'uts', ipc: 'ipc', mnt: 'mnt_ns', pid: 'pid_ns', user: 'user_ns', cgroup: 'cgroup_ns', time: 'time_ns' } as const;

/** PROC_*_INIT_INO (include/linux/proc_ns.h): fixed inode numbers of the initial namespaces (cgroup, time: 4.6, 5.6). */
const INIT_INO: Partial<Record<NsType, number>> = { ipc: 0xefffffff, uts: 0xeffffffe, user: 0xeffffffd, pid: 0xeffffffc, cgroup: 0xeffffffb, time: 0xeffffffa };
/** PIDNS_ADDING (include/linux/pid_namespace.h): set until disable_pid_allocation. */
export const PIDNS_ADDING = 0x80000000;

/** PROC_DYNAMIC_FIRST (fs/proc/generic.c): where proc_alloc_inum starts. */
export const PROC_DYNAMIC_FIRST = 0xf0000000;

export abstract class Namespace extends KObject {
  abstract readonly type: NsType;
  inum = 0;
  constructor(k: Kernel, holder: Holder) {
    super(k, holder);
  }
  protected init(): void {
    this.register();
  }
}

export class NetNamespace extends Namespace {
  readonly kind = KIND.net;
  readonly type = 'net' as const;
  constructor(k: Kernel, holder: Holder) { super(k, holder); this.init(); }
}
export class UtsNamespace extends Namespace {
  readonly kind = KIND.uts;
  readonly type = 'uts' as const;
  constructor(k: Kernel, holder: Holder, public nodename: string) { super(k, holder); this.init(); }
}
export class IpcNamespace extends Namespace {
  readonly kind = KIND.ipc;
  readonly type = 'ipc' as const;
  constructor(k: Kernel, holder: Holder) { super(k, holder); this.init(); }
}
export class MntNamespace extends Namespace {
  readonly kind = KIND.mnt;
  readonly type = 'mnt' as const;
  /** mnt_ns->seq (3.9): creation order, for the mount namespace loop check. */
  readonly seq: number;
  root: Vfsmount | null = null;
  /** mnt_list: every mount of this namespace, in attach order. */
  readonly list = new Set<Vfsmount>();
  constructor(k: Kernel, holder: Holder) { super(k, holder); this.seq = ++k.mnt_ns_seq; this.init(); }
}
export class PidNamespace extends Namespace {
  readonly kind = KIND.pid;
  readonly type = 'pid' as const;
  /** The last pid number handed out inside this namespace (the idr's cursor): the first is 1, the init. */
  last_pid = 0;
  /** pid_allocated (kernel/pid.c): live pids with a number here, plus PIDNS_ADDING while forks may enter. */
  pid_allocated = PIDNS_ADDING;
  /** The namespace's init, once its first task is forked (no reference: it goes with the task). */
  child_reaper: import('./task').Task | null = null;
  constructor(k: Kernel, holder: Holder, readonly parent: PidNamespace | null) { super(k, holder); this.init(); }
}
export class UserNamespace extends Namespace {
  readonly kind = KIND.user;
  readonly type = 'user' as const;
  constructor(k: Kernel, holder: Holder, readonly parent: UserNamespace | null) { super(k, holder); this.init(); }
}

/** struct cgroup_namespace (kernel/cgroup/namespace.c, 4.6): nsfs profile only. */
export class CgroupNamespace extends Namespace {
  readonly kind = KIND.cgroup;
  readonly type = 'cgroup' as const;
  constructor(k: Kernel, holder: Holder) { super(k, holder); this.init(); }
}
/** struct time_namespace (kernel/time/namespace.c, 5.6): nsfs profile only. */
export class TimeNamespace extends Namespace {
  readonly kind = KIND.time;
  readonly type = 'time' as const;
  constructor(k: Kernel, holder: Holder) { super(k, holder); this.init(); }
}

export type AnyNs = NetNamespace | UtsNamespace | IpcNamespace | MntNamespace | PidNamespace | UserNamespace | CgroupNamespace | TimeNamespace;

/** proc_alloc_inum (fs/proc/generic.c, 3.8): lowest free number from PROC_DYNAMIC_FIRST (an IDA: reused at once). */
export function proc_alloc_inum(k: Kernel): number {
  let n = PROC_DYNAMIC_FIRST;
  while (k.inums.has(n)) n++;
  k.inums.add(n);
  return n;
}

/** proc_free_inum (fs/proc/generic.c, 3.8). */
export function proc_free_inum(k: Kernel, inum: number): void {
  k.inums.delete(inum);
}

/** Give a namespace its inode number: fixed for the initial uts/ipc/user/pid, else dynamic. */
export function ns_alloc_inum(ns: Namespace, initial: boolean): void {
  const fixed = initial ? INIT_INO[ns.type] : undefined;
  ns.inum = fixed ?? proc_alloc_inum(ns.k);
}

/** get_net, get_uts_ns, get_ipc_ns, get_mnt_ns, get_pid_ns, get_user_ns. */
export function get_ns<T extends Namespace>(k: Kernel, ns: T | null, holder: Holder, at: string): T | null {
  return kget(k, ns, holder, at);
}

/**
 * put_net, put_uts_ns, put_ipc_ns, put_mnt_ns, put_pid_ns, put_user_ns: drop a reference; the
 * last one frees the namespace (a mount namespace first unmounts its whole tree).
 */
export function put_ns(k: Kernel, ns: Namespace | null, holder: Holder, at: string): void {
  if (!kput(k, ns, holder, at) || ns === null) return;
  free_ns(ns as AnyNs);
}

function free_ns(ns: AnyNs): void {
  const k = ns.k;
  if (ns instanceof MntNamespace) umount_mnt_ns_tree(ns);
  if (ns instanceof PidNamespace && ns.parent) put_ns(k, ns.parent, ns, 'free_pid_ns');
  if (ns instanceof UserNamespace && ns.parent) put_ns(k, ns.parent, ns, 'free_user_ns');
  if (ns.inum >= PROC_DYNAMIC_FIRST) proc_free_inum(k, ns.inum);
  kfree(k, ns, 'free_' + ns.type + '_ns');
}
