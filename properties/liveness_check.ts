// The check P1 and P2 share: the kernel's oopses, and the incremental liveness checker
// (liveness.ts), which judges exact liveness (P1) and refcount conservation (P2) in one pass.
// A Checker of either property makes it once.
import { IncrementalLiveness, Violation as LiveViolation } from './liveness';
import { Sink, StepCheck, StepChecker } from './property';
import { Completion, World } from './world';

class LivenessCheck implements StepCheck {
  private oopsesSeen = 0;
  private incremental: IncrementalLiveness | null = null;

  constructor(private readonly sink: Sink) {}

  /** After memory pressure, cached dentries are no longer roots (the only op it observes). */
  observe(w: World, c: Completion): void {
    if (c.result.ret === 0 && c.alone && !w.k.inFlight()) this.liveness(w, false);
  }

  /** At a quiescent point (nothing in flight, so no temporary references). */
  quiescent(w: World): void {
    if (!w.k.inFlight()) this.liveness(w, true);
  }

  private liveness(w: World, caches: boolean): void {
    for (; this.oopsesSeen < w.k.oopses.length; this.oopsesSeen++) {
      const o = w.k.oopses[this.oopsesSeen];
      const text = `oops: ${o.message} in ${o.at}${o.object ? ` (${o.object})` : ''}`;
      this.sink.fail('P2', w.steps, text);
      // a task that oopses dies inside the kernel with what its syscall held: exact liveness is lost too
      this.sink.fail('P1', w.steps, text);
    }
    this.incremental ??= new IncrementalLiveness(w.k);
    // after memory pressure cached dentries are no longer roots: every namespace that hung from
    // one lost it in the shrink (a touch), so the incremental check sees it
    const vs: readonly LiveViolation[] = this.incremental.check(caches);
    for (let i = 0; i < vs.length; i++) this.sink.fail(vs[i].property, w.steps, vs[i].message);
  }
}

export const livenessChecker: StepChecker = Object.freeze({
  ops: ['drop_caches'],
  make: (sink: Sink): StepCheck => new LivenessCheck(sink),
});
