// P1 and P2: the lifecycle model. Liveness is worked out by reachability from the roots a
// namespace may legitimately hang from (a task, an open file, a mounted dentry, a cached unused
// dentry), following the kernel's pointers and never its refcounts. The refcounts are then
// checked against the holders the model counts (P2).
import { Kernel } from '../kernel/kernel';
import { Dentry, File, Inode, Path, Vfsmount } from '../kernel/fs';
import { KObject } from '../kernel/object';
import { Namespace, MntNamespace, PidNamespace, UserNamespace } from '../kernel/namespaces';
import { Nsproxy, nsproxyMembers } from '../kernel/nsproxy';
import { PROC_I, ProcInode } from '../kernel/proc_fs';
import { Pid, Task } from '../kernel/task';
import { FilesStruct } from '../kernel/file';
import { FsStruct } from '../kernel/fs_struct';

export interface Violation {
  property: 'P1' | 'P2';
  message: string;
  ns?: string;
}

/** Why a namespace is reachable: the chain from its root, for counterexamples. */
type Via = Map<KObject, string>;

const isNs = (o: KObject): o is Namespace => o instanceof Namespace;

/**
 * Everything reachable from the roots. With `caches` false (after memory pressure), cached
 * unused dentries are not roots.
 */
export function reachable(k: Kernel, caches = true): Via {
  const via: Via = new Map();
  const stack: [KObject, string][] = [];
  const push = (o: KObject | null | undefined, why: string): void => {
    if (o && !via.has(o)) { via.set(o, why); stack.push([o, why]); }
  };
  const pushPath = (p: Path, why: string): void => { push(p.mnt, why); push(p.dentry, why); };

  for (const t of k.tasks.values()) push(t, `task ${t.pid.nr}`);
  if (caches) {
    for (const sb of k.supers()) for (const d of sb.s_dentry_lru) push(d, `cached dentry ${d.d_name}`);
    for (const i of k.inode_lru) push(i, 'cached inode');
  }
  while (stack.length) {
    const [o, why] = stack.pop() as [KObject, string];
    if (o instanceof Task) {
      push(o.nsproxy, why); push(o.user_ns, why); push(o.pid, why); push(o.files, why); push(o.fs, why);
    } else if (o instanceof Nsproxy) {
      for (const ns of nsproxyMembers(o)) push(ns, why);
    } else if (o instanceof MntNamespace) {
      for (const m of o.list) push(m, why);
    } else if (o instanceof PidNamespace || o instanceof UserNamespace) {
      push(o.parent, why);
    } else if (o instanceof Pid) {
      push(o.ns, why);
    } else if (o instanceof FilesStruct) {
      for (const f of o.fdt) if (f) push(f, `${why} → fd`);
    } else if (o instanceof FsStruct) {
      pushPath(o.root, why); pushPath(o.pwd, why);
    } else if (o instanceof File) {
      pushPath(o.f_path, `${why} → open file`);
    } else if (o instanceof Vfsmount) {
      push(o.mnt_root, `${why} → mount`); push(o.mnt_mountpoint, why); push(o.mnt_parent, why);
    } else if (o instanceof Dentry) {
      push(o.d_inode, why);
      if (!o.isRoot) push(o.d_parent, why);
    } else if (o instanceof Inode) {
      const ei = o as ProcInode;
      push(ei.ns ?? null, `${why} → ns inode`); push(ei.pid ?? null, why);
    }
  }
  return via;
}

/** Count, from the model's pointers, who holds each namespace and nsproxy (P2's expected refcounts). */
function modelHolders(k: Kernel): Map<KObject, number> {
  const n = new Map<KObject, number>();
  const add = (o: KObject | null): void => { if (o) n.set(o, (n.get(o) ?? 0) + 1); };
  for (const o of k.objects.live.values()) {
    if (o instanceof Task) { add(o.nsproxy); add(o.user_ns); }
    else if (o instanceof Nsproxy) for (const ns of nsproxyMembers(o)) add(ns);
    else if (o instanceof Pid) add(o.ns);
    else if (o instanceof PidNamespace || o instanceof UserNamespace) add(o.parent);
    else if (o instanceof Inode) {
      add(PROC_I(o).ns);
    }
  }
  return n;
}

/**
 * P1 and P2 (refcounts; the caller reports oopses) at a quiescent point (no syscall in flight, so no temporary references).
 * `caches` false: memory pressure has run, so cached dentries are no longer roots.
 */
export function checkLiveness(k: Kernel, caches = true): Violation[] {
  const out: Violation[] = [];
  const via = reachable(k, caches);
  for (const [o, why] of via) {
    if (o.freed) out.push({ property: 'P1', message: `${o.id} is freed but still reachable (${why})`, ns: isNs(o) ? o.id : undefined });
  }
  const holders = modelHolders(k);
  for (const o of k.objects.live.values()) {
    if (!isNs(o) && !(o instanceof Nsproxy)) continue;
    if (isNs(o) && !via.has(o)) {
      out.push({ property: 'P1', message: `${o.id} is alive but nothing holds it (refcount ${o.count}: ${holdersText(o)})`, ns: o.id });
    }
    const expected = o instanceof Nsproxy ? countTasksWith(k, o) : (holders.get(o) ?? 0);
    if (o.count !== expected) {
      out.push({ property: 'P2', message: `${o.id} has refcount ${o.count} but ${expected} holder(s) (${holdersText(o)})`, ns: isNs(o) ? o.id : undefined });
    }
  }
  return out;
}

function countTasksWith(k: Kernel, p: Nsproxy): number {
  let n = 0;
  for (const o of k.objects.live.values()) if (o instanceof Task && o.nsproxy === p) n++;
  return n;
}

export function holdersText(o: KObject): string {
  return [...o.holders.entries()].map(([h, n]) => (n > 1 ? `${h}×${n}` : h)).join(', ') || 'none';
}

/** The live namespaces and their holders, for counterexample tables. */
export function aliveNamespaces(k: Kernel): string {
  const out: string[] = [];
  for (const o of k.objects.live.values()) if (isNs(o) && o.type !== 'user' && o.type !== 'pid') out.push(`${o.id}[${holdersText(o)}]`);
  return out.join(' ');
}
