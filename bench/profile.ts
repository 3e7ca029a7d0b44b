// A fixed workload to profile the emulator with: one seeded command list, generated before the
// clock starts, replayed into fresh worlds until V8 has optimised, then timed.
//   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js [tasks] [reps]
// The bench itself is a poor thing to profile: fast-check's generation takes most of its CPU.
import { performance } from 'perf_hooks';
import { commandList } from './lists';
import { ALL_PROPERTIES, buildProfile, newReal } from '../properties/fuzz';

const tasks = Number(process.argv[2] ?? 8);
const reps = Number(process.argv[3] ?? 8);
const profile = buildProfile('v3.8');
const cmds = commandList(tasks, 42, 40000);

const rates: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  const real = newReal(profile, new Set(ALL_PROPERTIES), { population: tasks, tasks, fds: 32 });
  const t0 = performance.now();
  for (const c of cmds) {
    real.world.run(c);
    real.checker.quiescent(real.world);
  }
  rates.push(Math.round(real.world.steps / ((performance.now() - t0) / 1000)));
}
console.log(`${tasks} tasks, ${cmds.length} commands per world, steps/s per world in order: ${rates.join(' ')}`);
