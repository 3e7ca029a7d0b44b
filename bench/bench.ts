// npm run bench: emulated steps per second with every property checked, for worlds of 8, 64 and
// 512 tasks, and how fast fast-check finds the seed's evict-null-put. Harness code: the clock
// is read here, never in kernel/ or procfs/.
import fc from 'fast-check';
import { performance } from 'perf_hooks';
import { commandArbs, LifecycleCommand, mixArbitrary } from '../properties/commands';
import { ALL_PROPERTIES, buildProfile, fuzz, newReal } from '../properties/fuzz';

const STEPS = Number(process.env.BENCH_STEPS ?? 50000);
/**
 * Each world is held at its size: `tasks` live tasks and at most FDS fds per task (an open or dup
 * past that becomes a close). Without the fd bound the tables grow with the run (opens and dups
 * outnumber closes) until RLIMIT_NOFILE, and the figure would depend on the run's length.
 */
const FDS = 32;

/** Run `STEPS` random commands in a world of `tasks` tasks; syscalls completed per second. */
function throughput(tasks: number, seed: number): { steps: number; seconds: number } {
  const profile = buildProfile('v3.8');
  const real = newReal(profile, new Set(ALL_PROPERTIES), { population: tasks, tasks, fds: FDS });
  const arb = mixArbitrary().chain((mix) => fc.tuple(...commandArbs(profile, mix, tasks - 1)));
  const cmds: LifecycleCommand[] = fc.sample(arb, { seed, numRuns: STEPS }).map((t) => t[0]);
  const before = real.world.steps;
  const t0 = performance.now();
  for (const c of cmds) {
    real.world.run(c.cmd);
    real.checker.quiescent(real.world);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (real.checker.violations.length) throw new Error(`bench run failed a property: ${real.checker.violations[0].message}`);
  return { steps: real.world.steps - before, seconds };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main(): void {
  console.log(`procns bench: ${STEPS} random commands per world, profile v3.8, at most ${FDS} fds per task, properties ${ALL_PROPERTIES.join(' ')} checked after every step`);
  const perStep = new Map<number, number>();
  throughput(8, 7); // warm-up: the first run pays for the JIT
  for (const tasks of [8, 64, 512]) {
    const r = throughput(tasks, 42);
    perStep.set(tasks, r.seconds / r.steps);
    console.log(`  ${String(tasks).padStart(3)} tasks: ${Math.round(r.steps / r.seconds).toLocaleString('en-US').padStart(9)} steps/s (${r.steps} syscalls in ${r.seconds.toFixed(2)} s)`);
  }
  const ratio = (perStep.get(512) as number) / (perStep.get(8) as number);
  console.log(`  per-step cost, 512 tasks / 8 tasks: ${ratio.toFixed(2)}x`);

  const runs: number[] = [];
  const secs: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const t0 = performance.now();
    const r = fuzz({ profile: 'seed', seed, runs: 100000, steps: 40, properties: ['P2'] });
    secs.push((performance.now() - t0) / 1000);
    runs.push(r.failure ? r.runs : Infinity);
  }
  console.log(`  time to evict-null-put on seed (20 seeds): median ${median(runs)} runs, ${median(secs).toFixed(3)} s (worst ${Math.max(...secs).toFixed(3)} s)`);
}

main();
