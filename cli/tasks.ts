// What a worker of the pool (pool.ts) can be asked to do: each task is a function of its data
// alone, so the same task gives the same result in whichever thread runs it, and the pool can
// run it in this thread when it has one job. Declared once: the worker and the in-thread pool
// both dispatch through TASKS.
import { FuzzOptions, scanRuns, ScanResult } from '../properties/fuzz';
import { Budget, Verdict, verdictAt } from '../properties/verdicts';

/** A campaign's options as data (no callbacks: they cannot cross to a worker). */
export type CampaignData = Pick<FuzzOptions, 'profile' | 'fix' | 'inject' | 'seed' | 'runs' | 'steps' | 'properties'>;

export const TASKS = {
  /** Runs first..first+count-1 of a campaign; `stop[0]` is the lowest run found failing so far, anywhere. */
  scan: (a: { o: CampaignData; first: number; count: number; stop: Int32Array }): ScanResult =>
    scanRuns(a.o, a.first, a.count, () => Atomics.load(a.stop, 0)),
  /** The main job's campaign `index`. */
  verdict: (a: { index: number; budget: Budget }): Verdict => verdictAt(a.index, a.budget),
};

export type TaskName = keyof typeof TASKS;
export type TaskArg<K extends TaskName> = Parameters<(typeof TASKS)[K]>[0];
export type TaskResult<K extends TaskName> = ReturnType<(typeof TASKS)[K]>;
