// The `procns` command.
import * as fs from 'fs';
import { BUG_FLAGS, makeProfile, PROFILE_NAMES, profileDescription, Profile } from '../kernel/profile';
import { formatReport, listScenarios, loadScenario, runScenario } from '../scenarios/runner';
import { toJsonl } from '../oracle/trace';

const USAGE = `usage: procns <command> [options]
  run <scenario|file> [--profile P] [--trace out.jsonl]   run a scenario and check its expectations
  list [--scenarios --profile P]                          scenarios, profiles, properties, bug flags`;

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
    default:
      out(USAGE);
      return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
