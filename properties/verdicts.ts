// The main job: every profile against every property, each a fuzz campaign of its own with a
// fixed seed and budget, compared with the verdicts the kernel's history says to expect.
import { fuzz, FuzzResult, replayRun, Replay } from './fuzz';
import { PropertyName, PROPERTIES } from './checks';
import { ALL_PROPERTIES } from './fuzz';

/** What must fail where (DESIGN.md): the seed's two defects, 3.0's one, nothing from 3.8. */
export const EXPECTED_FAILURES: Record<string, { property: PropertyName; flag: string }[]> = {
  seed: [
    { property: 'P1', flag: 'evict-null-put' },
    { property: 'P2', flag: 'evict-null-put' },
    { property: 'P3', flag: 'stale-ns-dentry' },
  ],
  'v3.0': [{ property: 'P3', flag: 'stale-ns-dentry' }],
  'v3.8': [],
  nsfs: [],
};

export const VERDICT_PROFILES = Object.keys(EXPECTED_FAILURES);

export interface Verdict {
  profile: string;
  property: PropertyName;
  expected: 'holds' | 'counterexample';
  got: 'holds' | 'counterexample';
  result: FuzzResult | null;
  replay: Replay | null;
}

export interface Budget {
  seed: number;
  runs: number;
  steps: number;
}

/** P8: the same seed twice gives the same trace bytes. */
function determinism(profile: string, b: Budget): boolean {
  const once = (): string => {
    const r = fuzz({ profile, seed: b.seed, runs: Math.min(b.runs, 50), steps: b.steps, properties: [] });
    return JSON.stringify(r);
  };
  const first = once();
  return first === once();
}

export function verdict(profile: string, property: PropertyName, b: Budget): Verdict {
  const expected = EXPECTED_FAILURES[profile]?.some((f) => f.property === property) ? 'counterexample' : 'holds';
  if (property === 'P8') {
    const ok = determinism(profile, b);
    return { profile, property, expected, got: ok ? 'holds' : 'counterexample', result: null, replay: null };
  }
  const result = fuzz({ profile, seed: b.seed, runs: b.runs, steps: b.steps, properties: [property] });
  return { profile, property, expected, got: result.failure ? 'counterexample' : 'holds', result, replay: result.failure };
}

export function allVerdicts(b: Budget, onVerdict?: (v: Verdict) => void): Verdict[] {
  const out: Verdict[] = [];
  for (const p of VERDICT_PROFILES) {
    for (const prop of ALL_PROPERTIES) {
      const v = verdict(p, prop, b);
      out.push(v);
      onVerdict?.(v);
    }
  }
  return out;
}

export { PROPERTIES, replayRun };
