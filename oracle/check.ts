// procns check: is a recorded trace a behaviour the profile allows? The trace names its
// scenario; the emulator runs that scenario under the profile, and each observed step must lie
// in what the profile allows: the same errno or result, the same observations up to a
// consistent renaming of fds and inode numbers, and either answer where the kernel is free
// (a namespace held only by cached dentries may already be dead).
import * as fs from 'fs';
import { makeProfile, Profile } from '../kernel/profile';
import { listScenarios, runScenario, RunReport } from '../scenarios/runner';
import { Scenario, validateScenario } from '../scenarios/format';
import { scenarioHash, TraceHeader, TraceStep } from './trace';
import { schemaProblem } from '../scenarios/schemas';

export type CheckResult =
  | { verdict: 'agrees'; steps: number }
  | { verdict: 'diverges'; step: number; what: string; allowed: string; observed: string }
  | { verdict: 'malformed'; line: number; reason: string };


function malformed(line: number, reason: string): CheckResult {
  return { verdict: 'malformed', line, reason };
}

/** A consistent renaming between the trace's symbols and the emulator's. */
class Renaming {
  private readonly there = new Map<string, string>();
  private readonly back = new Map<string, string>();
  /** null when consistent; else why not. */
  bind(observed: string, allowed: string): string | null {
    const a = this.there.get(observed);
    const b = this.back.get(allowed);
    if (a === undefined && b === undefined) {
      this.there.set(observed, allowed);
      this.back.set(allowed, observed);
      return null;
    }
    if (a === allowed) return null;
    return a !== undefined
      ? `${observed} stood for the object the profile calls ${a}, here it must be ${allowed}`
      : `${allowed} was observed as ${b} before, here as ${observed}`;
  }
}

const SYMBOL = /^(fd|ino)#\d+$/;

function show(rec: Partial<TraceStep>): string {
  const r: Record<string, unknown> = {};
  if (rec.errno !== undefined) r.errno = rec.errno; else r.ret = rec.ret;
  if (rec.obs) r.obs = rec.obs;
  return JSON.stringify(r);
}

/**
 * A readlink text naming a pseudo file's inode number ("pipe:[ino#2]"): the number comes from
 * get_next_ino, so how many digits it has, and the text's length (the return value), is the
 * implementation's. A namespace's inum (net:[ino#1]) is not free: it lies in
 * [PROC_NS_MIN_INO, 2^32), ten digits everywhere.
 */
function namesInode(rec: TraceStep): boolean {
  return typeof rec.obs?.text === 'string' && /^(pipe|socket):\[ino#\d+\]$/.test(rec.obs.text);
}

/** Compare one observed step with what the profile allows. */
function compareStep(obs: TraceStep, allowed: TraceStep, aliveFree: boolean, names: Renaming): string | null {
  if ((obs.errno ?? null) !== (allowed.errno ?? null)) return 'a different result';
  if (obs.errno === undefined) {
    if (typeof obs.ret === 'string' && SYMBOL.test(obs.ret) && typeof allowed.ret === 'string') {
      const e = names.bind(obs.ret, allowed.ret);
      if (e) return e;
    } else if (obs.ret !== allowed.ret && !(namesInode(obs) && namesInode(allowed))) return 'a different return value';
  }
  const o = obs.obs ?? {};
  const a = allowed.obs ?? {};
  for (const key of Object.keys(o)) if (!(key in a)) return `an observation ("${key}") the profile does not make`;
  for (const key of Object.keys(a)) if (!(key in o)) return `no "${key}" observation`;
  if (o.mode !== a.mode) return 'a different mode';
  if (o.ino !== undefined && a.ino !== undefined) {
    const e = names.bind(o.ino, a.ino);
    if (e) return e;
  }
  if (o.text !== undefined) {
    const re = /ino#\d+/g;
    const oi = o.text.match(re) ?? [];
    const ai = (a.text ?? '').match(re) ?? [];
    if (o.text.replace(re, '*') !== (a.text ?? '').replace(re, '*') || oi.length !== ai.length) return 'a different text';
    for (let i = 0; i < oi.length; i++) {
      const e = names.bind(oi[i], ai[i]);
      if (e) return e;
    }
  }
  if (o.fds !== undefined) {
    const af = a.fds ?? [];
    if (o.fds.length !== af.length) return 'a different number of fds';
    for (let i = 0; i < af.length; i++) {
      const e = names.bind(o.fds[i], af[i]);
      if (e) return e;
    }
  }
  if (o.dirents !== undefined) {
    const ad = a.dirents ?? [];
    if (o.dirents.length !== ad.length) return 'a different number of directory entries';
    for (let i = 0; i < ad.length; i++) {
      const x = o.dirents[i];
      const y = ad[i];
      if (x.name !== y.name || x.type !== y.type || x.off !== y.off || x.reclen !== y.reclen) return `a different directory entry ${i + 1}`;
      const e = names.bind(x.ino, y.ino);
      if (e) return e;
    }
  }
  if (o.alive !== a.alive && !aliveFree) return 'a different liveness';
  if (o.same !== a.same) return 'a different namespace';
  return null;
}

/**
 * Judges a trace a line at a time (trace.schema.json for each, scenarios/schemas.ts), so a trace
 * of any length is judged in the memory of its scenario's run: the header names the scenario
 * and the profile, then each step is compared with the profile's run as it comes. The first
 * divergence is reported even when a malformed line comes after it.
 */
export class TraceJudge {
  private sc: Scenario | null = null;
  private report: RunReport | null = null;
  private readonly names = new Renaming();
  private steps = 0;
  private lines = 0;
  private blank = 0;

  /** `judgeAs`: the profile to judge under (a name, or a built profile with its flags); default the header's. */
  constructor(private readonly judgeAs?: string | Profile) {}

  /** The next line of the trace: a verdict once one is known, else null (go on). */
  line(text: string): CheckResult | null {
    const n = ++this.lines;
    if (text.trim() === '') {
      this.blank ||= n;
      return null;
    }
    if (this.blank) return malformed(this.blank, 'not JSON: an empty line');
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      return malformed(n, `not JSON: ${(e as Error).message}`);
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) return malformed(n, 'each line must be a JSON object');
    return this.sc === null ? this.header(o as TraceHeader) : this.step(n, o as Record<string, unknown>);
  }

  private header(h: TraceHeader): CheckResult | null {
    const hp = schemaProblem('trace-header', h);
    if (hp) return malformed(1, `header: ${hp}`);
    const sc = scenarioOf(h);
    if (typeof sc === 'string') return malformed(1, sc);
    const j = this.judgeAs;
    const profile = j === undefined ? makeProfile(h.profile ?? '', h.fix ?? [], h.inject ?? []) : typeof j === 'string' ? makeProfile(j) : j;
    if (typeof profile === 'string') return malformed(1, profile);
    this.sc = sc;
    this.report = allowedRun(sc, profile);
    return null;
  }

  private step(line: number, o: Record<string, unknown>): CheckResult | null {
    const sc = this.sc as Scenario;
    const report = this.report as RunReport;
    const sp = schemaProblem('trace-step', o);
    if (sp) return malformed(line, sp);
    const i = this.steps++;
    // what the schema cannot say: steps are numbered 1, 2, ... with no gaps
    if (o.step !== i + 1) return malformed(line, `"step" must be ${i + 1}, got ${JSON.stringify(o.step)}`);
    const want = sc.steps[i];
    const got = o as unknown as TraceStep;
    if (!want) return malformed(line, `the trace has more steps than scenario '${sc.name}' (${sc.steps.length})`);
    // the trace must be a run of its scenario: the same task, call and arguments (in any order)
    if (got.task !== (want.task ?? 'A') || got.op !== want.op || canonical(got.args) !== canonical(want.args ?? {})) {
      return malformed(line, `step ${i + 1} is not scenario '${sc.name}' step ${i + 1} (${want.task ?? 'A'} ${want.op} ${JSON.stringify(want.args ?? {})})`);
    }
    const allowed = report.trace[i];
    const why = compareStep(got, allowed, report.steps[i].observed.aliveFree === true, this.names);
    if (!why) return null;
    return {
      verdict: 'diverges',
      step: i + 1,
      what: `${got.task} ${got.op} ${JSON.stringify(got.args)}: ${why}`,
      allowed: show(allowed) + (report.steps[i].observed.aliveFree ? ' (or alive:false)' : ''),
      observed: show(got),
    };
  }

  /** The end of the trace: agrees, or why it is not a whole run. */
  end(): CheckResult {
    if (this.sc === null) return malformed(1, 'empty trace');
    if (this.steps < this.sc.steps.length) {
      return malformed(this.steps + 2, `the trace has ${this.steps} steps, scenario '${this.sc.name}' has ${this.sc.steps.length}`);
    }
    return { verdict: 'agrees', steps: this.steps };
  }
}

/** Arguments compared whatever the order of their keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Judge a trace's text under a profile (the header's when none is given). */
export function checkTrace(text: string, judgeAs?: string | Profile): CheckResult {
  const judge = new TraceJudge(judgeAs);
  for (const l of text.split('\n')) {
    const r = judge.line(l);
    if (r) return r;
  }
  return judge.end();
}

/** The longest line a trace may have (a header inlines its scenario). */
export const MAX_TRACE_LINE = 4 * 1024 * 1024;

/**
 * Judge a trace file as it streams (a file, a FIFO, standard output of a recorder): memory is
 * bounded by the longest line, at most MAX_TRACE_LINE, whatever the trace's length.
 */
export async function checkTraceFile(file: string, profileName?: string): Promise<CheckResult> {
  const judge = new TraceJudge(profileName);
  const stream = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  let partial = '';
  let line = 1;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = partial + chunk.toString('utf8');
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const r = judge.line(text.slice(start, nl));
        line++;
        if (r) return r;
        start = nl + 1;
      }
      partial = text.slice(start);
      if (partial.length > MAX_TRACE_LINE) return malformed(line, `a line longer than ${MAX_TRACE_LINE} bytes`);
    }
  } finally {
    stream.destroy();
  }
  if (partial) {
    const r = judge.line(partial);
    if (r) return r;
  }
  return judge.end();
}

/**
 * The scenario a trace is a run of: the one inlined in its header (checked against its hash and
 * its schema), or else a bundled scenario of that name. A name is never looked up on the file
 * system: a trace is judged by what it carries.
 */
function scenarioOf(header: TraceHeader): Scenario | string {
  if (header.doc !== undefined) {
    if (header.sha256 !== undefined && header.sha256 !== scenarioHash(header.doc)) return 'the inlined scenario ("doc") does not match its "sha256"';
    const why = validateScenario(header.doc);
    if (why) return `the inlined scenario: ${why}`;
    const sc = header.doc as Scenario;
    return sc.name === header.scenario ? sc : `the inlined scenario is '${sc.name}', the header names '${header.scenario}'`;
  }
  bundled ??= new Map(listScenarios().map((s) => [s.name, s]));
  return bundled.get(header.scenario) ?? `unknown scenario '${header.scenario}' (not bundled, and the header does not carry it)`;
}

/** The bundled scenarios by name, read once per process. */
let bundled: Map<string, Scenario> | null = null;

/** The emulator's run of a scenario is a function of (scenario, profile): computed once. */
const runs = new Map<string, RunReport>();
function allowedRun(sc: Scenario, profile: Profile): RunReport {
  const key = `${profile.name}\n${JSON.stringify(sc)}`;
  let r = runs.get(key);
  if (!r) {
    r = runScenario(sc, profile);
    runs.set(key, r);
  }
  return r;
}

/** The text procns check prints for a result. */
export function formatCheck(r: CheckResult, profile: string): string {
  switch (r.verdict) {
    case 'agrees': return `agrees: all ${r.steps} steps are behaviours ${profile} allows`;
    case 'diverges': return `diverges at step ${r.step}: ${r.what}\n  ${profile} allows: ${r.allowed}\n  observed:    ${r.observed}`;
    case 'malformed': return `malformed trace, line ${r.line}: ${r.reason}`;
  }
}
