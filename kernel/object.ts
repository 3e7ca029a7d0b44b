// Refcounted kernel objects. The kernel's atomic_t/kref counters, each knowing its holders
// (ref_tracker), with misuse (NULL put, underflow, use after free) recorded as an oops instead
// of thrown, and each change told to a tracer when a checker has installed one (RefTracer).
import type { Kernel } from './kernel';

export const KINDS = [
  'task', 'pid', 'mm', 'nsproxy', 'net', 'uts', 'ipc', 'mnt_ns', 'pid_ns', 'user_ns', 'cgroup_ns', 'time_ns',
  'files', 'fs', 'file', 'dentry', 'inode', 'vfsmount', 'sb',
] as const;
export type Kind = (typeof KINDS)[number];
const KIND_INDEX: ReadonlyMap<Kind, number> = new Map(KINDS.map((kind, i) => [kind, i]));

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

/**
 * What a checker installs on the kernel (Kernel.tracer) to hear of every reference change, as
 * CONFIG_REF_TRACKER hears of each get and put; with no checker running there is none, and the
 * kernel pays one null test per change.
 */
export interface RefTracer {
  /**
   * The references to r's object changed. kget and kput: `holder` took or dropped one (`zero`:
   * the count left or reached zero). ktransfer: once for the holder it left and once for the one
   * it went to (`zero` false). An object registered: `holder` is the object itself, `zero` true.
   * Freed: `holder` is the function that freed it, `zero` true. Kernel code whose pointer changes
   * with no reference (a mount joining its namespace's list) says so with `holder` the object.
   */
  touch(r: Kref, holder: Holder, zero: boolean): void;
}

/**
 * An object's refcount, and what the kernel's debugging options keep beside one: who took each
 * reference (ref_tracker), whether the object was freed (KASAN), its allocation order
 * (kmemleak), and two slots for the tracer (RefTracer). One struct for every kind of object,
 * as the kernel embeds one struct kref in each: code that works on any object (kget, kput, the
 * tracer) reads one layout, whatever the object's class.
 */
export class Kref {
  count = 1;
  freed = false;
  /** The object's kind as a number (KIND_INDEX), set when it registers; -1 before. */
  kind = -1;
  /** The allocation number within its kind (1, 2, ...), stable for a seed. */
  serial = 0;
  /** The allocation number among all objects, and the object's place in the registry's list. */
  allocSeq = 0;
  allocSlot = -1;
  name: string | null = null;
  /**
   * Who holds the references, in the order they first took one. The first holder still holding
   * and its count sit in the struct itself (most objects have one holder all their life: no list
   * to allocate); `held` has the others: holder, count, holder, count... a flat list while short,
   * a Map once long (a directory's dentry is held by each child). No first holder: no others.
   */
  holder0: Holder | null;
  held0 = 1;
  held: (Holder | number)[] | Map<Holder, number> | null = null;
  /**
   * The tracer's slots (Kernel.tracer and the checker that installed it): its record of the
   * object and a number it may stamp, kept in the object as the kernel keeps a ref_tracker_dir
   * in the object it tracks. The kernel never reads or writes them.
   */
  tracerData: object | null = null;
  tracerMark = 0;

  constructor(readonly obj: KObject, firstHolder: Holder) {
    this.holder0 = firstHolder;
  }

  /** One more reference held by `holder`. */
  hold(holder: Holder): void {
    if (this.holder0 === holder) { this.held0++; return; }
    if (this.holder0 === null) { this.holder0 = holder; this.held0 = 1; return; }
    const h = this.held;
    if (h === null) { this.held = [holder, 1]; return; }
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
    if (this.holder0 === holder) {
      if (--this.held0 > 0) return true;
      // the next holder in first-taken order moves up
      if (h === null || (h instanceof Map ? h.size : h.length) === 0) {
        this.holder0 = null;
        this.held = null;
        return true;
      }
      if (h instanceof Map) {
        const [next, n] = h.entries().next().value as [Holder, number];
        h.delete(next);
        this.holder0 = next;
        this.held0 = n;
        if (h.size === 0) this.held = null;
        return true;
      }
      this.holder0 = h[0] as Holder;
      this.held0 = h[1] as number;
      for (let j = 2; j < h.length; j++) h[j - 2] = h[j];
      h.pop();
      h.pop();
      if (h.length === 0) this.held = null;
      return true;
    }
    if (h === null) return false;
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

/** A refcounted object: its refcount and bookkeeping are its `kref` (count and freed read through). */
export abstract class KObject {
  abstract readonly kind: Kind;
  readonly kref: Kref;

  constructor(readonly k: Kernel, firstHolder: Holder) {
    this.kref = new Kref(this, firstHolder);
  }

  /** The kernel's counter. */
  get count(): number {
    return this.kref.count;
  }

  get freed(): boolean {
    return this.kref.freed;
  }

  /** Called by subclasses once their fields are set: registers the object as alive. */
  protected register(): void {
    const k = this.k;
    k.objects.register(this);
    const tracer = k.tracer;
    if (tracer !== null) tracer.touch(this.kref, this, true);
  }

  /** Symbolic identity, stable for a seed: "net#3", "dentry#12" (made when first asked for). */
  get id(): string {
    const r = this.kref;
    if (r.name === null) {
      if (!r.serial) return `${this.kind}#?`; // not registered yet: nothing to remember
      r.name = `${this.kind}#${r.serial}`;
    }
    return r.name;
  }

  /** The holders as a multiset (a copy, for messages and tests). */
  get holders(): ReadonlyMap<string, number> {
    const m = new Map<string, number>();
    const add = (h: Holder, n: number): void => { m.set(holderName(h), (m.get(holderName(h)) ?? 0) + n); };
    const r = this.kref;
    if (r.holder0 !== null) add(r.holder0, r.held0);
    const held = r.held;
    if (held instanceof Map) for (const [h, n] of held) add(h, n);
    else if (held) for (let i = 0; i < held.length; i += 2) add(held[i] as Holder, held[i + 1] as number);
    return m;
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
  const r = o.kref;
  if (r.freed) {
    k.oops('BUG: use after free (get)', at, o.id);
    return o;
  }
  r.count++;
  r.hold(holder);
  const tracer = k.tracer;
  if (tracer !== null) tracer.touch(r, holder, r.count === 1);
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
  const r = o.kref;
  if (r.freed) {
    k.oops('BUG: use after free (put)', at, o.id);
    return false;
  }
  if (r.count <= 0) {
    k.oops('BUG: refcount underflow', at, o.id);
    return false;
  }
  r.count--;
  const tracer = k.tracer;
  if (tracer !== null) tracer.touch(r, holder, r.count === 0);
  if (!r.unhold(holder)) k.oops('WARNING: put by a holder that holds no reference', at, `${o.id} by ${holderName(holder)}`);
  return r.count === 0;
}

/** Move a reference from one holder to another without touching the count. */
export function ktransfer(o: KObject, from: Holder, to: Holder): void {
  if (from === to) return;
  const r = o.kref;
  r.unhold(from);
  r.hold(to);
  const tracer = o.k.tracer;
  if (tracer === null) return;
  tracer.touch(r, from, false);
  tracer.touch(r, to, false);
}

/** Free an object: it leaves the set of live objects. A double free is an oops. */
export function kfree(k: Kernel, o: KObject, at: string): void {
  const r = o.kref;
  if (r.freed) {
    k.oops('BUG: double free', at, o.id);
    return;
  }
  r.freed = true;
  k.objects.unregister(r);
  const tracer = k.tracer;
  if (tracer !== null) tracer.touch(r, at, true);
}

/** Every live object, by kind, in allocation order: the registry the liveness checks read. */
export class ObjectRegistry {
  /** Per kind (KIND_INDEX), how many objects of it were ever allocated. */
  private readonly next: number[] = KINDS.map(() => 0);
  /** The live objects' krefs, in no particular order (a free moves the last one into its slot). */
  private readonly all: Kref[] = [];
  private seq = 0;

  /** The live objects by id, in allocation order (a fresh map: for checks and tests, not hot paths). */
  get live(): ReadonlyMap<string, KObject> {
    const m = new Map<string, KObject>();
    for (const o of this.values()) m.set(o.id, o);
    return m;
  }

  /** The live objects, in allocation order (a fresh list). */
  values(): KObject[] {
    return [...this.all].sort((a, b) => a.allocSeq - b.allocSeq).map((r) => r.obj);
  }

  register(o: KObject): void {
    const r = o.kref;
    const kind = KIND_INDEX.get(o.kind) as number;
    r.kind = kind;
    r.serial = ++this.next[kind];
    r.allocSeq = ++this.seq;
    r.allocSlot = this.all.length;
    this.all.push(r);
  }

  unregister(r: Kref): void {
    const last = this.all.pop() as Kref;
    if (last !== r) {
      this.all[r.allocSlot] = last;
      last.allocSlot = r.allocSlot;
    }
    r.allocSlot = -1;
  }

  ofKind(kind: Kind): KObject[] {
    const out: KObject[] = [];
    for (const o of this.values()) if (o.kind === kind) out.push(o);
    return out;
  }
}
