// The properties, each declared once in its own file (its name, its text, its check), listed
// here in order; every list of properties (PROPERTIES, ALL_PROPERTIES, the CLI's, the verdict
// table's) derives from PROPERTY_LIST. The Checker runs the step checks of the properties it is
// given after every completed syscall and at every quiescent point.
import { Completion, World } from './world';
import { Property, Sink, StepCheck, StepChecker } from './property';
import { P1 } from './p1_liveness';
import { P2 } from './p2_refcounts';
import { P3 } from './p3_naming';
import { P4 } from './p4_readdir';
import { P5 } from './p5_lookup_after_death';
import { P6 } from './p6_setns';
import { P7 } from './p7_errors';
import { P8 } from './p8_determinism';

/** Every property, in order: within one step, violations are reported in this order. */
export const PROPERTY_LIST = [P1, P2, P3, P4, P5, P6, P7, P8] as const;

export type PropertyName = (typeof PROPERTY_LIST)[number]['name'];

export const ALL_PROPERTIES: readonly PropertyName[] = PROPERTY_LIST.map((p) => p.name);

/** Each property's text, by name. */
export const PROPERTIES = Object.fromEntries(PROPERTY_LIST.map((p) => [p.name, p.text])) as Record<PropertyName, string>;

/** The declaration of a property by name (undefined for an unknown name). */
export function propertyNamed(name: string): Property<PropertyName> | undefined {
  return PROPERTY_LIST.find((p) => p.name === name);
}

/** The properties checked after every step, and those checked on whole runs. */
export const STEP_PROPERTIES: readonly PropertyName[] = PROPERTY_LIST.filter((p) => p.step).map((p) => p.name);
export const RUN_PROPERTIES: readonly PropertyName[] = PROPERTY_LIST.filter((p) => p.run).map((p) => p.name);

export interface Violation {
  property: PropertyName;
  step: number;
  message: string;
}

export { taskNs } from './property';

/** Runs the step checks of the enabled properties; collects their violations. */
export class Checker implements Sink {
  readonly violations: Violation[] = [];
  /** For each syscall some check observes, those checks, in PROPERTY_LIST's order. */
  private readonly byOp = new Map<string, StepCheck[]>();
  private readonly quiescents: Required<Pick<StepCheck, 'quiescent'>>[] = [];

  /** The names of the custom properties it checks (a library user's: see index.ts). */
  private readonly custom: ReadonlySet<string>;

  /** `custom`: properties of the caller's own, checked after the enabled built-in ones. */
  constructor(private readonly enabled: ReadonlySet<PropertyName>, custom: readonly Property[] = []) {
    this.custom = new Set(custom.map((p) => p.name));
    // P1 and P2 share a checker: it is made once, where the first of them comes
    const made = new Set<StepChecker>();
    for (const p of [...PROPERTY_LIST, ...custom] as readonly Property[]) {
      const checker = p.step;
      if (!checker || !(enabled.has(p.name as PropertyName) || this.custom.has(p.name)) || made.has(checker)) continue;
      made.add(checker);
      const check = checker.make(this);
      for (const op of checker.ops) {
        let list = this.byOp.get(op);
        if (!list) this.byOp.set(op, (list = []));
        list.push(check);
      }
      if (check.quiescent) this.quiescents.push(check as Required<Pick<StepCheck, 'quiescent'>>);
    }
  }

  fail(property: string, step: number, message: string): void {
    if (this.enabled.has(property as PropertyName) || this.custom.has(property)) this.violations.push({ property: property as PropertyName, step, message });
  }

  readonly observe = (w: World, c: Completion): void => {
    const checks = this.byOp.get(c.call.op);
    if (checks === undefined) return;
    for (let i = 0; i < checks.length; i++) checks[i].observe(w, c);
  };

  /** The quiescent-point checks (P1/P2: nothing in flight, so no temporary references). */
  quiescent(w: World): void {
    const qs = this.quiescents;
    for (let i = 0; i < qs.length; i++) qs[i].quiescent(w);
  }
}
