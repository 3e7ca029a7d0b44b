// The scenario format: a scenario is data (JSON). Tasks are named ("A" is the first task: init
// in the emulator, the first helper process on a real kernel); steps are syscalls or checks,
// each with the result the kernel source says it must have.
import { stepProblem } from './vocabulary';
import { schemaProblem } from './schemas';

/** What a step must produce. Every field given is checked; fields left out are free. */
export interface Expect {
  /** Exact return value. */
  ret?: number;
  /** Symbolic errno: the call must fail with it. */
  errno?: string;
  /** The call must succeed (ret >= 0). */
  ok?: boolean;
  /** stat: mode as an octal string ("0100400"). */
  mode?: string;
  /** readlink / gethostname text, exactly, or matching `textMatch` (a regular expression). */
  text?: string;
  textMatch?: string;
  /** getdents64: the names, d_type names ("DT_DIR"), d_off and d_reclen of the records, in order. */
  names?: string[];
  types?: string[];
  offs?: number[];
  reclens?: number[];
  /** The step must oops, with a message containing this text (a known kernel bug). */
  oops?: string;
  /** @alive / @same checks. */
  alive?: boolean;
  same?: boolean;
}

export interface Step {
  /** The acting task ("A", "B"); checks that name no task use "A". */
  task?: string;
  /** A syscall name, or a check: @ns (name a task's namespace), @fdns (name the namespace an fd
   *  refers to), @fdis (does an fd refer to a named namespace), @alive (is a named namespace
   *  alive), @same (is a task in a named namespace). */
  op: string;
  args?: Record<string, unknown>;
  /** fork/clone: the name of the new task. */
  as?: string;
  /** Save the result under this name: a fd or pid for "$name" in later args, or a namespace. */
  save?: string;
  expect?: Expect;
  /** Per-profile expectations that replace `expect`. */
  profiles?: Record<string, Expect>;
  /** The kernel function(s) the expectation comes from. */
  why?: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** Profiles this scenario applies to. */
  applies: string[];
  notes?: string;
  steps: Step[];
}

/** Check a parsed JSON value is a scenario; returns an error message or null. */
export function validateScenario(s: unknown, text?: string): string | null {
  // the shape: scenario.schema.json; then what only the vocabulary knows
  const shape = schemaProblem('scenario', s, text);
  if (shape) return shape;
  const o = s as Record<string, unknown>;
  // the names a step may use: tasks made by earlier forks and clones, values saved by earlier steps
  const known = new Set(['A']);
  for (const [i, st] of (o.steps as unknown[]).entries()) {
    if (!st || typeof st !== 'object' || typeof (st as Step).op !== 'string') return `step ${i + 1}: needs "op"`;
    const step = st as Step;
    const why = stepProblem(step);
    if (why) return `step ${i + 1}: ${why}`;
    for (const v of Object.values(step.args ?? {})) {
      for (const m of typeof v === 'string' ? v.matchAll(/\$\{?(\w+)\}?/g) : []) {
        if (!known.has(m[1])) return `step ${i + 1}: '${m[0]}' names no task and no value an earlier step saves`;
      }
    }
    if (step.as) known.add(step.as);
    if (step.save) for (const n of [step.save, `${step.save}0`, `${step.save}1`]) known.add(n);
  }
  return null;
}
