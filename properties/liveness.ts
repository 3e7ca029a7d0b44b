// P1 and P2: the lifecycle model. Liveness is worked out by reachability from the roots a
// namespace may legitimately hang from (a task, an open file, a mounted dentry, a cached unused
// dentry), following the kernel's pointers and never its refcounts. The refcounts are then
// checked against the holders the model counts (P2).
import { Kernel } from '../kernel/kernel';
import { Dentry, File, Inode, Vfsmount } from '../kernel/fs';
import { Kind, KINDS, KObject, Kref } from '../kernel/object';
import { Namespace, MntNamespace, PidNamespace, UserNamespace } from '../kernel/namespaces';
import { Nsproxy, nsproxyMembers } from '../kernel/nsproxy';
import { ProcInode } from '../kernel/proc_fs';
import { Pid, Task } from '../kernel/task';
import { FilesStruct } from '../kernel/file';
import { FsStruct } from '../kernel/fs_struct';
import { LifecycleLog } from './lifecycleLog';

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
  push(k.init_task, 'init_task');
  for (const t of k.tasks.values()) push(t, `task ${t.pid.nr}`);
  if (caches) {
    // the LRUs are lazy: a dentry or inode back in use may still be on one, and is no root
    for (const sb of k.supers()) for (const d of sb.s_dentry_lru) if (d.count === 0) push(d, `cached dentry ${d.d_name}`);
    for (const i of k.inode_lru) if (i.count === 0) push(i, 'cached inode');
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
  for (const o of k.objects.values()) {
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
  for (const o of k.objects.values()) {
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
  for (const o of k.objects.values()) if (isNs(o) && o.type !== 'user' && o.type !== 'pid') out.push(`${o.id}[${holdersText(o)}]`);
  return out.join(' ');
}

/** The objects an object points at, as the reachability model follows them (with multiplicity). */
export function edgesOf(o: KObject): KObject[] {
  return edgesInto(o, []);
}

/** edgesOf into a given (empty) list, so a caller can reuse one; `tag`: o's (tagOf). */
function edgesInto(o: KObject, out: KObject[], tag = tagOf(o)): KObject[] {
  switch (tag) {
    case TASK: { const t = o as Task; add(out, t.nsproxy); add(out, t.user_ns); add(out, t.pid); add(out, t.files); add(out, t.fs); break; }
    case NSPROXY: for (const ns of nsproxyMembers(o as Nsproxy)) add(out, ns); break;
    case NS_MNT: for (const m of (o as MntNamespace).list) add(out, m); break;
    case NS_PARENT: add(out, (o as PidNamespace | UserNamespace).parent); break;
    case PID: add(out, (o as Pid).ns); break;
    case FILES: for (const f of (o as FilesStruct).fdt) add(out, f); break;
    case FS: { const fs = o as FsStruct; add(out, fs.root.mnt); add(out, fs.root.dentry); add(out, fs.pwd.mnt); add(out, fs.pwd.dentry); break; }
    case FILE: { const f = o as File; add(out, f.f_path.mnt); add(out, f.f_path.dentry); break; }
    case VFSMOUNT: { const m = o as Vfsmount; add(out, m.mnt_root); if (m.mnt_parent !== m) { add(out, m.mnt_mountpoint); add(out, m.mnt_parent); } break; }
    case DENTRY: { const d = o as Dentry; add(out, d.d_inode); if (!d.isRoot) add(out, d.d_parent); break; }
    case INODE: { const ei = o as ProcInode; add(out, ei.ns ?? null); add(out, ei.pid ?? null); break; }
    default: break;
  }
  return out;
}

function add(out: KObject[], x: KObject | null | undefined): void {
  if (x) out.push(x);
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
 * The classes the checker tells apart, by the object's kind (kernel/object.ts): worked out once
 * per object, from a number in its Kref, where an instanceof chain would walk the prototype
 * chain per test. The namespaces come last (tag >= NS).
 */
const OTHER = 0;
const TASK = 1;
const NSPROXY = 2;
const DENTRY = 3;
const INODE = 4;
const VFSMOUNT = 5;
const PID = 6;
const FILES = 7;
const FS = 8;
const FILE = 9;
/** net, uts, ipc, cgroup, time: no pointers the model follows. */
const NS = 10;
/** A mount namespace: its mounts. */
const NS_MNT = 11;
/** A pid or user namespace: its parent. */
const NS_PARENT = 12;
type Tag = number;

const KIND_TAG: Readonly<Record<Kind, Tag>> = {
  task: TASK, pid: PID, mm: OTHER, nsproxy: NSPROXY, net: NS, uts: NS, ipc: NS, mnt_ns: NS_MNT, pid_ns: NS_PARENT,
  user_ns: NS_PARENT, cgroup_ns: NS, time_ns: NS, files: FILES, fs: FS, file: FILE, dentry: DENTRY, inode: INODE,
  vfsmount: VFSMOUNT, sb: OTHER,
};
/** The tag of each kind by its number (Kref.kind). */
const TAG_BY_KIND: readonly Tag[] = KINDS.map((kind) => KIND_TAG[kind]);

function tagOf(o: KObject): Tag {
  return KIND_TAG[o.kind];
}

/** Does an object of this tag hold references P2 counts (countsToward, by tag)? */
function countingTag(tag: Tag): boolean {
  return tag === TASK || tag === NSPROXY || tag === PID || tag === NS_PARENT || tag === INODE;
}

/**
 * Does a bare count change of an object of this tag matter to a check (examine reads it: a
 * namespace's or nsproxy's for P2, a dentry's or inode's root status, a mount's namespace)?
 */
function countReadTag(tag: Tag): boolean {
  return tag >= NS || tag === NSPROXY || tag === TASK || tag === DENTRY || tag === INODE || tag === VFSMOUNT;
}

/**
 * What the incremental checker remembers of one object between two checks, kept in the
 * object's Kref.tracerData. The checker's own lists (work lists, referrers) hold these records,
 * not the objects: a record has one layout whatever the object's class, and leads to the object
 * and its Kref.
 */
class Shadow {
  readonly tag: Tag;
  /** Does it hold references P2 counts (countsToward)? */
  readonly counting: boolean;
  /** Does a bare change of its count matter to a check (countReadTag)? */
  readonly countRead: boolean;
  /** Its outgoing pointers at the last check (with multiplicity). */
  edges: KObject[] = NO_EDGES;
  /**
   * Who points at it: a list with one entry per pointer while short (most objects have one to
   * three referrers, and a Map costs more to make and to walk), a referrer → count Map once
   * long (a mount is pointed at by every file opened on it: thousands at 512 tasks).
   */
  rev: Shadow[] | Map<Shadow, number> | null = null;
  /** P2's expected refcount: pointers at it that hold a reference. */
  refs = 0;
  /** Was it a root at the last check (a task in the pid hash, a dentry or inode on an LRU)? */
  wasRoot = false;
  /** For a mount: the mount namespace it was in at the last check. */
  mntNs: MntNamespace | null = null;
  /** The check that last queued it for a re-read of its pointers, or for its count. */
  reread = 0;
  counted = 0;
  /** The search that last visited it. */
  visited = 0;
  /** The check that last marked it (a namespace) for a liveness re-check. */
  dirty = 0;

  constructor(readonly obj: KObject, readonly kref: Kref) {
    const tag = TAG_BY_KIND[kref.kind];
    this.tag = tag;
    this.counting = countingTag(tag);
    this.countRead = countReadTag(tag);
  }
}

/**
 * P1 and P2, incrementally. Its lifecycle log (lifecycleLog.ts), installed as the kernel's
 * tracer when the checker starts, names the objects whose pointers changed (a reference's
 * holder that is an object) and those whose own state did: allocated, freed, or a count the
 * checker reads (COUNTED_KINDS below says which). At each quiescent point
 * only what the log names is read again. A holder that is an
 * object had a pointer change: its outgoing pointers are re-read and update a reverse index by
 * the difference. An object whose count merely moved is examined where a count matters: a
 * namespace or nsproxy (P2), a dentry or inode whose count left or reached zero (it may have
 * stopped being a root), a mount (it may have left its namespace's list), a freed one. The
 * namespaces that a lost pointer or a lost root leads to are re-checked, liveness by a reverse
 * search for a root. Per-step work follows what the step touched, not the size of the world;
 * selfCheck() lets a test compare the index with a fresh read.
 */
export class IncrementalLiveness {
  /** The log it installed on the kernel (Kernel.tracer) at its first check; null before. */
  private log: LifecycleLog | null = null;
  private epoch = 0;
  private search = 0;

  constructor(private readonly k: Kernel) {}

  private shadow(o: KObject): Shadow {
    return this.shadowOf(o.kref);
  }

  private shadowOf(r: Kref): Shadow {
    let s = r.tracerData as Shadow | null;
    if (!s) {
      s = new Shadow(r.obj, r);
      r.tracerData = s;
    }
    return s;
  }

  /**
   * Record s's outgoing pointers and update the reverse index by the difference; the targets
   * it points at fewer times than before go on `lost`.
   */
  private setEdges(s: Shadow, next: KObject[], lost: Shadow[]): void {
    const prev = s.edges;
    // the common prefix and suffix are unchanged pointers (an fd table gains or loses one file)
    let lo = 0;
    const n = Math.min(prev.length, next.length);
    while (lo < n && prev[lo] === next[lo]) lo++;
    if (lo === prev.length && lo === next.length) return;
    let hp = prev.length;
    let hn = next.length;
    while (hp > lo && hn > lo && prev[hp - 1] === next[hn - 1]) { hp--; hn--; }
    if (hp === lo) {
      for (let i = lo; i < hn; i++) this.link(s, this.shadow(next[i]), +1); // only new pointers
    } else if (hn === lo) {
      for (let i = lo; i < hp; i++) { // only pointers gone (a freed object, a closed fd)
        const t = this.shadow(prev[i]);
        this.link(s, t, -1);
        lost.push(t);
      }
    } else if (hp - lo === 1 && hn - lo <= 1) {
      // one pointer changed or went away: no multiset to build
      const x = prev[lo];
      const y = hn > lo ? next[lo] : null;
      if (x !== y) {
        const t = this.shadow(x);
        this.link(s, t, -1);
        lost.push(t);
        if (y) this.link(s, this.shadow(y), +1);
      }
    } else {
      const delta = new Map<KObject, number>();
      for (let i = lo; i < hp; i++) delta.set(prev[i], (delta.get(prev[i]) ?? 0) - 1);
      for (let i = lo; i < hn; i++) delta.set(next[i], (delta.get(next[i]) ?? 0) + 1);
      for (const [x, d] of delta) {
        if (d === 0) continue;
        const t = this.shadow(x);
        this.link(s, t, d);
        if (d < 0) lost.push(t);
      }
    }
    // keep the new pointers in the record's own list (the shared empty one is never written)
    if (!next.length) s.edges = NO_EDGES;
    else if (prev === NO_EDGES) s.edges = next.slice();
    else {
      while (prev.length > next.length) prev.pop();
      for (let i = 0; i < next.length; i++) prev[i] = next[i];
    }
  }

  /** d more (or fewer) pointers from s's object to t's (holdsRef, with the tags in the records). */
  private link(s: Shadow, t: Shadow, d: number): void {
    if ((s.counting && t.tag >= NS) || (s.tag === TASK && t.tag === NSPROXY)) t.refs += d;
    const rev = t.rev;
    if (rev instanceof Map) {
      const n = (rev.get(s) ?? 0) + d;
      if (n <= 0) rev.delete(s); else rev.set(s, n);
      return;
    }
    if (d > 0) {
      const list = rev ?? (t.rev = []);
      for (; d > 0; d--) list.push(s);
      if (list.length > REV_LIST_MAX) {
        const m = new Map<Shadow, number>();
        for (const r of list) m.set(r, (m.get(r) ?? 0) + 1);
        t.rev = m;
      }
      return;
    }
    if (!rev) return;
    for (; d < 0; d++) {
      // the last pointer from s goes, its place taken by the list's last
      const i = rev.lastIndexOf(s);
      if (i < 0) return;
      rev[i] = rev[rev.length - 1];
      rev.pop();
    }
  }

  private isRoot(s: Shadow, caches: boolean): boolean {
    const r = s.kref;
    if (r.freed) return false;
    const tag = s.tag;
    if (tag === TASK) return s.obj === this.k.init_task || this.k.tasks.get((s.obj as Task).pid.nr) === s.obj;
    if (!caches || r.count !== 0) return false;
    if (tag === DENTRY) return (s.obj as Dentry).d_sb.s_dentry_lru.has(s.obj as Dentry);
    if (tag === INODE) return this.k.inode_lru.has(s.obj as Inode);
    return false;
  }

  /**
   * Reverse search from a namespace for a root, depth first and one referrer at a time, so a
   * namespace held through a long list (a pid namespace's pids, a user namespace's tasks) is
   * proven alive by the first chain that ends at a root, not after the whole list is queued.
   */
  private reachable(own: Shadow, caches: boolean): boolean {
    const mark = ++this.search;
    own.visited = mark;
    // the stack: for each level, a referrer list and how far along it the search is (or the
    // keys of a long one's Map)
    const lists = this.stack;
    const at = this.stackAt;
    while (lists.length) { lists.pop(); at.pop(); }
    if (own.rev) { lists.push(own.rev instanceof Map ? own.rev.keys() : own.rev); at.push(0); }
    while (lists.length) {
      const top = lists.length - 1;
      const list = lists[top];
      let s: Shadow;
      if (list instanceof Array) {
        const i = at[top];
        if (i === list.length) { lists.pop(); at.pop(); continue; }
        at[top] = i + 1;
        s = list[i];
      } else {
        const next = list.next();
        if (next.done) { lists.pop(); at.pop(); continue; }
        s = next.value;
      }
      if (s.visited === mark || s.kref.freed) continue;
      if (this.isRoot(s, caches)) return true;
      s.visited = mark;
      if (s.rev) { lists.push(s.rev instanceof Map ? s.rev.keys() : s.rev); at.push(0); }
    }
    return false;
  }

  // Work lists of the check in progress, kept between checks to spare the allocations.
  /** Objects whose pointers are re-read. */
  private readonly reread: Shadow[] = [];
  /** Objects whose count moved (and nothing else is known). */
  private readonly counted: Shadow[] = [];
  private readonly dirty: Shadow[] = [];
  private readonly recounted: Shadow[] = [];
  private readonly proxies: Shadow[] = [];
  private readonly lost: Shadow[] = [];
  /** The pointers being read (setEdges keeps a copy only when they changed). */
  private readonly scratch: KObject[] = [];
  /** The reverse search's stack: referrer lists (or a Map's keys), and the next index into each. */
  private readonly stack: (Shadow[] | Iterator<Shadow>)[] = [];
  private readonly stackAt: number[] = [];
  private caches = true;

  private queue(s: Shadow): void {
    if (s.reread === this.epoch) return;
    s.reread = this.epoch;
    this.reread.push(s);
  }

  private markDirty(s: Shadow): void {
    if (s.dirty === this.epoch) return;
    s.dirty = this.epoch;
    this.dirty.push(s);
  }

  private examine(s: Shadow, edges: boolean): void {
    // A namespace that is new or had a pointer change is re-checked whole. One whose count
    // merely moved needs only P2: its liveness can fall only with a pointer or a root lost
    // upstream of it, and the forward pass from those marks it.
    const tag = s.tag;
    if (tag >= NS) { if (edges) this.markDirty(s); else this.recounted.push(s); }
    else if (tag === NSPROXY) this.proxies.push(s);
    if (edges) {
      const scratch = this.scratch;
      while (scratch.length) scratch.pop();
      this.setEdges(s, s.kref.freed ? NO_EDGES : edgesInto(s.obj, scratch, tag), this.lost);
    }
    if (tag === TASK || tag === DENTRY || tag === INODE) {
      const root = this.isRoot(s, this.caches);
      if (s.wasRoot !== root) {
        s.wasRoot = root;
        if (!root) this.lost.push(s);
      }
    } else if (tag === VFSMOUNT) {
      // a mount's place in its namespace's list is not refcounted by the namespace: re-read
      // the namespace it is in now and the one it was in at the last check
      const mnt_ns = (s.obj as Vfsmount).mnt_ns;
      if (s.mntNs !== mnt_ns) {
        if (s.mntNs) this.queue(this.shadow(s.mntNs));
        if (mnt_ns) this.queue(this.shadow(mnt_ns));
        s.mntNs = mnt_ns;
      }
    }
  }

  /** Re-read what the log names since the last call and check the namespaces it leads to. */
  check(caches: boolean): readonly Violation[] {
    const k = this.k;
    // nothing logged since the last check: nothing it knows has changed (most commands in a
    // run start nothing, or only advance a syscall that is still in flight)
    const log = this.log;
    if (log !== null && log.logged === 0) return NO_VIOLATIONS;
    const epoch = ++this.epoch;
    this.caches = caches;
    const { reread, counted, dirty, recounted, proxies, lost } = this;
    while (reread.length) reread.pop();
    while (counted.length) counted.pop();
    while (dirty.length) dirty.pop();
    while (recounted.length) recounted.pop();
    while (proxies.length) proxies.pop();
    while (lost.length) lost.pop();
    if (log === null) {
      // from now on the kernel tells the log of every change; what came before is read whole
      k.tracer = this.log = new LifecycleLog(COUNTED_KINDS);
      for (const o of k.objects.values()) {
        const s = this.shadow(o);
        this.queue(s);
        if (o instanceof Vfsmount) s.mntNs = o.mnt_ns;
      }
    } else {
      const entries = log.drain();
      for (const h of entries.holders) {
        const r = h.kref;
        if (!transient(r)) this.queue(this.shadowOf(r));
      }
      for (const r of entries.objects) {
        if (r.freed) { if (!transient(r)) this.queue(this.shadowOf(r)); continue; }
        const s = this.shadowOf(r);
        // a count that moved matters only where examine reads one (below): a file's, a pid's,
        // an fd table's... matters only when it is freed
        if (!s.countRead || s.counted === epoch) continue;
        s.counted = epoch;
        counted.push(s);
      }
    }

    // Only a pointer that went away, an object freed, or a root that stopped being one can leave
    // a namespace unheld; a new pointer or a bare refcount bump (a path walk's dget) cannot. A
    // namespace whose own count moved is re-checked directly.
    // An object both re-read and counted is examined once; a mount may queue its namespaces.
    for (let i = 0, j = 0; i < reread.length || j < counted.length;) {
      if (i < reread.length) { this.examine(reread[i++], true); continue; }
      const s = counted[j++];
      if (s.reread !== epoch) this.examine(s, false);
    }

    // forward from what lost a holder, up to the namespaces it leads to
    const mark = ++this.search;
    while (lost.length) {
      const s = lost.pop() as Shadow;
      if (s.visited === mark) continue;
      s.visited = mark;
      if (s.tag >= NS) { this.markDirty(s); continue; }
      if (s.kref.freed) continue;
      const edges = s.edges;
      for (let i = 0; i < edges.length; i++) {
        const x = edges[i];
        if (s.tag === DENTRY && (s.obj as Dentry).d_parent === x) continue; // parents hold no namespace
        if (s.tag === VFSMOUNT && x instanceof Vfsmount) continue;
        lost.push(this.shadow(x));
      }
    }

    const out: Violation[] = [];
    for (const s of dirty) {
      const ns = s.obj;
      if (s.kref.freed) {
        for (const r of new Set(s.rev instanceof Map ? s.rev.keys() : s.rev ?? [])) {
          if (!r.kref.freed) out.push({ property: 'P1', message: `${ns.id} is freed but ${r.obj.id} still points to it`, ns: ns.id });
        }
        continue;
      }
      if (!this.reachable(s, caches)) {
        out.push({ property: 'P1', message: `${ns.id} is alive but nothing holds it (refcount ${s.kref.count}: ${holdersText(ns)})`, ns: ns.id });
      }
      if (s.kref.count !== s.refs) {
        out.push({ property: 'P2', message: `${ns.id} has refcount ${s.kref.count} but ${s.refs} holder(s) (${holdersText(ns)})`, ns: ns.id });
      }
    }
    for (const s of recounted) {
      if (s.dirty === epoch || s.kref.freed) continue;
      if (s.kref.count !== s.refs) {
        const ns = s.obj;
        out.push({ property: 'P2', message: `${ns.id} has refcount ${s.kref.count} but ${s.refs} holder(s) (${holdersText(ns)})`, ns: ns.id });
      }
    }
    for (const s of proxies) {
      if (s.kref.freed) continue;
      if (s.kref.count !== s.refs) out.push({ property: 'P2', message: `${s.obj.id} has refcount ${s.kref.count} but ${s.refs} task(s) point to it (${holdersText(s.obj)})` });
    }
    for (const s of reread) if (s.kref.freed) s.kref.tracerData = null;
    return out;
  }

  /**
   * For tests: where the index the checker keeps differs from the pointers and roots read
   * afresh (empty when every change reached the log). Call right after check().
   */
  selfCheck(caches: boolean): string[] {
    const out: string[] = [];
    const refs = modelHolders(this.k);
    // who points at each object now, with multiplicity, as "referrer id×count" in a fixed order
    const fresh = new Map<KObject, Map<KObject, number>>();
    for (const o of this.k.objects.values()) {
      for (const x of edgesOf(o)) {
        const m = fresh.get(x) ?? new Map<KObject, number>();
        m.set(o, (m.get(o) ?? 0) + 1);
        fresh.set(x, m);
      }
    }
    const text = (m: Map<KObject, number> | undefined): string => [...(m ?? [])].map(([r, n]) => `${r.id}×${n}`).sort().join(' ');
    for (const o of this.k.objects.values()) {
      const s = o.kref.tracerData as Shadow | null;
      const rev = s?.rev;
      const referrers = new Map<KObject, number>();
      if (rev instanceof Map) for (const [r, n] of rev) referrers.set(r.obj, n);
      else for (const r of rev ?? []) referrers.set(r.obj, (referrers.get(r.obj) ?? 0) + 1);
      if (text(referrers) !== text(fresh.get(o))) out.push(`${o.id}: referrers ${text(referrers)} kept, ${text(fresh.get(o))} now`);
      const edges = edgesOf(o);
      const kept = s?.edges ?? NO_EDGES;
      if (edges.length !== kept.length || edges.some((x, i) => x !== kept[i])) out.push(`${o.id}: pointers ${kept.map((x) => x.id)} kept, ${edges.map((x) => x.id)} now`);
      if ((isNs(o) || o instanceof Nsproxy) && (s?.refs ?? 0) !== (refs.get(o) ?? 0)) out.push(`${o.id}: ${s?.refs ?? 0} holders kept, ${refs.get(o) ?? 0} now`);
      const tag = tagOf(o);
      if ((tag === TASK || tag === DENTRY || tag === INODE) && (s?.wasRoot ?? false) !== this.isRoot(s ?? new Shadow(o, o.kref), caches)) out.push(`${o.id}: root status kept stale`);
      if (o instanceof Vfsmount && (s?.mntNs ?? null) !== o.mnt_ns) out.push(`${o.id}: mount namespace kept stale`);
    }
    return out;
  }
}

/**
 * Born and freed since the last check (no check has made its record): it is in no pointer list
 * the checker keeps and was never a root, so its life changed nothing the checker knows (a v3.8
 * ns lookup's dentry and inode). A namespace is still examined: one freed while something
 * points at it is a P1 failure.
 */
function transient(r: Kref): boolean {
  return r.freed && r.tracerData === null && TAG_BY_KIND[r.kind] < NS;
}

const NO_EDGES: KObject[] = [];
/** Past this many pointers at an object, its referrers are kept in a Map. */
const REV_LIST_MAX = 32;
const NO_VIOLATIONS: readonly Violation[] = Object.freeze([]);

/**
 * The count changes the checker reads (examine), whoever the holder (the log's policy,
 * lifecycleLog.ts): every one for namespaces
 * and nsproxies (P2); for dentries and inodes only those that leave or reach zero, the only ones
 * that can change their root status (on an LRU with no user). A task stops being a root when it
 * is unhashed (release_task puts its pid, a pointer change), and a mount's namespace changes are
 * logged by the mount code itself; a file's, an fd table's, an fs_struct's, an mm's or a pid's
 * count matters only when it is freed, and frees are logged anyway.
 */
const COUNTED_KINDS: ReadonlyMap<Kind, 'always' | 'zero'> = new Map<Kind, 'always' | 'zero'>([
  ...(['net', 'uts', 'ipc', 'mnt_ns', 'pid_ns', 'user_ns', 'cgroup_ns', 'time_ns', 'nsproxy'] as const).map((kind) => [kind, 'always'] as const),
  ['dentry', 'zero'], ['inode', 'zero'],
]);
