// The model of `procns show`'s picture: what a run looks like as namespace lifetimes, before any
// drawing. A run is filmed a frame per step (step 0: boot): each task's state and namespaces,
// and each live namespace with its holders. The holders are the kernel's own refcount holders
// (Kref, kernel/object.ts: who took each reference, as ref_tracker keeps them), followed up to
// what a person calls a holder: a task's nsproxy, an open fd, a bind mount, a cached dentry.
import { Kernel } from '../kernel/kernel';
import { Holder, KObject } from '../kernel/object';
import { Namespace } from '../kernel/namespaces';
import { Nsproxy, nsproxyMembers } from '../kernel/nsproxy';
import { Dentry, File, Vfsmount } from '../kernel/fs';
import { FilesStruct } from '../kernel/file';
import { Pid, Task, TaskState } from '../kernel/task';
import { d_path } from '../kernel/namei';

/** What holds a namespace, as a person names it; each with a letter, so the picture reads without colour. */
export const HOLDER_KINDS = {
  nsproxy: { letter: 'N', text: 'a task\'s nsproxy: the task is in the namespace' },
  fd: { letter: 'F', text: 'an open file (fd): file → dentry → inode → ei->ns' },
  mount: { letter: 'M', text: 'a bind mount: vfsmount → dentry → inode → ei->ns' },
  dentry: { letter: 'D', text: 'a cached unused dentry (count 0, on the LRU): dentry → inode → ei->ns' },
  inode: { letter: 'I', text: 'a cached unused inode (count 0): inode → ei->ns' },
  pid: { letter: 'P', text: 'a struct pid (a pid namespace\'s)' },
  cred: { letter: 'C', text: 'a task\'s credentials (a user namespace\'s)' },
  parent: { letter: 'U', text: 'a child namespace\'s parent link' },
  inflight: { letter: 'S', text: 'a syscall in flight: a temporary reference' },
  other: { letter: '?', text: 'another kernel object, by its id' },
} as const;
export type HolderKind = keyof typeof HOLDER_KINDS;

/**
 * One holder of a namespace at one step. `key` says which holder it is from step to step;
 * `who`: the tasks (or objects) behind it now ("nsproxy#2" of B and C).
 */
export interface HolderRef {
  kind: HolderKind;
  key: string;
  label: string;
  who: string[];
}

/** A holder as text: "fd 3 of B". */
export function holderText(h: { label: string; who: readonly string[] }): string {
  return h.who.length ? `${h.label} of ${h.who.join(', ')}` : h.label;
}

/** A stretch of steps [from, to], both included. */
export interface Span {
  from: number;
  to: number;
}

export interface HolderSpan extends Span {
  kind: HolderKind;
  label: string;
}

/** A task's lane: its states over the steps, where it was reaped, and its namespace changes. */
export interface Lane {
  name: string;
  pid: number;
  born: number;
  /** The step that reaped it (it is gone from the task list after it); null: never. */
  reaped: number | null;
  spans: (Span & { state: TaskState })[];
  /** Where its namespaces changed (the first entry: those it started with); `ns` is the whole set. */
  moves: { step: number; ns: string[]; changed: string[] }[];
  /** Its syscalls in flight across steps (a race): from the first step that saw it to the one it completed in. */
  calls: (Span & { call: string })[];
}

/** A namespace's bar: its life from creation to death, and its holders over it. */
export interface Bar {
  id: string;
  type: string;
  /** The names a scenario saved it under (@ns, @fdns). */
  names: string[];
  born: number;
  /** The step that freed it; null: alive at the end. */
  died: number | null;
  holders: HolderSpan[];
  /** Steps where it was alive with no holder (a leak: P1). */
  unheld: Span[];
  /**
   * A trace's observations of this namespace (@alive, @same, @fdis name it by its saved name),
   * drawn on the model's bar: what the trace saw, and whether the model allows it.
   */
  seen?: { step: number; what: string; value: boolean; agrees: boolean }[];
}

export interface StepRow {
  step: number;
  task: string;
  op: string;
  args: string;
  result: string;
  obs: string;
  /** For a trace: what the trace recorded at this step. */
  trace?: { result: string; obs: string };
  oops?: string;
  /** What the step did to the picture, in words: the picture's text equivalent. */
  changes: string[];
}

export interface Picture {
  what: 'replay' | 'scenario' | 'trace';
  /** The input as named on the command line (its base name). */
  input: string;
  title: string;
  profile: string;
  /** Sentences that say what the picture shows, and where each part comes from. */
  notes: string[];
  /** The last step (columns run from 0, boot, to it). */
  last: number;
  steps: StepRow[];
  lanes: Lane[];
  bars: Bar[];
  highlight: { step: number; kind: 'violation' | 'divergence' | 'mismatch'; text: string } | null;
}

/** The holders of a Kref as a list (first taken first), as ref_tracker would print them. */
function holderList(o: KObject): Holder[] {
  const r = o.kref;
  const out: Holder[] = [];
  if (r.holder0 !== null) out.push(r.holder0);
  const held = r.held;
  if (held instanceof Map) for (const h of held.keys()) out.push(h);
  else if (held) for (let i = 0; i < held.length; i += 2) out.push(held[i] as Holder);
  return out;
}

/** A dentry's path from its filesystem's root ("/proc/2/ns/net" on proc). */
function dentryPath(k: Kernel, d: Dentry): string {
  const parts: string[] = [];
  for (let x = d; !x.isRoot; x = x.d_parent) parts.unshift(x.d_name);
  const onProc = k.procMnt !== null && k.procMnt.mnt_sb === d.d_sb;
  return `${onProc ? '/proc/' : '/'}${parts.join('/')}`;
}

/**
 * Where a bind mount sits: its mountpoint's path (d_path), out of the mounts stacked there first
 * (a mount on a bind-mounted ns file sits on that mount's root, a pseudo dentry of no path).
 */
function mountLabel(k: Kernel, m: Vfsmount): string {
  if (m.mnt_parent === m) return 'detached bind mount';
  let mnt = m.mnt_parent;
  let dentry = m.mnt_mountpoint;
  while (dentry === mnt.mnt_root && mnt.mnt_parent !== mnt) {
    dentry = mnt.mnt_mountpoint;
    mnt = mnt.mnt_parent;
  }
  return `bind mount on ${d_path(k, { mnt, dentry })}`;
}

/**
 * Follows the kernel's refcount holders of a namespace up to what holds it, as a person names
 * it: the pointer that holds the reference (nsproxy, ei->ns, a pid's, a child's parent link),
 * then, for a proc inode, who holds its dentry.
 */
export class HolderNamer {
  constructor(private readonly k: Kernel, private readonly taskName: (t: Task) => string) {}

  of(ns: Namespace): HolderRef[] {
    const out: HolderRef[] = [];
    for (const h of holderList(ns)) this.direct(h, out);
    return out;
  }

  private inflight(h: string, out: HolderRef[]): void {
    out.push({ kind: 'inflight', key: `inflight:${h}`, label: `${h} (in flight)`, who: [] });
  }

  private direct(h: Holder, out: HolderRef[]): void {
    if (typeof h === 'string') return this.inflight(h, out);
    if (h instanceof Nsproxy) {
      const tasks = holderList(h).filter((t): t is Task => t instanceof Task).map(this.taskName);
      out.push({ kind: 'nsproxy', key: `nsproxy:${h.id}`, label: h.id, who: tasks });
    } else if (h instanceof Task) {
      // every task holds its user namespace through its credentials: one row for them all
      const creds = out.find((x) => x.key === 'cred');
      if (creds) creds.who.push(this.taskName(h));
      else out.push({ kind: 'cred', key: 'cred', label: 'cred', who: [this.taskName(h)] });
    } else if (h instanceof Pid) {
      const pids = out.find((x) => x.key === 'pid');
      const who = h.task ? this.taskName(h.task) : `${h.id} (task gone)`;
      if (pids) pids.who.push(who);
      else out.push({ kind: 'pid', key: 'pid', label: 'struct pid', who: [who] });
    } else if (h instanceof Namespace) {
      const parent = out.find((x) => x.key === 'parent');
      if (parent) parent.who.push(h.id);
      else out.push({ kind: 'parent', key: 'parent', label: 'parent link', who: [h.id] });
    } else if (h.kind === 'inode') {
      if (h.count === 0) out.push({ kind: 'inode', key: `inode:${h.id}`, label: `cached ${h.id}`, who: [] });
      for (const d of holderList(h)) {
        if (typeof d === 'string') this.inflight(d, out);
        else if (d instanceof Dentry) this.dentry(d, out);
      }
    } else {
      out.push({ kind: 'other', key: `other:${h.id}`, label: h.id, who: [] });
    }
  }

  private dentry(d: Dentry, out: HolderRef[]): void {
    if (d.count === 0) out.push({ kind: 'dentry', key: `dentry:${d.id}`, label: `cached dentry ${dentryPath(this.k, d)}`, who: [] });
    for (const h of holderList(d)) {
      if (typeof h === 'string') this.inflight(h, out);
      else if (h instanceof File) this.file(h, out);
      else if (h instanceof Vfsmount) out.push({ kind: 'mount', key: `mount:${h.id}`, label: mountLabel(this.k, h), who: [] });
      else if (h instanceof Dentry && h.d_parent === d) this.dentry(h, out);
    }
  }

  private file(f: File, out: HolderRef[]): void {
    for (const h of holderList(f)) {
      if (typeof h === 'string') { this.inflight(h, out); continue; }
      if (!(h instanceof FilesStruct)) continue;
      const fd = h.fdt.indexOf(f);
      const tasks = holderList(h).filter((t): t is Task => t instanceof Task).map(this.taskName);
      out.push({ kind: 'fd', key: `fd:${f.id}:${h.id}`, label: `fd ${fd}`, who: tasks.length ? tasks : [h.id] });
    }
  }
}

interface LaneRec {
  task: Task;
  name: string;
  born: number;
  reaped: number | null;
  states: Map<number, TaskState>;
  ns: Map<number, string[]>;
  calls: (Span & { call: string })[];
  /** The call in flight at the last frame (the object, so a new call of the same text is another). */
  inflight: object | null;
}

interface BarRec {
  ns: Namespace;
  born: number;
  died: number | null;
  names: Set<string>;
  /** Per holder key: its kind, the labels it had (in order) and the steps it held. */
  holders: Map<string, { kind: HolderKind; label: string; who: string[]; steps: number[] }>;
  unheld: number[];
  /** The holder labels at the last frame, for the step's changes. */
  last: Map<string, string>;
}

/**
 * Films a run: a frame per step (step 0: boot). Each frame reads the kernel's task list, the
 * live namespaces and their holders; the picture is the frames laid side by side.
 */
export class Film {
  private readonly lanes = new Map<Task, LaneRec>();
  private readonly bars = new Map<Namespace, BarRec>();
  private readonly changes = new Map<number, string[]>();
  private readonly oopses = new Map<number, string>();
  private oopsSeen = 0;
  last = 0;

  constructor(private readonly taskName: (t: Task) => string) {}

  frame(k: Kernel, step: number, nsNames: ReadonlyMap<Namespace, string[]> = new Map()): void {
    this.last = step;
    const said: string[] = [];
    const namer = new HolderNamer(k, this.taskName);
    const newOopses = k.oopses.slice(this.oopsSeen).map((o) => `${o.message} in ${o.at}`);
    this.oopsSeen = k.oopses.length;
    if (newOopses.length) this.oopses.set(step, newOopses.join('; '));
    for (const t of k.tasks.values()) {
      let lane = this.lanes.get(t);
      if (!lane) {
        lane = { task: t, name: this.taskName(t), born: step, reaped: null, states: new Map(), ns: new Map(), calls: [], inflight: null };
        this.lanes.set(t, lane);
        if (step > 0) said.push(`${lane.name} is born`);
      }
      const before = lane.states.get(step - 1);
      if (before !== undefined && before !== t.state) said.push(`${lane.name} ${t.state}`);
      lane.states.set(step, t.state);
      lane.ns.set(step, t.nsproxy ? nsproxyMembers(t.nsproxy).map((n) => n.id) : []);
      // a syscall in flight at a frame: another task's completed meanwhile (an interleaving)
      const now = t.syscall;
      const open = lane.calls[lane.calls.length - 1];
      if (lane.inflight !== null && open) open.to = step; // still in flight, or completed in this step
      if (now !== null && now !== lane.inflight) {
        const args = Object.values(now.call.args).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
        lane.calls.push({ from: step, to: step, call: `${now.call.op} ${args}`.trim() });
      }
      lane.inflight = now;
    }
    for (const lane of this.lanes.values()) {
      if (lane.reaped === null && !lane.states.has(step)) {
        lane.reaped = step;
        said.push(`${lane.name} reaped`);
      }
    }
    const live = new Set<Namespace>();
    // holders gained and lost in this step, each with the namespaces it took or let go of
    const gained = new Map<string, string[]>();
    const lost = new Map<string, string[]>();
    const note = (m: Map<string, string[]>, label: string, id: string): void => { m.set(label, [...(m.get(label) ?? []), id]); };
    for (const o of k.objects.values()) {
      if (!(o instanceof Namespace)) continue;
      live.add(o);
      let bar = this.bars.get(o);
      if (!bar) {
        bar = { ns: o, born: step, died: null, names: new Set(), holders: new Map(), unheld: [], last: new Map() };
        this.bars.set(o, bar);
        if (step > 0) said.push(`${o.id} created`);
      }
      for (const n of nsNames.get(o) ?? []) bar.names.add(n);
      const now = new Map<string, string>();
      for (const h of namer.of(o)) {
        let rec = bar.holders.get(h.key);
        if (!rec) bar.holders.set(h.key, (rec = { kind: h.kind, label: h.label, who: [], steps: [] }));
        for (const w of h.who) if (!rec.who.includes(w)) rec.who.push(w);
        if (rec.steps[rec.steps.length - 1] !== step) rec.steps.push(step);
        now.set(h.key, holderText(h));
      }
      if (now.size === 0) bar.unheld.push(step);
      if (step > 0) {
        for (const [key, label] of now) if (!bar.last.has(key)) note(gained, label, o.id);
        for (const [key, label] of bar.last) if (!now.has(key)) note(lost, label, o.id);
        if (now.size === 0 && bar.last.size > 0) said.push(`${o.id} has no holder`);
      }
      bar.last = now;
    }
    for (const [label, ids] of gained) said.push(`${ids.join(', ')} + ${label}`);
    for (const [label, ids] of lost) said.push(`${ids.join(', ')} − ${label}`);
    for (const bar of this.bars.values()) {
      if (bar.died === null && !live.has(bar.ns)) {
        bar.died = step;
        said.push(`${bar.ns.id} freed`);
      }
    }
    if (said.length) this.changes.set(step, said);
  }

  /** What step `n` did, in words. */
  changesAt(n: number): string[] {
    return this.changes.get(n) ?? [];
  }

  oopsAt(n: number): string | undefined {
    return this.oopses.get(n);
  }

  lanesOut(): Lane[] {
    return [...this.lanes.values()].map((l) => {
      const spans: Lane['spans'] = [];
      const moves: Lane['moves'] = [];
      let prev: string[] | null = null;
      for (const [step, state] of l.states) {
        const s = spans[spans.length - 1];
        if (s && s.state === state && s.to === step - 1) s.to = step;
        else spans.push({ from: step, to: step, state });
        const ns = l.ns.get(step) ?? [];
        if (prev === null || ns.join() !== prev.join()) {
          const changed = prev === null ? ns : ns.filter((n) => !(prev as string[]).includes(n));
          moves.push({ step, ns, changed: prev !== null && ns.length === 0 ? ['nsproxy → NULL'] : changed });
        }
        prev = ns;
      }
      return { name: l.name, pid: l.task.pid.nr, born: l.born, reaped: l.reaped, spans, moves, calls: l.calls };
    });
  }

  barsOut(): Bar[] {
    return [...this.bars.values()].map((b) => ({
      id: b.ns.id,
      type: b.ns.type,
      names: [...b.names],
      born: b.born,
      died: b.died,
      holders: [...b.holders.values()].flatMap((h) => runs(h.steps).map((r) => ({ kind: h.kind, label: holderText(h), ...r }))),
      unheld: runs(b.unheld),
    }));
  }
}

/** Ascending step numbers as runs of consecutive steps. */
export function runs(steps: readonly number[]): Span[] {
  const out: Span[] = [];
  for (const s of steps) {
    const r = out[out.length - 1];
    if (r && r.to === s - 1) r.to = s;
    else out.push({ from: s, to: s });
  }
  return out;
}
