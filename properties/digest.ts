// A fuzz campaign's digest, for P8 (determinism): a sha256 over every syscall the campaign
// completed (its op, its resolved arguments, its result and what it observed: stat, link text,
// dirents), run by run, shrinking runs included; then over its failure, if any: the replay file
// as data and its trace table. Two campaigns of the same seed must give the same digest, in one
// process or in two.
import { createHash, Hash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { FuzzOptions } from './fuzz';
import type { Campaigns } from './property';
import type { Completion, World } from './world';

/** The data of a campaign's options: what a fresh process is told (no callbacks). */
export type CampaignOptions = Pick<FuzzOptions, 'profile' | 'fix' | 'inject' | 'seed' | 'runs' | 'steps' | 'properties' | 'ops'>;

export interface CampaignDigest {
  /** sha256 of the whole campaign, hex. */
  digest: string;
  runs: number;
  steps: number;
  /** sha256 of each run's completions, hex: where two campaigns part. */
  perRun: string[];
  /** Each run's completions as digested (kept only when asked for). */
  lines?: string[][];
}

/** One completed syscall as digested: a line of text. */
export function completionLine(c: Completion): string {
  const r = c.result;
  return `${c.step} ${c.task.pid.nr} ${c.alone ? 'alone' : 'interleaved'} ${c.call.op} ${JSON.stringify(c.call.args)} = ${r.ret}${r.obs ? ' ' + JSON.stringify(r.obs) : ''}\n`;
}

/** Run a fuzz campaign and digest it; `keepLines` keeps the text digested, to show where two differ. */
export function digestCampaign(o: CampaignOptions, { fuzz, replayRun }: Campaigns, keepLines = false): CampaignDigest {
  const whole = createHash('sha256');
  const perRun: string[] = [];
  const lines: string[][] = [];
  let run: Hash | null = null;
  let runLines: string[] = [];
  const endRun = (): void => {
    if (!run) return;
    perRun.push(run.digest('hex'));
    if (keepLines) lines.push(runLines);
    run = null;
  };
  const observe = (_w: World, c: Completion): void => {
    const line = completionLine(c);
    whole.update(line);
    run?.update(line);
    if (keepLines) runLines.push(line);
  };
  const res = fuzz({
    ...o,
    observers: [observe],
    onRun: (n) => {
      endRun();
      whole.update(`run ${n}\n`);
      run = createHash('sha256');
      runLines = [];
    },
  });
  endRun();
  whole.update(`runs ${res.runs}, steps ${res.steps}\n`);
  if (res.failure) {
    // the trace bytes: the replay file (its data; the version and commit come at save time) and its table
    whole.update(JSON.stringify(res.failure) + '\n');
    whole.update(replayRun(res.failure).table + '\n');
  }
  return { digest: whole.digest('hex'), runs: res.runs, steps: res.steps, perRun, ...(keepLines ? { lines } : {}) };
}

/** The digest entry point a fresh process runs (cli/digest.ts, compiled next to this file's folder). */
export const DIGEST_SCRIPT = path.join(__dirname, '..', 'cli', 'digest.js');

/** The same campaign's digest from a fresh node process: nothing of this process's state can reach it. */
export function digestInFreshProcess(o: CampaignOptions): CampaignDigest | string {
  try {
    const out = execFileSync(process.execPath, [DIGEST_SCRIPT, JSON.stringify(o)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out) as CampaignDigest;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `the fresh process failed: ${(err.stderr || err.message).trim().split('\n')[0]}`;
  }
}

/** Where two digests of a campaign part: null when they agree; else the first run (and line) that differs. */
export function firstDifference(a: CampaignDigest, b: CampaignDigest): string | null {
  if (a.digest === b.digest) return null;
  const n = Math.min(a.perRun.length, b.perRun.length);
  let i = 0;
  while (i < n && a.perRun[i] === b.perRun[i]) i++;
  if (i === n) {
    if (a.perRun.length !== b.perRun.length) return `one campaign ran ${a.perRun.length} runs, the other ${b.perRun.length}`;
    return `every run agrees, but not the failure found (its replay file or its trace table)`;
  }
  const la = a.lines?.[i];
  const lb = b.lines?.[i];
  if (la && lb) {
    let j = 0;
    while (j < la.length && j < lb.length && la[j] === lb[j]) j++;
    const show = (l: string | undefined): string => (l === undefined ? '(the run ended)' : l.trimEnd());
    return `run ${i + 1} first differs at its syscall ${j + 1}: ${show(la[j])} vs ${show(lb[j])}`;
  }
  return `run ${i + 1} is the first to differ`;
}
