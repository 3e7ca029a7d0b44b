// The main job: every profile against every property, each a fuzz campaign of its own with a
// fixed seed and budget, compared with the verdicts the kernel's history says to expect; and
// each whole-run property against the synthetic flag that makes it fail.
import { CAMPAIGNS, fuzz, FuzzResult, replayRun, Replay } from './fuzz';
import { makeProfile, PROFILE_NAMES } from '../kernel/profile';
import { ALL_PROPERTIES, PropertyName, PROPERTIES, PROPERTY_LIST, propertyNamed } from './checks';

/**
 * What must fail where (DESIGN.md): a profile's step properties that a flag it carries breaks,
 * each property naming its flags (failsUnder). The seed's two defects, 3.0's one, nothing from
 * 3.8 on: derived from the profiles' flags (kernel/profile.ts), not a list of its own.
 */
export function expectedFailures(profile: string): { property: PropertyName; flag: string }[] {
  const p = makeProfile(profile);
  if (typeof p === 'string') return [];
  return PROPERTY_LIST.filter((prop) => prop.step).flatMap((prop) => {
    const f = prop.failsUnder.find((x) => p.flags.has(x.flag));
    return f ? [{ property: prop.name as PropertyName, flag: f.flag }] : [];
  });
}

/** Every profile has a row in the verdict table. */
export const VERDICT_PROFILES: readonly string[] = PROFILE_NAMES;

/**
 * Rows for a flag no profile carries, injected: a counterexample is expected. The whole-run
 * properties' flags (P8's leaky-global) cost a few short campaigns, so the main job shows each
 * caught; the step properties' flags are shown caught by the tests (test/properties.test.ts).
 */
export const INJECTED_VERDICTS: { profile: string; inject: string; property: PropertyName }[] = PROPERTY_LIST
  .filter((p) => p.run)
  .flatMap((p) => p.failsUnder.map((f) => ({ profile: f.profile, inject: f.flag, property: p.name })));

/** A whole-run property's campaigns are this many runs at most (each is run three times). */
const RUN_PROPERTY_RUNS = 50;

export interface Verdict {
  profile: string;
  /** Flags injected into the profile (the rows of INJECTED_VERDICTS). */
  inject: string[];
  property: PropertyName;
  expected: 'holds' | 'counterexample';
  got: 'holds' | 'counterexample';
  result: FuzzResult | null;
  replay: Replay | null;
  /** A whole-run property's finding, when it failed. */
  message: string | null;
}

export interface Budget {
  seed: number;
  runs: number;
  steps: number;
}

export function verdict(profile: string, property: PropertyName, b: Budget, inject: string[] = []): Verdict {
  const expected = inject.length || expectedFailures(profile).some((f) => f.property === property) ? 'counterexample' : 'holds';
  const run = propertyNamed(property)?.run;
  if (run) {
    const r = run.check({ profile, inject, seed: b.seed, runs: Math.min(b.runs, RUN_PROPERTY_RUNS), steps: b.steps }, CAMPAIGNS);
    return { profile, inject, property, expected, got: r.message ? 'counterexample' : 'holds', result: null, replay: null, message: r.message };
  }
  const result = fuzz({ profile, inject, seed: b.seed, runs: b.runs, steps: b.steps, properties: [property] });
  return { profile, inject, property, expected, got: result.failure ? 'counterexample' : 'holds', result, replay: result.failure, message: null };
}

/** The main job's campaigns, in the table's order: every profile × every property, then the injected rows. */
export const VERDICT_CAMPAIGNS: readonly { profile: string; property: PropertyName; inject: string[] }[] = Object.freeze([
  ...VERDICT_PROFILES.flatMap((profile) => ALL_PROPERTIES.map((property) => ({ profile, property, inject: [] }))),
  ...INJECTED_VERDICTS.map((row) => ({ profile: row.profile, property: row.property, inject: [row.inject] })),
]);

/** How many rows the main job's table has. */
export const VERDICT_ROWS = VERDICT_CAMPAIGNS.length;

/** The verdict of the main job's campaign `index` (VERDICT_CAMPAIGNS): a function of the index and the budget alone. */
export function verdictAt(index: number, b: Budget): Verdict {
  const c = VERDICT_CAMPAIGNS[index];
  return verdict(c.profile, c.property, b, c.inject);
}

export function allVerdicts(b: Budget, onVerdict?: (v: Verdict) => void): Verdict[] {
  return VERDICT_CAMPAIGNS.map((_, i) => {
    const v = verdictAt(i, b);
    onVerdict?.(v);
    return v;
  });
}

export { PROPERTIES, replayRun };
