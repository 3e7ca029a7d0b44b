// Runs a scenario on the emulator: every step's result is checked against the expectation the
// kernel source gives, and the run is recorded as a trace.
import * as fs from 'fs';
import * as path from 'path';
import { Kernel } from '../kernel/kernel';
import { Profile } from '../kernel/profile';
import { syscall } from '../kernel/sched';
import { SysResult } from '../kernel/syscalls';
import { Task } from '../kernel/task';
import { errname } from '../kernel/errno';
import { DT_NAMES } from '../kernel/flags';
import { Namespace } from '../kernel/namespaces';
import { taskNs } from '../properties/checks';
import { reachable } from '../properties/liveness';
import { PROC_I } from '../kernel/proc_fs';
import { fcheck_files } from '../kernel/file';
import { newKernel } from '../procfs';
import { Expect, FLAG_ARGS, parseFlags, Scenario, Step, validateScenario } from './format';
import { Symbols, symbolicLinkText, TraceStep } from '../oracle/trace';

export const SCENARIO_DIR = path.resolve(__dirname, '..', '..', 'scenarios');

/** Every scenario file, by name, in name order. */
export function listScenarios(): Scenario[] {
  return fs.readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(SCENARIO_DIR, f), 'utf8')) as Scenario);
}

/** A scenario by name or file path; an error string when missing or malformed. */
export function loadScenario(nameOrFile: string): Scenario | string {
  const file = fs.existsSync(nameOrFile) ? nameOrFile : path.join(SCENARIO_DIR, `${nameOrFile}.json`);
  if (!fs.existsSync(file)) return `no scenario '${nameOrFile}' (see procns list)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return `${file}: not JSON: ${(e as Error).message}`;
  }
  const err = validateScenario(parsed);
  return err ? `${file}: ${err}` : (parsed as Scenario);
}

export interface StepReport {
  index: number;
  step: Step;
  expected: Expect | undefined;
  observed: Record<string, unknown>;
  mismatches: string[];
}

export interface RunReport {
  scenario: string;
  profile: string;
  steps: StepReport[];
  trace: TraceStep[];
  oopses: string[];
  ok: boolean;
}

/** Check an observation against an expectation: the list of differences. */
export function compare(exp: Expect | undefined, obs: Record<string, unknown>): string[] {
  if (!exp) return [];
  const out: string[] = [];
  const ret = obs.ret as number | undefined;
  if (exp.errno !== undefined && obs.errno !== exp.errno) out.push(`expected ${exp.errno}, got ${obs.errno ?? `ret ${ret}`}`);
  if (exp.ret !== undefined && ret !== exp.ret) out.push(`expected ret ${exp.ret}, got ${obs.errno ?? `ret ${ret}`}`);
  if (exp.ok && obs.errno !== undefined) out.push(`expected success, got ${obs.errno}`);
  if (exp.mode !== undefined && obs.mode !== exp.mode) out.push(`expected mode ${exp.mode}, got ${obs.mode}`);
  if (exp.text !== undefined && obs.text !== exp.text) out.push(`expected text ${JSON.stringify(exp.text)}, got ${JSON.stringify(obs.text)}`);
  if (exp.textMatch !== undefined && !new RegExp(exp.textMatch).test(String(obs.text))) out.push(`expected text matching /${exp.textMatch}/, got ${JSON.stringify(obs.text)}`);
  for (const f of ['names', 'types', 'offs', 'reclens'] as const) {
    if (exp[f] !== undefined && JSON.stringify(obs[f]) !== JSON.stringify(exp[f])) out.push(`expected ${f} ${JSON.stringify(exp[f])}, got ${JSON.stringify(obs[f])}`);
  }
  if (exp.alive !== undefined && obs.alive !== exp.alive) out.push(`expected alive=${exp.alive}, got alive=${obs.alive}`);
  if (exp.same !== undefined && obs.same !== exp.same) out.push(`expected same=${exp.same}, got same=${obs.same}`);
  return out;
}

/** Oopses are checked on every step: none, unless the expectation names one. */
export function compareOops(exp: Expect | undefined, oops: string | undefined): string[] {
  if (exp?.oops !== undefined) return oops?.includes(exp.oops) ? [] : [`expected an oops "${exp.oops}", got ${oops ? `"${oops}"` : 'none'}`];
  return oops ? [`unexpected oops: ${oops}`] : [];
}

/** The expectation of a step on a profile: the profile's own, else the default. */
export function expectationFor(step: Step, profile: string): Expect | undefined {
  const base = profile.replace(/[-+].*$/, '');
  return step.profiles?.[base] ?? step.expect;
}

/** Run a scenario on the emulator. */
export function runScenario(sc: Scenario, profile: Profile): RunReport {
  const k: Kernel = newKernel(profile);
  const tasks = new Map<string, Task>([['A', k.init]]);
  const saved = new Map<string, number>();
  const nsNames = new Map<string, Namespace>();
  const syms = new Symbols();
  const reports: StepReport[] = [];
  const trace: TraceStep[] = [];
  const taskName = (pid: number): string => [...tasks.entries()].find(([, t]) => t.pid.nr === pid)?.[0] ?? `pid${pid}`;

  const resolve = (v: unknown, key: string): unknown => {
    if (FLAG_ARGS.has(key)) return parseFlags(v);
    if (typeof v !== 'string') return v;
    const value = (name: string): number | undefined => tasks.get(name)?.pid.nr ?? saved.get(name);
    const m = /^\$(\w+)$/.exec(v) ?? /^\$\{(\w+)\}$/.exec(v);
    if (m) return value(m[1]) ?? v;
    return v.replace(/\$\{(\w+)\}/g, (_s, name: string) => String(value(name) ?? `?${name}`));
  };

  for (const [index, step] of sc.steps.entries()) {
    const t = tasks.get(step.task ?? 'A');
    const exp = expectationFor(step, profile.name);
    let observed: Record<string, unknown>;
    const oopsesBefore = k.oopses.length;
    if (!t) {
      observed = { error: `no task '${step.task}'` };
    } else if (step.op.startsWith('@')) {
      observed = runCheck(k, t, step, saved, nsNames);
    } else {
      const args: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(step.args ?? {})) args[key] = resolve(v, key);
      const res = syscall(k, t, { op: step.op, args });
      observed = observe(res, syms);
      if (res.ret >= 0 && step.as && (step.op === 'fork' || step.op === 'clone')) {
        const child = k.tasks.get(res.ret);
        if (child) tasks.set(step.as, child);
        observed.ret = step.as;
      }
      if (res.ret >= 0 && step.save) saved.set(step.save, res.ret);
      if (typeof observed.ret === 'number' && res.ret >= 0 && (step.op === 'open' || step.op === 'dup' || step.op === 'dup2')) {
        observed.ret = syms.name('fd', res.ret);
      }
      if (step.op === 'wait' && res.ret > 0) observed.ret = taskName(res.ret);
    }
    const newOopses = k.oopses.slice(oopsesBefore).map((o) => o.message);
    if (newOopses.length) observed.oops = newOopses.join('; ');
    const mismatches = observed.error ? [String(observed.error)] : [...compare(exp, observed), ...compareOops(exp, observed.oops as string | undefined)];
    reports.push({ index: index + 1, step, expected: exp, observed, mismatches });
    trace.push(traceRecord(index + 1, step, observed));
  }
  return {
    scenario: sc.name,
    profile: profile.name,
    steps: reports,
    trace,
    oopses: k.oopses.map((o) => `step ${o.step}: ${o.message} in ${o.at}${o.object ? ` (${o.object})` : ''}`),
    ok: reports.every((r) => r.mismatches.length === 0),
  };
}

/** The observations of a syscall result, symbolic. */
function observe(res: SysResult, syms: Symbols): Record<string, unknown> {
  const o: Record<string, unknown> = res.ret < 0 ? { errno: errname(res.ret) } : { ret: res.ret };
  const st = res.obs?.stat;
  if (st) {
    o.mode = '0' + st.mode.toString(8);
    o.ino = syms.name('ino', st.ino);
  }
  if (res.obs?.text !== undefined) o.text = symbolicLinkText(res.obs.text, syms);
  const ds = res.obs?.dirents;
  if (ds) {
    o.names = ds.map((d) => d.name);
    o.types = ds.map((d) => DT_NAMES[d.type] ?? String(d.type));
    o.offs = ds.map((d) => d.off);
    o.reclens = ds.map((d) => d.reclen);
    o.inos = ds.map((d) => syms.name('ino', d.ino));
  }
  return o;
}

/** The emulator's side of the @ checks. */
function runCheck(k: Kernel, t: Task, step: Step, saved: Map<string, number>, nsNames: Map<string, Namespace>): Record<string, unknown> {
  const a = step.args ?? {};
  switch (step.op) {
    case '@ns': {
      const ns = taskNs(t, String(a.type));
      if (!ns) return { errno: 'ENOENT' };
      if (step.save) nsNames.set(step.save, ns);
      return { ret: 0 };
    }
    case '@fdns': case '@fdis': {
      const fd = typeof a.fd === 'string' ? saved.get(a.fd.replace(/^\$/, '')) : (a.fd as number);
      const f = t.files && fd !== undefined ? fcheck_files(t.files, fd) : null;
      const inode = f?.f_path.dentry.d_inode;
      const ns = inode ? PROC_I(inode).ns : null;
      if (!ns) return { errno: 'EINVAL' };
      if (step.op === '@fdis') {
        const want = nsNames.get(String(a.ns));
        if (!want) return { error: `no namespace named '${String(a.ns)}'` };
        return { ret: 0, same: ns === want };
      }
      if (step.save) nsNames.set(step.save, ns);
      return { ret: 0 };
    }
    case '@alive': {
      const ns = nsNames.get(String(a.ns));
      if (!ns) return { error: `no namespace named '${String(a.ns)}'` };
      // held only by cached dentries: the kernel may have pruned them, so dead is allowed too
      const cachedOnly = !ns.freed && !reachable(k, false).has(ns);
      return cachedOnly ? { ret: 0, alive: true, aliveFree: true } : { ret: 0, alive: !ns.freed };
    }
    case '@same': {
      const ns = nsNames.get(String(a.ns));
      if (!ns) return { error: `no namespace named '${String(a.ns)}'` };
      return { ret: 0, same: taskNs(t, String(a.type)) === ns };
    }
    default:
      return { error: `unknown check '${step.op}'` };
  }
}

/** A step's trace record from its observations (shared with the real-kernel recorder). */
export function traceRecord(n: number, step: Step, observed: Record<string, unknown>): TraceStep {
  const rec: TraceStep = { step: n, task: step.task ?? 'A', op: step.op, args: step.args ?? {} };
  if (observed.errno !== undefined) rec.errno = String(observed.errno);
  else if (observed.ret !== undefined) rec.ret = observed.ret as number | string;
  const obs: Record<string, unknown> = {};
  for (const key of ['mode', 'ino', 'text', 'alive', 'same'] as const) if (observed[key] !== undefined) obs[key] = observed[key];
  if (observed.names) {
    const names = observed.names as string[];
    obs.dirents = names.map((name, i) => ({
      name,
      type: (observed.types as string[])[i],
      off: (observed.offs as number[])[i],
      reclen: (observed.reclens as number[])[i],
      ino: (observed.inos as string[])[i],
    }));
  }
  if (Object.keys(obs).length) rec.obs = obs;
  return rec;
}

/** A readable step-by-step report; failing steps marked with ✗. */
export function formatReport(r: RunReport): string {
  const lines = [`scenario ${r.scenario} on ${r.profile}`];
  for (const s of r.steps) {
    const mark = s.mismatches.length ? '✗' : '✓';
    const what = `${s.step.task ?? 'A'} ${s.step.op} ${JSON.stringify(s.step.args ?? {})}`;
    const got = s.observed.errno ?? (s.observed.ret !== undefined ? `ret ${String(s.observed.ret)}` : '');
    const oops = s.observed.oops ? `   (oops: ${String(s.observed.oops)})` : '';
    lines.push(`  ${mark} step ${s.index}: ${what} → ${got}${oops}`);
    for (const m of s.mismatches) lines.push(`      ${m}${s.step.why ? `   [${s.step.why}]` : ''}`);
  }
  lines.push(r.ok ? 'PASS' : 'FAIL');
  return lines.join('\n');
}

