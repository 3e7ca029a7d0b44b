// procns as an oracle for someone else's kernel: every bundled scenario recorded under gVisor
// (`runsc do`, root only, pending without runsc) and judged against nsfs, and the table in
// docs/gvisor.md kept true: it covers every scenario, and with the runsc it was made with, each
// verdict and first divergent step is the one it gives.
import { expect } from 'chai';
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { listScenarios } from '../../scenarios/runner';
import { processesRunning, recordLinux } from '../../oracle/recordLinux';
import { checkTrace } from '../../oracle/check';
import { toJsonl } from '../../oracle/trace';
import * as os from 'os';

/** Live processes whose environment carries `tag` (whatever their executable: runsc's too). */
const tagged = (tag: string): number[] => processesRunning(null, tag);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const DOC = path.resolve(__dirname, '..', '..', '..', 'docs', 'gvisor.md');
/** The runsc the table was made with (`runsc --version`, first line). */
const TABLE_RUNSC = 'runsc version 0.0~20221219.0';
const RUNNER = ['runsc', '--platform=ptrace', '--network=none', 'do'];

/** docs/gvisor.md's table: scenario → verdict and the steps its first divergence may be at ("step N", "in some runs step M"). */
function table(): Map<string, { verdict: string; steps: (number | null)[] }> {
  const rows = new Map<string, { verdict: string; steps: (number | null)[] }>();
  for (const m of fs.readFileSync(DOC, 'utf8').matchAll(/^\| `([a-z0-9-]+)` \| (agrees|diverges) \| ([^\n]*)$/gm)) {
    const cell = m[3].split(' | ')[0];
    const first = /^\s*step (\d+)/.exec(cell);
    const others = [...cell.matchAll(/in some runs step (\d+)/g)].map((x) => Number(x[1]));
    rows.set(m[1], { verdict: m[2], steps: first ? [Number(first[1]), ...others] : [null] });
  }
  return rows;
}

describe('gVisor: every scenario recorded under runsc and judged against nsfs', function () {
  this.timeout(60000);
  const scenarios = listScenarios().filter((s) => s.applies.includes('nsfs'));

  it('docs/gvisor.md has a row for every bundled nsfs scenario', () => {
    expect([...table().keys()].sort()).to.deep.equal(scenarios.map((s) => s.name).sort());
  });

  let runsc: string | null = null;
  before(() => {
    const v = child_process.spawnSync('runsc', ['--version'], { encoding: 'utf8' });
    runsc = v.status === 0 ? v.stdout.split('\n')[0].trim() : null;
  });

  for (const sc of scenarios) {
    it(`records ${sc.name} under gVisor, and check gives a verdict`, async function () {
      if (runsc === null || process.getuid?.() !== 0) this.skip();
      const r = await recordLinux(sc, { runner: RUNNER });
      if ('skipped' in r) this.skip();
      expect(r.header.runner).to.equal(RUNNER.join(' '));
      expect(r.header.uname).to.match(/^Linux \S+ \S+$/);
      const verdict = checkTrace(toJsonl(r.header, r.steps), 'nsfs');
      expect(verdict.verdict, JSON.stringify(verdict)).to.be.oneOf(['agrees', 'diverges']);
      if (runsc !== TABLE_RUNSC) return; // another gVisor: a verdict is all that can be asked
      const row = table().get(sc.name);
      expect(verdict.verdict, 'docs/gvisor.md\'s verdict').to.equal(row?.verdict);
      expect(row?.steps, 'docs/gvisor.md\'s first divergence').to.include(verdict.verdict === 'diverges' ? verdict.step : null);
    });
  }

  it('SIGKILL to `procns record --runner runsc...` while a task blocks leaves no runsc behind', async function () {
    if (runsc === null || process.getuid?.() !== 0) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-test-'));
    try {
      const file = path.join(dir, 'hang.json');
      fs.writeFileSync(file, JSON.stringify({ name: 'hang', description: 'a read that never ends', applies: ['nsfs'], steps: [
        { task: 'A', op: 'fork', as: 'B' },
        { task: 'A', op: 'pipe2', save: 'p' },
        { task: 'A', op: 'read', args: { fd: '$p0', count: 1 } },
      ] }));
      const cli = path.resolve(__dirname, '..', '..', 'cli', 'main.js');
      const node = child_process.spawn(process.execPath, [cli, 'record', file, '--runner', RUNNER.join(' '), '-o', path.join(dir, 'out.jsonl')], { stdio: 'ignore' });
      const tag = `PROCNS_RECORDER=${node.pid}`;
      await sleep(3000); // runsc up, the hub, A and B forked, A blocked in read
      expect(tagged(tag).length, 'runsc is running the recording').to.be.greaterThan(0);
      node.kill('SIGKILL');
      for (let i = 0; i < 500 && tagged(tag).length; i++) await sleep(10);
      expect(tagged(tag), 'the hub saw its stdin end and took the sandbox, and runsc, with it').to.deep.equal([]);
      expect(fs.readdirSync(dir)).to.deep.equal(['hang.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
