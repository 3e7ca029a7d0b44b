// A fixed workload to profile the emulator with: one seeded command list, generated before the
// clock starts, replayed into fresh worlds until V8 has optimised, then timed.
//   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js [tasks] [reps] [checkout]
// With a checkout (another procns build), the list is the one its bench/lists.js draws, the
// workload `bench/sideBySide.ts` compares on. The bench itself is a poor thing to profile:
// fast-check's generation takes most of its CPU.
import * as path from 'path';
import { commandList } from './lists';
import { throughput } from './throughput';
import { tuneV8 } from '../cli/v8';
import { Command } from '../properties/world';

tuneV8();
const tasks = Number(process.argv[2] ?? 8);
const reps = Number(process.argv[3] ?? 8);
const from = process.argv[4];
// eslint-disable-next-line @typescript-eslint/no-require-imports
const draw = from ? (require(path.resolve(from, 'dist', 'bench', 'lists.js')) as { commandList: typeof commandList }).commandList : commandList;
const cmds: Command[] = draw(tasks, 42, 40000);

const rates: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  const run = throughput(tasks, cmds);
  rates.push(Math.round(run.steps / run.seconds));
}
console.log(`${tasks} tasks, ${cmds.length} commands per world, steps/s per world in order: ${rates.join(' ')}`);
