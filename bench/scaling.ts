// npm run bench, its --jobs part: the same command (`procns fuzz` on one campaign, and the main
// job `procns verdicts`), each time a fresh process as a user runs it, with --jobs 1 and with
// --jobs <cores>, timed on the wall clock, alternately so that a load that comes and goes hits
// both; their JSON must be the same byte for byte. Issue 15's targets: fuzz speeds up at least
// 0.85 x cores; verdicts on 2 cores takes at most 0.6 of its --jobs 1 time. Each thread warms
// V8 up on its own (the first thousand runs of a thread cost about three times what the later
// ones do: about 1.7 s of CPU), so the fuzz campaign is a nightly-sized one, long enough for that
// to be a small part of it. Beside them, the machine's ceiling: the same campaign as shards in
// separate processes at once (no thread shares anything), which a --jobs run cannot beat.
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';

const RUNS = Number(process.env.BENCH_SCALING_RUNS ?? 60000);
/** Pairs of (--jobs 1, --jobs cores) runs, alternated; the best of each is compared. */
const PAIRS = Number(process.env.BENCH_SCALING_PAIRS ?? 2);
const TARGET_EFFICIENCY = 0.85;
const TARGET_VERDICTS_SHARE = 0.6;

/** One run of `procns <args> --jobs N --json` in a fresh process: wall seconds and its JSON. */
function timed(args: readonly string[], jobs: number, dir: string): { seconds: number; json: string } {
  const t0 = performance.now();
  let json: string;
  try {
    json = execFileSync(process.execPath, [path.join(__dirname, '..', 'cli', 'main.js'), ...args, '--jobs', String(jobs), '--json'],
      { env: { ...process.env, PROCNS_REPLAY_DIR: dir }, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (e) {
    // verdicts exits 1 when a verdict is not the expected one; its JSON is still the result
    json = (e as { stdout?: string }).stdout ?? '';
  }
  return { seconds: (performance.now() - t0) / 1000, json };
}

/**
 * The machine's own ceiling for the same campaign: its `cores` shards (--shard K/cores, one
 * job each) run as that many processes at once, no threads shared; wall seconds until the last ends.
 */
async function shardsAtOnce(args: readonly string[], cores: number, dir: string): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: cores }, (_, k) => new Promise<void>((resolve) => {
    execFile(process.execPath, [path.join(__dirname, '..', 'cli', 'main.js'), ...args, '--jobs', '1', '--shard', `${k + 1}/${cores}`, '--json'],
      { env: { ...process.env, PROCNS_REPLAY_DIR: dir } }, () => resolve());
  })));
  return (performance.now() - t0) / 1000;
}

/** --jobs 1 against --jobs cores on the same command: best wall times and whether the JSON agreed. */
function pairs(args: readonly string[], cores: number, dir: string): { one: number[]; all: number[]; same: boolean } {
  const one: number[] = [];
  const all: number[] = [];
  let same = true;
  for (let i = 0; i < PAIRS; i++) {
    const a = timed(args, 1, dir);
    const b = timed(args, cores, dir);
    one.push(a.seconds);
    all.push(b.seconds);
    same &&= a.json === b.json && a.json !== '';
  }
  return { one, all, same };
}

export async function jobsScaling(): Promise<void> {
  const cores = os.availableParallelism();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-bench-'));
  const best = (xs: number[]): number => Math.min(...xs);
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
  try {
    const fuzzArgs = ['fuzz', '--profile', 'v3.8', '--seed', '1', '--runs', String(RUNS)];
    const f = pairs(fuzzArgs, cores, dir);
    const speedUp = best(f.one) / best(f.all);
    console.log(`  fuzz --jobs 1 vs --jobs ${cores} (v3.8, seed 1, ${RUNS} runs, a fresh process each; best of ${PAIRS}): ${fmt(f.one)} s vs ${fmt(f.all)} s, ` +
      `speed-up ${speedUp.toFixed(2)}x, JSON ${f.same ? 'the same' : 'DIFFERS'}  target >= ${(TARGET_EFFICIENCY * cores).toFixed(2)}x: ${speedUp >= TARGET_EFFICIENCY * cores && f.same ? 'met' : 'not met'}`);
    const shards: number[] = [];
    for (let i = 0; i < PAIRS; i++) shards.push(await shardsAtOnce(fuzzArgs, cores, dir));
    console.log(`  the machine's ceiling: the same campaign as ${cores} shards run as ${cores} processes at once (--jobs 1 each; best of ${PAIRS}): ${fmt(shards)} s, ` +
      `speed-up ${(best(f.one) / best(shards)).toFixed(2)}x over --jobs 1`);
    const v = pairs(['verdicts'], cores, dir);
    const share = best(v.all) / best(v.one);
    const target = cores === 2 ? `  target <= ${TARGET_VERDICTS_SHARE} on 2 cores: ${share <= TARGET_VERDICTS_SHARE && v.same ? 'met' : 'not met'}` : '';
    console.log(`  verdicts --jobs 1 vs --jobs ${cores} (the main job, a fresh process each; best of ${PAIRS}): ${fmt(v.one)} s vs ${fmt(v.all)} s, ` +
      `${share.toFixed(2)} of the time, JSON ${v.same ? 'the same' : 'DIFFERS'}${target}`);
    const vShards: number[] = [];
    for (let i = 0; i < PAIRS; i++) vShards.push(await shardsAtOnce(['verdicts'], cores, dir));
    console.log(`  the machine's ceiling: the main job as ${cores} shards run as ${cores} processes at once (best of ${PAIRS}): ${fmt(vShards)} s, ` +
      `${(best(vShards) / best(v.one)).toFixed(2)} of the --jobs 1 time`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
