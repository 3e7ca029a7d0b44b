// procns merge: the --json results of `fuzz --shard` or `verdicts --shard` runs, put back
// together into what one unsharded run says (the same --json, byte for byte). Shards of
// different campaigns, seeds or procns commits, and missing or repeated shards, are refused in
// one line.
import { Replay } from '../properties/fuzz';
import { Verdict, VERDICT_ROWS } from '../properties/verdicts';
import { readInput } from '../scenarios/input';
import { schemaProblem } from '../scenarios/schemas';
import { CmdResult, FuzzArgs, replayProblem, reportFuzz, verdictTable } from './fuzz';
import { Shard, shardRange } from './shard';

/** A shard's --json document: what every command adds to its own (cmdFuzz, cmdVerdicts). */
interface ShardDoc {
  file: string;
  command: 'fuzz' | 'verdicts';
  shard: Shard & { first: number; end: number };
  version: unknown;
  /** What the shards of one run share: the campaign's arguments (fuzz) or the budget (verdicts). */
  same: Record<string, unknown>;
  runs: number;
  steps: number;
  failure?: Replay | null;
  verdicts?: Verdict[];
}

function readShard(file: string): ShardDoc | string {
  const input = readInput(file);
  if ('error' in input) return input.error.startsWith(file) ? input.error : `${file}: ${input.error}`;
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(input.text) as Record<string, unknown>;
  } catch (e) {
    return `${file}: ${(e as Error).message.split('\n')[0]}`;
  }
  const shape = schemaProblem('shard', d, input.text);
  if (shape) return `${file}: not the --json result of a fuzz or verdicts --shard run: ${shape}`;
  const s = d.shard as ShardDoc['shard'];
  const same = d.command === 'fuzz' ? d.args as Record<string, unknown> : { seed: d.seed, runs: d.runs, steps: d.steps };
  const replays = d.command === 'fuzz' ? [d.failure as Replay | null] : (d.verdicts as Verdict[]).map((v) => v.replay);
  for (const r of replays) {
    const why = r && replayProblem(r);
    if (why) return `${file}: a counterexample in it: ${why}`;
  }
  if (d.command === 'verdicts' && (d.verdicts as Verdict[]).length !== s.end - s.first) return `${file}: ${(d.verdicts as Verdict[]).length} verdicts for campaigns ${s.first + 1} to ${s.end}`;
  return { file, command: d.command as ShardDoc['command'], shard: s, version: d.version, same, runs: d.runs as number, steps: d.steps as number,
    failure: d.failure as Replay | null | undefined, verdicts: d.verdicts as Verdict[] | undefined };
}

/** The merged result, or why the files cannot be merged (one line). */
export function cmdMerge(files: string[], out: (s: string) => void, save?: string): CmdResult | string {
  const shards: ShardDoc[] = [];
  for (const f of files) {
    const d = readShard(f);
    if (typeof d === 'string') return d;
    shards.push(d);
  }
  const [a] = shards;
  for (const b of shards.slice(1)) {
    if (b.command !== a.command) return `${b.file} is a ${b.command} shard, ${a.file} a ${a.command} one`;
    const key = Object.keys(a.same).find((k) => JSON.stringify(a.same[k]) !== JSON.stringify(b.same[k]));
    if (key !== undefined) return `${b.file} is a shard of another run than ${a.file}: its ${key} is ${JSON.stringify(b.same[key])}, not ${JSON.stringify(a.same[key])}`;
    if (JSON.stringify(b.version) !== JSON.stringify(a.version)) return `${b.file} was run by another procns than ${a.file}: ${JSON.stringify(b.version)}, not ${JSON.stringify(a.version)}`;
    if (b.shard.count !== a.shard.count) return `${b.file} is a shard of ${b.shard.count}, ${a.file} of ${a.shard.count}`;
  }
  const count = a.shard.count;
  const total = a.command === 'fuzz' ? a.same.runs as number : VERDICT_ROWS;
  const byIndex = new Map<number, ShardDoc>();
  for (const d of shards) {
    const twice = byIndex.get(d.shard.index);
    if (twice) return `shard ${d.shard.index}/${count} is given twice: ${twice.file} and ${d.file}`;
    const { first, end } = shardRange(total, d.shard);
    if (d.shard.first !== first || d.shard.end !== end) return `${d.file}: shard ${d.shard.index}/${count} of ${total} is ${first} to ${end - 1}, not ${d.shard.first} to ${d.shard.end - 1}`;
    byIndex.set(d.shard.index, d);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) return `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing`;
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i + 1) as ShardDoc);
  out(`merge: ${count} shards of ${a.command}`);
  if (a.command === 'verdicts') {
    const b = { seed: a.same.seed as number, runs: a.same.runs as number, steps: a.same.steps as number };
    const table = verdictTable(b, out, false, VERDICT_ROWS);
    const verdicts = ordered.flatMap((d) => d.verdicts as Verdict[]);
    for (const v of verdicts) table.row(v);
    return table.end(verdicts);
  }
  // the campaign's lowest failing run is the first failing shard's: the runs and steps are those
  // of the shards before it and its own
  let runs = 0;
  let steps = 0;
  let failure: Replay | null = null;
  for (const d of ordered) {
    runs += d.runs;
    steps += d.steps;
    failure = d.failure ?? null;
    if (failure) break;
  }
  const s = a.same as Omit<FuzzArgs, 'properties'> & { properties: FuzzArgs['properties'] | null; seed: number };
  const args: FuzzArgs = { profile: s.profile, fix: s.fix, inject: s.inject, properties: s.properties ?? undefined, seed: s.seed, runs: s.runs, steps: s.steps, save };
  return reportFuzz(args, s.seed, { runs, steps, failure }, out);
}
