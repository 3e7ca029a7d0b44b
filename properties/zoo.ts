// The bug zoo: how often fuzzing finds each bug flag within the default budget. Each flag a
// step property declares it fails under (failsUnder, the first profile named) is injected on that
// profile with the profile's own flags fixed, and fuzzed with every step property checked over
// seeds 1 to 10 (`procns fuzz --profile P --fix <its flags> --inject F --runs 500 --seed S`).
import { makeProfile } from '../kernel/profile';
import { PROPERTY_LIST } from './checks';
import { fuzz, FuzzResult } from './fuzz';

export interface ZooEntry {
  flag: string;
  profile: string;
  /** The profile's own flags, switched off. */
  fix: string[];
  /** What the failure says (the property's failsUnder). */
  shows: RegExp;
}

/** The zoo's default budget: runs per seed, steps per run, and the seeds. */
export const ZOO_RUNS = 500;
export const ZOO_STEPS = 40;
export const ZOO_SEEDS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/** Every flag a step property fails under, once, on the first profile that names it. */
export const ZOO: readonly ZooEntry[] = (() => {
  const out: ZooEntry[] = [];
  for (const p of PROPERTY_LIST) {
    if (!p.step) continue;
    for (const f of p.failsUnder) {
      if (out.some((e) => e.flag === f.flag)) continue;
      const base = makeProfile(f.profile);
      const own = typeof base === 'string' ? [] : [...base.flags].filter((x) => x !== f.flag);
      out.push({ flag: f.flag, profile: f.profile, fix: own, shows: f.shows });
    }
  }
  return out;
})();

/** One zoo campaign: the flag injected, every step property checked. */
export function zooCampaign(e: ZooEntry, seed: number, runs = ZOO_RUNS): FuzzResult {
  return fuzz({ profile: e.profile, fix: e.fix, inject: [e.flag], seed, runs, steps: ZOO_STEPS });
}
