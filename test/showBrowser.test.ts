// procns show in a real browser: Debian's headless Chromium loads the HTML file, with nothing
// logged as an error and nothing fetched; the bars, holders, lanes and the marked step are read
// back from the rendered DOM (where they are, not only that they are), and a screenshot of the
// whole page is written for a person to look at.
//
// Chromium is installed by .ci/run. Elsewhere the test is skipped, saying why, only when no
// chromium can be found; under CI (PROCNS_CI set by .ci/run) a missing chromium is a failure.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { Browser, findChromium } from './browser';
import { runCli } from './helpers';
import { loadScenario, runScenario } from '../scenarios/runner';
import { makeProfile, Profile } from '../kernel/profile';
import { toJsonl, traceHeader } from '../oracle/trace';
import { Scenario } from '../scenarios/format';

const ROOT = path.resolve(__dirname, '..', '..');
// the evict-null-put counterexample whose stat is in flight across pid 2's exit (a fixture: npm start's own
// seed-P1 replay in scenarios/regressions is whatever the fuzzer finds now)
const P1_REPLAY = path.join(ROOT, 'test', 'fixtures', 'evict-null-put-race-P1.json');
const BUSY = path.join(ROOT, 'test', 'fixtures', 'show-busy.json');
/** Where the screenshots go (kept after the test, for a person to look at). */
export const SHOT_DIR = process.env.PROCNS_SHOT_DIR ?? path.join(os.tmpdir(), 'procns-show-screenshots');
const WIDTH = 1900;

interface Box { x: number; y: number; w: number; h: number }

/** What the test reads back from the page: the drawn elements with their data and boxes. */
interface Drawn {
  title: string;
  bars: { ns: string; born: string; died: string; life: Box | null }[];
  holders: { ns: string; kind: string; label: string; from: number; to: number; box: Box; title: string }[];
  lanes: { task: string; states: { state: string; from: number; to: number; box: Box }[] }[];
  calls: { task: string; from: number; to: number; title: string }[];
  cols: Record<string, Box>;
  highlight: { step: string; box: Box } | null;
  failRow: { step: string; text: string } | null;
  svg: Box;
  table: Box;
  legendKinds: string[];
  seen: { ns: string; step: string; value: string; agrees: string; inBar: boolean }[];
}

const READ = `(() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; };
  const all = (s) => [...document.querySelectorAll(s)];
  const title = (e) => e.querySelector('title') ? e.querySelector('title').textContent : '';
  const cols = {};
  for (const c of all('svg.timeline rect.col')) cols[c.dataset.step] = box(c);
  const hl = document.querySelector('rect.highlight');
  const fail = document.querySelector('table.steps tr.fail');
  return {
    title: document.title,
    bars: all('g.bar').map((g) => ({ ns: g.dataset.ns, born: g.dataset.born, died: g.dataset.died, life: g.querySelector('rect.life') ? box(g.querySelector('rect.life')) : null })),
    holders: all('rect.holder').map((r) => ({ ns: r.dataset.ns, kind: r.dataset.kind, label: r.dataset.label, from: +r.dataset.from, to: +r.dataset.to, box: box(r), title: title(r) })),
    lanes: all('g.lane').map((g) => ({ task: g.dataset.task, states: [...g.querySelectorAll('rect.state')].map((r) => ({ state: r.dataset.state, from: +r.dataset.from, to: +r.dataset.to, box: box(r) })) })),
    calls: all('rect.call').map((r) => ({ task: r.dataset.task, from: +r.dataset.from, to: +r.dataset.to, title: title(r) })),
    cols,
    highlight: hl ? { step: hl.dataset.step, box: box(hl) } : null,
    failRow: fail ? { step: fail.dataset.step, text: fail.textContent } : null,
    svg: box(document.querySelector('svg.timeline')),
    table: box(document.querySelector('table.steps')),
    legendKinds: all('.legend li[data-kind]').map((l) => l.dataset.kind),
    seen: all('g.seen').map((g) => {
      const c = box(g.querySelector('circle'));
      const life = box(g.closest('g.bar').querySelector('rect.life'));
      const inBar = c.x >= life.x && c.x + c.w <= life.x + life.w && c.y >= life.y - 2 && c.y + c.h <= life.y + life.h + 2;
      return { ns: g.dataset.ns, step: g.dataset.step, value: g.dataset.value, agrees: g.dataset.agrees, inBar };
    }),
  };
})()`;

/** A mark drawn over steps [from, to] starts in column `from` and ends in column `to`. */
function spansColumns(d: Drawn, b: Box, from: number, to: number): void {
  const left = d.cols[String(from)];
  const right = d.cols[String(to)];
  expect(b.x, `starts in column ${from}`).to.be.within(left.x, left.x + left.w / 2);
  expect(b.x + b.w, `ends in column ${to}`).to.be.within(right.x + right.w / 2, right.x + right.w);
}

describe('procns show in headless Chromium', function () {
  this.timeout(120000);
  let chromium: string | null = null;
  let browser: Browser | null = null;
  let missing: string | null = null;
  let dir: string;

  before(async function () {
    chromium = findChromium();
    if (!chromium) {
      if (process.env.PROCNS_CI) throw new Error('chromium is not installed, and CI (.ci/run) must install it');
      missing = 'skipped: no chromium here (apt-get install chromium, or set CHROMIUM)';
      return;
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-show-browser-'));
    fs.mkdirSync(SHOT_DIR, { recursive: true });
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });
  beforeEach(async function () {
    if (missing) {
      // the reason, where the reporter shows it: in each skipped test's title
      if (this.currentTest) this.currentTest.title += ` (${missing})`;
      this.skip();
    }
    browser = await Browser.launch(chromium as string);
  });
  afterEach(async () => { await browser?.close(); browser = null; });

  /** procns show of an input, loaded in the page; what the page drew, and its screenshot's path. */
  async function load(input: string, name: string, profile?: string): Promise<{ d: Drawn; shot: string }> {
    const file = path.join(dir, `${name}.html`);
    const r = await runCli(['show', input, ...(profile ? ['--profile', profile] : []), '-o', file]);
    expect(r.code, r.text).to.equal(0);
    const b = browser as Browser;
    await b.load(file, WIDTH, 1000);
    const d = await b.evaluate<Drawn>(READ);
    const shot = path.join(SHOT_DIR, `${name}.png`);
    fs.writeFileSync(shot, await b.screenshot(WIDTH));
    expect(b.log.errors, 'console and log errors').to.deep.equal([]);
    // the page itself, and nothing else: no network, no file beside it
    expect(b.log.requests.filter((u) => u !== `file://${file}`), 'requests').to.deep.equal([]);
    const png = fs.readFileSync(shot);
    expect(png.subarray(1, 4).toString()).to.equal('PNG');
    expect(png.readUInt32BE(16), 'screenshot width').to.equal(WIDTH);
    return { d, shot };
  }

  it('the seed\'s evict-null-put replay: the oops step marked, the namespaces\' holders drawn where they hold', async () => {
    const { d } = await load(P1_REPLAY, 'seed-P1-evict-null-put');
    expect(d.title).to.equal('procns show: replay evict-null-put-race-P1.json: seed, seed 1');
    // six boot namespaces, none freed, each bar across the whole run (boot to step 4)
    expect(d.bars.map((b) => b.ns).sort()).to.deep.equal(['ipc#1', 'mnt_ns#1', 'net#1', 'pid_ns#1', 'user_ns#1', 'uts#1']);
    for (const b of d.bars) {
      expect([b.born, b.died], b.ns).to.deep.equal(['0', '']);
      spansColumns(d, b.life as Box, 0, 4);
    }
    // the failing step: its column is marked, its table row too, with the oops
    expect(d.highlight?.step).to.equal('4');
    expect(d.highlight?.box.x).to.equal(d.cols['4'].x);
    expect(d.failRow?.step).to.equal('4');
    expect(d.failRow?.text).to.match(/stat.*path=\/proc\/2\/ns\/ipc.*ENOENT.*oops: BUG: unable to handle kernel NULL pointer dereference in ipcns_put/);
    // net#1: the shared nsproxy all along, and the cached dentry of /proc/2/ns/net from step 2 (stat)
    const net = d.holders.filter((h) => h.ns === 'net#1');
    expect(net.map((h) => `${h.kind} ${h.label} ${h.from}-${h.to}`)).to.deep.equal(['nsproxy nsproxy#1 of pid 0, pid 1, pid 2 0-4', 'dentry cached dentry /proc/2/ns/net 2-4']);
    spansColumns(d, net[1].box, 2, 4);
    expect(net[1].title).to.equal('net#1 held by cached dentry /proc/2/ns/net (dentry: a cached unused dentry (count 0, on the LRU): dentry → inode → ei->ns), steps 2-4');
    // the two kinds are told apart by colour and row, below the bar
    expect(net[1].box.y).to.be.greaterThan(net[0].box.y);
    // pid 2: running, then a zombie from its exit at step 3; pid 1's stat in flight across steps 2-4
    const pid2 = d.lanes.find((l) => l.task === 'pid 2');
    expect(pid2?.states.map((s) => `${s.state} ${s.from}-${s.to}`)).to.deep.equal(['running 1-2', 'zombie 3-4']);
    spansColumns(d, pid2?.states[1].box as Box, 3, 4);
    expect(d.calls).to.deep.equal([{ task: 'pid 1', from: 2, to: 4, title: 'pid 1: stat /proc/2/ns/ipc in flight, steps 2-4 (other tasks\' syscalls complete meanwhile)' }]);
    expect(d.legendKinds).to.include.members(['nsproxy', 'fd', 'mount', 'dentry']);
  });

  it('a trace judged under another profile: its answers drawn on the model\'s bars, the divergence marked', async () => {
    // stale-ns-dentry as today's kernel answers it (procns's nsfs), judged under v3.0
    const sc = loadScenario('stale-ns-dentry') as Scenario;
    const nsfs = makeProfile('nsfs') as Profile;
    const trace = path.join(dir, 'stale-nsfs.jsonl');
    fs.writeFileSync(trace, toJsonl(traceHeader(sc, nsfs, 'procns nsfs'), runScenario(sc, nsfs).trace));
    const { d } = await load(trace, 'trace-stale-ns-dentry-under-v3.0', 'v3.0');
    expect(d.highlight?.step).to.equal('7');
    expect(d.seen).to.deep.equal([
      { ns: 'uts#1', step: '8', value: 'false', agrees: 'false', inBar: true },
      { ns: 'uts#2', step: '7', value: 'true', agrees: 'false', inBar: true },
    ]);
    expect(d.failRow?.text).to.match(/@fdis.*same=false.*same=true/);
  });

  it('a 40-step run of 5 tasks and 11 namespaces fits beside its step table', async () => {
    const { d } = await load(BUSY, 'show-busy-40-steps', 'v3.0');
    expect(d.lanes.length).to.equal(5);
    expect(d.bars.length).to.equal(11);
    expect(Object.keys(d.cols).length).to.equal(41);
    // the table is beside the timeline, not below it, and both fit the window's width
    expect(d.table.x).to.be.greaterThan(d.svg.x + d.svg.w);
    expect(d.table.y).to.be.closeTo(d.svg.y, 2);
    expect(d.table.x + d.table.w).to.be.at.most(WIDTH);
    // net#2 (BN): a bind mount holds it after B is reaped, E's fd and nsproxy after the detach
    const bn = d.holders.filter((h) => h.ns === 'net#2').map((h) => `${h.kind} ${h.from}-${h.to}`);
    expect(bn).to.include.members(['mount 10-23', 'fd 21-22']);
    // every holder's mark lies inside its namespace's life
    for (const h of d.holders) {
      const life = d.bars.find((b) => b.ns === h.ns)?.life as Box;
      expect(h.box.x, `${h.ns} ${h.label}`).to.be.at.least(life.x - 0.5);
      expect(h.box.x + h.box.w, `${h.ns} ${h.label}`).to.be.at.most(life.x + life.w + 0.5);
    }
  });
});
