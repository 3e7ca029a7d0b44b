// npm run bench, its --jobs part: the same fuzz campaign (`procns fuzz`, each time a fresh
// process, as a user runs it) with --jobs 1 and with --jobs <cores>, timed on the wall clock,
// alternately, and the speed-up as a ratio beside issue 15's target (0.85 x cores). Each thread
// warms V8 up on its own (the first thousand runs of a thread cost about three times what the
// later ones do), so the campaign is long enough for that to be a small part of it.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';

const RUNS = Number(process.env.BENCH_SCALING_RUNS ?? 20000);
/** Pairs of (--jobs 1, --jobs cores) runs, alternated so that a load that comes and goes hits both. */
const PAIRS = 2;
const TARGET_EFFICIENCY = 0.85;

function seconds(jobs: number, dir: string): number {
  const t0 = performance.now();
  execFileSync(process.execPath, [path.join(__dirname, '..', 'cli', 'main.js'), 'fuzz', '--profile', 'v3.8', '--seed', '1', '--runs', String(RUNS), '--jobs', String(jobs), '--json'],
    { env: { ...process.env, PROCNS_REPLAY_DIR: dir }, stdio: ['ignore', 'pipe', 'ignore'] });
  return (performance.now() - t0) / 1000;
}

export function fuzzScaling(): void {
  const cores = os.availableParallelism();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-bench-'));
  try {
    const one: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      one.push(seconds(1, dir));
      all.push(seconds(cores, dir));
    }
    const best = (xs: number[]): number => Math.min(...xs);
    const ratio = best(one) / best(all);
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`  fuzz --jobs 1 vs --jobs ${cores} (v3.8, seed 1, ${RUNS} runs, a fresh process each; best of ${PAIRS}): ${fmt(one)} s vs ${fmt(all)} s, ` +
      `speed-up ${ratio.toFixed(2)}x  target >= ${(TARGET_EFFICIENCY * cores).toFixed(2)}x: ${ratio >= TARGET_EFFICIENCY * cores ? 'met' : 'not met'}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
