// procns check: is a recorded trace a behaviour the profile allows? The trace names its
// scenario; the emulator runs that scenario under the profile, and each observed step must lie
// in what the profile allows: the same errno or result, the same observations up to a
// consistent renaming of fds and inode numbers, and either answer where the kernel is free
// (a namespace held only by cached dentries may already be dead).
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

/** Parse the JSON Lines text and validate each line against trace.schema.json (scenarios/schemas.ts). */
export function parseTrace(text: string): { header: TraceHeader; steps: TraceStep[] } | CheckResult {
  const lines = text.split('\n');
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (!lines.length) return malformed(1, 'empty trace');
  const objs: Record<string, unknown>[] = [];
  for (const [i, l] of lines.entries()) {
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch (e) {
      return malformed(i + 1, `not JSON: ${(e as Error).message}`);
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) return malformed(i + 1, 'each line must be a JSON object');
    objs.push(o as Record<string, unknown>);
  }
  const h = objs[0];
  const hp = schemaProblem('trace-header', h);
  if (hp) return malformed(1, `header: ${hp}`);
  const steps: TraceStep[] = [];
  for (let i = 1; i < objs.length; i++) {
    const o = objs[i];
    const line = i + 1;
    const sp = schemaProblem('trace-step', o);
    if (sp) return malformed(line, sp);
    // what the schema cannot say: steps are numbered 1, 2, ... with no gaps
    if (o.step !== i) return malformed(line, `"step" must be ${i}, got ${JSON.stringify(o.step)}`);
    steps.push(o as unknown as TraceStep);
  }
  return { header: h as unknown as TraceHeader, steps };
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

/** Judge a trace under a profile (the header's when none is given). */
export function checkTrace(text: string, profileName?: string): CheckResult {
  const parsed = parseTrace(text);
  if ('verdict' in parsed) return parsed;
  const { header, steps } = parsed;
  const sc = scenarioOf(header);
  if (typeof sc === 'string') return malformed(1, sc);
  const profile = profileName !== undefined ? makeProfile(profileName) : makeProfile(header.profile ?? '', header.fix ?? [], header.inject ?? []);
  if (typeof profile === 'string') return malformed(1, profile);
  const shape = sameShape(sc, steps);
  if (shape) return shape;
  const report = allowedRun(sc, profile as Profile);
  const names = new Renaming();
  for (let i = 0; i < steps.length; i++) {
    const allowed = report.trace[i];
    const why = compareStep(steps[i], allowed, report.steps[i].observed.aliveFree === true, names);
    if (why) {
      return {
        verdict: 'diverges',
        step: i + 1,
        what: `${steps[i].task} ${steps[i].op} ${JSON.stringify(steps[i].args)}: ${why}`,
        allowed: show(allowed) + (report.steps[i].observed.aliveFree ? ' (or alive:false)' : ''),
        observed: show(steps[i]),
      };
    }
  }
  return { verdict: 'agrees', steps: steps.length };
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

/** The trace must be a run of its scenario: the same tasks, calls and arguments, in order. */
function sameShape(sc: Scenario, steps: TraceStep[]): CheckResult | null {
  if (steps.length !== sc.steps.length) return malformed(steps.length + 2, `the trace has ${steps.length} steps, scenario '${sc.name}' has ${sc.steps.length}`);
  for (let i = 0; i < steps.length; i++) {
    const want = sc.steps[i];
    const got = steps[i];
    if (got.task !== (want.task ?? 'A') || got.op !== want.op || JSON.stringify(got.args) !== JSON.stringify(want.args ?? {})) {
      return malformed(i + 2, `step ${i + 1} is not scenario '${sc.name}' step ${i + 1} (${want.task ?? 'A'} ${want.op} ${JSON.stringify(want.args ?? {})})`);
    }
  }
  return null;
}

/** The text procns check prints for a result. */
export function formatCheck(r: CheckResult, profile: string): string {
  switch (r.verdict) {
    case 'agrees': return `agrees: all ${r.steps} steps are behaviours ${profile} allows`;
    case 'diverges': return `diverges at step ${r.step}: ${r.what}\n  ${profile} allows: ${r.allowed}\n  observed:    ${r.observed}`;
    case 'malformed': return `malformed trace, line ${r.line}: ${r.reason}`;
  }
}
