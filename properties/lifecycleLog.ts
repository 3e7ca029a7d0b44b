// The lifecycle log: the kernel's reference changes as the incremental P1/P2 checker
// (liveness.ts) reads them back at each quiescent point. The checker installs it as the
// kernel's tracer (Kernel.tracer, a RefTracer of kernel/object.ts) when it starts; a run with no
// checker has none, and the kernel logs nothing.
import { Holder, Kind, KINDS, KObject, Kref, RefTracer } from '../kernel/object';

/** What one drain hands the checker. */
export interface LogEntries {
  /** Objects whose own state changed: allocated, freed, or a count the checker reads. */
  readonly objects: readonly Kref[];
  /** Objects whose pointers changed (holders that are objects). */
  readonly holders: readonly KObject[];
}

/**
 * What changed since the checker last drained the log: the objects whose pointers changed
 * (holders that are objects), and the objects whose own state did (allocated, freed, or a count
 * the checker reads). Two lists, not pairs: an fd table copied at fork is one holder entry, not
 * 32. An object is entered once per log: its Kref.tracerMark holds the number of the last log
 * it was entered in (one log per kernel, so one owner of that slot).
 */
export class LifecycleLog implements RefTracer {
  private readonly logs = [{ objects: [] as Kref[], holders: [] as KObject[] }, { objects: [] as Kref[], holders: [] as KObject[] }];
  private touched: Kref[] = this.logs[0].objects;
  private touchedBy: KObject[] = this.logs[0].holders;
  /** The number of the log being written (Kref.tracerMark: an object is entered once per log). */
  private generation = 1;
  /**
   * Per kind (Kref.kind, an index into KINDS), which count changes are logged. A holder that is
   * an object (a pointer that changed) is logged always, once while the same holder logs in a
   * row. The object is logged when allocated or annotated (its own holder) or freed, and
   * otherwise for the kinds the checker names: 'always' (2), or 'zero' (1: only when the count
   * leaves or reaches zero); a count change of any other kind (0) matters to no check.
   */
  private readonly tracking: Uint8Array;

  /** `kinds` says whose count changes the checker reads (see tracking). */
  constructor(kinds: ReadonlyMap<Kind, 'always' | 'zero'>) {
    const t = new Uint8Array(KINDS.length);
    for (const [kind, when] of kinds) t[KINDS.indexOf(kind)] = when === 'always' ? 2 : 1;
    this.tracking = t;
  }

  /** Log a change to the references of r's object; `zero`: its count left or reached zero. */
  touch(r: Kref, holder: Holder, zero: boolean): void {
    if (typeof holder !== 'string') {
      const by = this.touchedBy;
      if (by.length === 0 || by[by.length - 1] !== holder) by.push(holder);
    }
    if (r.tracerMark === this.generation) return;
    if (holder !== r.obj && !r.freed) {
      const when = this.tracking[r.kind];
      if (when === 0 || (when === 1 && !zero)) return;
    }
    r.tracerMark = this.generation;
    this.touched.push(r);
  }

  /** How many changes the log holds (the checker has nothing to read when none). */
  get logged(): number {
    return this.touched.length + this.touchedBy.length;
  }

  /**
   * Hand the log to the checker and start a new one. The two logs take turns: what a drain
   * returns is valid until the next drain.
   */
  drain(): LogEntries {
    const first = this.touched === this.logs[0].objects;
    const out = this.logs[first ? 0 : 1];
    const next = this.logs[first ? 1 : 0];
    while (next.objects.length) next.objects.pop();
    while (next.holders.length) next.holders.pop();
    this.touched = next.objects;
    this.touchedBy = next.holders;
    this.generation++;
    return out;
  }
}
