// The `procns` command. Each command is declared once below: its arguments, its options (with
// their help and bounds) and what it runs. Node's util.parseArgs parses them in strict mode: an
// unknown option, a missing value or a value given to a flag is a usage error, and `--k=v` works
// as `--k v`. parseArgs is Node's own (no dependency) and does all the parsing these commands
// need; what it does not do (numbers and their bounds, names that must exist) is checked here,
// each failure one line and exit 2.
import * as fs from 'fs';
import { parseArgs } from 'util';
import { tuneV8 } from './v8';
import { BUG_FLAGS, makeProfile, PROFILE_NAMES, profileDescription, Profile } from '../kernel/profile';
import { formatReport, listScenarios, loadScenario, runScenario } from '../scenarios/runner';
import { toJsonl, traceHeader } from '../oracle/trace';
import { recordLinux, ScenarioError, splitRunner } from '../oracle/recordLinux';
import { cmdDiffLinux } from './diffLinux';
import { CmdResult, cmdFuzz, cmdReplay, cmdVerdicts, loadReplay } from './fuzz';
import { cmdMerge } from './merge';
import { defaultJobs } from './pool';
import { Shard, SHARD_ENVIRONMENTS, shardOf } from './shard';
import { replayToMocha, replayToScenario } from '../scenarios/export';
import { ExportCError, scenarioToC, traceScenario } from '../scenarios/exportC';
import { readInput } from '../scenarios/input';
import type { Scenario } from '../scenarios/format';
import * as path from 'path';
import { checkTraceFile, formatCheck } from '../oracle/check';
import { PROPERTIES, PropertyName, RUN_PROPERTIES } from '../properties/checks';
import { showPicture } from '../show/show';

/** Exit statuses, the same for every command. */
export const EXIT = { ok: 0, found: 1, usage: 2, internal: 3, skipped: 4 } as const;

const EXIT_TEXT = `exit status: 0 ok; 1 found, diverged or reproduced; 2 usage error or malformed input;
  3 internal error (a procns bug; please report it); 4 skipped (e.g. not root)`;

type Out = (s: string) => void;

/** A usage error or malformed input: one line, exit 2. */
class UsageError extends Error {}

interface OptDecl {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** The option's value in its help line ("N", "P", "FILE"), and what it does. */
  arg?: string;
  help: string;
}

interface CommandDecl {
  /** The positional arguments, as in the usage line ("<file>"). */
  args: string;
  /** How many positional arguments it takes. */
  positionals: [number, number];
  summary: string;
  options: Record<string, OptDecl>;
  run(a: Parsed, out: Out): CmdResult | Promise<CmdResult>;
}

interface Parsed {
  pos: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

const JSON_OPT: OptDecl = { type: 'boolean', help: 'print one JSON document (the verdict, the counts, the files) instead of text' };
const PROFILE_OPT: OptDecl = { type: 'string', arg: 'P', help: `kernel profile: ${PROFILE_NAMES.join(', ')}` };
const FIX_OPT: OptDecl = { type: 'string', multiple: true, arg: 'FLAG', help: 'switch one of the profile\'s bug flags off (repeatable)' };
const INJECT_OPT: OptDecl = { type: 'string', multiple: true, arg: 'FLAG', help: 'switch a bug flag on (repeatable); see procns list' };

/** Bounds of the numbers a command takes: a seed is fast-check's 32-bit seed. */
const BOUNDS = {
  seed: [0, 2 ** 32 - 1],
  runs: [1, 1_000_000],
  steps: [1, 1000],
  tasks: [1, 8],
  shrink: [0, 10_000],
  jobs: [1, 256],
} as const;

/** A whole number option within its bounds, or its default. */
function num(a: Parsed, key: keyof typeof BOUNDS, dflt: number): number;
function num(a: Parsed, key: keyof typeof BOUNDS, dflt: undefined): number | undefined;
function num(a: Parsed, key: keyof typeof BOUNDS, dflt: number | undefined): number | undefined {
  const v = a.values[key];
  if (v === undefined) return dflt;
  const [lo, hi] = BOUNDS[key];
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) {
    throw new UsageError(`--${key} takes a whole number from ${lo} to ${hi}, not ${JSON.stringify(v)}`);
  }
  return Number(v);
}

function str(a: Parsed, key: string): string | undefined {
  const v = a.values[key];
  return typeof v === 'string' ? v : undefined;
}

function list(a: Parsed, key: string): string[] {
  const v = a.values[key];
  return Array.isArray(v) ? v : [];
}

/** --jobs and --shard (with --shard-count), for every command that spreads its work: declared once. */
const PARALLEL_OPTS: Record<string, OptDecl> = {
  jobs: { type: 'string', arg: 'N', help: 'worker threads (1 to 256; default: the cores this process may use); results do not depend on N' },
  shard: {
    type: 'string', arg: 'K/N', help: `do only part K of N (from 1) and say so in --json, for procns merge; default from ${SHARD_ENVIRONMENTS.map((e) => `${e.index}/${e.count}`).join(', ')}`,
  },
  'shard-count': { type: 'string', arg: 'N', help: 'the shard count of a Kubernetes Indexed Job (its index is JOB_COMPLETION_INDEX, from 0)' },
};

/** The threads and the shard the options (or the CI system's environment) say. */
function parallelOf(a: Parsed): { jobs: number; shard: Shard | null } {
  const shard = shardOf(str(a, 'shard'), str(a, 'shard-count'));
  if (typeof shard === 'string') throw new UsageError(shard);
  return { jobs: num(a, 'jobs', defaultJobs()), shard };
}

/** The profile the options name (a usage error when it or a flag is unknown). */
function profileOf(a: Parsed, dflt: string): Profile {
  const p = makeProfile(str(a, 'profile') ?? dflt, list(a, 'fix'), list(a, 'inject'));
  if (typeof p === 'string') throw new UsageError(p);
  return p;
}

const COMMANDS: Record<string, CommandDecl> = {
  fuzz: {
    args: '',
    positionals: [0, 0],
    summary: 'random lifecycles, every step property (P1-P7) after every step; --property P8: the same campaign three times, same bytes?',
    options: {
      profile: PROFILE_OPT,
      seed: { type: 'string', arg: 'N', help: 'the seed (0 to 2^32-1; default: a random one, printed)' },
      runs: { type: 'string', arg: 'N', help: 'runs (1 to 1,000,000; default 500)' },
      steps: { type: 'string', arg: 'N', help: 'commands per run at most (1 to 1000; default 40)' },
      fix: FIX_OPT,
      inject: INJECT_OPT,
      property: { type: 'string', multiple: true, arg: 'P', help: `check only these (repeatable): ${Object.keys(PROPERTIES).join(', ')}` },
      save: { type: 'string', arg: 'DIR', help: 'where a counterexample\'s replay file goes (default: scenarios/regressions in a procns checkout, else the current directory)' },
      ...PARALLEL_OPTS,
      json: JSON_OPT,
    },
    run(a, out) {
      profileOf(a, 'v3.0'); // a usage error when the profile or a flag is unknown
      const props = list(a, 'property');
      const unknown = props.find((p) => !Object.prototype.hasOwnProperty.call(PROPERTIES, p));
      if (unknown !== undefined) throw new UsageError(`unknown property '${unknown}' (known: ${Object.keys(PROPERTIES).join(', ')})`);
      const { jobs, shard } = parallelOf(a);
      const whole = props.find((p) => RUN_PROPERTIES.includes(p as PropertyName));
      if (shard && whole) throw new UsageError(`--shard splits the runs of the step properties; ${whole} checks whole campaigns`);
      return cmdFuzz({
        profile: str(a, 'profile') ?? 'v3.0', seed: num(a, 'seed', undefined), runs: num(a, 'runs', 500), steps: num(a, 'steps', 40),
        fix: list(a, 'fix'), inject: list(a, 'inject'), properties: props.length ? props as PropertyName[] : undefined, save: str(a, 'save'), jobs, shard,
      }, out, !a.values.json);
    },
  },
  replay: {
    args: '<file>',
    positionals: [1, 1],
    summary: 're-run a saved failure; the same output every time (1: it reproduces)',
    options: { json: JSON_OPT },
    run: (a, out) => cmdReplay(a.pos[0], out),
  },
  run: {
    args: '<scenario|file|replay>',
    positionals: [1, 1],
    summary: 'run a scenario (or a replay file, as a scenario) on the emulator and check every step\'s expectation (1: one does not hold)',
    options: { profile: PROFILE_OPT, fix: FIX_OPT, inject: INJECT_OPT, trace: { type: 'string', arg: 'FILE', help: 'write the run\'s trace (JSON Lines)' }, json: JSON_OPT },
    run(a, out) {
      const sc = scenarioFrom(a.pos[0]);
      const profile = profileOf(a, sc.applies[0] ?? 'v3.0');
      const report = runScenario(sc, profile);
      out(formatReport(report));
      const tracePath = str(a, 'trace');
      if (tracePath) writeAtomically(tracePath, toJsonl(traceHeader(sc, profile, 'procns'), report.trace));
      const failed = report.steps.filter((s) => s.mismatches.length).map((s) => ({ step: s.index, op: s.step.op, mismatches: s.mismatches }));
      return { code: report.ok ? 0 : 1, doc: { command: 'run', scenario: sc.name, profile: profile.name, ok: report.ok, steps: report.steps.length, failed, trace: tracePath ?? null } };
    },
  },
  check: {
    args: '<trace.jsonl>',
    positionals: [1, 1],
    summary: 'is the trace a behaviour the profile allows? (0 agrees, 1 first divergence, 2 malformed)',
    options: { profile: { ...PROFILE_OPT, help: 'judge under this profile (default: the trace header\'s)' }, json: JSON_OPT },
    async run(a, out) {
      const profile = str(a, 'profile');
      let r;
      try {
        // streamed: a trace of any length is judged in bounded memory
        r = await checkTraceFile(a.pos[0], profile);
      } catch (e) {
        throw new UsageError((e as Error).message.split('\n')[0]);
      }
      out(formatCheck(r, profile ?? 'the header\'s profile'));
      return { code: r.verdict === 'agrees' ? 0 : r.verdict === 'diverges' ? 1 : 2, doc: { command: 'check', file: a.pos[0], profile: profile ?? null, ...r } };
    },
  },
  'record-linux': {
    args: '<scenario|file|replay>',
    positionals: [1, 1],
    summary: 'record a scenario\'s (or a replay file\'s) trace on a real kernel, as root, in a sandbox it cannot leave: this machine\'s, or the one a --runner reaches (4: skipped, e.g. not root)',
    options: {
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'write the trace here (default: standard output)' },
      runner: { type: 'string', arg: 'CMD', help: 'a command prefix that runs the helper, split into words as a shell would (no shell): \'runsc --platform=ptrace --network=none do\', \'ssh host\', a VM\'s; a {} in it is the helper\'s path (default: appended)' },
      helper: { type: 'string', arg: 'PATH', help: 'a prebuilt helper (with --runner: its path where the runner runs it; docs/gvisor.md)' },
      json: JSON_OPT,
    },
    async run(a, out) {
      const sc = scenarioFrom(a.pos[0]);
      const file = str(a, 'out');
      const runnerText = str(a, 'runner');
      const runner = runnerText === undefined ? [] : splitRunner(runnerText);
      if (typeof runner === 'string') throw new UsageError(`--runner: ${runner}`);
      const helper = str(a, 'helper');
      if (helper !== undefined && !runner.length && !fs.existsSync(helper)) throw new UsageError(`--helper: no file ${helper}`);
      let res;
      try {
        res = await recordLinux(sc, { runner, helper });
      } catch (e) {
        if (e instanceof ScenarioError) throw new UsageError(`${sc.name}: ${e.message}`);
        out(`record-linux: ${sc.name}: failed: ${(e as Error).message}`);
        return { code: 1, doc: { command: 'record-linux', scenario: sc.name, verdict: 'failed', reason: (e as Error).message } };
      }
      if ('skipped' in res) {
        out(`record-linux: skipped: ${res.skipped}`);
        return { code: EXIT.skipped, doc: { command: 'record-linux', scenario: sc.name, verdict: 'skipped', reason: res.skipped } };
      }
      const text = toJsonl(res.header, res.steps);
      if (file) writeAtomically(file, text);
      else out(text.replace(/\n$/, ''));
      return { code: 0, doc: { command: 'record-linux', scenario: sc.name, verdict: 'recorded', steps: res.steps.length, file: file ?? null, uname: res.header.uname, runner: res.header.runner } };
    },
  },
  'diff-linux': {
    args: '',
    positionals: [0, 0],
    summary: 'random lifecycles recorded on this machine\'s kernel (root) and checked against nsfs; each divergence shrunk and saved (1: one diverged or could not be judged). The mix is every syscall the helper runs, less CLONE_NEWUSER: user namespaces are not modelled yet',
    options: {
      seed: { type: 'string', arg: 'N', help: 'the seed (0 to 2^32-1; default: a random one, printed); run i draws from the seed and i alone' },
      runs: { type: 'string', arg: 'N', help: 'random scenarios (default 50)' },
      steps: { type: 'string', arg: 'N', help: 'syscalls per scenario at most (default 20)' },
      tasks: { type: 'string', arg: 'N', help: 'tasks per scenario at most, init included (1 to 8; default 4)' },
      shrink: { type: 'string', arg: 'N', help: 'recordings one divergence\'s shrinking may use (default 60)' },
      inject: { ...INJECT_OPT, help: 'switch a synthetic bug flag on in the model: the diff must then find it (repeatable)' },
      save: { type: 'string', arg: 'DIR', help: 'where each shrunk divergence (scenario, and the kernel\'s trace of it) goes (default: as fuzz --save)' },
      jobs: { type: 'string', arg: 'N', help: 'scenarios recorded at once, each on a CPU of its own while it records (1 to 256; default: the cores this process may use); results do not depend on N' },
      json: JSON_OPT,
    },
    run: (a, out) => cmdDiffLinux({
      jobs: num(a, 'jobs', defaultJobs()),
      inject: (profileOf(a, 'nsfs'), list(a, 'inject')), seed: num(a, 'seed', undefined), runs: num(a, 'runs', 50), steps: num(a, 'steps', 20), tasks: num(a, 'tasks', 4),
      shrinkBudget: num(a, 'shrink', 60), save: str(a, 'save'),
    }, out, !a.values.json),
  },
  export: {
    args: '<replay|scenario|trace>',
    positionals: [1, 1],
    summary: 'a counterexample as a scenario (run, record and check it anywhere) or a mocha test; a replay, scenario or trace as a self-contained C program printing TAP (--as c)',
    options: {
      as: { type: 'string', arg: 'FORMAT', help: 'scenario, mocha (from a replay) or c (from a replay, a scenario or a trace)' },
      profile: { ...PROFILE_OPT, help: 'with --as c: whose expectations (default: the replay\'s or trace\'s, else the scenario\'s first)' },
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'write it here (default: standard output)' },
      json: JSON_OPT,
    },
    run(a, out) {
      const as = str(a, 'as');
      if (as !== 'scenario' && as !== 'mocha' && as !== 'c') throw new UsageError(`--as takes scenario, mocha or c${as === undefined ? '' : `, not '${as}'`}`);
      if (as !== 'c' && str(a, 'profile') !== undefined) throw new UsageError('--profile goes with --as c (a replay carries its profile)');
      let text: string;
      if (as === 'c') {
        text = exportC(a);
      } else {
        const r = loadReplay(a.pos[0]);
        if (typeof r === 'string') throw new UsageError(`${a.pos[0]}: ${r}`);
        const base = path.basename(a.pos[0]).replace(/\.json$/, '').replace(/[^A-Za-z0-9._-]/g, '-');
        if (as === 'mocha') {
          text = replayToMocha(r, `${base}: ${r.expect ? `${r.expect.property} ${r.expect.message}` : 'holds'}`);
        } else {
          const sc = replayToScenario(r, base);
          if (typeof sc === 'string') throw new UsageError(`${a.pos[0]}: ${sc}`);
          text = JSON.stringify(sc, null, 2) + '\n';
        }
      }
      const file = str(a, 'out');
      if (file) writeAtomically(file, text);
      else out(text.replace(/\n$/, ''));
      return { code: 0, doc: { command: 'export', as, from: a.pos[0], file: file ?? null, text: file ? null : text } };
    },
  },
  show: {
    args: '<replay|trace|scenario>',
    positionals: [1, 1],
    summary: 'a run as one self-contained HTML timeline: a lane per task, each namespace\'s life with its holders, the failing step or first divergence marked (0: written)',
    options: {
      profile: { ...PROFILE_OPT, help: 'a scenario\'s profile (default: the first it applies to); a trace is judged and modelled under P (default: its header\'s)' },
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'write the HTML here (required)' },
      json: JSON_OPT,
    },
    async run(a, out) {
      const file = str(a, 'out');
      if (file === undefined) throw new UsageError('-o FILE is required (the HTML goes there)');
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${file} is a directory`);
      const shown = await showPicture(a.pos[0], str(a, 'profile'));
      if (typeof shown === 'string') throw new UsageError(shown);
      writeAtomically(file, shown.html);
      const p = shown.picture;
      out(`show: ${p.title}: ${p.steps.length} steps, ${p.lanes.length} tasks, ${p.bars.length} namespaces${p.highlight ? `, step ${p.highlight.step} marked (${p.highlight.kind})` : ''} → ${file}`);
      return {
        code: 0,
        doc: {
          command: 'show', input: a.pos[0], what: p.what, profile: p.profile, file, bytes: Buffer.byteLength(shown.html),
          steps: p.steps.length, tasks: p.lanes.length, namespaces: p.bars.length, highlight: p.highlight,
        },
      };
    },
  },
  list: {
    args: '',
    positionals: [0, 0],
    summary: 'scenarios, profiles, properties, bug flags; --scenarios --profile P: the scenarios for P, one per line',
    options: { scenarios: { type: 'boolean', help: 'only scenario names, one per line' }, profile: { ...PROFILE_OPT, help: 'with --scenarios: those that apply to P' }, json: JSON_OPT },
    run(a, out) {
      const scenarios = listScenarios();
      const p = str(a, 'profile');
      if (p !== undefined && !PROFILE_NAMES.includes(p)) throw new UsageError(`unknown profile '${p}' (known: ${PROFILE_NAMES.join(', ')})`);
      const doc = {
        command: 'list',
        scenarios: scenarios.filter((s) => !p || s.applies.includes(p)).map((s) => ({ name: s.name, applies: s.applies, description: s.description })),
        profiles: PROFILE_NAMES.map((n) => ({ name: n, description: profileDescription(n), flags: [...(makeProfile(n) as Profile).flags] })),
        properties: Object.entries(PROPERTIES).map(([name, text]) => ({ name, text })),
        flags: BUG_FLAGS.map((f) => ({ name: f.name, synthetic: f.synthetic, what: f.what })),
      };
      if (a.values.scenarios) {
        for (const s of doc.scenarios) out(s.name);
        return { code: 0, doc };
      }
      out('scenarios:');
      for (const s of doc.scenarios) out(`  ${s.name.padEnd(28)} [${s.applies.join(', ')}] ${s.description}`);
      out('profiles:');
      for (const pr of doc.profiles) out(`  ${pr.name.padEnd(8)} ${pr.description}${pr.flags.length ? ` (flags: ${pr.flags.join(', ')})` : ''}`);
      out('properties:');
      for (const pr of doc.properties) out(`  ${pr.name}  ${pr.text}`);
      out('bug flags:');
      for (const f of doc.flags) out(`  ${f.name.padEnd(26)} ${f.synthetic ? '(synthetic) ' : ''}${f.what}`);
      return { code: 0, doc };
    },
  },
  verdicts: {
    args: '',
    positionals: [0, 0],
    summary: 'the main job: every profile x every property, as a verdict table (1: a verdict is not the expected one)',
    options: {
      seed: { type: 'string', arg: 'N', help: 'the seed of every campaign (default 1)' },
      runs: { type: 'string', arg: 'N', help: 'runs per campaign (default 1000)' },
      steps: { type: 'string', arg: 'N', help: 'commands per run at most (default 40)' },
      reporter: { type: 'string', arg: 'R', help: 'with -o: the file\'s format: junit (a testcase per verdict, for CI systems)' },
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'also write the verdicts to FILE in the --reporter format' },
      ...PARALLEL_OPTS,
      json: JSON_OPT,
    },
    async run(a, out) {
      const reporter = str(a, 'reporter');
      const file = str(a, 'out');
      if (reporter !== undefined && reporter !== 'junit') throw new UsageError(`unknown reporter '${reporter}' (known: junit)`);
      if ((reporter === undefined) !== (file === undefined)) throw new UsageError('--reporter and -o go together');
      const { jobs, shard } = parallelOf(a);
      const res = await cmdVerdicts({ seed: num(a, 'seed', 1), runs: num(a, 'runs', 1000), steps: num(a, 'steps', 40) }, out, !a.values.json, jobs, shard);
      if (file) writeAtomically(file, junit(res.doc));
      return res;
    },
  },
  merge: {
    args: '<results.json…>',
    positionals: [1, Infinity],
    summary: 'one fuzz result or verdict table from the --json results of --shard runs, the same as one unsharded run (2: shards missing, repeated or of different runs)',
    options: {
      save: { type: 'string', arg: 'DIR', help: 'where a fuzz counterexample\'s replay file goes (as for fuzz)' },
      json: JSON_OPT,
    },
    run(a, out) {
      const r = cmdMerge(a.pos, out, str(a, 'save'));
      if (typeof r === 'string') throw new UsageError(r);
      return r;
    },
  },
};

/**
 * The scenario a command's argument names: a bundled scenario, a scenario file, or a replay file
 * (exported as a scenario on the way: scenarios/export.ts).
 */
function scenarioFrom(arg: string): Scenario {
  const input = fs.existsSync(arg) ? readInput(arg) : null;
  let kind: unknown;
  try { kind = input && 'text' in input ? (JSON.parse(input.text) as { kind?: unknown }).kind : undefined; } catch { /* loadScenario says why */ }
  if (kind === 'replay') {
    const r = loadReplay(arg);
    if (typeof r === 'string') throw new UsageError(`${arg}: ${r}`);
    const sc = replayToScenario(r, path.basename(arg).replace(/\.json$/, '').replace(/[^A-Za-z0-9._-]/g, '-'));
    if (typeof sc === 'string') throw new UsageError(`${arg}: ${sc}`);
    return sc;
  }
  const sc = loadScenario(arg);
  if (typeof sc === 'string') throw new UsageError(sc);
  return sc;
}

/** `export --as c`: a trace's scenario (its profile the default), else a replay's or a scenario's. */
function exportC(a: Parsed): string {
  const arg = a.pos[0];
  const t = traceScenario(arg);
  if (typeof t === 'string') throw new UsageError(`${arg}: ${t}`);
  const sc = t ? t.sc : scenarioFrom(arg);
  const profile = str(a, 'profile') === undefined && t ? makeProfile(t.profile, t.fix, t.inject) : profileOf(a, sc.applies[0] ?? 'v3.0');
  if (typeof profile === 'string') throw new UsageError(`${arg}: ${profile}`);
  try {
    return scenarioToC(sc, profile, { source: fs.existsSync(arg) ? arg : `scenario ${sc.name}` });
  } catch (e) {
    if (e instanceof ExportCError) throw new UsageError(`${arg}: ${e.message}`);
    throw e;
  }
}

/** Write a file whole or not at all: a temporary file beside it, then a rename. */
export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch { /* never written */ }
    throw new UsageError(`cannot write ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

const xml = (v: unknown): string => String(v).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The verdict table as JUnit XML: a test case per verdict, failed when it is not the expected one. */
function junit(doc: Record<string, unknown>): string {
  const rows = doc.rows as { profile: string; inject: string[]; property: string; expected: string; got: string; message: string | null; replay: string | null }[];
  const cases = rows.map((r) => {
    const name = `${r.profile}${r.inject.map((f) => `+${f}`).join('')} ${r.property}`;
    const body = r.expected === r.got ? ''
      : `<failure message="${xml(`expected ${r.expected}, got ${r.got}`)}">${xml(`${r.message ?? ''}${r.replay ? `\nprocns replay ${r.replay}` : ''}`)}</failure>`;
    return `    <testcase classname="procns.verdicts" name="${xml(name)}">${body}</testcase>`;
  });
  const failures = rows.filter((r) => r.expected !== r.got).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="procns verdicts (seed ${xml(doc.seed)}, ${xml(doc.runs)} runs)" tests="${rows.length}" failures="${failures}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

function usage(): string {
  const lines = ['usage: procns <command> [options]   (procns <command> --help for its options)', ''];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${`${name} ${c.args}`.padEnd(30)} ${c.summary}`);
  lines.push('  record                         alias of record-linux', '', EXIT_TEXT);
  return lines.join('\n');
}

function commandHelp(name: string, c: CommandDecl): string {
  const lines = [`usage: procns ${name}${c.args ? ` ${c.args}` : ''} [options]`, `  ${c.summary}`, '', 'options:'];
  for (const [key, o] of Object.entries(c.options)) {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${key}${o.arg ? ` ${o.arg}` : ''}`;
    lines.push(`  ${flag.padEnd(22)} ${o.help}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(22)} this help`, '', EXIT_TEXT);
  return lines.join('\n');
}

const ALIASES: Record<string, string> = { record: 'record-linux' };

export async function main(argv: string[], out: Out = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const [given, ...rest] = argv;
  if (given === undefined || given === 'help' || given === '--help' || given === '-h') {
    out(usage());
    return given === undefined ? EXIT.usage : EXIT.ok;
  }
  const name = Object.prototype.hasOwnProperty.call(ALIASES, given) ? ALIASES[given] : given;
  if (!Object.prototype.hasOwnProperty.call(COMMANDS, name)) {
    out(`procns: unknown command '${given}' (commands: ${Object.keys(COMMANDS).join(', ')}; procns --help)`);
    return EXIT.usage;
  }
  const c = COMMANDS[name];
  // --help before anything else: no side effects, whatever else is on the line
  if (rest.includes('--help') || rest.includes('-h')) {
    out(commandHelp(name, c));
    return EXIT.ok;
  }
  const json = rest.includes('--json');
  const say = (line: string): void => out(line);
  try {
    let parsed: Parsed;
    const options = Object.fromEntries(Object.entries(c.options).map(([k, o]) => [k, {
      type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}),
    }]));
    try {
      const p = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
      parsed = { pos: p.positionals, values: p.values as Parsed['values'] };
    } catch (e) {
      // parseArgs' messages are several sentences; the first names the problem
      throw new UsageError(String((e as Error).message).split('\n')[0].replace(/\. To specify .*$/, '.'));
    }
    const [lo, hi] = c.positionals;
    if (parsed.pos.length < lo || parsed.pos.length > hi) {
      throw new UsageError(hi === 0 ? `takes no arguments, got ${JSON.stringify(parsed.pos[0])}` : `needs ${c.args}${parsed.pos.length > hi ? `, got also ${JSON.stringify(parsed.pos[hi])}` : ''}`);
    }
    const res = await c.run(parsed, json ? () => undefined : say);
    if (json) out(JSON.stringify(res.doc));
    return res.code;
  } catch (e) {
    if (e instanceof UsageError) {
      const line = `procns ${name}: ${e.message}`;
      out(json ? JSON.stringify({ command: name, verdict: 'usage', error: line }) : line);
      return EXIT.usage;
    }
    // a bug in procns: never exit 1, which means "found"
    const line = `procns ${name}: internal error: ${(e as Error)?.message ?? String(e)}`;
    out(json ? JSON.stringify({ command: name, verdict: 'internal', error: line }) : line);
    return EXIT.internal;
  }
}

// a closed pipe (procns list | head) ends the output quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

if (require.main === module) {
  tuneV8();
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
