// procns check: the emulator's own traces are accepted under their profile; real-kernel traces
// are accepted by nsfs and rejected by 3.0 where 3.0 differs; mutations are caught; malformed
// input is exit 2, never a crash.
import { expect } from 'chai';
import { runCli } from '../helpers';
import seedrandom from 'seedrandom';
import { checkTrace, checkTraceFile, CheckResult } from '../../oracle/check';
import { recordLinux } from '../../oracle/recordLinux';
import { listScenarios, runScenario, expectationFor } from '../../scenarios/runner';
import { makeProfile, Profile } from '../../kernel/profile';
import { toJsonl, TraceStep } from '../../oracle/trace';
import { Scenario } from '../../scenarios/format';
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function emulatorTrace(sc: Scenario, profile: string): string {
  const r = runScenario(sc, makeProfile(profile) as Profile);
  return toJsonl({ procns: 1, profile, scenario: sc.name, source: 'procns' }, r.trace);
}

function lines(text: string): Record<string, unknown>[] {
  return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function unlines(objs: Record<string, unknown>[]): string {
  return objs.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

describe('procns check: emulator traces', () => {
  for (const sc of listScenarios()) {
    for (const p of sc.applies) {
      it(`${sc.name}: the ${p} trace agrees with ${p}`, () => {
        expect(checkTrace(emulatorTrace(sc, p), p)).to.deep.equal({ verdict: 'agrees', steps: sc.steps.length });
      });
    }
  }

  it('a v3.0 trace of the stale-ns-dentry counterexample is rejected by v3.8 at the step that names the old namespace', () => {
    const sc = listScenarios().find((s) => s.name === 'stale-ns-dentry') as Scenario;
    const r = checkTrace(emulatorTrace(sc, 'v3.0'), 'v3.8');
    expect(r.verdict).to.equal('diverges');
    const d = r as Extract<CheckResult, { verdict: 'diverges' }>;
    expect(d.step).to.equal(7); // @fdis: the fd opened after the unshare is the old namespace
    expect(d.what).to.contain('a different namespace');
    expect(d.observed).to.contain('"same":false');
  });
});

describe('procns check: real-kernel traces (recorded as root on this machine)', function () {
  this.timeout(120000);
  const traces = new Map<string, string>();

  before(async function () {
    for (const sc of listScenarios().filter((s) => s.applies.includes('nsfs'))) {
      const rec = await recordLinux(sc);
      if ('skipped' in rec) {
        console.log(`      (record-linux skipped: ${rec.skipped})`);
        this.skip();
      }
      traces.set(sc.name, toJsonl(rec.header, rec.steps));
    }
  });

  for (const sc of listScenarios().filter((s) => s.applies.includes('nsfs'))) {
    it(`${sc.name}: nsfs accepts the real trace, alive/dead observations included`, () => {
      const r = checkTrace(traces.get(sc.name) as string, 'nsfs');
      expect(r, JSON.stringify(r)).to.deep.equal({ verdict: 'agrees', steps: sc.steps.length });
    });

    if (sc.applies.includes('v3.0')) {
      // where the scenario's own expectations (from the kernel sources) part, 3.0 must be caught
      const firstDiff = sc.steps.findIndex((st) => JSON.stringify(expectationFor(st, 'v3.0')) !== JSON.stringify(expectationFor(st, 'nsfs')));
      it(`${sc.name}: v3.0 ${firstDiff < 0 ? 'also allows the real trace' : `rejects the real trace at step ${firstDiff + 1}`}`, () => {
        const r = checkTrace(traces.get(sc.name) as string, 'v3.0');
        if (firstDiff < 0) expect(r.verdict, JSON.stringify(r)).to.equal('agrees');
        else expect(r, JSON.stringify(r)).to.include({ verdict: 'diverges', step: firstDiff + 1 });
      });
    }
  }

  it('a real trace with one errno changed is rejected at that step', () => {
    const objs = lines(traces.get('zombie-lookup') as string);
    const i = objs.findIndex((o) => o.errno === 'ENOENT');
    objs[i].errno = 'ESRCH';
    expect(checkTrace(unlines(objs), 'nsfs')).to.include({ verdict: 'diverges', step: objs[i].step as number });
  });

  it('a real trace that reports a namespace alive after its last holder went is rejected at that step', () => {
    const objs = lines(traces.get('bind-mount-ns') as string);
    const i = objs.findIndex((o) => o.op === '@alive' && (o.obs as { alive: boolean }).alive === false);
    (objs[i].obs as { alive: boolean }).alive = true;
    const r = checkTrace(unlines(objs), 'nsfs');
    expect(r).to.include({ verdict: 'diverges', step: objs[i].step as number });
    expect((r as { what: string }).what).to.contain('a different liveness');
  });
});

describe('procns check: malformed input', () => {
  const sc = listScenarios().find((s) => s.name === 'readdir-ns') as Scenario;
  const good = emulatorTrace(sc, 'v3.8');
  const cases: [string, string, number, RegExp][] = [
    ['not JSON', good.replace(/\n/, '\n{oops\n'), 2, /not JSON/],
    ['no header', good.split('\n').slice(1).join('\n'), 1, /header: .*required property 'procns'/],
    ['a step out of order', good.replace('"step":2,', '"step":5,'), 3, /"step" must be 2/],
    ['both ret and errno', good.replace('"ret":"B"', '"ret":"B","errno":"EPERM"'), 2, /must match exactly one schema/],
    ['an unknown scenario', good.replace('"scenario":"readdir-ns"', '"scenario":"nope"'), 1, /unknown scenario/],
    ['an unknown profile', good.replace('"profile":"v3.8"', '"profile":"v9"'), 1, /unknown profile/],
    ['a truncated trace', good.split('\n').slice(0, 4).join('\n'), 5, /has 3 steps/],
    ['a step of another scenario', good.replace('"op":"fork"', '"op":"exit"'), 2, /is not scenario/],
    ['a ret symbol with no number (the schema is the one validator)', good.replace('"ret":"B"', '"ret":"fd#"'), 2, /^\/ret: /],
    ['an unknown observation', good.replace('"obs":{"dirents"', '"obs":{"color":1,"dirents"'), 4, /\/obs: must NOT have additional properties 'color'/],
  ];
  for (const [what, text, line, msg] of cases) {
    it(`${what}: exit 2 at line ${line}`, () => {
      const r = checkTrace(text);
      expect(r.verdict).to.equal('malformed');
      expect(r).to.include({ line });
      expect((r as { reason: string }).reason).to.match(msg);
    });
  }
});

describe('procns check: 10,000 mutated traces (seed "procns-check-fuzz")', function () {
  this.timeout(120000);
  it('every mutant is rejected (exit 1 or 2) with a message, none crashes the checker', () => {
    const rng = seedrandom('procns-check-fuzz');
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
    const bases = listScenarios().flatMap((sc) => sc.applies.map((p) => ({ sc, p, text: emulatorTrace(sc, p) })));
    const errnos = ['EPERM', 'ENOENT', 'ESRCH', 'EBADF', 'EACCES', 'EINVAL', 'EBUSY', 'ESPIPE'];
    const mutate = (text: string): string => {
      const ls = text.trim().split('\n');
      const i = 1 + Math.floor(rng() * (ls.length - 1));
      const o = JSON.parse(ls[i]) as TraceStep & Record<string, unknown>;
      switch (Math.floor(rng() * 9)) {
        case 0: // another errno, or an errno where there was a result
          if (o.errno) o.errno = pick(errnos.filter((e) => e !== o.errno)); else { delete o.ret; o.errno = pick(errnos); }
          break;
        case 1: // a result where there was an errno, or a different result (not the length of a
          // pipe's readlink text: its inode number's digits are the implementation's, so free)
          if (o.errno) { delete o.errno; o.ret = 0; } else if (/^pipe:/.test(String(o.obs?.text))) { delete o.ret; o.errno = 'EINVAL'; } else o.ret = typeof o.ret === 'number' ? o.ret + 1 + Math.floor(rng() * 5) : `${String(o.ret)}x`;
          break;
        case 2: // flip a liveness or identity observation, else drop the step
          if (o.obs?.alive !== undefined) o.obs.alive = !o.obs.alive;
          else if (o.obs?.same !== undefined) o.obs.same = !o.obs.same;
          else return [...ls.slice(0, i), ...ls.slice(i + 1)].join('\n');
          break;
        case 3: return ls.slice(0, i).join('\n') + '\n' + ls[i].slice(0, Math.floor(rng() * ls[i].length));
        case 4: return [...ls.slice(0, i), ls[i], ...ls.slice(i)].join('\n'); // a duplicated line
        case 5: o.step = (o.step as number) + 1 + Math.floor(rng() * 3); break;
        case 6: o.task = pick(['Z', '', 'A', 'B', 'C'].filter((t) => t !== o.task)); break;
        case 7: o.args = { ...o.args, extra: rng() }; break;
        default: { // a wrong type in a random field
          const key = pick(Object.keys(o));
          (o as Record<string, unknown>)[key] = pick([null, [], {}, 'x', -1, true]);
        }
      }
      ls[i] = JSON.stringify(o);
      return ls.join('\n');
    };
    let ones = 0;
    let twos = 0;
    for (let n = 0; n < 10000; n++) {
      const b = pick(bases);
      let text = mutate(b.text);
      while (text.trim() === b.text.trim()) text = mutate(b.text); // a mutation that changed nothing is no mutant
      const r = checkTrace(text, b.p);
      if (r.verdict === 'agrees') expect.fail(`mutant ${n} of ${b.sc.name}/${b.p} was accepted:\n${text}`);
      const msg = r.verdict === 'diverges' ? r.what : r.reason;
      expect(msg, `mutant ${n}`).to.be.a('string').and.not.equal('');
      if (r.verdict === 'diverges') ones++; else twos++;
    }
    expect(ones + twos).to.equal(10000);
    expect(ones).to.be.greaterThan(1000);
    expect(twos).to.be.greaterThan(1000);
  });
});

describe('procns check (the command)', () => {
  const run = runCli;
  const file = path.join(os.tmpdir(), `procns-check-${process.pid}.jsonl`);
  after(() => { if (fs.existsSync(file)) fs.unlinkSync(file); });

  it('exit 0 for an agreeing trace, 1 with the step for a divergent one, 2 with the line for garbage', async () => {
    const sc = listScenarios().find((s) => s.name === 'stale-ns-dentry') as Scenario;
    fs.writeFileSync(file, emulatorTrace(sc, 'v3.0'));
    expect((await run(['check', file, '--profile', 'v3.0'])).code).to.equal(0);
    const d = await run(['check', file, '--profile', 'v3.8']);
    expect(d.code).to.equal(1);
    expect(d.text).to.match(/^diverges at step 7: B @fdis/);
    fs.writeFileSync(file, '{"procns":1,"scenario":"stale-ns-dentry"}\n\u0000garbage\n');
    const m = await run(['check', file, '--profile', 'v3.8']);
    expect(m.code).to.equal(2);
    expect(m.text).to.match(/^malformed trace, line 2: not JSON/);
  });

  it('a missing file is exit 2 with a message, not a stack trace', async () => {
    const r = await run(['check', '/nonexistent/trace.jsonl']);
    expect(r.code).to.equal(2);
    expect(r.text).to.match(/^procns check: ENOENT/);
    expect(r.text).to.not.match(/\n\s+at /);
  });
});

describe('procns check: self-contained traces', function () {
  this.timeout(60000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-selfc-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const capture = runCli;

  it('a trace from run --fix (or --inject) carries its flags, and check agrees with it', async () => {
    const file = path.join(dir, 'fix.jsonl');
    const r = await capture(['run', 'stale-ns-dentry', '--profile', 'v3.0', '--fix', 'stale-ns-dentry', '--trace', file]);
    const header = lines(fs.readFileSync(file, 'utf8'))[0];
    expect(header).to.include({ profile: 'v3.0', scenario: 'stale-ns-dentry' });
    expect(header.fix).to.deep.equal(['stale-ns-dentry']);
    const c = await capture(['check', file]);
    expect(c.code, `${r.text}\n${c.text}`).to.equal(0);
  });

  it('the scenario travels inlined: a scenario no procns has is checked; a changed one is malformed', async () => {
    const sc = { ...(listScenarios().find((s) => s.name === 'ip-netns') as Scenario), name: 'my-own' };
    const scFile = path.join(dir, 'my-own.json');
    fs.writeFileSync(scFile, JSON.stringify(sc));
    const file = path.join(dir, 'own.jsonl');
    await capture(['run', scFile, '--profile', 'v3.8', '--trace', file]);
    fs.rmSync(scFile);
    expect((await capture(['check', file])).code).to.equal(0);
    const recs = lines(fs.readFileSync(file, 'utf8'));
    (recs[0].doc as Scenario).description = 'changed';
    fs.writeFileSync(file, recs.map((o) => JSON.stringify(o)).join('\n'));
    const m = await capture(['check', file]);
    expect(m.code).to.equal(2);
    expect(m.text).to.match(/does not match its "sha256"/);
  });

  it('a scenario name is never looked up on the file system (/dev/zero, a FIFO, a directory)', () => {
    for (const name of ['/dev/zero', '/tmp', 'scenarios', '../scenarios/ip-netns']) {
      const r = checkTrace(`{"procns":1,"profile":"nsfs","scenario":${JSON.stringify(name)}}\n`);
      expect(r, name).to.deep.include({ verdict: 'malformed', line: 1 });
      expect((r as { reason: string }).reason, name).to.match(/unknown scenario/);
    }
  });
});

describe('procns check: streaming', function () {
  this.timeout(60000);
  const sc = listScenarios().find((s) => s.name === 'stale-ns-dentry') as Scenario;

  it('the first divergence is reported even when a malformed line comes after it', () => {
    const good = emulatorTrace(sc, 'v3.0');
    const ls = good.trim().split('\n');
    const r = checkTrace([...ls, '{not json'].join('\n'), 'v3.8');
    expect(r.verdict).to.equal('diverges');
  });

  it('the order of the arguments in a step does not matter', () => {
    const good = emulatorTrace(sc, 'v3.0');
    const ls = good.trim().split('\n').map((l, i) => {
      if (i === 0) return l;
      const o = JSON.parse(l) as TraceStep;
      o.args = Object.fromEntries(Object.entries(o.args).reverse());
      return JSON.stringify(o);
    });
    expect(checkTrace(ls.join('\n'), 'v3.0').verdict).to.equal('agrees');
  });

  it('a file is streamed: /dev/zero (one endless line) is malformed at once, a FIFO is read as it comes', async function () {
    const z = await checkTraceFile('/dev/zero');
    expect(z).to.deep.include({ verdict: 'malformed', line: 1 });
    const good = emulatorTrace(sc, 'v3.0');
    const fifo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'procns-fifo-')), 'trace');
    if (child_process.spawnSync('mkfifo', [fifo]).status !== 0) this.skip();
    const writer = child_process.spawn('sh', ['-c', 'cat > "$1"', 'sh', fifo], { stdio: ['pipe', 'ignore', 'ignore'] });
    writer.stdin.end(good);
    expect(await checkTraceFile(fifo, 'v3.0')).to.deep.equal({ verdict: 'agrees', steps: sc.steps.length });
    fs.rmSync(path.dirname(fifo), { recursive: true, force: true });
  });
});
