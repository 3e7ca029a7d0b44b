// A scenario step's vocabulary, defined once for everyone who runs one: the emulator's runner
// (scenarios/runner.ts) and the real-kernel recorder (oracle/recordLinux.ts). How a step's
// arguments resolve ("$name", flag words), how a result is named in a trace (fd#n, a task's
// name, ino#n), and the @-checks, which ask their backend questions (which namespace is this
// task in, is that one alive) and build the same observation from the answers on either side.
import { errname } from '../kernel/errno';
import { DT_NAMES } from '../kernel/flags';
import { ArgDecl, FlagTable, SyscallDesc, syscallDesc } from '../kernel/syscall_table';
import { Symbols, symbolicLinkText } from '../oracle/trace';
import type { Step } from './format';

/** A step's observation: ret or errno, and what it saw (the trace record is made from it). */
export type Observed = Record<string, unknown>;

/** "CLONE_NEWNET|CLONE_NEWUTS" → number, with the names of the argument's own table; numbers pass through. */
export function parseFlagWord(v: unknown, names: FlagTable): number | string {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return `flags must be a number or a string, not ${typeof v}`;
  let n = 0;
  for (const part of v.split('|').map((s) => s.trim())) {
    if (/^(0x[0-9a-f]+|\d+)$/i.test(part)) { n |= Number(part); continue; }
    const f = names.find(([name]) => name === part);
    if (f === undefined) return `unknown flag '${part}' (known: ${names.map(([name]) => name).join(', ')})`;
    n |= f[1];
  }
  return n;
}

/** "$name" or "${name}" → the value saved under name (a task's pid, a fd); "/proc/${B}/ns" → the text. */
export function substitute(v: unknown, value: (name: string) => number | undefined): unknown {
  if (typeof v !== 'string') return v;
  const m = /^\$(\w+)$/.exec(v) ?? /^\$\{(\w+)\}$/.exec(v);
  if (m) return value(m[1]) ?? unresolved(m[1]);
  return v.replace(/\$\{(\w+)\}/g, (_s, name: string) => String(value(name) ?? unresolved(name)));
}

/** A "$name" that no task and no earlier `save` gave a value: the scenario is wrong, not the kernel. */
export class UnresolvedName extends Error {
  constructor(readonly missing: string) {
    super(`no task and no saved value named '${missing}' (a save whose step failed saves nothing)`);
  }
}

function unresolved(name: string): never {
  throw new UnresolvedName(name);
}

/**
 * A syscall step's arguments, resolved: flag words to numbers (by the argument's own flag
 * table), "$name" to saved values. An unknown syscall or argument is an error string.
 */
export function resolveStepArgs(op: string, raw: Record<string, unknown> | undefined, value: (name: string) => number | undefined): Record<string, unknown> | string {
  const d = syscallDesc(op);
  if (!d) return `unknown syscall '${op}'`;
  const args: Record<string, unknown> = {};
  try {
    for (const [key, v] of Object.entries(raw ?? {})) {
      const a: ArgDecl | undefined = d.args.find((x) => x.name === key);
      if (!a) return `${op}: unknown argument '${key}' (${op} takes ${d.args.map((x) => x.name).join(', ') || 'none'})`;
      if (a.kind === 'flags' || a.kind === 'nstype') {
        const n = parseFlagWord(substitute(v, value), a.names);
        if (typeof n === 'string') return `${op}: ${key}: ${n}`;
        args[key] = n;
      } else {
        args[key] = substitute(v, value);
      }
    }
  } catch (e) {
    if (e instanceof UnresolvedName) return `${op}: ${e.message}`;
    throw e;
  }
  return args;
}

/** What a syscall gave back, before naming: its raw return value and what it saw. */
export interface RawResult {
  ret: number | { errno: string };
  /** dev: the device, which names the inode with its number (a tmpfs and a proc inode may share one). */
  stat?: { mode: number; ino: number; dev: number };
  text?: string;
  dirents?: { name: string; ino: number; off: number; type: number | string; reclen: number }[];
  fds?: number[];
}

/** How a run names what it sees: fds and inode numbers by symbols, tasks by their names. */
export interface Naming {
  syms: Symbols;
  /** The scenario name of the task with this pid (as the caller sees pids). */
  taskName(pid: number): string;
  /** A new task's name (fork, clone): the step's `as`. */
  newTask?: string;
}

/** A syscall's result as a trace names it (kernel/syscall_table.ts: returns, obs). */
export function observeResult(d: SyscallDesc | undefined, raw: RawResult, n: Naming): Observed {
  if (typeof raw.ret !== 'number') return { errno: raw.ret.errno };
  const ret = raw.ret;
  if (ret < 0) return { errno: errname(ret) };
  const o: Observed = { ret };
  switch (d?.returns) {
    case 'fd': o.ret = n.syms.name('fd', ret); break;
    case 'fds': if (raw.fds) o.fds = raw.fds.map((fd) => n.syms.name('fd', fd)); break;
    case 'task': if (n.newTask) o.ret = n.newTask; break;
    case 'reaped': case 'pid': if (ret > 0) o.ret = n.taskName(ret); break;
    default: break;
  }
  // inode numbers are named within their space: a stat's by its device (a tmpfs and a proc inode
  // may share a number), a readlink's ns:[N] as a namespace's, a dirent's as a dirent's
  if (raw.stat) {
    o.mode = '0' + raw.stat.mode.toString(8);
    o.ino = n.syms.name('ino', `${raw.stat.dev}:${raw.stat.ino}`);
  }
  if (raw.text !== undefined) o.text = d?.returns === 'count' ? symbolicLinkText(raw.text, n.syms) : raw.text;
  if (raw.dirents) {
    o.names = raw.dirents.map((x) => x.name);
    o.types = raw.dirents.map((x) => (typeof x.type === 'number' ? DT_NAMES[x.type] ?? String(x.type) : x.type));
    o.offs = raw.dirents.map((x) => x.off);
    o.reclens = raw.dirents.map((x) => x.reclen);
    o.inos = raw.dirents.map((x) => n.syms.name('ino', `dirent:${x.ino}`));
  }
  return o;
}

/**
 * What a step's `save` keeps of a result: the value (a fd, a pid), or for two fds (pipe2) each
 * under its index, as pipefd[0] and pipefd[1]: "p" saves p0 (the read end) and p1.
 */
export function savedValues(d: SyscallDesc | undefined, save: string | undefined, ret: number, fds: readonly number[] | undefined): [string, number][] {
  if (!save || ret < 0) return [];
  if (d?.returns === 'fds') return (fds ?? []).map((fd, i): [string, number] => [`${save}${i}`, fd]);
  return [[save, ret]];
}

// ---- the @-checks ----

/** A namespace as a backend names it: `key` is equal for the same namespace (an object, an nsfs id). */
export interface NsRef {
  key: unknown;
}

/** What an @-check asks its backend; each question is about the step's task. */
export type CheckQuery =
  | { q: 'taskNs'; type: string }
  | { q: 'fdNs'; fd: unknown }
  | { q: 'alive'; ns: NsRef };

/** The answers: a namespace or an errno; for alive, whether it is, and whether dead is allowed too. */
export type CheckAnswer = NsRef | { errno: string } | { alive: boolean; either?: boolean };

/** The @-checks: each one's arguments and what it observes (one list: scenarios, runner, recorder). */
export const AT_CHECKS = {
  '@ns': { args: ['type'], what: 'name the namespace of the task\'s /proc/<pid>/ns/<type> (save: the name)' },
  '@fdns': { args: ['fd'], what: 'name the namespace an fd refers to (save: the name); not a namespace file: EINVAL' },
  '@fdis': { args: ['fd', 'ns'], what: 'does an fd refer to the namespace named ns (obs.same)' },
  '@alive': { args: ['ns'], what: 'is the namespace named ns alive (obs.alive)' },
  '@same': { args: ['type', 'ns'], what: 'is the task in the namespace named ns (obs.same)' },
} as const;
export type AtCheck = keyof typeof AT_CHECKS;

export function isAtCheck(op: string): op is AtCheck {
  return Object.prototype.hasOwnProperty.call(AT_CHECKS, op);
}

const isErr = (a: CheckAnswer): a is { errno: string } => 'errno' in a;

/**
 * An @-check, as the questions it asks (yield) and the observation it makes of the answers
 * (return). `names` holds the namespaces saved by earlier checks; `value` resolves "$name".
 */
export function* atCheck(step: Step, names: Map<string, NsRef>, value: (name: string) => number | undefined): Generator<CheckQuery, Observed, CheckAnswer> {
  const a = step.args ?? {};
  const named = (): NsRef | Observed => names.get(String(a.ns)) ?? { error: `no namespace named '${String(a.ns)}'` };
  switch (step.op as AtCheck) {
    case '@ns': {
      const r = yield { q: 'taskNs', type: String(a.type) };
      if (isErr(r)) return { errno: r.errno };
      if (step.save) names.set(step.save, r as NsRef);
      return { ret: 0 };
    }
    case '@fdns': case '@fdis': {
      let fd: unknown;
      try {
        fd = substitute(a.fd, value);
      } catch (e) {
        if (e instanceof UnresolvedName) return { error: `${step.op}: ${e.message}` };
        throw e;
      }
      const r = yield { q: 'fdNs', fd };
      if (isErr(r)) return { errno: r.errno };
      if (step.op === '@fdns') {
        if (step.save) names.set(step.save, r as NsRef);
        return { ret: 0 };
      }
      const want = named();
      if (!('key' in want)) return want;
      return { ret: 0, same: (r as NsRef).key === want.key };
    }
    case '@alive': {
      const want = named();
      if (!('key' in want)) return want;
      const r = (yield { q: 'alive', ns: want as NsRef }) as { alive: boolean; either?: boolean };
      // held only by cached dentries: the kernel may have pruned them, so dead is allowed too
      return r.either ? { ret: 0, alive: r.alive, aliveFree: true } : { ret: 0, alive: r.alive };
    }
    case '@same': {
      const want = named();
      if (!('key' in want)) return want;
      const r = yield { q: 'taskNs', type: String(a.type) };
      // a task with no such namespace (exited, reaped) is in none
      if (isErr(r)) return r.errno === 'ENOENT' || r.errno === 'ESRCH' ? { ret: 0, same: false } : { errno: r.errno };
      return { ret: 0, same: (r as NsRef).key === want.key };
    }
    default:
      return { error: `unknown check '${step.op}'` };
  }
}

/** Run an @-check against a backend that answers at once (the emulator). */
export function atCheckSync(step: Step, names: Map<string, NsRef>, value: (name: string) => number | undefined, answer: (q: CheckQuery) => CheckAnswer): Observed {
  const g = atCheck(step, names, value);
  let r = g.next();
  while (!r.done) r = g.next(answer(r.value));
  return r.value;
}

/** Run an @-check against a backend that answers later (the recorder). */
export async function atCheckAsync(step: Step, names: Map<string, NsRef>, value: (name: string) => number | undefined, answer: (q: CheckQuery) => Promise<CheckAnswer>): Promise<Observed> {
  const g = atCheck(step, names, value);
  let r = g.next();
  while (!r.done) r = g.next(await answer(r.value));
  return r.value;
}

/** Why a step cannot be a scenario step (unknown syscall, check or argument), or null. */
export function stepProblem(step: Step): string | null {
  if (step.op.startsWith('@')) {
    if (!isAtCheck(step.op)) return `unknown check '${step.op}' (known: ${Object.keys(AT_CHECKS).join(', ')})`;
    const known: readonly string[] = AT_CHECKS[step.op].args;
    for (const key of Object.keys(step.args ?? {})) if (!known.includes(key)) return `${step.op}: unknown argument '${key}'`;
    return null;
  }
  const r = resolveStepArgs(step.op, step.args, () => 0);
  return typeof r === 'string' ? r : null;
}
