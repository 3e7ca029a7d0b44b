// npm run p8-seeds: P8 over seeds 1 to 30 (or $P8_SEEDS, "first-last"), each profile without
// flags, 50 runs of up to 40 steps (the verdict table's budget): it must hold at every seed;
// and v3.8 with leaky-global injected: it must fail at every seed. Exit 1 otherwise.
import { PROFILE_NAMES } from '../kernel/profile';
import { propertyNamed } from '../properties/checks';
import { CAMPAIGNS } from '../properties/fuzz';

function main(): number {
  const [first, last] = (process.env.P8_SEEDS ?? '1-30').split('-').map(Number);
  const p8 = propertyNamed('P8')?.run;
  if (!p8) throw new Error('P8 has no whole-run check');
  let wrong = 0;
  const rows: [string, string[], boolean][] = [
    ...PROFILE_NAMES.map((p): [string, string[], boolean] => [p, [], true]),
    ['v3.8', ['leaky-global'], false],
  ];
  for (const [profile, inject, holds] of rows) {
    const bad: number[] = [];
    for (let seed = first; seed <= last; seed++) {
      const r = p8.check({ profile, inject, seed, runs: 50, steps: 40 }, CAMPAIGNS);
      if ((r.message === null) !== holds) {
        bad.push(seed);
        if (holds) console.log(`  ${profile} seed ${seed}: ${r.message}`);
      }
    }
    wrong += bad.length;
    const name = profile + inject.map((f) => `+${f}`).join('');
    const want = holds ? 'holds' : 'fails';
    console.log(`P8 on ${name.padEnd(17)} seeds ${first}-${last}: ${want} at ${last - first + 1 - bad.length} of ${last - first + 1}${bad.length ? ` (not at ${bad.join(', ')})` : ''}`);
  }
  return wrong ? 1 : 0;
}

process.exitCode = main();
