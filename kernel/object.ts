// Refcounted kernel objects. The kernel's atomic_t/kref counters, each knowing its holders,
// with misuse (NULL put, underflow, use after free) recorded as an oops instead of thrown.
import type { Kernel } from './kernel';

export type Kind =
  | 'task' | 'pid' | 'mm' | 'nsproxy' | 'net' | 'uts' | 'ipc' | 'mnt_ns' | 'pid_ns' | 'user_ns' | 'cgroup_ns' | 'time_ns'
  | 'files' | 'fs' | 'file' | 'dentry' | 'inode' | 'vfsmount' | 'sb';

/**
 * Who holds a reference: the object whose pointer it is (a dentry holding its parent, a file
 * its dentry), or a label for a reference that no object's pointer stands for (a path walk's
 * "stat", the mount tree's "tree").
 */
export type Holder = KObject | string;

/** A holder as text: an object by its id. */
export function holderName(h: Holder): string {
  return typeof h === 'string' ? h : h.id;
}

/** A refcounted object. `count` is the kernel's counter; `holders` says who took each reference. */
export abstract class KObject {
  abstract readonly kind: Kind;
  /** The allocation number within its kind (1, 2, ...), stable for a seed. */
  serial = 0;
  /** The allocation number among all objects, and the object's place in the registry's list. */
  allocSeq = 0;
  allocSlot = -1;
  private name: string | null = null;
  count = 1;
  freed = false;
  /**
   * Who holds the references, in the order they first took one: holder, count, holder, count...
   * A flat list while short (most objects have one to three holders), a Map once long (a
   * directory's dentry is held by each child).
   */
  private held: (Holder | number)[] | Map<Holder, number>;
  /**
   * The incremental checker's record of this object (properties/liveness.ts), kept on the
   * object as kmemleak and lockdep keep theirs: the kernel never reads it.
   */
  shadow: object | null = null;

  constructor(readonly k: Kernel, firstHolder: Holder) {
    this.held = [firstHolder, 1];
  }

  /** Called by subclasses once their fields are set: registers the object as alive. */
  protected register(): void {
    this.k.objects.register(this);
  }

  /** Symbolic identity, stable for a seed: "net#3", "dentry#12" (made when first asked for). */
  get id(): string {
    if (this.name === null) {
      if (!this.serial) return `${this.kind}#?`; // not registered yet: nothing to remember
      this.name = `${this.kind}#${this.serial}`;
    }
    return this.name;
  }

  /** The holders as a multiset (a copy, for messages and tests). */
  get holders(): ReadonlyMap<string, number> {
    const m = new Map<string, number>();
    if (this.held instanceof Map) for (const [h, n] of this.held) m.set(holderName(h), (m.get(holderName(h)) ?? 0) + n);
    else for (let i = 0; i < this.held.length; i += 2) m.set(holderName(this.held[i] as Holder), (m.get(holderName(this.held[i] as Holder)) ?? 0) + (this.held[i + 1] as number));
    return m;
  }

  /** One more reference held by `holder`. */
  hold(holder: Holder): void {
    const h = this.held;
    if (h instanceof Map) { h.set(holder, (h.get(holder) ?? 0) + 1); return; }
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] === holder) { (h[i + 1] as number)++; return; }
    }
    if (h.length < HELD_LIST_MAX) { h.push(holder, 1); return; }
    const m = new Map<Holder, number>();
    for (let i = 0; i < h.length; i += 2) m.set(h[i] as Holder, h[i + 1] as number);
    m.set(holder, 1);
    this.held = m;
  }

  /** One reference fewer held by `holder`; false when it held none. */
  unhold(holder: Holder): boolean {
    const h = this.held;
    if (h instanceof Map) {
      const n = h.get(holder);
      if (n === undefined) return false;
      if (n === 1) h.delete(holder); else h.set(holder, n - 1);
      return true;
    }
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] !== holder) continue;
      if (h[i + 1] !== 1) { (h[i + 1] as number)--; return true; }
      for (let j = i + 2; j < h.length; j++) h[j - 2] = h[j]; // keep first-taken order
      h.pop(); // (pop, not a length store: shrinking .length is a call into the runtime)
      h.pop();
      return true;
    }
    return false;
  }
}

/** Past this many entries (holders × 2) the holder list becomes a Map. */
const HELD_LIST_MAX = 16;

export interface Oops {
  step: number;
  /** The kernel's first line, e.g. "BUG: unable to handle kernel NULL pointer dereference". */
  message: string;
  /** Where: the kernel function that hit it. */
  at: string;
  object?: string;
}

/** Take a reference. A NULL or freed object is an oops, as the kernel would print one. */
export function kget<T extends KObject>(k: Kernel, o: T | null, holder: Holder, at: string): T | null {
  if (o === null) {
    k.oops('BUG: unable to handle kernel NULL pointer dereference', at);
    return null;
  }
  if (o.freed) {
    k.oops('BUG: use after free (get)', at, o.id);
    return o;
  }
  o.count++;
  o.hold(holder);
  k.objects.touch(o, holder, o.count === 1);
  return o;
}

/**
 * Drop a reference; true when it was the last one (the caller frees, as after
 * atomic_dec_and_test). NULL, freed and underflow are oopses and return false.
 */
export function kput(k: Kernel, o: KObject | null, holder: Holder, at: string): boolean {
  if (o === null) {
    k.oops('BUG: unable to handle kernel NULL pointer dereference', at);
    return false;
  }
  if (o.freed) {
    k.oops('BUG: use after free (put)', at, o.id);
    return false;
  }
  if (o.count <= 0) {
    k.oops('BUG: refcount underflow', at, o.id);
    return false;
  }
  o.count--;
  k.objects.touch(o, holder, o.count === 0);
  if (!o.unhold(holder)) k.oops('WARNING: put by a holder that holds no reference', at, `${o.id} by ${holderName(holder)}`);
  return o.count === 0;
}

/** Move a reference from one holder to another without touching the count. */
export function ktransfer(o: KObject, from: Holder, to: Holder): void {
  o.unhold(from);
  o.hold(to);
  o.k.objects.touch(o, from, false);
  o.k.objects.touch(o, to, false);
}

/** Free an object: it leaves the set of live objects. A double free is an oops. */
export function kfree(k: Kernel, o: KObject, at: string): void {
  if (o.freed) {
    k.oops('BUG: double free', at, o.id);
    return;
  }
  o.freed = true;
  k.objects.unregister(o);
  k.objects.touch(o, at, true);
}

/** Every live object, by kind, in allocation order: the registry the liveness checks read. */
export class ObjectRegistry {
  private readonly next = new Map<Kind, number>();
  /** The live objects, in no particular order (a free moves the last one into its slot). */
  private readonly all: KObject[] = [];
  private seq = 0;

  /** The live objects by id, in allocation order (a fresh map: for checks and tests, not hot paths). */
  get live(): ReadonlyMap<string, KObject> {
    const m = new Map<string, KObject>();
    for (const o of this.values()) m.set(o.id, o);
    return m;
  }

  /** The live objects, in allocation order (a fresh list). */
  values(): KObject[] {
    return [...this.all].sort((a, b) => a.allocSeq - b.allocSeq);
  }

  /**
   * What changed since the incremental checker last drained the log: the objects whose pointers
   * changed (holders that are objects), and the objects whose own state did (allocated, freed,
   * or a count the checker reads). Two lists, not pairs: an fd table copied at fork is one
   * holder entry, not 32.
   */
  private readonly logs = [{ objects: [] as KObject[], holders: [] as KObject[] }, { objects: [] as KObject[], holders: [] as KObject[] }];
  private touched: KObject[] = this.logs[0].objects;
  private touchedBy: KObject[] = this.logs[0].holders;

  /**
   * Off (null) until an incremental checker asks for the log. Then a holder that is an object
   * (a pointer that changed) is logged always, once while the same holder logs in a row. The
   * object is logged when allocated or annotated (its own holder) or freed, and otherwise for
   * the kinds the checker names: 'always', or 'zero' (only when the count leaves or reaches
   * zero); a count change of any other kind matters to no check.
   */
  tracking: ReadonlyMap<Kind, 'always' | 'zero'> | null = null;

  /** Log a change to o's references; `zero`: its count left or reached zero. */
  touch(o: KObject, holder: Holder, zero: boolean): void {
    const kinds = this.tracking;
    if (kinds === null) return;
    if (typeof holder !== 'string') {
      const by = this.touchedBy;
      if (by.length === 0 || by[by.length - 1] !== holder) by.push(holder);
    }
    if (holder !== o && !o.freed) {
      const when = kinds.get(o.kind);
      if (when === undefined || (when === 'zero' && !zero)) return;
    }
    this.touched.push(o);
  }

  /** How many changes the log holds (the checker has nothing to read when none). */
  get logged(): number {
    return this.touched.length + this.touchedBy.length;
  }

  /**
   * Hand the log to the checker and start a new one. The two logs take turns: what a drain
   * returns is valid until the next drain.
   */
  drain(): { readonly objects: readonly KObject[]; readonly holders: readonly KObject[] } {
    const first = this.touched === this.logs[0].objects;
    const out = this.logs[first ? 0 : 1];
    const next = this.logs[first ? 1 : 0];
    while (next.objects.length) next.objects.pop();
    while (next.holders.length) next.holders.pop();
    this.touched = next.objects;
    this.touchedBy = next.holders;
    return out;
  }

  register(o: KObject): void {
    const n = (this.next.get(o.kind) ?? 0) + 1;
    this.next.set(o.kind, n);
    o.serial = n;
    o.allocSeq = ++this.seq;
    o.allocSlot = this.all.length;
    this.all.push(o);
    this.touch(o, o, true);
  }

  unregister(o: KObject): void {
    const last = this.all.pop() as KObject;
    if (last !== o) {
      this.all[o.allocSlot] = last;
      last.allocSlot = o.allocSlot;
    }
    o.allocSlot = -1;
  }

  ofKind(kind: Kind): KObject[] {
    const out: KObject[] = [];
    for (const o of this.values()) if (o.kind === kind) out.push(o);
    return out;
  }
}
