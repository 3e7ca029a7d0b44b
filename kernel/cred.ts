// kernel/cred.c, kernel/capability.c, kernel/ptrace.c: credentials, capable(), ptrace_may_access().
import type { Kernel } from './kernel';
import type { Task } from './task';
import { Cap } from './flags';
import { EPERM } from './errno';
import { atLeast } from './profile';

/**
 * struct cred, reduced to what namespace files depend on. gid follows uid: procns models
 * setuid(u) as setresgid(u,u,u) + setresuid(u,u,u), so every user is alone in its group.
 */
export interface Cred {
  readonly uid: number;
  readonly euid: number;
  readonly suid: number;
  readonly fsuid: number;
  readonly caps: ReadonlySet<Cap>;
}

export const ROOT_CRED: Cred = { uid: 0, euid: 0, suid: 0, fsuid: 0, caps: new Set<Cap>(['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN']) };

/** capable (kernel/capability.c): does current have this capability in effect? */
export function capable(k: Kernel, cap: Cap): boolean {
  return k.current.cred.caps.has(cap);
}

/** get_dumpable (fs/exec.c): 1 if the mm may be dumped, 0 after a credential change. */
export function get_dumpable(task: Task): number {
  return task.mm ? task.mm.dumpable : 0;
}

/**
 * __ptrace_may_access (kernel/ptrace.c, 3.0): the caller itself always passes; otherwise the
 * caller's uid must equal the target's uid, euid and suid (gids follow uids here), or it needs
 * CAP_SYS_PTRACE; and a target that is not dumpable (no mm: exiting or zombie) also needs
 * CAP_SYS_PTRACE.
 */
export function __ptrace_may_access(k: Kernel, task: Task): number {
  const cred = k.current.cred;
  // "Don't let security modules deny introspection": the task itself in 3.0; from 3.12 its whole
  // thread group (73af963f9f30, "__ptrace_may_access() should not deny sub-threads")
  if (atLeast(k, '3.12') ? task.group_leader === k.current.group_leader : task === k.current) return 0;
  const tcred = task.cred;
  const sameUser = cred.uid === tcred.euid && cred.uid === tcred.suid && cred.uid === tcred.uid;
  if (!sameUser && !capable(k, 'CAP_SYS_PTRACE')) return -EPERM;
  const dumpable = task.mm ? task.mm.dumpable : 0;
  if (!dumpable && !capable(k, 'CAP_SYS_PTRACE')) return -EPERM;
  return cap_ptrace_access_check(k, task);
}

/**
 * cap_ptrace_access_check (security/commoncap.c), through security_ptrace_access_check: the
 * target's permitted capabilities must be a subset of the caller's, or the caller needs
 * CAP_SYS_PTRACE (a root task that dropped its capabilities may not read another root task).
 */
function cap_ptrace_access_check(k: Kernel, child: Task): number {
  const caller = k.current.cred.caps;
  for (const c of child.cred.caps) if (!caller.has(c)) return capable(k, 'CAP_SYS_PTRACE') ? 0 : -EPERM;
  return 0;
}

/** ptrace_may_access (kernel/ptrace.c): the boolean form, under task_lock. */
export function ptrace_may_access(k: Kernel, task: Task): boolean {
  return __ptrace_may_access(k, task) === 0;
}

/**
 * sys_setuid (kernel/sys.c) with cap_emulate_setxuid (security/commoncap.c): root sets all
 * three uids and, leaving uid 0, loses its capabilities; others may only switch to their
 * real or saved uid. A changed euid makes the mm non-dumpable (commit_creds).
 */
export function sys_setuid(k: Kernel, uid: number): number {
  const task = k.current;
  const old = task.cred;
  let next: Cred;
  if (old.caps.has('CAP_SETUID')) {
    const wasRoot = old.uid === 0 || old.euid === 0 || old.suid === 0;
    const caps = wasRoot && uid !== 0 ? new Set<Cap>() : old.caps;
    next = { uid, euid: uid, suid: uid, fsuid: uid, caps };
  } else if (uid === old.uid || uid === old.suid) {
    next = { uid: old.uid, euid: uid, suid: old.suid, fsuid: uid, caps: old.caps };
  } else {
    return -EPERM;
  }
  commit_creds(task, next);
  return 0;
}

/** commit_creds (kernel/cred.c): install new credentials; an euid change clears dumpable. */
export function commit_creds(task: Task, next: Cred): void {
  if (task.cred.euid !== next.euid && task.mm) task.mm.dumpable = 0;
  task.cred = next;
}

/** capset (kernel/capability.c), reduced: the new set must be a subset of the current one. */
export function sys_capset(k: Kernel, caps: readonly Cap[]): number {
  const task = k.current;
  for (const c of caps) if (!task.cred.caps.has(c)) return -EPERM;
  const old = task.cred;
  commit_creds(task, { uid: old.uid, euid: old.euid, suid: old.suid, fsuid: old.fsuid, caps: new Set(caps) });
  return 0;
}
