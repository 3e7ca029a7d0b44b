// npm run interrupts (root): 50 recordings interrupted at seeded random moments with SIGINT,
// SIGTERM or SIGKILL; after each, nothing may be left: no process of that recording (found by its
// PROCNS_RECORDER tag), no mount, no /dev/shm or /tmp/procns* entry, the same hostname, and an
// output file that is either absent or whole JSON lines.
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import seedrandom from 'seedrandom';
import { processesRunning } from '../oracle/recordLinux';

const CLI = path.resolve(__dirname, '..', 'cli', 'main.js');
const SCENARIOS = ['util-linux-unshare-nsenter', 'pid-ns-init-exit', 'ip-netns', 'bind-mount-fd', 'readdir-ns'];
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;

const mounts = (): string => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').sort().join('\n');
const leftovers = (): string => [...fs.readdirSync('/dev/shm'), ...fs.readdirSync('/tmp').filter((f) => f.startsWith('procns'))].sort().join(',');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function wholeJsonLines(file: string): boolean {
  if (!fs.existsSync(file)) return true;
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).every((l) => { try { JSON.parse(l); return true; } catch { return false; } });
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) { console.log('interrupts: skipped: not root'); return 4; }
  const count = Number(process.argv[2] ?? 50);
  const rng = seedrandom(`procns interrupts ${process.argv[3] ?? 1}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interrupts-'));
  const before = { mounts: mounts(), left: leftovers(), host: os.hostname() };
  let bad = 0;
  try {
    for (let i = 0; i < count; i++) {
      const name = SCENARIOS[i % SCENARIOS.length];
      const signal = SIGNALS[Math.floor(rng() * SIGNALS.length)];
      const at = Math.floor(rng() * 900);
      const out = path.join(dir, `${i}.jsonl`);
      const node = child_process.spawn(process.execPath, [CLI, 'record', name, '-o', out], { stdio: 'ignore' });
      const exited = new Promise((r) => node.on('exit', r));
      await sleep(at);
      node.kill(signal);
      await exited;
      const tag = `PROCNS_RECORDER=${node.pid}`;
      for (let j = 0; j < 300 && processesRunning(null, tag).length; j++) await sleep(10);
      const problems = [
        processesRunning(null, tag).length ? `processes left: ${processesRunning(null, tag).join(' ')}` : '',
        wholeJsonLines(out) ? '' : 'a partial output file',
        mounts() === before.mounts ? '' : 'the host\'s mounts changed',
        leftovers() === before.left ? '' : `/dev/shm or /tmp changed: ${leftovers()}`,
        os.hostname() === before.host ? '' : `the hostname is ${os.hostname()}`,
      ].filter(Boolean);
      if (problems.length) { bad++; console.log(`${i} ${name} ${signal} after ${at} ms: ${problems.join('; ')}`); }
      fs.rmSync(out, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`interrupts: ${count} recordings interrupted, ${count - bad} left nothing behind, ${bad} did not`);
  return bad ? 1 : 0;
}

main().then((code) => { process.exitCode = code; });
