// P8, determinism: a campaign's digest is the same twice in one process and in a fresh one;
// leaky-global (state that outlives a world) is caught by each comparison on its own.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CAMPAIGNS } from '../properties/fuzz';
import { CampaignOptions, digestCampaign, digestInFreshProcess, DIGEST_SCRIPT, firstDifference } from '../properties/digest';
import { propertyNamed } from '../properties/checks';
import { OPS, SWARM_FEATURES } from '../properties/commands';
import { boot, sys, runCli } from './helpers';

const P8 = propertyNamed('P8');

/** A small campaign of v3.8, with or without leaky-global. */
function campaign(inject: string[], seed = 1, runs = 20): CampaignOptions {
  return { profile: 'v3.8', fix: [], inject, seed, runs, steps: 40 };
}

/** A world of that profile, booted and used: under leaky-global it moves the process-wide counter. */
function useAWorld(inject: string[]): void {
  const k = boot('v3.8', [], inject);
  sys(k, k.init, 'stat', { path: '/proc/1/ns' });
}

describe('P8: determinism, by digest', function () {
  this.timeout(120000);

  it('the fresh process runs the compiled digest entry point', () => {
    expect(fs.existsSync(DIGEST_SCRIPT), DIGEST_SCRIPT).to.equal(true);
  });

  it('holds on v3.8: two campaigns here and one in a fresh process give one digest', () => {
    const r = P8?.run?.check(campaign([]), CAMPAIGNS);
    expect(r?.message, r?.message ?? '').to.equal(null);
    expect(r?.runs).to.equal(60);
  });

  it('leaky-global: two campaigns in one process differ, with the same runs and steps (what the old P8 compared)', () => {
    const o = campaign(['leaky-global']);
    const a = digestCampaign(o, CAMPAIGNS, true);
    const b = digestCampaign(o, CAMPAIGNS, true);
    expect([a.runs, a.steps]).to.deep.equal([b.runs, b.steps]);
    expect(a.digest).to.not.equal(b.digest);
    // where they part: a syscall that observed an inode number
    expect(firstDifference(a, b)).to.match(/^run \d+ first differs at its syscall \d+: .*"ino":\d+.* vs .*"ino":\d+/);
  });

  it('leaky-global: a fresh process differs from this one once this one has booted a world', () => {
    const o = campaign(['leaky-global']);
    useAWorld(['leaky-global']);
    const here = digestCampaign(o, CAMPAIGNS);
    const there = digestInFreshProcess(o);
    if (typeof there === 'string') expect.fail(there);
    expect(firstDifference(here, there)).to.match(/^run \d+ is the first to differ$/);
  });

  it('without the flag, the fresh process agrees with this one after the same world', () => {
    const o = campaign([]);
    useAWorld([]);
    const there = digestInFreshProcess(o);
    if (typeof there === 'string') expect.fail(there);
    expect(firstDifference(digestCampaign(o, CAMPAIGNS), there)).to.equal(null);
  });

  it('the digest sees a failure\'s shrinking and replay: seed (evict-null-put) agrees with itself, and not with another seed', () => {
    const a = digestCampaign({ profile: 'seed', seed: 1, runs: 200, steps: 40 }, CAMPAIGNS);
    const b = digestCampaign({ profile: 'seed', seed: 1, runs: 200, steps: 40 }, CAMPAIGNS);
    const c = digestCampaign({ profile: 'seed', seed: 2, runs: 200, steps: 40 }, CAMPAIGNS);
    expect(a.digest).to.equal(b.digest);
    expect(a.digest).to.not.equal(c.digest);
  });

  it('the P8 check fails under leaky-global, saying where', () => {
    const r = P8?.run?.check(campaign(['leaky-global']), CAMPAIGNS);
    expect(r?.message).to.match(/two campaigns of seed 1 in one process differ: run \d+ first differs/);
    // in this process worlds were booted before the campaign: the fresh process differs too
    expect(r?.message).to.match(/a fresh process differs from this one: run \d+ is the first to differ/);
  });

  for (const seed of [2, 3]) {
    it(`holds on v3.0, seed ${seed} (npm run p8-seeds checks seeds 1-30)`, () => {
      const r = P8?.run?.check({ ...campaign([], seed), profile: 'v3.0' }, CAMPAIGNS);
      expect(r?.message, r?.message ?? '').to.equal(null);
    });
  }
});

describe('procns fuzz --property P8', function () {
  this.timeout(120000);
  const replayDir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-p8-'));
  before(() => { process.env.PROCNS_REPLAY_DIR = replayDir; });
  after(() => {
    delete process.env.PROCNS_REPLAY_DIR;
    fs.rmSync(replayDir, { recursive: true, force: true });
  });
  const capture = runCli;

  it('--inject leaky-global exits 1 with where the campaigns part; the last line is the fuzz summary', async () => {
    const { code, text } = await capture(['fuzz', '--profile', 'v3.8', '--inject', 'leaky-global', '--property', 'P8', '--seed', '1', '--runs', '20']);
    expect(code, text).to.equal(1);
    expect(text).to.match(/^P8 failed on v3\.8 \(injected: leaky-global\): two campaigns of seed 1 in one process differ/);
    expect(text).to.match(/seed 1; again: procns fuzz --profile v3\.8 --inject leaky-global --property P8 --seed 1 --runs 20 --steps 40/);
    expect(text.split('\n').slice(-1)[0]).to.match(/^fuzz: 60 runs, \d+ steps, 1 failures$/);
  });

  it('without the flag it exits 0', async () => {
    const { code, text } = await capture(['fuzz', '--profile', 'v3.8', '--property', 'P8', '--seed', '1', '--runs', '20']);
    expect(code, text).to.equal(0);
    expect(text.split('\n').slice(-1)[0]).to.match(/^fuzz: 60 runs, \d+ steps, 0 failures$/);
  });

  it('a saved replay records its swarm mix and the procns that found it; replay shows them, the same each time', async () => {
    const { code } = await capture(['fuzz', '--profile', 'seed', '--seed', '1']);
    expect(code).to.equal(1);
    const file = path.join(replayDir, fs.readdirSync(replayDir).filter((f) => f.endsWith('.json')).sort()[0]);
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as { mix?: Record<string, number>; version?: { procns: string; commit?: string } };
    expect(Object.keys(r.mix ?? {}).sort()).to.deep.equal([...OPS, ...SWARM_FEATURES].sort());
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(r.version?.procns).to.equal(pkg.version);
    // a git checkout gives the commit; an export without .git gives none
    if (r.version?.commit !== undefined) expect(r.version.commit).to.match(/^[0-9a-f]{40}$/);
    const a = await capture(['replay', file]);
    const b = await capture(['replay', file]);
    expect(a.text).to.equal(b.text);
    expect(a.text.split('\n')[0]).to.match(/, found by procns \d+\.\d+\.\d+/);
  });
});
