// Steps per second of a world replaying command lists, every step property checked: the timing
// both `npm run bench` and `bench/sideBySide.ts` use. Harness code: the clock is read here, never
// in kernel/ or procfs/. `build` is a procns build's properties/fuzz module, this one's by default,
// or another checkout's (sideBySide times an older commit on the same lists).
import { performance } from 'perf_hooks';
import * as fuzzModule from '../properties/fuzz';
import { Command } from '../properties/world';

/**
 * Each world is held at its size: `tasks` live tasks and at most FDS fds per task (an open or dup
 * past that becomes a close). Without the fd bound the tables grow with the run (opens and dups
 * outnumber closes) until RLIMIT_NOFILE, and the figure would depend on the run's length.
 */
export const FDS = 32;
/** Untimed worlds first: V8 optimises the emulator over the first few hundred thousand syscalls. */
export const WARMUP = 8;

/** What a build must export for its worlds to be timed (every procns build since 2026-11-22 does). */
export type FuzzBuild = Pick<typeof fuzzModule, 'newReal' | 'buildProfile' | 'ALL_PROPERTIES'>;

/** Run a world of `tasks` tasks through a command list; syscalls completed and seconds taken. */
export function throughput(tasks: number, cmds: readonly Command[], build: FuzzBuild = fuzzModule): { steps: number; seconds: number; cpuSeconds: number } {
  const real = build.newReal(build.buildProfile('v3.8'), new Set(build.ALL_PROPERTIES), { population: tasks, tasks, fds: FDS });
  const before = real.world.steps;
  // No gc() before the loop: a forced full collection makes V8 drop the optimised code of the
  // hot functions (--trace-opt shows fget, fput and the checker recompiled at every world), and
  // the timed loop then ran ~40% slower than the same loop without it.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const c of cmds) {
    real.world.run(c);
    real.checker.quiescent(real.world);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (real.checker.violations.length) throw new Error(`bench run failed a property: ${real.checker.violations[0].message}`);
  return { steps: real.world.steps - before, seconds, cpuSeconds };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median steps/s over worlds of this size (one per command list), and the range; `cpuRate` is
 * the median of steps per second of the process's CPU time (user and system, every thread), the
 * speed per core, which a machine shared with other work disturbs less than the wall clock.
 */
export function measure(tasks: number, lists: readonly (readonly Command[])[], build: FuzzBuild = fuzzModule): { rate: number; low: number; high: number; steps: number; cpuRate: number } {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let steps = 0;
  for (const cmds of lists) {
    const run = throughput(tasks, cmds, build);
    rates.push(run.steps / run.seconds);
    cpuRates.push(run.steps / run.cpuSeconds);
    steps += run.steps;
  }
  return { rate: median(rates), low: Math.min(...rates), high: Math.max(...rates), steps, cpuRate: median(cpuRates) };
}
