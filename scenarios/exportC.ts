// A scenario as one self-contained C program (`procns export --as c`), what syzkaller's prog2c is
// to kernel engineers: it needs no procns, builds with `gcc -Wall -Werror`, runs as root on a real
// kernel (or anything that runs Linux binaries) inside oracle/linux/sandbox.h's sandbox, and
// prints a TAP line per step against the profile's expectations. Each syscall's C is its table
// entry's `c` template (kernel/syscall_table.ts); the flags are written by name from the same
// tables; the runtime that drives the tasks is oracle/linux/export-runtime.c. Both C files are
// read here at export time and copied in, so the output stays self-contained.
import * as fs from 'fs';
import * as path from 'path';
import { CLONE_SIGHAND, CLONE_THREAD, CLONE_VM } from '../kernel/flags';
import { Profile } from '../kernel/profile';
import { ArgDecl, AT_FDCWD, CLONE_NAMES, FlagTable, MNT_FLAG_NAMES, MS_FLAG_NAMES, OPEN_NAMES, SEEK_NAMES, SyscallDesc, syscallDesc } from '../kernel/syscall_table';
import { scenarioOf } from '../oracle/check';
import { linuxDir } from '../oracle/recordLinux';
import type { TraceHeader } from '../oracle/trace';
import { MAX_INPUT_BYTES } from './input';
import { Expect, Scenario, Step } from './format';
import { expectationFor, runScenario } from './runner';
import { AtCheck, isAtCheck, parseFlagWord, stepProblem } from './vocabulary';

/** Every flag table a C argument may be named from, for the `#define` fallbacks. */
const FLAG_TABLES: readonly FlagTable[] = [CLONE_NAMES, OPEN_NAMES, MNT_FLAG_NAMES, MS_FLAG_NAMES, SEEK_NAMES];

/** A C string literal. */
function cString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (b >= 0x20 && b < 0x7f && c !== '?') out += c;
    else out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out + '"';
}

/** Text safe inside a C comment. */
const comment = (s: string): string => s.replace(/\*\//g, '* /');

/** A flag word by its names ("CLONE_NEWNET|CLONE_NEWUTS"); 0 by the table's name for 0 (O_RDONLY, SEEK_SET) or "0". */
function flagWord(v: number, names: FlagTable, used: Set<string>, sep = ' | '): string {
  if (v === 0) {
    const zero = names.find(([, b]) => b === 0);
    if (zero) used.add(zero[0]);
    return zero ? zero[0] : '0';
  }
  const out: string[] = [];
  let rest = v;
  for (const [n, b] of names) {
    if (b !== 0 && (v & b) === b) { out.push(n); used.add(n); rest &= ~b; }
  }
  if (rest) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out.join(sep);
}

/** A "$name" or "${name}" argument: the name. */
const dollarName = (v: unknown): string | null => (typeof v === 'string' ? (/^\$(\w+)$/.exec(v) ?? /^\$\{(\w+)\}$/.exec(v))?.[1] ?? null : null);

type VarHow = 'V_PID' | 'V_PROCPID' | 'V_SAVED';

interface Names {
  /** Task slots: A, then one per fork or clone step, by name. */
  tasks: string[];
  /** Saved values (fds, pids) by slot; slot 0 is none (NO_SAVE). */
  saved: string[];
  /** Namespaces named by @ns and @fdns; slot 0 is none (NO_NS). */
  ns: string[];
}

/** A C identifier for each name of a list, with a prefix, made unique. */
function identifiers(prefix: string, names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let id = `${prefix}${n.replace(/\W/g, '_')}`;
    for (let k = 2; seen.has(id); k++) id = `${prefix}${n.replace(/\W/g, '_')}_${k}`;
    seen.add(id);
    return id;
  });
}

/** The scenario's names, resolved a step at a time as a run resolves them (a task first, then a saved value). */
class Scope {
  readonly n: Names = { tasks: ['A'], saved: [''], ns: [''] };
  private readonly task = new Map<string, number>([['A', 0]]);
  private readonly save = new Map<string, number>();
  private readonly nsName = new Map<string, number>();

  taskSlot(name: string): number | undefined { return this.task.get(name); }

  /** The C names of a task, a saved value and a namespace slot (TASK_B, SAVED_f, NS_BLUE; 0 is NO_SAVE, NO_NS). */
  taskId(slot: number): string { return identifiers('TASK_', this.n.tasks)[slot]; }
  savedId(slot: number): string { return slot ? identifiers('SAVED_', this.n.saved.slice(1))[slot - 1] : 'NO_SAVE'; }
  nsId(slot: number): string { return slot ? identifiers('NS_', this.n.ns.slice(1))[slot - 1] : 'NO_NS'; }
  newTask(name: string): number {
    this.n.tasks.push(name);
    this.task.set(name, this.n.tasks.length - 1);
    return this.n.tasks.length - 1;
  }

  /** A save slot for `name` (pipe2: name0 and name1, two slots side by side). */
  saveSlot(name: string, pair: boolean): number {
    const names = pair ? [`${name}0`, `${name}1`] : [name];
    const first = this.save.get(names[0]);
    if (first !== undefined && (!pair || this.save.get(names[1]) === first + 1)) return first;
    const slot = this.n.saved.length;
    for (const [i, x] of names.entries()) { this.n.saved.push(x); this.save.set(x, slot + i); }
    return slot;
  }

  savedSlot(name: string): number | undefined { return this.save.get(name); }

  nsSlot(name: string, create: boolean): number | undefined {
    let s = this.nsName.get(name);
    if (s === undefined && create) {
      s = this.n.ns.length;
      this.n.ns.push(name);
      this.nsName.set(name, s);
    }
    return s;
  }

  /** A "$name": how the hub finds its value at run time. */
  variable(name: string, kind: ArgDecl['kind']): { how: VarHow; which: number } | null {
    const t = this.task.get(name);
    if (t !== undefined) return { how: kind === 'pid' ? 'V_PID' : 'V_PROCPID', which: t };
    const s = this.save.get(name);
    return s === undefined ? null : { how: 'V_SAVED', which: s };
  }
}

/**
 * How the C program makes each @-check (enum kind in export-runtime.c, where the hub or the task
 * answers it): typed by the vocabulary's AT_CHECKS, so a new check does not compile until the
 * C program can make it too.
 */
const CHECK_KINDS: Record<AtCheck, string> = { '@ns': 'K_NS', '@fdns': 'K_FDNS', '@fdis': 'K_FDIS', '@alive': 'K_ALIVE', '@same': 'K_SAME' };

/** One step, rendered: its entry in STEPS[] and its case in run_step() (none for checks the hub makes). */
interface Rendered {
  entry: string;
  code: string | null;
}

/** Why a scenario cannot be a C program (one line), thrown as this. */
export class ExportCError extends Error {}

/** The runtime's two halves around the scenario, and where the fallbacks go. */
function runtimeParts(): { head: string; tail: string } {
  const text = fs.readFileSync(path.join(linuxDir(), 'export-runtime.c'), 'utf8');
  const [head, tail] = text.split('/* @@SCENARIO@@ */\n');
  if (tail === undefined) throw new Error('oracle/linux/export-runtime.c has no scenario marker');
  return { head, tail };
}

/**
 * A scenario's expectation on the profile at each step: the scenario's for it (its `expect` holds
 * for the profiles it applies to), else what the emulator does on it.
 */
function expectations(sc: Scenario, profile: Profile): (Expect | undefined)[] {
  const run = runScenario(sc, profile);
  return sc.steps.map((step, i) => {
    const own = sc.applies.includes(profile.base) || step.profiles?.[profile.base] ? expectationFor(step, profile.name) : undefined;
    return own ?? observedExpect(step, run.steps[i]?.observed ?? {});
  });
}

/** What the emulator observed at a step, as an expectation (as export --as scenario writes them). */
function observedExpect(step: Step, o: Record<string, unknown>): Expect | undefined {
  if (o.error !== undefined) return undefined;
  if (o.errno !== undefined) return { errno: String(o.errno) };
  if (o.alive !== undefined) return { alive: o.alive as boolean };
  if (o.same !== undefined) return { same: o.same as boolean };
  if (step.op.startsWith('@')) return { ret: 0 };
  const d = syscallDesc(step.op);
  const e: Expect = d?.returns === 'zero' || d?.returns === 'count' ? { ret: o.ret as number } : { ok: true };
  if (o.mode !== undefined) e.mode = String(o.mode);
  if (o.names !== undefined) e.names = o.names as string[];
  return e;
}

/** A JavaScript pattern as a POSIX extended one (the few escapes scenarios use). */
function posixPattern(re: string): string {
  return re.replace(/\\d/g, '[0-9]').replace(/\\w/g, '[A-Za-z0-9_]').replace(/\\s/g, '[[:space:]]');
}

function expectC(e: Expect | undefined): string {
  if (!e) return '{ 0 }';
  const f: string[] = [];
  if (e.ok) f.push('.ok = 1');
  // a task's name (a fork, wait or getpid) or a number
  if (typeof e.ret === 'string') f.push(`.ret_name = ${cString(e.ret)}`);
  else if (e.ret !== undefined) f.push('.has_ret = 1', `.ret = ${e.ret}`);
  if (e.errno !== undefined) f.push(`.err = ${cString(e.errno)}`);
  if (e.mode !== undefined) f.push(`.mode = ${cString(e.mode)}`);
  if (e.text !== undefined) f.push(`.text = ${cString(e.text)}`);
  if (e.textMatch !== undefined) f.push(`.text_match = ${cString(posixPattern(e.textMatch))}`);
  if (e.oops !== undefined) f.push(`.oops = ${cString(e.oops)}`);
  const strs = (key: string, v: string[] | undefined): void => {
    if (v) f.push(`.n${key} = ${v.length}`, `.${key} = (const char *const[]){ ${v.length ? v.map(cString).join(', ') : 'NULL'} }`);
  };
  strs('names', e.names);
  strs('types', e.types);
  strs('offs', e.offs?.map(String));
  strs('reclens', e.reclens?.map(String));
  if (e.alive !== undefined) f.push(`.alive = ${e.alive ? 'YES' : 'NO'}`);
  if (e.same !== undefined) f.push(`.same = ${e.same ? 'YES' : 'NO'}`);
  return f.length ? `{ ${f.join(', ')} }` : '{ 0 }';
}

/** How the step reads in its TAP line: "B: open /proc/self/ns/net O_RDONLY" (flags by name, '#' escaped for TAP). */
function title(step: Step): string {
  const decls = syscallDesc(step.op)?.args ?? [];
  const args = Object.entries(step.args ?? {}).map(([key, v]) => {
    const decl = decls.find((x) => x.name === key);
    if (decl && (decl.kind === 'flags' || decl.kind === 'nstype')) {
      const n = parseFlagWord(v, decl.names);
      if (typeof n === 'number') return flagWord(n, decl.names, new Set(), '|');
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
  return `${step.task ?? 'A'}: ${[step.op, ...args].join(' ')}${step.as ? ` as ${step.as}` : ''}`.replace(/#/g, '\\#');
}

/**
 * A C expression for one argument of a syscall step; "$name"s become v[k] (the hub sends their
 * values with the step), and a path or text with "${name}" in it is formatted into a buffer.
 */
class ArgRenderer {
  readonly vars: { how: VarHow; which: number }[] = [];
  readonly pre: string[] = [];

  constructor(readonly scope: Scope, readonly used: Set<string>, readonly where: string) {}

  private variable(name: string, kind: ArgDecl['kind']): string {
    const v = this.scope.variable(name, kind);
    if (!v) throw new ExportCError(`${this.where}: '$${name}' names no task and no value an earlier step saves`);
    const k = this.vars.findIndex((x) => x.how === v.how && x.which === v.which);
    if (k >= 0) return `v[${k}] /* $${name} */`;
    if (this.vars.length === 4) throw new ExportCError(`${this.where}: more than 4 "$names" in one step`);
    this.vars.push(v);
    return `v[${this.vars.length - 1}] /* $${name} */`;
  }

  render(decl: ArgDecl, raw: unknown): string {
    const dflt = raw ?? ('dflt' in decl ? decl.dflt : undefined);
    switch (decl.kind) {
      case 'flags': case 'nstype': {
        const n = parseFlagWord(dflt ?? 0, decl.names);
        if (typeof n === 'string') throw new ExportCError(`${this.where}: ${decl.name}: ${n}`);
        return flagWord(n, decl.names, this.used);
      }
      case 'path': case 'text': {
        if (typeof dflt !== 'string') return dflt === undefined ? 'NULL' : cString(String(dflt));
        const whole = dollarName(dflt);
        if (whole) {
          const buf = `s${this.pre.length}`;
          this.pre.push(`char ${buf}[32];`, `snprintf(${buf}, sizeof ${buf}, "%ld", ${this.variable(whole, decl.kind)});`);
          return buf;
        }
        if (!/\$\{\w+\}/.test(dflt)) return cString(dflt);
        const values: string[] = [];
        const format = dflt.replace(/%/g, '%%').replace(/\$\{(\w+)\}/g, (_m, name: string) => {
          values.push(this.variable(name, decl.kind));
          return '%ld';
        });
        const buf = `s${this.pre.length}`;
        this.pre.push(`char ${buf}[4096];`, `snprintf(${buf}, sizeof ${buf}, ${cString(format)}, ${values.join(', ')});`);
        return buf;
      }
      case 'caps':
        return '0';
      default: {
        const name = dollarName(dflt);
        if (name) return `${decl.kind === 'fd' || decl.kind === 'dirfd' || decl.kind === 'pid' || decl.kind === 'int' ? '(int)' : ''}${this.variable(name, decl.kind)}`;
        const n = typeof dflt === 'number' ? dflt : typeof dflt === 'string' && /^-?\d+$/.test(dflt) ? Number(dflt) : decl.kind === 'dirfd' ? AT_FDCWD : -1;
        return decl.kind === 'dirfd' && n === AT_FDCWD ? 'AT_FDCWD' : String(n);
      }
    }
  }
}

/** The C of a syscall step from its table template, and what it observes. */
function callCode(d: SyscallDesc, step: Step, r: ArgRenderer, child: string | null): string[] {
  const call = d.c.replace(/%(\w+)/g, (_m, name: string) => {
    const decl = d.args.find((x) => x.name === name);
    if (!decl) throw new Error(`syscall table: ${d.name}'s c template names no argument '${name}'`);
    return r.render(decl, step.args?.[name]);
  });
  const locals: string[] = [];
  if (/\bbuf\b/.test(call)) locals.push('char buf[4096];');
  if (/&st\b/.test(call)) locals.push('struct stat st;');
  if (/\bpipefd\b/.test(call)) locals.push('int pipefd[2];');
  const lines = [...locals, ...r.pre];
  if (d.name === 'exit') return [...lines, `${call};`];
  lines.push(`r->ret = ${call};`, 'r->err = r->ret < 0 ? errno : 0;');
  if (d.obs === 'stat') lines.push('if (r->ret == 0)', '\tobserve_stat(r, &st);');
  if (d.obs === 'text') lines.push(d.returns === 'count' ? 'if (r->ret >= 0)' : 'if (r->ret == 0)', `\tobserve_text(r, buf, ${d.returns === 'count' ? '(size_t)r->ret' : 'strnlen(buf, sizeof buf)'});`);
  if (d.obs === 'dirents') lines.push('if (r->ret > 0)', '\tobserve_dirents(r, buf, r->ret);');
  if (d.returns === 'fds') lines.push('if (r->ret == 0) {', '\tr->fds[0] = pipefd[0];', '\tr->fds[1] = pipefd[1];', '}');
  if (child !== null) lines.push('if (r->ret == 0)', `\ttask_main(${child});  /* the new task: it runs its own steps from now on */`);
  return lines;
}

/** A scenario step as its STEPS[] entry and run_step() case. */
function renderStep(n: number, step: Step, e: Expect | undefined, scope: Scope, used: Set<string>): Rendered {
  const where = `step ${n} (${step.op})`;
  const why = stepProblem(step);
  if (why) throw new ExportCError(`${where}: ${why}`);
  const taskName = step.task ?? 'A';
  const task = scope.taskSlot(taskName);
  if (task === undefined) throw new ExportCError(`${where}: no task '${taskName}' (a fork or clone names it with "as")`);
  const fields: string[] = [`.title = ${cString(title(step))}`, `.task = ${scope.taskId(task)}`];
  const r = new ArgRenderer(scope, used, where);
  let code: string[] | null = null;
  let kind: string;
  let save = 0;
  let ns = 0;
  let child = 0;
  const a = step.args ?? {};
  if (isAtCheck(step.op)) {
    kind = CHECK_KINDS[step.op];
    if (step.op === '@ns' || step.op === '@fdns') ns = scope.nsSlot(step.save ?? `#${n}`, true) as number;
    else {
      const s = scope.nsSlot(String(a.ns), false);
      if (s === undefined) throw new ExportCError(`${where}: no namespace named '${String(a.ns)}' by an earlier @ns or @fdns`);
      ns = s;
    }
    if (step.op === '@ns' || step.op === '@same') fields.push(`.nstype = ${cString(String(a.type))}`);
    if (step.op === '@fdns' || step.op === '@fdis') code = [`r->ret = fd_handle(${r.render({ name: 'fd', kind: 'fd' }, a.fd)}, r);`, 'r->err = r->ret < 0 ? errno : 0;'];
  } else {
    const d = syscallDesc(step.op) as SyscallDesc;
    const resolved = parseArgsForRefusal(d, a);
    const refused = d.helperRefuses?.(resolved);
    if (refused) throw new ExportCError(`${where}: ${refused}`);
    if (d.returns === 'task') {
      const flags = typeof resolved.flags === 'number' ? resolved.flags : 0;
      if (flags & (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)) {
        throw new ExportCError(`${where}: a clone that shares the caller's memory (CLONE_VM, CLONE_THREAD, CLONE_SIGHAND) cannot be a task process of the C program`);
      }
      child = scope.newTask(step.as ?? `${taskName}_${n}`);
    }
    kind = d.helper === null ? 'K_SKIP' : d.name === 'exit' ? 'K_EXIT' : d.returns === 'task' ? 'K_FORK' : d.returns === 'reaped' ? 'K_WAIT' : 'K_CALL';
    fields.push(`.ret = R_${d.returns.toUpperCase()}`);
    if (d.obs) fields.push(`.obs = O_${d.obs.toUpperCase()}`);
    if (kind === 'K_SKIP') fields.push(`.skip = ${cString(`${d.name} is not run: ${d.helperWhy ?? 'it would reach the host'}`)}`);
    else code = callCode(d, step, r, child ? scope.taskId(child) : null);
    if (step.save && kind !== 'K_SKIP') save = scope.saveSlot(step.save, d.returns === 'fds');
  }
  fields.splice(2, 0, `.kind = ${kind}`);
  if (r.vars.length) fields.push(`.nvars = ${r.vars.length}`, `.vars = { ${r.vars.map((v) => `{ ${v.how}, ${v.how === 'V_SAVED' ? scope.savedId(v.which) : scope.taskId(v.which)} }`).join(', ')} }`);
  if (save) fields.push(`.save = ${scope.savedId(save)}`);
  if (child) fields.push(`.child = ${scope.taskId(child)}`);
  if (ns) fields.push(`.ns = ${scope.nsId(ns)}`);
  fields.push(`.e = ${expectC(e)}`);
  const head = `/* step ${n}: ${comment(JSON.stringify({ ...step, expect: undefined, profiles: undefined, why: undefined }))}${step.why ? `\n\t *   why: ${comment(step.why)}` : ''} */`;
  const entry = `\t${head}\n\t[${n}] = {\n\t\t${fields.join(',\n\t\t')},\n\t},`;
  return { entry, code: code ? `\tcase ${n}: {  /* ${comment(title(step))} */\n${code.map((l) => `\t\t${l}`).join('\n')}\n\t\tbreak;\n\t}` : null };
}

/** The step's arguments with flag words as numbers, for the table's helperRefuses (no "$names" needed). */
function parseArgsForRefusal(d: SyscallDesc, a: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const decl of d.args) {
    if ((decl.kind === 'flags' || decl.kind === 'nstype') && a[decl.name] !== undefined) out[decl.name] = parseFlagWord(a[decl.name], decl.names);
  }
  return out;
}

/** The `#define` fallbacks for the flag names the program uses that an old libc may lack. */
function fallbacks(used: Set<string>): string {
  const out: string[] = [];
  for (const name of [...used].sort()) {
    const v = FLAG_TABLES.flatMap((t) => t).find(([n]) => n === name)?.[1];
    if (v === undefined) continue;
    out.push(`#ifndef ${name}`, `#define ${name} ${v < 16 ? v : `0x${v.toString(16)}`}`, '#endif');
  }
  return out.join('\n');
}

export interface ExportCOptions {
  /** Where the scenario came from, for the header comment ("scenarios/ip-netns.json"). */
  source: string;
}

/** The scenario as a C program on `profile`; ExportCError when a step cannot be one. */
export function scenarioToC(sc: Scenario, profile: Profile, o: ExportCOptions): string {
  const exp = expectations(sc, profile);
  const scope = new Scope();
  const used = new Set<string>();
  const steps = sc.steps.map((s, i) => renderStep(i + 1, s, exp[i], scope, used));
  const { head, tail } = runtimeParts();
  const sandbox = fs.readFileSync(path.join(linuxDir(), 'sandbox.h'), 'utf8');
  const names = scope.n;
  const list = (xs: string[]): string => (xs.length ? xs.map(cString).join(', ') : '""');
  const ids = (n: number, id: (i: number) => string): string => Array.from({ length: n }, (_x, i) => id(i)).join(', ');
  const scenarioC = [
    `#define NSTEPS ${sc.steps.length}`,
    '',
    '/* The tasks (each a process; A is pid 1 of the sandbox), the values steps save (fds, pids), the',
    ' * namespaces the checks name. */',
    `enum task_slot { ${ids(names.tasks.length, (i) => scope.taskId(i))}, NTASKS };`,
    `enum saved_slot { ${ids(names.saved.length, (i) => scope.savedId(i))}, NSAVED };`,
    `enum ns_slot { ${ids(names.ns.length, (i) => scope.nsId(i))}, NNAMES };`,
    `static const char *const TASKS[] = { ${list(names.tasks)} };`,
    `static const char *const SAVED[] = { ${list(names.saved)} };`,
    `static const char *const NAMES[] = { ${list(names.ns)} };`,
    '',
    `/* The steps, with the expectations of profile ${comment(profile.name)}. */`,
    'static const struct step STEPS[NSTEPS + 1] = {',
    ...steps.map((s) => s.entry),
    '};',
    '',
    '/* What a task runs for a step it is sent (v: the values of its "$names", from the hub). */',
    'static void run_step(int n, const long *v, struct result *r)',
    '{',
    '\t(void)v;',
    '\tswitch (n) {',
    ...steps.filter((s) => s.code).map((s) => s.code as string),
    '\tdefault:',
    '\t\tr->ret = -1;',
    '\t\tr->err = ENOSYS;',
    '\t}',
    '}',
    '',
  ].join('\n');
  const top = [
    '/*',
    ` * ${comment(sc.name)}: ${comment(sc.description)}`,
    ...(sc.notes ? ['', ...wrap(comment(sc.notes), 96).map((l) => ` * ${l}`)] : []),
    ' *',
    ` * Written by \`procns export --as c --profile ${comment(profile.name)}\` from ${comment(o.source)}: the expectations`,
    ` * are profile ${comment(profile.name)}'s. Needs nothing but libc and the kernel headers.`,
    ' *',
    ' *   gcc -Wall -Werror -o repro repro.c && sudo ./repro',
    ' *',
    ' * Prints TAP: the plan 1..N, then "ok n - ..." or "not ok n - ...: expected X, got Y" per',
    ' * scenario step. Exit status as a kselftest: 0 every step ok, 1 a step not ok, 4 skipped (not',
    ' * root, or no namespaces). Checks this kernel cannot make (no nsfs file handles, an oops) are',
    ' * "# SKIP".',
    ' *',
    ' * Safety: it never touches the host. The main program (the hub) first enters the sandbox below',
    ' * (procns_sandbox_enter: new mount, uts, ipc, net, cgroup and pid namespaces, a tmpfs as the',
    ' * root with the host tree detached, killed with its parent); task A is pid 1 of the new pid',
    ' * namespace (procns_sandbox_init: its own /proc, killed with the hub), and every other task is',
    ' * forked inside it, so all die with A. The sandbox is oracle/linux/sandbox.h, copied in whole.',
    ' */',
    '#define _GNU_SOURCE',
  ].join('\n');
  return [
    top,
    '',
    '/* ---- oracle/linux/sandbox.h ---- */',
    sandbox.trimEnd(),
    '/* ---- end of oracle/linux/sandbox.h ---- */',
    '',
    head.replace('/* @@FALLBACKS@@ */', `/* The flag names this program uses, for a libc too old to have them. */\n${fallbacks(used)}`).trimEnd(),
    scenarioC,
    tail,
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) { out.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/**
 * When `file` is a trace (its first line a trace header), the scenario it carries and the profile
 * it names; an error string when it is a malformed one; null when it is not a trace. Only the first
 * line is read, so a trace of any length costs no more than its header.
 */
export function traceScenario(file: string): { sc: Scenario; profile: string; fix: string[]; inject: string[] } | string | null {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch { return null; }
  if (!st.isFile()) return null;
  const fd = fs.openSync(file, 'r');
  let first = '';
  try {
    const chunk = Buffer.alloc(1 << 16);
    for (let pos = 0; pos < MAX_INPUT_BYTES; ) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, pos);
      if (n <= 0) break;
      const text = chunk.subarray(0, n).toString('latin1');
      const nl = text.indexOf('\n');
      first += nl >= 0 ? text.slice(0, nl) : text;
      if (nl >= 0) break;
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  let h: unknown;
  try { h = JSON.parse(Buffer.from(first, 'latin1').toString('utf8')); } catch { return null; }
  if (!h || typeof h !== 'object' || (h as TraceHeader).procns !== 1 || typeof (h as TraceHeader).scenario !== 'string') return null;
  const header = h as TraceHeader;
  const sc = scenarioOf(header);
  if (typeof sc === 'string') return `trace header: ${sc}`;
  return { sc, profile: header.profile, fix: header.fix ?? [], inject: header.inject ?? [] };
}
