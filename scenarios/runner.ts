// Runs a scenario on the emulator: every step's result is checked against the expectation the
// kernel source gives, and the run is recorded as a trace.
import * as fs from 'fs';
import * as path from 'path';
import { Kernel } from '../kernel/kernel';
import { Profile } from '../kernel/profile';
import { syscall } from '../kernel/sched';
import { SysResult } from '../kernel/syscalls';
import { Task } from '../kernel/task';
import { Namespace } from '../kernel/namespaces';
import { syscallDesc } from '../kernel/syscall_table';
import { taskNs } from '../properties/checks';
import { reachable } from '../properties/liveness';
import { PROC_I } from '../kernel/proc_fs';
import { fcheck_files } from '../kernel/file';
import { newKernel } from '../procfs';
import { Expect, Scenario, Step, validateScenario } from './format';
import { readInput } from './input';
import { Symbols, TraceStep } from '../oracle/trace';
import { atCheckSync, CheckAnswer, CheckQuery, NsRef, Observed, observeResult, RawResult, resolveStepArgs, savedValues } from './vocabulary';

export const SCENARIO_DIR = path.resolve(__dirname, '..', '..', 'scenarios');

/** Every scenario file, by name, in name order. */
export function listScenarios(): Scenario[] {
  return fs.readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(SCENARIO_DIR, f), 'utf8')) as Scenario);
}

/** A scenario by name or file path; an error string when missing or malformed. */
export function loadScenario(nameOrFile: string): Scenario | string {
  const file = fs.existsSync(nameOrFile) ? nameOrFile : path.join(SCENARIO_DIR, `${nameOrFile}.json`);
  if (!fs.existsSync(file)) return `no scenario '${nameOrFile}' (see procns list)`;
  const input = readInput(file);
  if ('error' in input) return input.error;
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.text);
  } catch (e) {
    return `${file}: not JSON: ${(e as Error).message}`;
  }
  const err = validateScenario(parsed, input.text);
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
  const nsNames = new Map<string, NsRef>();
  const syms = new Symbols();
  const reports: StepReport[] = [];
  const trace: TraceStep[] = [];
  const taskName = (pid: number): string => [...tasks.entries()].find(([, t]) => t.pid.nr === pid)?.[0] ?? `pid${pid}`;
  const value = (name: string): number | undefined => tasks.get(name)?.pid.nr ?? saved.get(name);

  for (const [index, step] of sc.steps.entries()) {
    const t = tasks.get(step.task ?? 'A');
    const exp = expectationFor(step, profile.name);
    let observed: Observed;
    const oopsesBefore = k.oopses.length;
    if (!t) {
      observed = { error: `no task '${step.task}'` };
    } else if (step.op.startsWith('@')) {
      observed = atCheckSync(step, nsNames, value, (q) => answerCheck(k, t, q));
    } else {
      const args = resolveStepArgs(step.op, step.args, value);
      if (typeof args === 'string') {
        observed = { error: args };
      } else {
        const d = syscallDesc(step.op);
        const res = syscall(k, t, { op: step.op, args });
        const child = d?.returns === 'task' && res.ret > 0 ? k.tasks.get(res.ret) : undefined;
        if (child && step.as) tasks.set(step.as, child);
        observed = observeResult(d, rawOf(res), { syms, taskName, newTask: child && step.as ? step.as : undefined });
        for (const [name, v] of savedValues(d, step.save, res.ret, res.obs?.fds)) saved.set(name, v);
      }
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

/** The emulator's raw result, for the shared naming (scenarios/vocabulary.ts). */
function rawOf(res: SysResult): RawResult {
  const st = res.obs?.stat;
  return {
    ret: res.ret,
    stat: st ? { mode: st.mode, ino: st.ino, dev: st.dev } : undefined,
    text: res.obs?.text,
    dirents: res.obs?.dirents,
    fds: res.obs?.fds,
  };
}

/** The emulator's answers to the @-checks' questions: the model's view, no references taken. */
function answerCheck(k: Kernel, t: Task, q: CheckQuery): CheckAnswer {
  switch (q.q) {
    case 'taskNs': {
      const ns = taskNs(t, q.type);
      return ns ? { key: ns } : { errno: 'ENOENT' };
    }
    case 'fdNs': {
      const fd = typeof q.fd === 'number' ? q.fd : undefined;
      const f = t.files && fd !== undefined ? fcheck_files(t.files, fd) : null;
      const inode = f?.f_path.dentry.d_inode;
      const ns = inode ? PROC_I(inode).ns : null;
      return ns ? { key: ns } : { errno: 'EINVAL' };
    }
    case 'alive': {
      const ns = q.ns.key as Namespace;
      // held only by cached dentries: the kernel may have pruned them, so dead is allowed too
      const cachedOnly = !ns.freed && !reachable(k, false).has(ns);
      return { alive: !ns.freed, either: cachedOnly };
    }
  }
}

/** A step's trace record from its observations (shared with the real-kernel recorder). */
export function traceRecord(n: number, step: Step, observed: Record<string, unknown>): TraceStep {
  const rec: TraceStep = { step: n, task: step.task ?? 'A', op: step.op, args: step.args ?? {} };
  if (observed.errno !== undefined) rec.errno = String(observed.errno);
  else if (observed.ret !== undefined) rec.ret = observed.ret as number | string;
  const obs: Record<string, unknown> = {};
  for (const key of ['mode', 'ino', 'text', 'alive', 'same', 'fds'] as const) if (observed[key] !== undefined) obs[key] = observed[key];
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

