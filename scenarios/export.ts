// A counterexample leaves procns: a replay file as a scenario (named tasks, `$saved` fds, the
// profile's result as the expectation of every step), which can then be run, recorded on another
// implementation and checked anywhere; or as a mocha test that replays it in the emulator.
import { flagNames } from '../kernel/flags';
import { errname } from '../kernel/errno';
import { ArgDecl, SYSCALL_TABLE } from '../kernel/syscall_table';
import { buildProfile, newReal, Replay } from '../properties/fuzz';
import { ALL_PROPERTIES } from '../properties/checks';
import { Command, Completion, WORLD_SETUP } from '../properties/world';
import { Expect, Scenario, Step } from './format';
import { runScenario } from './runner';

export interface ExportOptions {
  /** false: the run is only behaviour (diff-linux), no property is checked. Default true. */
  checkProperties?: boolean;
  /**
   * After each successful step that may release a namespace (a syscall with no result but
   * success, or a reap), an @alive check of every namespace named so far: liveness, the heart
   * of the model, becomes something another implementation answers step by step.
   */
  aliveChecks?: boolean;
}

/** The commands with every started call run to its end and no scheduler steps. */
function sequential(cmds: readonly Command[]): Command[] {
  const out: Command[] = [];
  for (const c of cmds) {
    if (c.t === 'start') out.push({ t: 'call', task: c.task, call: c.call });
    else if (c.t === 'call') out.push(c);
    else if (c.t === 'race') out.push({ t: 'call', task: c.task, call: c.call }); // its window's calls name tasks by the race
  }
  return out;
}

/** Task names in the order tasks are made: A is init. */
function taskLetter(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `T${i}`;
}

/**
 * The replay's run as a scenario; an error string when it cannot be one. A scenario's steps run
 * one at a time, so the run is made sequential first (each started call run to its end, the
 * scheduler's steps dropped); when that run no longer shows the replay's failure, the failure
 * needs its interleaving and cannot be a scenario.
 */
export function replayToScenario(original: Replay, name: string, opts: ExportOptions = {}): Scenario | string {
  const checkProperties = opts.checkProperties ?? true;
  const r: Replay = { ...original, commands: sequential(original.commands) };
  const profile = buildProfile(r.profile, r.fix, r.inject);
  const done: Completion[] = [];
  /** For each completion, the kernel's oopses so far (a step that oopses must say so). */
  const oopsesAt: number[] = [];
  const props = !checkProperties ? [] : r.properties.length ? r.properties : ALL_PROPERTIES.filter((p) => p !== 'P8');
  const real = newReal(profile, new Set(props), {}, [(w, c) => {
    done.push(c);
    oopsesAt.push(w.k.oopses.length);
  }]);
  for (const cmd of r.commands) {
    real.world.run(cmd);
    real.checker.quiescent(real.world);
    if (real.checker.violations.length) break;
  }
  const names = new Map<number, string>([[real.world.k.init.pid.nr, 'A']]);
  const fds = new Map<number, Map<number, string>>([[real.world.k.init.pid.nr, new Map()]]);
  let saves = 0;
  /** The namespaces named by @ns so far. */
  const named: string[] = [];
  // the world's own setup first, so the scenario starts from the state the run started from
  const steps: Step[] = WORLD_SETUP.map((call) => ({ task: 'A', op: call.op, args: { ...call.args }, expect: { ret: 0 } }));
  for (const [i, c] of done.entries()) {
    if (!c.alone) return 'the run interleaves syscalls (start and step commands): a scenario\'s steps run one at a time';
    const d = SYSCALL_TABLE.get(c.call.op);
    if (!d) return `unknown syscall '${c.call.op}'`;
    const pid = c.task.pid.nr;
    const task = names.get(pid);
    if (!task) return `a call by pid ${pid}, which no step made`;
    const mine = fds.get(pid) as Map<number, string>;
    const pidName = (p: number): string | undefined => names.get(p);
    const args: Record<string, unknown> = {};
    for (const a of d.args) {
      const v = c.call.args[a.name];
      if (v !== undefined) args[a.name] = exportArg(a, v, mine, pidName, fds);
    }
    const step: Step = { task, op: c.call.op, args };
    const ret = c.result.ret;
    if (ret >= 0 && d.returns === 'task') {
      const child = taskLetter(names.size);
      names.set(ret, child);
      fds.set(ret, new Map(mine)); // the child's table is a copy (or, with CLONE_FILES, the same numbers)
      step.as = child;
    }
    if (ret >= 0 && d.returns === 'fd') {
      const n = `f${++saves}`;
      mine.set(ret, n);
      step.save = n;
    }
    if (ret >= 0 && d.returns === 'fds' && c.result.obs?.fds) {
      const n = `p${++saves}`;
      c.result.obs.fds.forEach((fd, i) => mine.set(fd, `${n}${i}`));
      step.save = n;
    }
    if (ret === 0 && c.call.op === 'close') mine.delete(c.call.args.fd as number);
    step.expect = expectOf(d.returns, c);
    const oops = real.world.k.oopses[i ? oopsesAt[i - 1] : 0];
    if (oopsesAt[i] > (i ? oopsesAt[i - 1] : 0) && oops) step.expect.oops = oops.message;
    steps.push(step);
    // an ns file opened: which namespace it names, and is that the one its task is in now
    // (what P3 is about), as checks another implementation answers too
    if (opts.aliveChecks && ret >= 0 && ((d.returns === 'zero' && !d.obs) || d.returns === 'reaped')) {
      for (const ns of named) steps.push({ task: 'A', op: '@alive', args: { ns } });
    }
    const target = c.nsPath?.pid === 'self' ? c.task : c.target;
    const targetName = target ? names.get(target.pid.nr) : undefined;
    if (c.call.op === 'open' && ret >= 0 && c.nsPath && target?.state === 'running' && targetName && step.save) {
      const ns = `n${saves}`;
      named.push(ns);
      steps.push({ task: targetName, op: '@ns', args: { type: c.nsPath.entry }, save: ns });
      steps.push({ task, op: '@fdis', args: { fd: `$${step.save}`, ns } });
    }
  }
  const v = real.checker.violations[0];
  if ((v?.property ?? null) !== (original.expect?.property ?? null) || (v?.message ?? null) !== (original.expect?.message ?? null)) {
    return `run one syscall at a time, the replay ${v ? `shows another failure (${v.property}: ${v.message})` : 'no longer fails'}: its failure needs its interleaving`;
  }
  const sc: Scenario = {
    name,
    description: `exported from a ${r.profile} replay (seed ${r.seed}, path "${r.path}")${v ? `: ${v.property} failed at its last step: ${v.message}` : ''}`,
    applies: [r.profile],
    steps,
  };
  // the checks' expectations are what the profile answers; then every expectation must hold
  const first = runScenario(sc, profile);
  for (const rep of first.steps) {
    if (!rep.step.op.startsWith('@')) continue;
    const o = rep.observed;
    rep.step.expect = o.errno !== undefined ? { errno: String(o.errno) } : o.same !== undefined ? { same: o.same as boolean } : { ret: 0 };
  }
  const report = runScenario(sc, profile);
  const bad = report.steps.find((s) => s.mismatches.length);
  return bad ? `the exported scenario does not replay (step ${bad.index}: ${bad.mismatches[0]})` : sc;
}

function exportArg(a: ArgDecl, v: unknown, mine: Map<number, string>, pidName: (p: number) => string | undefined, fds: Map<number, Map<number, string>>): unknown {
  switch (a.kind) {
    case 'fd': case 'dirfd':
      return typeof v === 'number' && mine.has(v) ? `$${mine.get(v)}` : v;
    case 'pid':
      return typeof v === 'number' && pidName(v) ? `$${pidName(v)}` : v;
    case 'flags': case 'nstype':
      return typeof v === 'number' && v !== 0 ? flagNames(v, a.names as [string, number][]) : v;
    case 'path': {
      if (typeof v !== 'string') return v;
      return v.replace(/^\/proc\/(\d+)(\/fd\/(\d+))?/, (m, p: string, _f: string, fd: string) => {
        const n = pidName(Number(p));
        if (!n) return m;
        const fdName = fd !== undefined ? fds.get(Number(p))?.get(Number(fd)) : undefined;
        return `/proc/\${${n}}${fd !== undefined ? `/fd/${fdName ? `\${${fdName}}` : fd}` : ''}`;
      });
    }
    default:
      return v;
  }
}

/** What the profile gave, as an expectation: the errno, or what a success must show. */
function expectOf(returns: string, c: Completion): Expect {
  const ret = c.result.ret;
  if (ret < 0) return { errno: errname(ret) };
  const e: Expect = returns === 'zero' || returns === 'count' ? { ret } : { ok: true };
  const st = c.result.obs?.stat;
  if (st) e.mode = '0' + st.mode.toString(8);
  const dents = c.result.obs?.dirents;
  if (dents) e.names = dents.map((x) => x.name);
  return e;
}

/** The replay as a mocha test: it replays the run in the emulator and expects the same failure. */
export function replayToMocha(r: Replay, title: string): string {
  const want = r.expect;
  return [
    '// Exported by `procns export --as mocha`: replays a counterexample in the emulator.',
    "import { strict as assert } from 'assert';",
    "import { replay, type Replay } from 'procns';",
    '',
    `const REPLAY = ${JSON.stringify({ ...r, version: undefined }, null, 2)} as unknown as Replay;`,
    '',
    `it(${JSON.stringify(title)}, () => {`,
    '  const shown = replay(REPLAY);',
    want
      ? `  assert.equal(shown.violation?.property, ${JSON.stringify(want.property)});\n  assert.equal(shown.violation?.message, ${JSON.stringify(want.message)});`
      : '  assert.equal(shown.violation, null);',
    '});',
    '',
  ].join('\n');
}
