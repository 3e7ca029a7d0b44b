// --jobs and --shard: results that do not depend on how many threads or machines ran them.
// fuzz() (one fast-check check over the whole campaign, as before there were workers) is the
// reference: the runs spread over 1, 2 or 3 threads, or over shards merged, must give its
// runs, steps and failure exactly, and the CLI the same --json and replay file bytes.
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { replayDirPerTest, runCli } from './helpers';
import { fuzz, FuzzOptions } from '../properties/fuzz';
import { fuzzRange } from '../cli/parallel';
import { createPool, inOrder, Pool } from '../cli/pool';
import { parseShard, shardOf, shardRange } from '../cli/shard';

describe('--jobs and --shard', function () {
  this.timeout(300000);
  const replayDir = replayDirPerTest('procns-parallel-');
  let dir: string;
  beforeEach(() => { dir = replayDir(); });

  /** Run a command with its replay files in `sub` of the test's folder; its --json and the files' bytes. */
  async function jsonRun(argv: string[], sub: string): Promise<{ code: number; json: string; files: Record<string, string> }> {
    const where = path.join(dir, sub);
    fs.mkdirSync(where, { recursive: true });
    process.env.PROCNS_REPLAY_DIR = where;
    const { code, lines } = await runCli([...argv, '--json']);
    expect(lines, argv.join(' ')).to.have.length(1);
    const files = Object.fromEntries(fs.readdirSync(where).sort().map((f) => [f, fs.readFileSync(path.join(where, f), 'utf8')]));
    return { code, json: lines[0], files };
  }

  it('a campaign over 1, 2 or 3 threads gives fuzz()\'s runs, steps and shrunk failure, failing early, late or never', async () => {
    const pools: Pool[] = [createPool(1), createPool(2), createPool(3)];
    try {
      const campaigns: FuzzOptions[] = [
        { profile: 'seed', seed: 1, runs: 300, steps: 40, properties: ['P2'] }, // fails at run 9
        { profile: 'v3.0', seed: 8, runs: 300, steps: 40, properties: ['P3'] }, // fails at run 201
        { profile: 'v3.8', seed: 2, runs: 60, steps: 40 }, // holds
      ];
      for (const o of campaigns) {
        const want = fuzz(o);
        for (const pool of pools) {
          expect(await fuzzRange(o, 0, o.runs, pool), `${o.profile} seed ${o.seed}, ${pool.jobs} jobs`).to.deep.equal(want);
        }
      }
      expect(campaigns.map((o) => fuzz(o).failure?.path.split(':')[0] ?? null)).to.deep.equal(['9', '201', null]);
    } finally {
      for (const p of pools) await p.close();
    }
  });

  it('fuzz --jobs 1 and --jobs 3: the same --json and the same replay file, byte for byte', async () => {
    const argv = ['fuzz', '--profile', 'v3.0', '--seed', '8', '--runs', '300', '--property', 'P3'];
    const one = await jsonRun([...argv, '--jobs', '1'], 'one');
    const three = await jsonRun([...argv, '--jobs', '3'], 'three');
    expect(one.code).to.equal(1);
    expect(three.code).to.equal(1);
    expect(three.json.replaceAll('/three/', '/one/')).to.equal(one.json);
    expect(Object.keys(one.files)).to.deep.equal(['v3.0-P3-seed8-only-P3.json']);
    expect(three.files).to.deep.equal(one.files);
  });

  it('fuzz --shard 1/3, 2/3, 3/3 merged: one unsharded run\'s --json, byte for byte, and its replay file', async () => {
    // seed 8 fails at run 201: in the third shard, after two that hold
    const argv = ['fuzz', '--profile', 'v3.0', '--seed', '8', '--runs', '300', '--property', 'P3'];
    const whole = await jsonRun(argv, 'merged');
    const parts: string[] = [];
    for (const k of [1, 2, 3]) {
      const r = await jsonRun([...argv, '--shard', `${k}/3`, '--jobs', String(k)], `shard${k}`);
      expect(r.code, `shard ${k}`).to.equal(k === 3 ? 1 : 0);
      parts.push(path.join(dir, `shard${k}.json`));
      fs.writeFileSync(parts[k - 1], r.json);
    }
    const merged = await jsonRun(['merge', parts[2], parts[0], parts[1]], 'merged');
    expect(merged.code).to.equal(1);
    expect(merged.json).to.equal(whole.json);
    expect(merged.files).to.deep.equal(whole.files);
  });

  it('verdicts: --jobs 1, --jobs 2 and three shards merged give the same table and --json', async () => {
    const argv = ['verdicts', '--runs', '40'];
    // --jobs 1 runs the campaigns in its own thread: in a process of its own, as procns runs, for
    // this one's has run leaky-global in other tests, and P8's row on it reports that leak
    fs.mkdirSync(path.join(dir, 'v'));
    const oneRun = child_process.spawnSync(process.execPath, [path.join(__dirname, '..', 'cli', 'main.js'), ...argv, '--jobs', '1', '--json'],
      { env: { ...process.env, PROCNS_REPLAY_DIR: path.join(dir, 'v') }, encoding: 'utf8' });
    const one = { code: oneRun.status, json: oneRun.stdout.replace(/\n$/, '') };
    const rows = (JSON.parse(one.json) as { rows: { got: string }[] }).rows;
    expect(rows.filter((r) => r.got === 'counterexample').length, 'counterexamples in the table').to.be.greaterThan(2);
    const parts = [];
    for (const k of [1, 2, 3]) {
      const r = await jsonRun([...argv, '--shard', `${k}/3`, '--jobs', '2'], 'v');
      parts.push(path.join(dir, `v${k}.json`));
      fs.writeFileSync(parts[k - 1], r.json);
    }
    const merged = await jsonRun(['merge', ...parts], 'v');
    expect(merged.code).to.equal(one.code);
    expect(merged.json).to.equal(one.json);
    const text = await runCli([...argv, '--jobs', '2']);
    const mergedText = await runCli(['merge', ...parts]);
    expect(mergedText.lines[0]).to.equal('merge: 3 shards of verdicts');
    expect(mergedText.lines.slice(1)).to.deep.equal(text.lines);
    expect(text.code).to.equal(one.code);
  });

  it('docs/ci-sharding.md\'s GitHub Actions workflow: its matrix of shards, merged, is one unsharded run', async () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'ci-sharding.md'), 'utf8');
    const workflow = /```yaml\n(name: nightly-fuzz[\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const matrix = (/shard: \[([\d, ]+)\]/.exec(workflow)?.[1] ?? '').split(',').map((x) => x.trim());
    const shardLine = /npx procns (fuzz [^>]*?) --json > (.*?) \|\|/.exec(workflow);
    const mergeLine = /npx procns (merge [^\n]*)/.exec(workflow);
    expect(matrix).to.deep.equal(['1', '2']);
    expect(shardLine, 'the shards\' procns line').to.not.equal(null);
    expect(mergeLine, 'the merge\'s procns line').to.not.equal(null);
    const vars = (s: string, shard: string): string => s.replaceAll('${{ matrix.shard }}', shard).replaceAll('${{ github.run_number }}', '1');
    const results = path.join(dir, 'results');
    fs.mkdirSync(results);
    for (const shard of matrix) {
      const r = await jsonRun(vars((shardLine as RegExpExecArray)[1], shard).split(' '), 'ci');
      fs.writeFileSync(path.join(dir, vars((shardLine as RegExpExecArray)[2], shard)), r.json);
    }
    const files = fs.readdirSync(results).sort().map((f) => path.join(results, f));
    const mergeArgv = (mergeLine as RegExpExecArray)[1].split(' ').flatMap((w) => (w === 'results/*.json' ? files : [w]));
    const save = mergeArgv.indexOf('--save');
    mergeArgv.splice(save, 2);
    const merged = await jsonRun(mergeArgv, 'ci');
    const whole = await jsonRun(vars((shardLine as RegExpExecArray)[1], '').replace(/ --shard \S+/, '').split(' '), 'ci');
    expect(merged.json).to.equal(whole.json);
    expect(JSON.parse(whole.json)).to.include({ command: 'fuzz', runs: 400, seed: 1 });
  });

  it('merge refuses, in one line and exit 2, a missing or repeated shard, another seed, another procns, a file that is no shard', async () => {
    const argv = ['fuzz', '--profile', 'v3.8', '--runs', '30'];
    const write = async (name: string, extra: string[]): Promise<string> => {
      const r = await jsonRun([...argv, ...extra], 'refused');
      const file = path.join(dir, name);
      fs.writeFileSync(file, r.json);
      return file;
    };
    const a1 = await write('a1.json', ['--seed', '1', '--shard', '1/2']);
    const a2 = await write('a2.json', ['--seed', '1', '--shard', '2/2']);
    const b2 = await write('b2.json', ['--seed', '2', '--shard', '2/2']);
    const unsharded = await write('u.json', ['--seed', '1']);
    const other = path.join(dir, 'other.json');
    fs.writeFileSync(other, fs.readFileSync(a2, 'utf8').replace(/"commit":"[0-9a-f]+"/, '"commit":"0000000000000000000000000000000000000000"').replace(/"procns":"[^"]*"}/, '"procns":"0.0.9","commit":"0000000000000000000000000000000000000000"}'));
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, fs.readFileSync(a2, 'utf8').replace('"failure":null', '"failure":{"kind":"replay"}'));
    const cases: [string[], RegExp][] = [
      [[a1], /shard 2\/2 missing/],
      [[a1, broken], /broken\.json: not the --json result .*\/failure: must have required property/],
      [[a1, a2, a2], /shard 2\/2 is given twice/],
      [[a1, b2], /another run .*its seed is 2, not 1/],
      [[a1, other], /another procns/],
      [[a1, unsharded], /not the --json result of a fuzz or verdicts --shard run/],
      [[a1, path.join(dir, 'nowhere.json')], /nowhere\.json/],
    ];
    for (const [files, re] of cases) {
      const { code, lines } = await runCli(['merge', ...files]);
      expect(code, files.join(' ')).to.equal(2);
      expect(lines, files.join(' ')).to.have.length(1);
      expect(lines[0], files.join(' ')).to.match(re);
    }
    expect((await runCli(['merge', a2, a1])).code).to.equal(0);
  });

  it('the shard from --shard or the CI system\'s environment; --shard wins; bad values are one line', async () => {
    expect(parseShard('2/3')).to.deep.equal({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '1/x', '1', '-1/2', '1/2/3']) expect(parseShard(bad), bad).to.be.a('string');
    const gitlab = { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '3' };
    expect(shardOf(undefined, undefined, gitlab)).to.deep.equal({ index: 2, count: 3 });
    expect(shardOf(undefined, undefined, { BUILDKITE_PARALLEL_JOB: '1', BUILDKITE_PARALLEL_JOB_COUNT: '3' })).to.deep.equal({ index: 2, count: 3 });
    expect(shardOf(undefined, '3', { JOB_COMPLETION_INDEX: '1' })).to.deep.equal({ index: 2, count: 3 });
    expect(shardOf(undefined, undefined, { JOB_COMPLETION_INDEX: '1', PROCNS_SHARD_COUNT: '3' })).to.deep.equal({ index: 2, count: 3 });
    expect(shardOf('1/2', undefined, gitlab)).to.deep.equal({ index: 1, count: 2 });
    expect(shardOf(undefined, undefined, {})).to.equal(null);
    for (const env of [{ CI_NODE_INDEX: '0', CI_NODE_TOTAL: '3' }, { CI_NODE_INDEX: '1' }, { JOB_COMPLETION_INDEX: '3', PROCNS_SHARD_COUNT: '3' },
      { JOB_COMPLETION_INDEX: '0' }, { BUILDKITE_PARALLEL_JOB: 'x', BUILDKITE_PARALLEL_JOB_COUNT: '2' }]) {
      expect(shardOf(undefined, undefined, env), JSON.stringify(env)).to.be.a('string');
    }
    expect(shardOf(undefined, '3', {})).to.match(/JOB_COMPLETION_INDEX is not set/);
    // the parts are contiguous, cover every run once, and differ in size by one at most
    for (const [total, n] of [[500, 3], [2, 3], [33, 33], [1000000, 7]]) {
      const ranges = Array.from({ length: n }, (_, i) => shardRange(total, { index: i + 1, count: n }));
      expect(ranges[0].first).to.equal(0);
      expect(ranges[n - 1].end).to.equal(total);
      for (let i = 1; i < n; i++) expect(ranges[i].first).to.equal(ranges[i - 1].end);
      const sizes = ranges.map((r) => r.end - r.first);
      expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1);
    }
    for (const [env, argv, re] of [
      [{ CI_NODE_INDEX: '4', CI_NODE_TOTAL: '3' }, ['fuzz'], /CI_NODE_INDEX=4 .*from 1 to 3/],
      [{}, ['fuzz', '--shard', '3/2'], /--shard 3\/2/],
      [{}, ['verdicts', '--jobs', '0'], /--jobs takes a whole number from 1 to 256/],
      [{}, ['fuzz', '--property', 'P8', '--shard', '1/2'], /--shard splits the runs of the step properties; P8/],
    ] as [Record<string, string>, string[], RegExp][]) {
      Object.assign(process.env, env);
      try {
        const { code, lines } = await runCli(argv);
        expect(code, argv.join(' ')).to.equal(2);
        expect(lines, argv.join(' ')).to.have.length(1);
        expect(lines[0]).to.match(re);
      } finally {
        for (const k of Object.keys(env)) delete process.env[k];
      }
    }
  });

  it('inOrder hands items out in order and reports them in order, whatever order they end in', async () => {
    const ended: number[] = [];
    const reported: number[] = [];
    const delays = [30, 5, 20, 1, 10, 0, 15];
    await inOrder(delays.length, 3, (i) => new Promise<number>((resolve) => setTimeout(() => { ended.push(i); resolve(i * i); }, delays[i])),
      (i, r) => reported.push(i, r as number));
    expect(ended).to.not.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(reported).to.deep.equal([0, 0, 1, 1, 2, 4, 3, 9, 4, 16, 5, 25, 6, 36]);
  });

  it('a task that throws in a worker rejects its promise with the message; the pool goes on', async () => {
    const pool = createPool(2);
    try {
      const bad = pool.run('scan', { o: { profile: 'no-such-profile', seed: 1, runs: 1, steps: 1 }, first: 0, count: 1, stop: new Int32Array(new SharedArrayBuffer(4)) });
      await bad.then(() => expect.fail('resolved'), (e: Error) => expect(e.message).to.match(/no-such-profile/));
      const stop = new Int32Array(new SharedArrayBuffer(4));
      stop[0] = 10;
      expect((await pool.run('scan', { o: { profile: 'v3.8', seed: 1, runs: 10, steps: 10 }, first: 0, count: 10, stop })).ran).to.equal(10);
    } finally {
      await pool.close();
    }
  });
});
