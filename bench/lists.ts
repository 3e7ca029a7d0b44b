// The command lists the bench and the profiling workload replay. Harness code.
import fc from 'fast-check';
import { commandArbs, mixArbitrary } from '../properties/commands';
import { buildProfile } from '../properties/fuzz';
import { Command } from '../properties/world';

/**
 * `n` random commands for a v3.8 world of `tasks` tasks, each command under a mix drawn afresh.
 * Commands are pure data; the list is kept as a replay file keeps it (a JSON copy), laid out in
 * the order it is read. fast-check's own objects for tens of thousands of commands are scattered
 * over the heap among its garbage, and reading them cost a timed loop ~8% in cache misses, a
 * cost of a long pre-drawn list that a fuzz run (40 fresh commands) or a replay does not have.
 */
export function commandList(tasks: number, seed: number, n: number): Command[] {
  const arb = mixArbitrary().chain((mix) => fc.tuple(...commandArbs(buildProfile('v3.8'), mix, tasks - 1)));
  return JSON.parse(JSON.stringify(fc.sample(arb, { seed, numRuns: n }).map((t) => t[0].cmd))) as Command[];
}
