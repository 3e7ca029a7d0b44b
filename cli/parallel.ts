// A fuzz campaign's runs, or the main job's campaigns, spread over the pool's threads (pool.ts),
// with results that do not depend on how many there are: run i of a campaign is a function of
// (seed, i) alone (scanRuns), the failure kept is the lowest-numbered failing run, shrunk as
// fuzz() shrinks it; the verdicts come back in the table's order.
import { FuzzResult, ScanResult, shrinkRun } from '../properties/fuzz';
import { Budget, Verdict } from '../properties/verdicts';
import { inOrder, Pool } from './pool';
import { CampaignData } from './tasks';

/** Chunks of runs per thread: enough that threads end together, few enough that each chunk's skip to its first run (fast-check jumps its generator once per run skipped) stays small. */
const CHUNKS_PER_JOB = 16;

/**
 * Runs first..end-1 of a campaign, on the pool, then its lowest failing run shrunk in this
 * thread: the runs, steps and failure fuzz() gives for the same runs, whatever pool.jobs is.
 */
export async function fuzzRange(o: CampaignData, first: number, end: number, pool: Pool, onRuns?: (done: number, total: number) => void): Promise<FuzzResult> {
  const count = end - first;
  const chunks = Math.min(count, pool.jobs * CHUNKS_PER_JOB);
  const start = (i: number): number => first + Math.floor((i * count) / chunks);
  // the lowest run found failing so far, shared with the workers: a chunk stops before a run above it
  const stop = new Int32Array(new SharedArrayBuffer(4));
  stop[0] = end;
  let done = 0;
  const scans = await inOrder<ScanResult>(chunks, pool.jobs, async (i) => {
    const r = await pool.run('scan', { o, first: start(i), count: start(i + 1) - start(i), stop });
    if (r.failedAt !== null) Atomics.store(stop, 0, Math.min(Atomics.load(stop, 0), r.failedAt));
    onRuns?.(done += r.ran, count);
    return r;
  }, undefined, (i) => start(i) >= Atomics.load(stop, 0));
  const failedAt = Atomics.load(stop, 0);
  // every run below the lowest failure has run, whatever else was stopped or skipped
  let steps = 0;
  for (const r of scans) if (r && r.first < failedAt) steps += r.steps;
  if (failedAt === end) return { runs: count, steps, failure: null };
  const shrunk = shrinkRun(o, failedAt);
  return { runs: failedAt - first + 1, steps: steps + shrunk.steps, failure: shrunk.failure };
}

/** The main job's campaigns `indices`, on the pool; `onVerdict` sees each in the order given. */
export async function verdictsOf(indices: readonly number[], budget: Budget, pool: Pool, onVerdict?: (v: Verdict) => void): Promise<Verdict[]> {
  const got = await inOrder(indices.length, pool.jobs, (i) => pool.run('verdict', { index: indices[i], budget }), (_i, v) => onVerdict?.(v as Verdict));
  return got as Verdict[];
}
