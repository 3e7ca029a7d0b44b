// The bug zoo's table for npm run bench: each flag, the seeds of 10 whose campaign of the
// default budget found it (a failure: the profile with its own flags fixed has none, so any is
// the flag's), and the median runs and seconds those took (shrinking included). Harness code:
// the clock is read here.
//   node dist/bench/zoo.js [flag...]   prints the table alone
import { performance } from 'perf_hooks';
import { ZOO, ZOO_RUNS, ZOO_SEEDS, zooCampaign } from '../properties/zoo';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The zoo's rows, printed as each flag's seeds are done; the flags found on fewer than 9 seeds. */
export function zooTable(out: (s: string) => void, only: readonly string[] = []): string[] {
  out(`  bug zoo: each flag on its profile (own flags fixed), ${ZOO_RUNS} runs per seed, seeds ${ZOO_SEEDS[0]}-${ZOO_SEEDS[ZOO_SEEDS.length - 1]}`);
  out(`    ${'flag'.padEnd(26)} ${'profile'.padEnd(7)} ${'found'.padEnd(6)} ${'median runs'.padStart(11)} ${'median s'.padStart(8)}  seeds that found it`);
  const weak: string[] = [];
  for (const e of ZOO) {
    if (only.length && !only.includes(e.flag)) continue;
    const found: number[] = [];
    const runs: number[] = [];
    const secs: number[] = [];
    for (const seed of ZOO_SEEDS) {
      const t0 = performance.now();
      const r = zooCampaign(e, seed);
      const s = (performance.now() - t0) / 1000;
      if (r.failure) {
        found.push(seed);
        runs.push(r.runs);
        secs.push(s);
      }
    }
    if (found.length < 9) weak.push(e.flag);
    const m = found.length ? [String(median(runs)), median(secs).toFixed(2)] : ['-', '-'];
    out(`    ${e.flag.padEnd(26)} ${e.profile.padEnd(7)} ${`${found.length}/${ZOO_SEEDS.length}`.padEnd(6)} ${m[0].padStart(11)} ${m[1].padStart(8)}  ${found.join(' ')}`);
  }
  return weak;
}

if (require.main === module) zooTable((s) => console.log(s), process.argv.slice(2));
