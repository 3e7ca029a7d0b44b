// npm run bench:side -- <checkout>: this build against another procns build (an older commit,
// checked out and built with `npm run build`) on the same command lists, side by side. Both
// replay the other build's own bench lists (drawn by its bench/lists.js: 50,000 commands per
// world, seeds 42 to 46 per size, 8 warm-up worlds), because a list drawn by this build may hold
// commands the older one does not have (race commands, newer syscalls); the command data of a
// call is the same in every build. Each build runs in a fresh process, the two alternating, so
// that a load that comes and goes hits both. Harness code.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { FuzzBuild, WARMUP, measure, median, throughput } from './throughput';
import { Command } from '../properties/world';

const STEPS = Number(process.env.BENCH_STEPS ?? 50000);
const SIZES = [8, 64, 512];
const REPEATS = 5;
const USAGE = 'usage: node dist/bench/sideBySide.js <built procns checkout> [--rounds N]';

type Lists = (tasks: number, seed: number, n: number) => Command[];

/** The child: time `build` on the lists `drawer` draws; prints {"8": rate, ...} on stdout. */
function timeBuild(buildRoot: string, drawerRoot: string): void {
  // the V8 settings the build's own command runs with, if it has any (cli/v8.js, from 2026-11-30)
  const tune = path.join(buildRoot, 'dist', 'cli', 'v8.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (fs.existsSync(tune)) (require(tune) as { tuneV8: () => void }).tuneV8();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const build = require(path.join(buildRoot, 'dist', 'properties', 'fuzz.js')) as FuzzBuild;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const commandList = (require(path.join(drawerRoot, 'dist', 'bench', 'lists.js')) as { commandList: Lists }).commandList;
  for (let seed = 1; seed <= WARMUP; seed++) throughput(8, commandList(8, seed, STEPS), build);
  const out: Record<string, number> = {};
  for (const tasks of SIZES) {
    const m = measure(tasks, Array.from({ length: REPEATS }, (_, i) => commandList(tasks, 42 + i, STEPS)), build);
    out[tasks] = m.rate;
    out[`cpu${tasks}`] = m.cpuRate;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

function main(argv: string[]): number {
  if (argv[0] === '--time') {
    timeBuild(argv[1], argv[2]);
    return 0;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let rounds = 3;
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds' && /^[1-9]\d*$/.test(argv[i + 1] ?? '')) rounds = Number(argv[++i]);
    else if (argv[i].startsWith('-')) { console.error(`sideBySide: unknown or malformed option ${argv[i]}\n${USAGE}`); return 2; }
    else dirs.push(argv[i]);
  }
  if (dirs.length !== 1) { console.error(USAGE); return 2; }
  const base = path.resolve(dirs[0]);
  for (const m of [['properties', 'fuzz.js'], ['bench', 'lists.js']]) {
    if (!fs.existsSync(path.join(base, 'dist', ...m))) { console.error(`sideBySide: ${base} has no dist/${m.join('/')} (check out a procns commit there and npm run build)`); return 2; }
  }
  const here = path.resolve(__dirname, '..', '..');
  // per build, per key ("8": wall-clock steps/s at 8 tasks, "cpu8": steps per CPU second), one value a round
  const rates: Record<'base' | 'here', Record<string, number[]>> = { base: {}, here: {} };
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  for (let r = 0; r < rounds; r++) {
    for (const [who, root] of [['base', base], ['here', here]] as const) {
      const got = JSON.parse(execFileSync(process.execPath, [__filename, '--time', root, base], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Record<string, number>;
      for (const [key, v] of Object.entries(got)) (rates[who][key] ??= []).push(v);
      console.log(`  round ${r + 1} ${who === 'base' ? 'baseline' : 'this    '}: ${SIZES.map((t) => `${t} tasks ${fmt(got[t])} (${fmt(got[`cpu${t}`])} per CPU s)`).join(', ')} steps/s`);
    }
  }
  console.log(`side by side (${base} against this build, the baseline's lists, ${rounds} rounds, median of each round's ${REPEATS}-world medians):`);
  for (const t of SIZES) {
    const line = (key: string): string => {
      const b = median(rates.base[key]);
      const h = median(rates.here[key]);
      return `baseline ${fmt(b)}, this ${fmt(h)} (${(h / b).toFixed(3)}x)`;
    };
    console.log(`  ${String(t).padStart(3)} tasks: steps/s ${line(String(t))}; steps per CPU second ${line(`cpu${t}`)}`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
