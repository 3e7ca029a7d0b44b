// The `procns` command.
import * as fs from 'fs';
import { BUG_FLAGS, makeProfile, PROFILE_NAMES, profileDescription, Profile } from '../kernel/profile';
import { formatReport, listScenarios, loadScenario, runScenario } from '../scenarios/runner';
import { toJsonl } from '../oracle/trace';
import { recordLinux, ScenarioError } from '../oracle/recordLinux';
import { cmdFuzz, cmdReplay, cmdVerdicts } from './fuzz';
import { checkTrace, formatCheck } from '../oracle/check';
import { PROPERTIES, PropertyName } from '../properties/checks';

const USAGE = `usage: procns <command> [options]
  fuzz [--profile P] [--seed N] [--runs N] [--steps N] [--fix FLAG] [--inject FLAG] [--property P]
                                                          random lifecycles, every step property (P1-P7);
                                                          --property P8: the same campaign three times, same bytes?
  replay <file>                                           re-run a saved failure
  run <scenario|file> [--profile P] [--trace out.jsonl]   run a scenario and check its expectations
  check <trace.jsonl> [--profile P]                       is the trace a behaviour the profile allows? (0 yes, 1 no, 2 malformed)
  record-linux <scenario|file> [-o|--out out.jsonl]       record a scenario's trace on this machine's kernel (root)
  list [--scenarios --profile P]                          scenarios, profiles, properties, bug flags
  verdicts [--seed N] [--runs N] [--steps N]              the main job: every profile × every property`;

/** Parse "--key value" options after the positional arguments. */
export function parseOptions(argv: string[]): { pos: string[]; opts: Map<string, string[]> } {
  const pos: string[] = [];
  const opts = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      const next = argv[i + 1];
      const value = next !== undefined && !next.startsWith('--') ? (i++, next) : '';
      opts.set(key, [...(opts.get(key) ?? []), value]);
    } else {
      pos.push(a);
    }
  }
  return { pos, opts };
}

function opt(opts: Map<string, string[]>, key: string, dflt: string): string {
  return opts.get(key)?.slice(-1)[0] ?? dflt;
}

function profileFrom(opts: Map<string, string[]>, dflt = 'v3.0'): Profile | string {
  return makeProfile(opt(opts, 'profile', dflt), opts.get('fix') ?? [], opts.get('inject') ?? []);
}

function cmdRun(pos: string[], opts: Map<string, string[]>, out: (s: string) => void): number {
  if (!pos[0]) { out(USAGE); return 2; }
  const sc = loadScenario(pos[0]);
  if (typeof sc === 'string') { out(`procns run: ${sc}`); return 2; }
  const profile = profileFrom(opts, sc.applies[0] ?? 'v3.0');
  if (typeof profile === 'string') { out(`procns run: ${profile}`); return 2; }
  const report = runScenario(sc, profile);
  out(formatReport(report));
  const tracePath = opts.get('trace')?.[0];
  if (tracePath) {
    fs.writeFileSync(tracePath, toJsonl({ procns: 1, profile: profile.name, scenario: sc.name, source: 'procns' }, report.trace));
  }
  return report.ok ? 0 : 1;
}

async function cmdRecordLinux(pos: string[], opts: Map<string, string[]>, out: (s: string) => void): Promise<number> {
  // "-o FILE" is not a --option, so it arrives among the positional arguments
  let file = opts.get('out')?.slice(-1)[0];
  const args: string[] = [];
  for (let i = 0; i < pos.length; i++) {
    if (pos[i] === '-o') {
      if (pos[i + 1] === undefined) { out('record-linux: -o needs a file name'); return 2; }
      file = pos[++i];
    } else args.push(pos[i]);
  }
  if (opts.has('out') && !file) { out('record-linux: --out needs a file name'); return 2; }
  if (args.length !== 1) { out(USAGE); return 2; }
  const sc = loadScenario(args[0]);
  if (typeof sc === 'string') { out(`record-linux: ${sc}`); return 2; }
  let res;
  try {
    res = await recordLinux(sc);
  } catch (e) {
    if (e instanceof ScenarioError) { out(`record-linux: ${sc.name}: ${e.message}`); return 2; }
    out(`record-linux: ${sc.name}: failed: ${(e as Error).message}`);
    return 1;
  }
  if ('skipped' in res) { out(`record-linux: skipped: ${res.skipped}`); return 0; }
  const text = toJsonl(res.header, res.steps);
  if (file) fs.writeFileSync(file, text);
  else out(text.replace(/\n$/, ''));
  return 0;
}

function cmdList(opts: Map<string, string[]>, out: (s: string) => void): number {
  const scenarios = listScenarios();
  if (opts.has('scenarios')) {
    const p = opt(opts, 'profile', '');
    for (const s of scenarios) if (!p || s.applies.includes(p)) out(s.name);
    return 0;
  }
  out('scenarios:');
  for (const s of scenarios) out(`  ${s.name.padEnd(28)} [${s.applies.join(', ')}] ${s.description}`);
  out('profiles:');
  for (const p of PROFILE_NAMES) {
    const prof = makeProfile(p) as Profile;
    out(`  ${p.padEnd(8)} ${profileDescription(p)}${prof.flags.size ? ` (flags: ${[...prof.flags].join(', ')})` : ''}`);
  }
  out('properties:');
  for (const [p, what] of Object.entries(PROPERTIES)) out(`  ${p}  ${what}`);
  out('bug flags:');
  for (const f of BUG_FLAGS) out(`  ${f.name.padEnd(26)} ${f.synthetic ? '(synthetic) ' : ''}${f.what}`);
  return 0;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const [cmd, ...rest] = argv;
  const { pos, opts } = parseOptions(rest);
  switch (cmd) {
    case 'run': return cmdRun(pos, opts, out);
    case 'list': return cmdList(opts, out);
    case 'record-linux': return cmdRecordLinux(pos, opts, out);
    case 'check': {
      if (!pos[0]) { out(USAGE); return 2; }
      let text: string;
      try {
        text = fs.readFileSync(pos[0], 'utf8');
      } catch (e) {
        out(`procns check: ${(e as Error).message}`);
        return 2;
      }
      const profile = opts.get('profile')?.slice(-1)[0];
      const r = checkTrace(text, profile);
      out(formatCheck(r, profile ?? 'the header\'s profile'));
      return r.verdict === 'agrees' ? 0 : r.verdict === 'diverges' ? 1 : 2;
    }
    case 'replay':
      if (!pos[0]) { out(USAGE); return 2; }
      return cmdReplay(pos[0], out);
    case 'fuzz': {
      const num = (key: string, d: number | undefined): number | undefined => {
        const v = opts.get(key)?.slice(-1)[0];
        return v === undefined ? d : Number(v);
      };
      const profile = opt(opts, 'profile', 'v3.0');
      const check = makeProfile(profile, opts.get('fix') ?? [], opts.get('inject') ?? []);
      if (typeof check === 'string') { out(`procns fuzz: ${check}`); return 2; }
      const props = opts.get('property') as PropertyName[] | undefined;
      if (props?.some((p) => !(p in PROPERTIES))) { out(`procns fuzz: unknown property (known: ${Object.keys(PROPERTIES).join(', ')})`); return 2; }
      const seed = num('seed', undefined);
      const runs = num('runs', 500) as number;
      const steps = num('steps', 40) as number;
      if ([seed ?? 1, runs, steps].some((n) => !Number.isInteger(n) || n < 0)) { out('procns fuzz: --seed, --runs and --steps take whole numbers'); return 2; }
      return cmdFuzz({ profile, seed, runs, steps, fix: opts.get('fix') ?? [], inject: opts.get('inject') ?? [], properties: props }, out, process.stderr.isTTY === true);
    }
    case 'verdicts': {
      const n = (key: string, d: number): number => Number(opts.get(key)?.slice(-1)[0] ?? d);
      return cmdVerdicts({ seed: n('seed', 1), runs: n('runs', 1000), steps: n('steps', 40) }, out);
    }
    default:
      out(USAGE);
      return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
  }
}

// a closed pipe (procns list | head) ends the output quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
