// Where a picture comes from: a replay file (the fuzzer's counterexample, re-run with its
// checker), a scenario (run on the emulator, each step against its expectation), or a trace
// (checked by the oracle; the bars come from the emulator's run of the trace's own scenario).
// Each films the run with show/model.ts and fills in its step table.
import * as path from 'path';
import { errname } from '../kernel/errno';
import { Profile } from '../kernel/profile';
import { Namespace } from '../kernel/namespaces';
import { Task } from '../kernel/task';
import { Obs } from '../kernel/syscalls';
import { Completion } from '../properties/world';
import { buildProfile, newReal, Replay } from '../properties/fuzz';
import { PROPERTIES } from '../properties/checks';
import { RunReport, runScenario } from '../scenarios/runner';
import { Scenario } from '../scenarios/format';
import { NsRef } from '../scenarios/vocabulary';
import { TraceHeader, TraceStep } from '../oracle/trace';
import { CheckResult, scenarioOf } from '../oracle/check';
import { Film, Picture, StepRow } from './model';

/** A call's arguments as text: "path=/proc/2/ns/net flags=0". */
function argText(args: Record<string, unknown>): string {
  return Object.entries(args).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

/** What a syscall observed besides its result, as text. */
function obsText(o: Obs | undefined): string {
  if (!o) return '';
  const out: string[] = [];
  if (o.stat) out.push(`mode=0${o.stat.mode.toString(8)} ino=${o.stat.ino}`);
  if (o.text !== undefined) out.push(`text=${JSON.stringify(o.text)}`);
  if (o.dirents) out.push(`dirents=${o.dirents.map((d) => d.name).join(',')}`);
  if (o.fds) out.push(`fds=${o.fds.join(',')}`);
  return out.join(' ');
}

/** A trace record's result and observations as text (symbols as the trace writes them). */
function traceText(t: TraceStep | undefined): { result: string; obs: string } {
  if (!t) return { result: '', obs: '' };
  const result = t.errno ?? (t.ret === undefined ? '' : String(t.ret));
  const o = t.obs ?? {};
  const obs: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k === 'dirents') obs.push(`dirents=${(v as { name: string }[]).map((d) => d.name).join(',')}`);
    else obs.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return { result, obs: obs.join(' ') };
}

/**
 * A replay file's run: the commands re-run in a world watched by the replay's checker, a frame
 * per completed syscall, up to the first violation (as procns replay shows it).
 */
export function replayPicture(r: Replay, input: string): Picture {
  const profile = buildProfile(r.profile, r.fix, r.inject);
  const film = new Film((t) => `pid ${t.pid.nr}`);
  const rows: Omit<StepRow, 'changes'>[] = [];
  const done: Completion[] = [];
  const real = newReal(profile, new Set(r.properties), {}, [(w, c) => {
    film.frame(w.k, c.step);
    done.push(c);
  }]);
  film.frame(real.world.k, 0);
  let violation = null;
  for (const cmd of r.commands) {
    real.world.run(cmd);
    real.checker.quiescent(real.world);
    violation = real.checker.violations[0] ?? null;
    if (violation) break;
  }
  for (const c of done) {
    rows.push({
      step: c.step, task: `pid ${c.task.pid.nr}`, op: c.call.op, args: argText(c.call.args),
      result: c.result.ret < 0 ? errname(c.result.ret) : String(c.result.ret), obs: obsText(c.result.obs),
    });
  }
  const fixed = [...r.fix.map((f) => `-${f}`), ...r.inject.map((f) => `+${f}`)].join(' ');
  return {
    what: 'replay',
    input,
    title: `replay ${input}: ${r.profile}${fixed ? ` ${fixed}` : ''}, seed ${r.seed}`,
    profile: profile.name,
    notes: [
      `The fuzzer's counterexample re-run in the emulator under ${profile.name}, properties ${r.properties.join(', ')} checked after every step; a step is one completed syscall.`,
      'Holders are the emulator\'s refcount holders of each namespace (ref_tracker), followed to the task, fd, mount or cached dentry behind them.',
    ],
    last: film.last,
    steps: rows.map((s) => ({ ...s, oops: film.oopsAt(s.step), changes: film.changesAt(s.step) })),
    lanes: film.lanesOut(),
    bars: film.barsOut(),
    highlight: violation
      ? { step: violation.step, kind: 'violation', text: `${violation.property} failed at step ${violation.step}: ${violation.message} (${PROPERTIES[violation.property]})` }
      : null,
  };
}

/** A scenario's run on the emulator, filmed a frame per step, with the report and its trace. */
function filmScenario(sc: Scenario, profile: Profile): { film: Film; report: RunReport } {
  let names = new Map<Task, string>();
  const film = new Film((t) => names.get(t) ?? `pid ${t.pid.nr}`);
  const report = runScenario(sc, profile, (k, step, seen) => {
    names = new Map([...seen.tasks].map(([n, t]) => [t, n]));
    const nsNames = new Map<Namespace, string[]>();
    for (const [n, ref] of seen.ns as ReadonlyMap<string, NsRef>) {
      if (ref.key instanceof Namespace) nsNames.set(ref.key, [...(nsNames.get(ref.key) ?? []), n]);
    }
    film.frame(k, step, nsNames);
  });
  return { film, report };
}

function scenarioRow(report: RunReport, film: Film, i: number): StepRow {
  const s = report.steps[i];
  const t = traceText(report.trace[i]);
  const oops = typeof s.observed.oops === 'string' ? s.observed.oops : undefined;
  return {
    step: s.index, task: s.step.task ?? 'A', op: s.step.op, args: argText(s.step.args ?? {}), result: t.result, obs: t.obs,
    oops, changes: film.changesAt(s.index),
  };
}

/** A scenario run on the emulator under a profile; the first step off its expectation is marked. */
export function scenarioPicture(sc: Scenario, profile: Profile, input: string): Picture {
  const { film, report } = filmScenario(sc, profile);
  const bad = report.steps.find((s) => s.mismatches.length);
  return {
    what: 'scenario',
    input,
    title: `scenario ${sc.name} on ${profile.name}`,
    profile: profile.name,
    notes: [
      `${sc.description}`,
      `The scenario run in the emulator under ${profile.name}, each step checked against the result the kernel source says it must have.`,
      'Holders are the emulator\'s refcount holders of each namespace (ref_tracker), followed to the task, fd, mount or cached dentry behind them; a bar\'s name after "=" is what the scenario saved it as.',
    ],
    last: film.last,
    steps: report.steps.map((_, i) => scenarioRow(report, film, i)),
    lanes: film.lanesOut(),
    bars: film.barsOut(),
    highlight: bad ? { step: bad.index, kind: 'mismatch', text: `step ${bad.index} is not what ${profile.name} must give: ${bad.mismatches.join('; ')}` } : null,
  };
}

/**
 * A trace: the bars, lanes and holders are the emulator's run of the scenario the trace
 * carries, under the profile it is judged by; the trace's own results stand beside the model's
 * in the step table, and the checker's first divergence is marked. `verdict` is
 * oracle/check.ts's judgement of the same file under the same profile.
 */
export function tracePicture(header: TraceHeader, steps: TraceStep[], profile: Profile, verdict: CheckResult, input: string): Picture | string {
  const sc = scenarioOf(header);
  if (typeof sc === 'string') return sc;
  const { film, report } = filmScenario(sc, profile);
  const source = header.source ?? 'an unnamed implementation';
  const rows = report.steps.map((_, i) => ({ ...scenarioRow(report, film, i), trace: traceText(steps[i]) }));
  const bars = film.barsOut();
  // the trace's observations of a namespace it names, on that namespace's bar in the model
  for (const [i, t] of steps.entries()) {
    const o = t.obs ?? {};
    const key = o.alive !== undefined ? 'alive' : o.same !== undefined ? 'same' : null;
    const name = sc.steps[i]?.args?.ns;
    const bar = typeof name === 'string' ? bars.find((b) => b.names.includes(name)) : undefined;
    if (key === null || !bar) continue;
    const value = o[key] as boolean;
    const model = report.trace[i]?.obs?.[key];
    const free = key === 'alive' && report.steps[i].observed.aliveFree === true;
    (bar.seen ??= []).push({
      step: t.step, value, agrees: model === value || free,
      what: `${t.task} ${t.op} ${argText(t.args)}: ${source} saw ${key}=${value}; ${profile.name} ${free ? 'allows either' : `gives ${key}=${String(model)}`}`,
    });
  }
  const verdictText = verdict.verdict === 'agrees' ? `the trace agrees with ${profile.name} at all ${verdict.steps} steps`
    : verdict.verdict === 'diverges' ? `the trace diverges from ${profile.name} at step ${verdict.step}` : `the trace is malformed at line ${verdict.line}`;
  return {
    what: 'trace',
    input,
    title: `trace ${input}: scenario ${sc.name}, recorded by ${source}, judged under ${profile.name}`,
    profile: profile.name,
    notes: [
      `Model: the bars, task lanes and holders are the emulator's run of the trace's own scenario (${sc.name}, carried in its header) under ${profile.name}; so are the table's "model" columns.`,
      `Trace: the table's "trace" columns are what ${source} recorded; its @alive and @same answers are the circles on the model's bars (filled: true, hollow: false; red: not what the model allows). A trace has results and observations only: its kernel's refcounts are not in it.`,
      `procns check: ${verdictText}.`,
    ],
    last: film.last,
    steps: rows,
    lanes: film.lanesOut(),
    bars,
    highlight: verdict.verdict === 'diverges'
      ? { step: verdict.step, kind: 'divergence', text: `first divergence, step ${verdict.step}: ${verdict.what}; ${profile.name} allows ${verdict.allowed}, ${source} gave ${verdict.observed}` }
      : null,
  };
}

/** The input's name as a picture shows it. */
export function inputName(file: string): string {
  return path.basename(file);
}
