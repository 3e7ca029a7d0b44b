// P1 and P2: the lifecycle model. Liveness is worked out by reachability from the roots a
// namespace may legitimately hang from (a task, an open file, a mounted dentry, a cached unused
// dentry), following the kernel's pointers and never its refcounts. The refcounts are then
// checked against the holders the model counts (P2).
import { Kernel } from '../kernel/kernel';
import { Dentry, File, Inode, Vfsmount } from '../kernel/fs';
import { KObject } from '../kernel/object';
import { Namespace, MntNamespace, PidNamespace, UserNamespace } from '../kernel/namespaces';
import { Nsproxy, nsproxyMembers } from '../kernel/nsproxy';
import { ProcInode } from '../kernel/proc_fs';
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
  const push = (o: KObject, why: string): void => {
    if (!via.has(o)) { via.set(o, why); stack.push([o, why]); }
  };
  for (const t of k.tasks.values()) push(t, `task ${t.pid.nr}`);
  if (caches) {
    for (const sb of k.supers()) for (const d of sb.s_dentry_lru) push(d, `cached dentry ${d.d_name}`);
    for (const i of k.inode_lru) push(i, 'cached inode');
  }
  while (stack.length) {
    const [o, why] = stack.pop() as [KObject, string];
    for (const x of edgesOf(o)) push(x, x instanceof File ? `${why} → open file` : why);
  }
  return via;
}

/** Count, from the model's pointers, who holds each namespace and nsproxy (P2's expected refcounts). */
function modelHolders(k: Kernel): Map<KObject, number> {
  const n = new Map<KObject, number>();
  for (const o of k.objects.live.values()) {
    const counting = countsToward(o);
    for (const x of edgesOf(o)) if (holdsRef(o, x, counting)) n.set(x, (n.get(x) ?? 0) + 1);
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
    const expected = holders.get(o) ?? 0;
    if (o.count !== expected) {
      out.push({ property: 'P2', message: `${o.id} has refcount ${o.count} but ${expected} holder(s) (${holdersText(o)})`, ns: isNs(o) ? o.id : undefined });
    }
  }
  return out;
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

/** The objects an object points at, as the reachability model follows them (with multiplicity). */
export function edgesOf(o: KObject): KObject[] {
  const out: KObject[] = [];
  const add = (x: KObject | null | undefined): void => { if (x) out.push(x); };
  if (o instanceof Task) { add(o.nsproxy); add(o.user_ns); add(o.pid); add(o.files); add(o.fs); }
  else if (o instanceof Nsproxy) for (const ns of nsproxyMembers(o)) add(ns);
  else if (o instanceof MntNamespace) for (const m of o.list) add(m);
  else if (o instanceof PidNamespace || o instanceof UserNamespace) add(o.parent);
  else if (o instanceof Pid) add(o.ns);
  else if (o instanceof FilesStruct) { for (const f of o.fdt) add(f); }
  else if (o instanceof FsStruct) { add(o.root.mnt); add(o.root.dentry); add(o.pwd.mnt); add(o.pwd.dentry); }
  else if (o instanceof File) { add(o.f_path.mnt); add(o.f_path.dentry); }
  else if (o instanceof Vfsmount) { add(o.mnt_root); if (o.mnt_parent !== o) { add(o.mnt_mountpoint); add(o.mnt_parent); } }
  else if (o instanceof Dentry) { add(o.d_inode); if (!o.isRoot) add(o.d_parent); }
  else if (o instanceof Inode) { const ei = o as ProcInode; add(ei.ns ?? null); add(ei.pid ?? null); }
  return out;
}

/** The namespace-holding pointers only: who counts toward a namespace's refcount (P2). */
function countsToward(o: KObject): boolean {
  return o instanceof Task || o instanceof Nsproxy || o instanceof Pid || o instanceof PidNamespace
    || o instanceof UserNamespace || o instanceof Inode;
}

/** Does the pointer o → x hold one of the references P2 counts? */
function holdsRef(o: KObject, x: KObject, counting: boolean): boolean {
  return (counting && isNs(x)) || (x instanceof Nsproxy && o instanceof Task);
}

/**
 * P1 and P2, incrementally. The kernel logs every reference taken, dropped or moved; at each
 * quiescent point only the objects in the log are re-read: their outgoing pointers update a
 * reverse index, and the namespaces they lead to are re-checked, liveness by a reverse search
 * for a root, refcounts by counting pointers. Per-step work follows what the step touched,
 * not the size of the world.
 */
export class IncrementalLiveness {
  private readonly fwd = new Map<KObject, KObject[]>();
  private readonly rev = new Map<KObject, Map<KObject, number>>();
  /** P2's expected refcounts, kept up to date with the edges: pointers that hold a reference. */
  private readonly refs = new Map<KObject, number>();
  private started = false;

  constructor(private readonly k: Kernel) {}

  /** The mount namespace each mount was in at the last check. */
  private readonly mountNs = new Map<Vfsmount, MntNamespace | null>();
  /** Root status seen at the last check (a task in the pid hash, a dentry or inode on an LRU). */
  private readonly wasRoot = new Map<KObject, boolean>();

  /**
   * Record o's outgoing pointers and update the reverse index by the difference. Returns the
   * targets o no longer points at (null when nothing changed: a refcount bump only).
   */
  private setEdges(o: KObject, next: KObject[]): KObject[] | null {
    const prev = this.fwd.get(o) ?? [];
    if (prev.length === next.length && prev.every((x, i) => x === next[i])) return null;
    const delta = new Map<KObject, number>();
    for (const x of prev) delta.set(x, (delta.get(x) ?? 0) - 1);
    for (const x of next) delta.set(x, (delta.get(x) ?? 0) + 1);
    const counting = countsToward(o);
    const removed: KObject[] = [];
    for (const [x, d] of delta) {
      if (d === 0) continue;
      if (holdsRef(o, x, counting)) this.refs.set(x, (this.refs.get(x) ?? 0) + d);
      let m = this.rev.get(x);
      if (!m) { m = new Map(); this.rev.set(x, m); }
      const n = (m.get(o) ?? 0) + d;
      if (n <= 0) m.delete(o); else m.set(o, n);
      if (d < 0) removed.push(x);
    }
    if (next.length) this.fwd.set(o, next); else this.fwd.delete(o);
    return removed;
  }

  private isRoot(o: KObject, caches: boolean): boolean {
    if (o instanceof Task) return !o.freed && this.k.tasks.get(o.pid.nr) === o;
    if (!caches) return false;
    if (o instanceof Dentry) return !o.freed && o.count === 0 && o.d_sb.s_dentry_lru.has(o);
    if (o instanceof Inode) return !o.freed && this.k.inode_lru.has(o);
    return false;
  }

  /** Reverse search from a namespace for a root. */
  private reachable(ns: KObject, caches: boolean): boolean {
    const seen = new Set<KObject>([ns]);
    const queue: KObject[] = [ns];
    for (let i = 0; i < queue.length; i++) {
      const referrers = this.rev.get(queue[i]);
      if (!referrers) continue;
      for (const r of referrers.keys()) {
        if (seen.has(r) || r.freed) continue;
        if (this.isRoot(r, caches)) return true;
        seen.add(r);
        queue.push(r);
      }
    }
    return false;
  }

  /** Re-read what changed since the last call and check the namespaces it leads to. */
  check(caches: boolean): Violation[] {
    const k = this.k;
    const changed = new Set<KObject>();
    if (!this.started) {
      this.started = true;
      k.objects.tracking = true;
      k.objects.drain();
      for (const o of k.objects.live.values()) {
        changed.add(o);
        if (o instanceof Vfsmount) this.mountNs.set(o, o.mnt_ns);
      }
    } else {
      const log = k.objects.drain();
      for (const o of log.objects) changed.add(o);
      for (const label of log.labels) {
        const o = k.objects.byId(label) ?? k.objects.live.get(label);
        if (o) changed.add(o);
      }
      // a mount's place in its namespace's list is not refcounted by the namespace: re-read the
      // namespace it is in now and the one it was in at the last check
      for (const o of [...changed]) {
        if (!(o instanceof Vfsmount)) continue;
        const was = this.mountNs.get(o);
        if (was === o.mnt_ns) continue;
        if (was) changed.add(was);
        if (o.mnt_ns) changed.add(o.mnt_ns);
        this.mountNs.set(o, o.mnt_ns);
      }
    }
    // Only a pointer that went away, an object freed, or a root that stopped being one can leave
    // a namespace unheld; a new pointer or a bare refcount bump (a path walk's dget) cannot. A
    // namespace whose own count moved is re-checked directly.
    const dirty = new Set<Namespace>();
    const stack: KObject[] = [];
    for (const o of changed) {
      if (isNs(o)) dirty.add(o);
      const removed = this.setEdges(o, o.freed ? [] : edgesOf(o));
      if (removed) stack.push(...removed);
      if (o instanceof Task || o instanceof Dentry || o instanceof Inode) {
        const root = this.isRoot(o, caches);
        if (this.wasRoot.get(o) !== root) {
          this.wasRoot.set(o, root);
          if (!root) stack.push(o);
        }
      }
    }

    // forward from what lost a holder, up to the namespaces it leads to
    const seen = new Set<KObject>();
    while (stack.length) {
      const o = stack.pop() as KObject;
      if (seen.has(o)) continue;
      seen.add(o);
      if (isNs(o)) { dirty.add(o); continue; }
      if (o.freed) continue;
      for (const x of edgesOf(o)) {
        if (x instanceof Dentry && o instanceof Dentry && o.d_parent === x) continue; // parents hold no namespace
        if (x instanceof Vfsmount && o instanceof Vfsmount) continue;
        stack.push(x);
      }
    }

    const out: Violation[] = [];
    for (const ns of dirty) {
      const referrers = this.rev.get(ns);
      if (ns.freed) {
        for (const r of referrers?.keys() ?? []) {
          if (!r.freed) out.push({ property: 'P1', message: `${ns.id} is freed but ${r.id} still points to it`, ns: ns.id });
        }
        continue;
      }
      if (!this.reachable(ns, caches)) {
        out.push({ property: 'P1', message: `${ns.id} is alive but nothing holds it (refcount ${ns.count}: ${holdersText(ns)})`, ns: ns.id });
      }
      const expected = this.refs.get(ns) ?? 0;
      if (ns.count !== expected) {
        out.push({ property: 'P2', message: `${ns.id} has refcount ${ns.count} but ${expected} holder(s) (${holdersText(ns)})`, ns: ns.id });
      }
    }
    for (const o of changed) {
      if (!(o instanceof Nsproxy) || o.freed) continue;
      const tasks = this.refs.get(o) ?? 0;
      if (o.count !== tasks) out.push({ property: 'P2', message: `${o.id} has refcount ${o.count} but ${tasks} task(s) point to it (${holdersText(o)})` });
    }
    for (const o of changed) {
      if (!o.freed) continue;
      this.fwd.delete(o); this.rev.delete(o); this.refs.delete(o); this.wasRoot.delete(o);
      if (o instanceof Vfsmount) this.mountNs.delete(o);
    }
    return out;
  }
}
