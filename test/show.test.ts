// procns show: the model of the picture (lanes, bars, holders) for known runs, checked against
// what the kernel's rules say must hold at each step; the HTML is deterministic and
// self-contained; the command keeps the CLI contract.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { pictureOf, showPicture } from '../show/show';
import { Bar, HOLDER_KINDS, Lane, Picture } from '../show/model';
import { runCli } from './helpers';
import { loadScenario, runScenario } from '../scenarios/runner';
import { makeProfile, Profile } from '../kernel/profile';
import { toJsonl, traceHeader } from '../oracle/trace';
import { checkTrace } from '../oracle/check';
import { Scenario } from '../scenarios/format';

const ROOT = path.resolve(__dirname, '..', '..');
// the evict-null-put counterexample whose stat is in flight across pid 2's exit (a fixture: npm start's own
// seed-P1 replay in scenarios/regressions is whatever the fuzzer finds now)
const P1_REPLAY = path.join(ROOT, 'test', 'fixtures', 'evict-null-put-race-P1.json');
const BUSY = path.join(ROOT, 'test', 'fixtures', 'show-busy.json');

async function picture(input: string, profile?: string): Promise<Picture> {
  const p = await pictureOf(input, profile);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

function bar(p: Picture, id: string): Bar {
  const b = p.bars.find((x) => x.id === id);
  if (!b) throw new Error(`no bar ${id} (bars: ${p.bars.map((x) => x.id).join(', ')})`);
  return b;
}

function lane(p: Picture, name: string): Lane {
  const l = p.lanes.find((x) => x.name === name);
  if (!l) throw new Error(`no lane ${name}`);
  return l;
}

/** The holders of a bar as "kind label from-to" lines, for whole-set comparisons. */
const holders = (b: Bar): string[] => b.holders.map((h) => `${h.kind} ${h.label} ${h.from}-${h.to}`);

/** Which holder kinds hold a namespace at a step. */
const kindsAt = (b: Bar, step: number): string[] => [...new Set(b.holders.filter((h) => h.from <= step && step <= h.to).map((h) => h.kind))].sort();

describe('procns show: the picture of a run', () => {
  describe('the seed\'s evict-null-put replay (test/fixtures/evict-null-put-race-P1.json)', () => {
    // clone; init starts stat /proc/2/ns/ipc; pid 2 stats its own net entry; pid 2 exits; the
    // interrupted stat completes on a zombie: put(NULL) on evict, an oops, P1 fails at step 4
    let p: Picture;
    before(async () => { p = await picture(P1_REPLAY); });

    it('marks the oops step as the property violation, and its table row carries the oops', () => {
      expect(p.what).to.equal('replay');
      expect(p.highlight).to.include({ step: 4, kind: 'violation' });
      expect(p.highlight?.text).to.match(/^P1 failed at step 4: oops: BUG: unable to handle kernel NULL pointer dereference in ipcns_put/);
      const row = p.steps.find((s) => s.step === 4);
      expect(row).to.include({ task: 'pid 1', op: 'stat', args: 'path=/proc/2/ns/ipc', result: 'ENOENT' });
      expect(row?.oops).to.match(/NULL pointer dereference/);
      expect(p.steps.map((s) => s.step)).to.deep.equal([1, 2, 3, 4]);
    });

    it('a lane per task: pid 2 runs, exits to a zombie (exit_task_namespaces first: nsproxy NULL) and is never reaped', () => {
      expect(p.lanes.map((l) => l.name)).to.deep.equal(['pid 1', 'pid 2']);
      const child = lane(p, 'pid 2');
      expect(child.born).to.equal(1);
      expect(child.spans).to.deep.equal([{ from: 1, to: 2, state: 'running' }, { from: 3, to: 4, state: 'zombie' }]);
      expect(child.reaped).to.equal(null);
      // clone without CLONE_NEW*: the parent's namespaces; exit: none
      expect(child.moves[0].ns).to.deep.equal(lane(p, 'pid 1').moves[0].ns);
      expect(child.moves[1]).to.deep.include({ step: 3, ns: [], changed: ['nsproxy → NULL'] });
    });

    it('the race is drawn: pid 1\'s stat is in flight from step 2 until it completes at step 4', () => {
      expect(lane(p, 'pid 1').calls).to.deep.equal([{ from: 2, to: 4, call: 'stat /proc/2/ns/ipc' }]);
      expect(lane(p, 'pid 2').calls).to.deep.equal([]);
    });

    it('no namespace is created or freed; each boot namespace is held by init_nsproxy, which init_task (pid 0, init/init_task.c) and both tasks share', () => {
      expect(p.bars.map((b) => b.id).sort()).to.deep.equal(['ipc#1', 'mnt_ns#1', 'net#1', 'pid_ns#1', 'user_ns#1', 'uts#1']);
      for (const b of p.bars) {
        expect([b.born, b.died], b.id).to.deep.equal([0, null]);
        expect(b.unheld, b.id).to.deep.equal([]);
      }
      for (const id of ['mnt_ns#1', 'uts#1', 'ipc#1']) expect(holders(bar(p, id)), id).to.deep.equal(['nsproxy nsproxy#1 of pid 0, pid 1, pid 2 0-4']);
    });

    it('net#1 gains a cached dentry /proc/2/ns/net at step 2 (stat instantiates the inode, whose ei->ns holds it), kept while pid 2 exists, zombie or not', () => {
      expect(holders(bar(p, 'net#1'))).to.deep.equal(['nsproxy nsproxy#1 of pid 0, pid 1, pid 2 0-4', 'dentry cached dentry /proc/2/ns/net 2-4']);
      expect(kindsAt(bar(p, 'net#1'), 1)).to.deep.equal(['nsproxy']);
      expect(kindsAt(bar(p, 'net#1'), 3)).to.deep.equal(['dentry', 'nsproxy']);
      expect(p.steps[1].changes).to.deep.equal(['net#1 + cached dentry /proc/2/ns/net']);
    });

    it('user_ns#1 is held by each task\'s credentials, pid_ns#1 by each task\'s struct pid', () => {
      expect(holders(bar(p, 'user_ns#1'))).to.deep.equal(['cred cred of pid 0, pid 1, pid 2 0-4']);
      expect(holders(bar(p, 'pid_ns#1'))).to.include('pid struct pid of pid 0, pid 1, pid 2 0-4');
    });
  });

  describe('scenario open-fd-holds-ns on v3.0', () => {
    // 1 A opens its net ns (fd); 2 fork B; 3 B unshares net+uts; 6 A opens B's net; 7 B exits;
    // 10 A reaps B; 12 A setns into B's net; 14 A setns back; 15 A closes it; 17 A closes its own
    let p: Picture;
    before(async () => { p = await picture('open-fd-holds-ns', 'v3.0'); });

    it('every step as its expectation says: nothing marked', () => {
      expect(p.what).to.equal('scenario');
      expect(p.highlight).to.equal(null);
      expect(p.last).to.equal(17);
    });

    it('B: born at the fork, zombie from its exit, reaped by the wait', () => {
      const b = lane(p, 'B');
      expect([b.born, b.reaped]).to.deep.equal([2, 10]);
      expect(b.spans).to.deep.equal([{ from: 2, to: 6, state: 'running' }, { from: 7, to: 9, state: 'zombie' }]);
      expect(b.moves.map((m) => [m.step, m.changed])).to.deep.equal([[2, b.moves[0].ns], [3, ['uts#2', 'net#2']], [7, ['nsproxy → NULL']]]);
    });

    it('A moves into B\'s net through the held fd at 12 and back at 14', () => {
      expect(lane(p, 'A').moves.slice(1).map((m) => [m.step, m.changed])).to.deep.equal([[12, ['net#2']], [14, ['net#1']]]);
    });

    it('uts#2 (U) dies with B\'s exit: exit_notify → exit_task_namespaces, nothing else holds it', () => {
      const u = bar(p, 'uts#2');
      expect(u.names).to.deep.equal(['U']);
      expect([u.born, u.died]).to.deep.equal([3, 7]);
      expect(holders(u)).to.deep.equal(['nsproxy nsproxy#2 of B 3-6']);
    });

    it('net#2 (N) outlives B through A\'s fd (file → dentry → inode → ei->ns) and dies with its close', () => {
      const n = bar(p, 'net#2');
      expect(n.names).to.deep.equal(['N']);
      expect([n.born, n.died]).to.deep.equal([3, 15]);
      expect(holders(n)).to.deep.equal(['nsproxy nsproxy#2 of B 3-6', 'fd fd 1 of A 6-14', 'nsproxy nsproxy#3 of A 12-13']);
      // between B's exit and A's setns only the fd holds it
      for (const s of [7, 10, 11, 14]) expect(kindsAt(n, s), `step ${s}`).to.deep.equal(['fd']);
    });

    it('net#1: B\'s copy of the fd goes with exit_files; once A closes its own, its cached dentry still holds it', () => {
      const n = bar(p, 'net#1');
      expect(holders(n)).to.include.members(['fd fd 0 of A 1-16', 'fd fd 0 of B 2-6', 'dentry cached dentry /proc/1/ns/net 17-17']);
      expect(n.died).to.equal(null);
    });

    it('each step\'s changes are the picture in words', () => {
      const at = (n: number): string[] => p.steps[n - 1].changes;
      expect(at(7)).to.include.members(['B zombie', 'uts#2 freed', 'net#1 − fd 0 of B']);
      expect(at(10)).to.include('B reaped');
      expect(at(15)).to.include('net#2 freed');
    });
  });

  describe('a trace from another implementation', () => {
    // stale-ns-dentry recorded as today's kernel answers it (nsfs), judged under v3.0: the two
    // part where 3.0's cached dentry still names the old uts namespace
    let dir: string;
    let file: string;
    let sc: Scenario;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-show-'));
      sc = loadScenario('stale-ns-dentry') as Scenario;
      const nsfs = makeProfile('nsfs') as Profile;
      const text = toJsonl({ ...traceHeader(sc, nsfs, 'linux 6.18 (emulated by procns nsfs)') }, runScenario(sc, nsfs).trace);
      file = path.join(dir, 'stale.jsonl');
      fs.writeFileSync(file, text);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('marks the checker\'s first divergence, and says which part is the model and which the trace', async () => {
      const verdict = checkTrace(fs.readFileSync(file, 'utf8'), 'v3.0');
      expect(verdict.verdict).to.equal('diverges');
      const p = await picture(file, 'v3.0');
      expect(p.what).to.equal('trace');
      expect(p.highlight).to.include({ kind: 'divergence', step: (verdict as { step: number }).step });
      expect(p.notes.join(' ')).to.match(/Model: the bars, task lanes and holders are the emulator's run of the trace's own scenario \(stale-ns-dentry.*under v3\.0/);
      expect(p.notes.join(' ')).to.match(/Trace: the table's "trace" columns are what linux 6\.18 \(emulated by procns nsfs\) recorded/);
      const row = p.steps[(verdict as { step: number }).step - 1];
      expect(row.trace?.obs).to.equal('same=true');
      expect(row.obs).to.equal('same=false');
    });

    it('the trace\'s answers about a namespace sit on the model\'s bar, red where v3.0 answers otherwise', async () => {
      const p = await picture(file, 'v3.0');
      // 3.0: the fd opened after the unshare, through the cached dentry, still names OLD
      expect(bar(p, 'uts#2').names).to.deep.equal(['NEW']);
      expect(bar(p, 'uts#2').seen?.map((o) => [o.step, o.value, o.agrees])).to.deep.equal([[7, true, false]]);
      expect(bar(p, 'uts#1').names).to.deep.equal(['OLD']);
      expect(bar(p, 'uts#1').seen?.map((o) => [o.step, o.value, o.agrees])).to.deep.equal([[8, false, false]]);
      expect(holders(bar(p, 'uts#1'))).to.include('fd fd 1 of B 6-9');
      // judged under nsfs, where the trace came from, every answer agrees
      const own = await picture(file);
      expect(own.bars.flatMap((b) => b.seen ?? []).map((o) => o.agrees)).to.deep.equal([true, true]);
    });

    it('its bars are the model\'s: the same as the scenario\'s own picture under that profile', async () => {
      const fromTrace = await picture(file, 'v3.0');
      const fromScenario = await picture('stale-ns-dentry', 'v3.0');
      expect(fromTrace.bars.map((b) => ({ ...b, seen: undefined }))).to.deep.equal(fromScenario.bars.map((b) => ({ ...b, seen: undefined })));
      expect(fromTrace.lanes).to.deep.equal(fromScenario.lanes);
    });

    it('a malformed line after the first divergence: the divergence is still drawn, the trace\'s columns end before that line', async () => {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const cut = path.join(dir, 'cut.jsonl');
      fs.writeFileSync(cut, [...lines.slice(0, 8), '{"step":8, not json'].join('\n') + '\n');
      const p = await picture(cut, 'v3.0');
      expect(p.highlight).to.include({ kind: 'divergence', step: 7 });
      expect(p.steps[6].trace?.obs).to.equal('same=true');
      expect(p.steps[7].trace).to.deep.equal({ result: '', obs: '' });
      expect(p.notes[p.notes.length - 1]).to.match(/^line 9 of the trace is malformed .*: its columns end at step 7\.$/);
      // under nsfs there is no divergence before it: malformed, exit 2
      const r = await runCli(['show', cut, '-o', path.join(dir, 'cut.html')]);
      expect([r.code, r.lines.length]).to.deep.equal([2, 1]);
      expect(r.text).to.match(/malformed trace, line 9/);
    });

    it('judged under its own header\'s profile (nsfs) it agrees: nothing marked', async () => {
      const p = await picture(file);
      expect(p.profile).to.equal('nsfs');
      expect(p.highlight).to.equal(null);
      expect(p.notes.join(' ')).to.match(/the trace agrees with nsfs at all \d+ steps/);
    });
  });

  describe('the HTML', () => {
    it('is the same bytes for the same input, and names no outside resource', async () => {
      for (const input of [P1_REPLAY, BUSY]) {
        const a = await showPicture(input, input === BUSY ? 'v3.0' : undefined);
        const b = await showPicture(input, input === BUSY ? 'v3.0' : undefined);
        if (typeof a === 'string' || typeof b === 'string') throw new Error(String(a));
        expect(a.html).to.equal(b.html);
        // the SVG namespace URI is a name, never fetched; nothing else may point outside
        const outside = a.html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '').match(/(https?:|\/\/[a-z]|src=|href=|@import|url\((?!#))/gi);
        expect(outside, input).to.equal(null);
      }
    });

    it('draws every bar, holder and lane of the picture, with a legend entry per holder kind', async () => {
      const r = await showPicture(BUSY, 'v3.0');
      if (typeof r === 'string') throw new Error(r);
      const { picture: p, html } = r;
      expect(p.lanes.length).to.equal(5);
      expect(p.bars.length).to.be.within(10, 12);
      expect(p.last).to.equal(40);
      for (const b of p.bars) expect(html, b.id).to.include(`<g class="bar" data-ns="${b.id}"`);
      const holderRects = html.match(/<rect class="holder"/g) ?? [];
      expect(holderRects.length).to.equal(p.bars.reduce((n, b) => n + b.holders.length, 0));
      for (const k of Object.keys(HOLDER_KINDS)) expect(html, k).to.include(`data-kind="${k}" class=`);
    });
  });

  describe('procns show (the command)', () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-show-cli-')); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('--help: exit 0, no file written', async () => {
      const r = await runCli(['show', P1_REPLAY, '-o', path.join(dir, 'x.html'), '--help']);
      expect(r.code).to.equal(0);
      expect(r.lines[0]).to.match(/^usage: procns show <replay\|trace\|scenario>/);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });

    it('writes the file atomically and --json says what was written', async () => {
      const out = path.join(dir, 'p1.html');
      const r = await runCli(['show', P1_REPLAY, '-o', out, '--json']);
      expect(r.code).to.equal(0);
      expect(r.lines.length).to.equal(1);
      const doc = JSON.parse(r.text) as Record<string, unknown>;
      expect(doc).to.include({ command: 'show', what: 'replay', file: out, bytes: fs.statSync(out).size, steps: 4, tasks: 2, namespaces: 6 });
      expect(doc.highlight).to.include({ step: 4, kind: 'violation' });
      expect(fs.readdirSync(dir)).to.deep.equal(['p1.html']);
    });

    it('bad input: one line, exit 2, nothing written', async () => {
      const notTrace = path.join(dir, 'bad.jsonl');
      fs.writeFileSync(notTrace, '{"procns":1,"scenario":"ip-netns","profile":"v3.0"}\n{"step":2}\n');
      const cases: [string[], RegExp][] = [
        [['show', P1_REPLAY], /-o FILE is required/],
        [['show', P1_REPLAY, '-o', path.join(dir, 'a.html'), '--bogus'], /Unknown option '--bogus'/],
        [['show', 'no-such-scenario', '-o', path.join(dir, 'a.html')], /no scenario 'no-such-scenario'/],
        [['show', P1_REPLAY, '--profile', 'v3.8', '-o', path.join(dir, 'a.html')], /a replay runs under its own profile/],
        [['show', 'ip-netns', '--profile', 'v9', '-o', path.join(dir, 'a.html')], /unknown profile/],
        [['show', notTrace, '-o', path.join(dir, 'a.html')], /malformed trace, line 2/],
        [['show', P1_REPLAY, '-o', dir], /is a directory/],
      ];
      for (const [argv, re] of cases) {
        const r = await runCli(argv);
        expect(r.code, argv.join(' ')).to.equal(2);
        expect(r.lines.length, argv.join(' ')).to.equal(1);
        expect(r.text, argv.join(' ')).to.match(re);
      }
      expect(fs.readdirSync(dir)).to.deep.equal(['bad.jsonl']);
    });
  });
});
