// The command line as a script sees it: --help with no side effects, strict options, one line
// and exit 2 for bad input (never a stack trace, never exit 1), one JSON document with --json,
// replay files that are never overwritten by another counterexample.
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import seedrandom from 'seedrandom';
import { replayDirPerTest, runCli } from './helpers';
import { saveReplay } from '../cli/fuzz';
import { fuzz, replayRun, Replay, REPLAY_FORMAT } from '../properties/fuzz';

const capture = runCli;

describe('procns command line', function () {
  this.timeout(120000);
  const replayDir = replayDirPerTest('procns-cli-');
  let dir: string;
  beforeEach(() => { dir = replayDir(); });

  it('every command has its own --help: exit 0, its options listed, nothing written', async () => {
    for (const cmd of ['fuzz', 'replay', 'run', 'check', 'record-linux', 'record', 'list', 'verdicts', 'merge']) {
      const { code, lines } = await capture([cmd, '--help']);
      expect(code, cmd).to.equal(0);
      expect(lines[0], cmd).to.match(new RegExp(`^usage: procns ${cmd === 'record' ? 'record-linux' : cmd}`));
      expect(lines.join('\n'), cmd).to.match(/exit status: 0 ok; 1 found/);
    }
    expect((await capture(['fuzz', '--seed', '1', '--help'])).code).to.equal(0);
    expect(fs.readdirSync(dir), 'files written by --help').to.deep.equal([]);
  });

  it('a missing value, an unknown option, a value for a flag, a bad number: one line, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['fuzz', '--runs'], /--runs <value>' argument missing/],
      [['fuzz', '--bogus'], /Unknown option '--bogus'/],
      [['fuzz', '--runs=abc'], /--runs takes a whole number from 1 to 1000000/],
      [['fuzz', '--steps', '1e9'], /--steps takes a whole number from 1 to 1000/],
      [['fuzz', '--seed', String(2 ** 32)], /--seed takes a whole number from 0 to 4294967295/],
      [['fuzz', '--profile', 'constructor'], /unknown profile 'constructor'/],
      [['fuzz', '--profile', '__proto__'], /unknown profile '__proto__'/],
      [['verdicts', '--runs', 'abc'], /--runs takes a whole number/],
      [['list', '--scenarios=x'], /does not take an argument/],
      [['run'], /needs <scenario\|file\|replay>/],
      [['frob'], /unknown command 'frob'/],
    ];
    for (const [argv, re] of cases) {
      const { code, lines } = await capture(argv);
      expect(code, argv.join(' ')).to.equal(2);
      expect(lines, argv.join(' ')).to.have.length(1);
      expect(lines[0], argv.join(' ')).to.match(re);
    }
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('--k=v is --k v', async () => {
    const a = await capture(['fuzz', '--profile=v3.8', '--seed=3', '--runs=20', '--steps=10']);
    const b = await capture(['fuzz', '--profile', 'v3.8', '--seed', '3', '--runs', '20', '--steps', '10']);
    expect(a).to.deep.equal(b);
    expect(a.code).to.equal(0);
  });

  it('a passing fuzz prints its seed and the command that runs it again', async () => {
    const { code, lines } = await capture(['fuzz', '--profile', 'v3.8', '--runs', '10']);
    expect(code).to.equal(0);
    expect(lines.join('\n')).to.match(/seed \d+; again: procns fuzz --profile v3.8 --seed \d+ --runs 10 --steps 40/);
  });

  it('fuzz --json: one JSON document naming the failed property and the replay file', async () => {
    const { code, lines } = await capture(['fuzz', '--profile=seed', '--seed=1', '--runs=200', '--json']);
    expect(code).to.equal(1);
    expect(lines).to.have.length(1);
    const doc = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(doc.verdict).to.equal('counterexample');
    expect(doc.property).to.match(/^P[12]$/);
    expect(doc.seed).to.equal(1);
    expect(String(doc.replay)).to.match(/seed-P\d-seed1\.json$/);
    expect(fs.existsSync(String(doc.replay))).to.equal(true);
    const replay = await capture(['replay', String(doc.replay), '--json']);
    expect(replay.code).to.equal(1);
    expect((JSON.parse(replay.lines[0]) as Record<string, unknown>).verdict).to.equal('reproduced');
  });

  it('every command answers --json with one JSON document', async () => {
    for (const argv of [['list'], ['run', 'ip-netns', '--profile', 'v3.8'], ['verdicts', '--runs', '2', '--steps', '2']]) {
      const { lines } = await capture([...argv, '--json']);
      expect(lines, argv.join(' ')).to.have.length(1);
      expect(() => JSON.parse(lines[0]), argv.join(' ')).to.not.throw();
    }
  });

  it('verdicts --reporter junit -o FILE: a test case per verdict, failed where it is not the expected one', async () => {
    const file = path.join(dir, 'verdicts.xml');
    const { code, lines } = await capture(['verdicts', '--runs', '2', '--steps', '2', '--reporter', 'junit', '-o', file]);
    const xml = fs.readFileSync(file, 'utf8');
    const cases = xml.match(/<testcase /g) ?? [];
    const failures = xml.match(/<failure /g) ?? [];
    expect(cases.length).to.equal(lines.filter((l) => /^[ !] \S+\s+P\d/.test(l)).length);
    expect(failures.length).to.equal(lines.filter((l) => l.startsWith('!')).length);
    expect(xml).to.match(new RegExp(`tests="${cases.length}" failures="${failures.length}"`));
    expect(code).to.equal(failures.length ? 1 : 0);
  });

  it('export --as scenario: a counterexample as a scenario that runs on its profile and names the stale namespace', async () => {
    const reg = path.resolve(__dirname, '..', '..', 'scenarios', 'regressions', 'v3.0-P3-seed1-only-P3.json');
    const file = path.join(dir, 'p3.json');
    expect((await capture(['export', reg, '--as', 'scenario', '-o', file])).code).to.equal(0);
    const sc = JSON.parse(fs.readFileSync(file, 'utf8')) as { applies: string[]; steps: { op: string; expect?: { same?: boolean } }[] };
    expect(sc.applies).to.deep.equal(['v3.0']);
    // stale-ns-dentry, as a check any implementation answers: the fd names a namespace its task has left
    expect(sc.steps.filter((st) => st.op === '@fdis').map((st) => st.expect?.same)).to.include(false);
    expect((await capture(['run', file, '--profile', 'v3.0'])).code).to.equal(0);
    expect((await capture(['run', file, '--profile', 'v3.0', '--fix', 'stale-ns-dentry'])).code, 'the fixed kernel differs').to.equal(1);
  });

  it('run takes a replay file as well, exported as a scenario on the way', async () => {
    const reg = path.resolve(__dirname, '..', '..', 'scenarios', 'regressions', 'v3.0-P3-seed1-only-P3.json');
    const { code, lines } = await capture(['run', reg]);
    expect(code, lines.join('\n')).to.equal(0);
    expect(lines[0]).to.equal('scenario v3.0-P3-seed1-only-P3 on v3.0');
  });

  it('export: a failure that needs its interleaving is refused in one line; --as mocha is an it() that replays it', async () => {
    const reg = path.resolve(__dirname, '..', '..', 'scenarios', 'regressions');
    // a race: task 2's open of /proc/<1>/ns/net preempted after ns_ops->get() (its third race
    // point) while task 1 exits and init reaps it; without the revalidate the open succeeds
    const race: Replay = {
      procns: REPLAY_FORMAT, kind: 'replay', profile: 'v3.0', fix: ['stale-ns-dentry'], inject: ['no-revalidate-race-check'],
      properties: ['P5'], seed: 0, path: '', expect: null,
      commands: [
        { t: 'call', task: 0, call: { op: 'clone', flags: 0, as: 1 } },
        { t: 'call', task: 0, call: { op: 'clone', flags: 0, as: 2 } },
        { t: 'race', task: 2, call: { op: 'open', path: { kind: 'ns', target: 1, ns: 'net', self: false }, flags: 0 }, at: 3,
          then: [{ who: 'target', call: { op: 'exit' } }, { who: 'parent', call: { op: 'wait', child: 1 } }] },
      ],
    };
    const shown = replayRun(race);
    expect(shown.violation?.property).to.equal('P5');
    race.expect = { property: 'P5', message: shown.violation?.message ?? '' };
    const raceFile = path.join(dir, 'race.json');
    fs.writeFileSync(raceFile, JSON.stringify(race));
    const inter = (await capture(['export', raceFile, '--as', 'scenario'])).lines;
    expect(inter).to.have.length(1);
    expect(inter[0]).to.match(/needs its interleaving/);
    const { code, lines } = await capture(['export', path.join(reg, 'seed-P2-seed1-only-P2.json'), '--as', 'mocha']);
    expect(code).to.equal(0);
    const text = lines.join('\n');
    expect(text).to.match(/^\/\/ Exported by `procns export --as mocha`/);
    expect(text).to.match(/it\(".*P2 oops/);
    expect(text).to.match(/assert\.equal\(shown\.violation\?\.property, "P2"\)/);
    expect((await capture(['export', raceFile, '--as', 'c'])).code).to.equal(2);
  });

  it('300 malformed inputs across the commands: one line each, exit 2, no stack trace', async () => {
    const rng = seedrandom('procns-cli-malformed');
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
    const bad = path.join(dir, 'bad.json');
    const bodies = ['', '{', '[]', 'null', '{"kind":"replay"}', '{"kind":"replay","profile":"seed","fix":[],"inject":[],"properties":[],"commands":[]}',
      '{"kind":"replay","procns":2,"profile":"seed","fix":[],"inject":[],"properties":["P1"],"commands":[{"t":"call","task":1e300,"call":{"op":"exit"}}]}',
      '{"kind":"replay","procns":2,"profile":"seed","fix":[],"inject":[],"properties":["P1"],"commands":[{"t":"jump"}]}',
      '{"kind":"replay","procns":2,"profile":"seed","fix":[],"inject":[],"properties":["P1"],"commands":[{"t":"call","task":0,"call":{"op":"reboot"}}]}',
      '{"procns":1,"scenario":"/dev/zero"}', '{"name":"x","applies":["v3.0"],"steps":[{"op":"frob"}]}',
      '{"name":"x","applies":["v3.0"],"steps":[{"op":"open","args":{"path":"/proc/${X}/ns/net"}}]}'];
    const argvs = [
      (): string[] => ['fuzz', pick(['--runs', '--steps', '--seed']), pick(['-1', '0x10', '1.5', '', 'NaN', '9'.repeat(30)])],
      (): string[] => ['fuzz', '--profile', pick(['v9', 'toString', 'hasOwnProperty', '', 'SEED'])],
      (): string[] => ['fuzz', pick(['--fix', '--inject']), pick(['no-such-flag', '__proto__', ''])],
      (): string[] => ['fuzz', '--property', pick(['P0', 'p1', 'constructor', ''])],
      (): string[] => [pick(['replay', 'check', 'run']), bad],
      (): string[] => [pick(['replay', 'check', 'run', 'record-linux']), path.join(dir, 'nonexistent', String(rng()))],
      (): string[] => [pick(['list', 'verdicts', 'fuzz']), pick(['extra', '-x', '--json=1', '---'])],
      (): string[] => ['verdicts', pick(['--runs', '--steps']), pick(['x', '-3', '2000000'])],
    ];
    for (let n = 0; n < 300; n++) {
      fs.writeFileSync(bad, pick(bodies));
      const argv = pick(argvs)();
      const { code, lines } = await capture(argv);
      const where = `input ${n}: procns ${argv.join(' ')} (file: ${fs.readFileSync(bad, 'utf8').slice(0, 80)})`;
      expect(code, `${where}\n${lines.join('\n')}`).to.equal(2);
      expect(lines, where).to.have.length(1);
      expect(lines[0], where).to.not.match(/\n\s+at |internal error/);
    }
  });

  it('30 SIGINTs at random moments of a fuzz that finds and saves: no replay file left empty or invalid', async () => {
    const rng = seedrandom('procns-sigint');
    const main = path.resolve(__dirname, '..', 'cli', 'main.js');
    for (let n = 0; n < 30; n++) {
      const child = child_process.spawn(process.execPath, [main, 'fuzz', '--profile', 'seed', '--seed', String(1 + (n % 5)), '--save', dir], { stdio: 'ignore' });
      const exited = new Promise((res) => child.once('exit', res));
      await new Promise((res) => setTimeout(res, 150 + Math.floor(rng() * 400)));
      child.kill('SIGINT');
      await exited;
    }
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(text.length, f).to.be.greaterThan(0);
      expect(() => JSON.parse(text), f).to.not.throw();
    }
  });

  it('a full disk: one line saying so, the counterexample still printed, no empty or partial replay file', function () {
    // a 4 KiB tmpfs, already full, in a private mount namespace of its own: the host never sees it
    if (process.getuid?.() !== 0 || child_process.spawnSync('unshare', ['--mount', 'true']).status !== 0) this.skip();
    const main = path.resolve(__dirname, '..', 'cli', 'main.js');
    const script = `mount -t tmpfs -o size=4k procns-full "$1" && head -c 8192 /dev/zero > "$1/fill" 2>/dev/null; "$2" "$3" fuzz --profile seed --seed 1 --save "$1"; echo "exit=$?"; ls -la "$1"`;
    const r = child_process.spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, process.execPath, main], { encoding: 'utf8' });
    const text = r.stdout;
    expect(text, r.stderr).to.match(/failed on seed/);
    expect(text).to.match(/procns fuzz: the replay file could not be written: ENOSPC/);
    expect(text).to.match(/exit=1/);
    expect(text).to.not.match(/\.json|\.tmp/);
    expect(fs.readdirSync(dir), 'the tmpfs was private to the namespace').to.deep.equal([]);
  });

  it('a replay file is written whole, and another counterexample under the same name does not overwrite it', () => {
    const a = fuzz({ profile: 'seed', seed: 1, runs: 500, steps: 40, properties: ['P2'] }).failure;
    const b = fuzz({ profile: 'seed', seed: 1, runs: 500, steps: 20, properties: ['P2'] }).failure;
    expect(a && b, 'both campaigns find evict-null-put').to.not.equal(null);
    if (!a || !b) return;
    const fa = saveReplay(a, dir);
    const before = fs.readFileSync(fa, 'utf8');
    expect(saveReplay(a, dir), 'the same counterexample keeps its file').to.equal(fa);
    const fb = saveReplay(b, dir);
    if (JSON.stringify(a.commands) !== JSON.stringify(b.commands)) expect(fb).to.not.equal(fa);
    expect(fs.readFileSync(fa, 'utf8')).to.equal(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    for (const f of fs.readdirSync(dir)) expect(() => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')), f).to.not.throw();
  });
});
