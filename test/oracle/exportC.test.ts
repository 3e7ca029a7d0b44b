// export --as c: a scenario, replay or trace as one C program that needs no procns. That it builds
// with gcc -Wall -Wextra -Werror is checked everywhere gcc is; that it runs, and what it prints, on
// this machine's kernel as root (CI), where its TAP lines are judged against what the kernel does.
import { expect } from 'chai';
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { listScenarios } from '../../scenarios/runner';
import { SYSCALL_NAMES } from '../../kernel/syscall_table';
import { runCli } from '../helpers';

const execFile = promisify(child_process.execFile);
const root = path.resolve(__dirname, '..', '..', '..');
const regressions = path.join(root, 'scenarios', 'regressions');
const fixture = path.join(root, 'test', 'oracle', 'fixtures', 'export-c-every-syscall.json');
const hasGcc = child_process.spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
/** Can this machine make namespaces (a container may forbid it)? */
const canUnshare = isRoot && child_process.spawnSync('unshare', ['--mount', '--pid', '--fork', 'true'], { stdio: 'ignore' }).status === 0;

const mountinfo = (): string[] => fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').sort();

/** The processes running one of these executables. */
function running(bins: string[]): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
    try { return bins.includes(fs.readlinkSync(`/proc/${e}/exe`)); } catch { return false; }
  }).map(Number);
}

/** What a program printed and how it ended. */
interface Ran { code: number | null; lines: string[]; text: string }

describe('export --as c: a self-contained C program printing TAP', function () {
  this.timeout(120000);
  let dir = '';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-exportc-'));
    fs.chmodSync(dir, 0o755);
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  /**
   * `procns export <what> --as c [...]` into dir/<name>.c, then gcc -Wall -Wextra -Werror into
   * dir/<name> (with `optimize`, -O2 too: its flow analysis warns of more).
   */
  async function exportAndBuild(name: string, what: string, extra: string[] = [], optimize = false): Promise<string> {
    const c = path.join(dir, `${name}.c`);
    const r = await runCli(['export', what, '--as', 'c', ...extra, '-o', c]);
    expect(r.code, r.text).to.equal(0);
    const bin = path.join(dir, name);
    await execFile('gcc', [...(optimize ? ['-O2'] : []), '-Wall', '-Wextra', '-Werror', '-o', bin, c]);
    return bin;
  }

  async function runProgram(bin: string, argv0: string[] = []): Promise<Ran> {
    const [cmd, ...args] = [...argv0, bin];
    return new Promise((resolve) => {
      child_process.execFile(cmd, args, { timeout: 60000 }, (err, stdout) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, text: stdout, lines: stdout.trimEnd().split('\n') });
      });
    });
  }

  /** The TAP result lines (ok / not ok), by step number. */
  const results = (r: Ran): string[] => r.lines.filter((l) => /^(not )?ok \d+ /.test(l));

  it('is the same bytes for the same input, names its flags and carries the sandbox', async () => {
    const a = await runCli(['export', 'ip-netns', '--as', 'c', '--profile', 'nsfs']);
    const b = await runCli(['export', 'ip-netns', '--as', 'c', '--profile', 'nsfs']);
    expect(a.code).to.equal(0);
    expect(a.text).to.equal(b.text);
    expect(a.text).to.include(fs.readFileSync(path.join(root, 'oracle', 'linux', 'sandbox.h'), 'utf8').trimEnd());
    expect(a.text).to.include('unshare(CLONE_NEWNET)');
    expect(a.text).to.include('umount2("/run/netns/blue", MNT_DETACH)');
    expect(a.text).to.include('setns((int)v[0] /* $saved */, CLONE_NEWNET)');
    expect(a.text).to.not.match(/\bsetns\([^)]*, \d+\)/);
  });

  it('refuses in one line (exit 2) what cannot be a C program or an option that does not apply', async () => {
    const clone = path.join(dir, 'thread.json');
    fs.writeFileSync(clone, JSON.stringify({ name: 'thread', description: 'a thread', applies: ['nsfs'], steps: [{ op: 'clone', args: { flags: 'CLONE_VM|CLONE_SIGHAND|CLONE_THREAD' }, as: 'B' }] }));
    for (const argv of [
      ['export', clone, '--as', 'c'],
      ['export', path.join(root, 'test', 'fixtures', 'evict-null-put-race-P2.json'), '--as', 'c'], // needs its interleaving
      ['export', 'ip-netns', '--as', 'c', '--profile', 'v9'],
      ['export', path.join(regressions, 'seed-P3-seed1-only-P3.json'), '--as', 'scenario', '--profile', 'nsfs'],
    ]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.lines, r.text).to.have.length(1);
    }
  });

  it('a trace exports as its scenario on its profile', async function () {
    const trace = path.join(dir, 'ip.jsonl');
    expect((await runCli(['run', 'ip-netns', '--profile', 'v3.8', '--trace', trace])).code).to.equal(0);
    const fromTrace = await runCli(['export', trace, '--as', 'c']);
    const fromScenario = await runCli(['export', 'ip-netns', '--as', 'c', '--profile', 'v3.8']);
    expect(fromTrace.code, fromTrace.text).to.equal(0);
    const body = (t: string): string => t.slice(t.indexOf('#define _GNU_SOURCE'));
    expect(body(fromTrace.text)).to.equal(body(fromScenario.text));
  });

  describe('built with gcc', function () {
    before(function () { if (!hasGcc) this.skip(); });

    it('a fuzz counterexample on seed (stale-ns-dentry, P3) builds with -Wall -Wextra -Werror, and -O2; today it is not ok at its check', async () => {
      const replay = path.join(regressions, 'seed-P3-seed1-only-P3.json');
      const bin = await exportAndBuild('seed-p3', replay, [], true);
      if (!canUnshare) return;
      // the step where the seed's fd names the namespace its task left: its @fdis after the second open
      const sc = JSON.parse((await runCli(['export', replay, '--as', 'scenario'])).text) as { steps: { op: string; expect?: { same?: boolean } }[] };
      const stale = sc.steps.findIndex((st) => st.op === '@fdis' && st.expect?.same === false) + 1;
      expect(stale).to.be.greaterThan(0);
      const r = await runProgram(bin);
      expect(r.code, r.text).to.equal(1);
      expect(results(r).filter((l) => l.startsWith('not ok'))).to.deep.equal([`not ok ${stale} - A: @fdis $f2 n2: expected same=false, got same=true`]);
      // the same counterexample with today's expectations (the emulator's nsfs): every step ok here
      const today = await runProgram(await exportAndBuild('seed-p3-nsfs', replay, ['--profile', 'nsfs']));
      expect(today.code, today.text).to.equal(0);
    });

    it('not root: exit 4 (KSFT_SKIP) with a skip plan, touching nothing', async function () {
      const bin = await exportAndBuild('skip', 'ip-netns', ['--profile', 'nsfs']);
      let r: Ran;
      if (!isRoot) r = await runProgram(bin);
      else if (child_process.spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0) {
        r = await runProgram(bin, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
      } else return this.skip();
      expect(r.code, r.text).to.equal(4);
      expect(r.lines).to.deep.equal(['1..0 # SKIP not root: the sandbox needs CAP_SYS_ADMIN']);
    });

    describe('on this kernel, as root', function () {
      before(function () { if (!canUnshare) this.skip(); });

      it('ip-netns on nsfs: exit 0, the plan first, every step ok', async () => {
        const r = await runProgram(await exportAndBuild('ip-netns', 'ip-netns', ['--profile', 'nsfs']));
        expect(r.code, r.text).to.equal(0);
        expect(r.lines[0]).to.equal('1..24');
        expect(results(r).map((l) => l.replace(/ - .*/, ''))).to.deep.equal(Array.from({ length: 24 }, (_x, i) => `ok ${i + 1}`));
        expect(r.text, 'liveness is observed here, not skipped').to.not.include('# SKIP');
        expect(r.lines).to.include('ok 11 - A: @alive BLUE = alive');
        expect(r.lines).to.include('ok 24 - A: @alive BLUE = dead');
      });

      // stale-ns-dentry on 3.0: step 2's lookup caches /proc/<B>/ns/uts with OLD in its inode
      // (proc_ns_instantiate), and step 6's open after the unshare finds that dentry, which
      // pid_revalidate keeps while B lives: the open succeeds on both kernels (so step 6 is ok
      // here too), but on 3.0 the fd names OLD. Today the entry is a symlink resolved on every walk
      // (proc_ns_get_link → ns_get_path on the task's current nsproxy), so the fd names NEW. The
      // first step that can see the difference is 7, @fdis $f NEW.
      it('stale-ns-dentry on v3.0: exit 1, first not ok at step 7, where 3.0 and today part', async () => {
        const r = await runProgram(await exportAndBuild('stale', 'stale-ns-dentry', ['--profile', 'v3.0']));
        expect(r.code, r.text).to.equal(1);
        expect(r.lines[0]).to.equal('1..9');
        const lines = results(r);
        expect(lines.slice(0, 6).every((l) => l.startsWith('ok ')), r.text).to.equal(true);
        expect(lines[6]).to.equal('not ok 7 - B: @fdis $f NEW: expected same=false, got same=true');
        expect(lines[7]).to.equal('not ok 8 - B: @fdis $f OLD: expected same=true, got same=false');
      });

      it('every bundled scenario on nsfs: builds, exit 0, every step ok (those with thread tasks: refused in one line)', async () => {
        // a thread task (clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) cannot be one of the C program's task
        // processes (the recorder's helper runs threads; the exporter does not yet)
        const thread = (s: ReturnType<typeof listScenarios>[number]): boolean => s.steps.some((st) => st.op === 'clone' && /CLONE_VM|CLONE_THREAD/.test(String(st.args?.flags ?? '')));
        for (const s of listScenarios().filter((x) => x.applies.includes('nsfs') && thread(x))) {
          const r = await runCli(['export', s.name, '--as', 'c', '--profile', 'nsfs']);
          expect([r.code, r.lines.length], `${s.name}: ${r.text}`).to.deep.equal([2, 1]);
        }
        const names = listScenarios().filter((s) => s.applies.includes('nsfs') && !thread(s)).map((s) => s.name);
        expect(names.length).to.be.greaterThan(10);
        // two builds at a time (CI has two cores)
        const bins: Record<string, string> = {};
        for (let i = 0; i < names.length; i += 2) {
          await Promise.all(names.slice(i, i + 2).map(async (n) => { bins[n] = await exportAndBuild(`nsfs-${n}`, n, ['--profile', 'nsfs']); }));
        }
        const host = { mounts: mountinfo(), name: os.hostname() };
        for (const n of names) {
          const r = await runProgram(bins[n]);
          expect(r.code, `${n}:\n${r.text}`).to.equal(0);
          const plan = /^1\.\.(\d+)$/.exec(r.lines[0]);
          expect(plan, `${n}: a plan first`).to.not.equal(null);
          expect(results(r).filter((l) => l.startsWith('ok ')).length, `${n}:\n${r.text}`).to.equal(Number(plan?.[1]));
        }
        // the sandbox kept every mount, hostname and process inside: A's death ended them all
        expect(mountinfo(), 'no mount reached the host').to.deep.equal(host.mounts);
        expect(os.hostname()).to.equal(host.name);
        expect(running(Object.values(bins)), 'no task outlives its program').to.deep.equal([]);
      });

      // a kernel without nsfs file handles (before 6.13 name_to_handle_at gives EOPNOTSUPP on ns
      // files), or with handles it cannot open by FD_NSFS_ROOT: the same syscall failing through a
      // seccomp filter (test/oracle/fixtures/without-syscall.c)
      it('a kernel without nsfs handles: the checks that need them are # SKIP, the rest still run', async function () {
        if (process.arch !== 'x64') return this.skip();
        const without = path.join(dir, 'without-syscall');
        await execFile('gcc', ['-Wall', '-Wextra', '-Werror', '-o', without, path.join(root, 'test', 'oracle', 'fixtures', 'without-syscall.c')]);
        const bin = await exportAndBuild('ip-netns-nohandles', 'ip-netns', ['--profile', 'nsfs']);
        const skipped = (r: Ran): number[] => results(r).filter((l) => l.includes('# SKIP')).map((l) => Number(/^ok (\d+)/.exec(l)?.[1]));
        const noHandles = await runProgram(bin, [without, 'name_to_handle_at']);
        expect(noHandles.code, noHandles.text).to.equal(0);
        expect(skipped(noHandles), 'every @-check').to.deep.equal([3, 7, 11, 18, 19, 24]);
        expect(noHandles.lines).to.include('ok 3 - B: @ns net # SKIP no nsfs file handles here (name_to_handle_at: EOPNOTSUPP)');
        const noOpen = await runProgram(bin, [without, 'open_by_handle_at']);
        expect(noOpen.code, noOpen.text).to.equal(0);
        expect(skipped(noOpen), 'only @alive').to.deep.equal([11, 24]);
        expect(noOpen.lines).to.include('ok 18 - C: @same net BLUE = same');
      });

      it('every syscall of the table, expectations from the emulator on nsfs: this kernel agrees', async () => {
        const sc = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { steps: { op: string }[] };
        expect(SYSCALL_NAMES.filter((n) => !sc.steps.some((s) => s.op === n)), 'syscalls the fixture leaves out').to.deep.equal([]);
        const r = await runProgram(await exportAndBuild('every', fixture, ['--profile', 'nsfs'], true));
        expect(r.code, r.text).to.equal(0);
        expect(results(r).filter((l) => l.includes('# SKIP')).map((l) => l.replace(/ - .*/, ''))).to.deep.equal(['ok 38']); // drop_caches reaches the host
        expect(r.lines).to.include('ok 21 - B: @fdis $u BU = not same');
        expect(r.lines).to.include('ok 30 - A: wait -1 = C');
      });
    });
  });
});
