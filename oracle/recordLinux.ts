// Records a scenario on THIS machine's real kernel: every task is a procns-helper process
// (oracle/linux/procns-helper.c) driven over its line protocol, and the results are written as
// the same trace records the emulator's runner produces (scenarios/runner.ts), with the same
// symbolization (fds → fd#n, inode numbers → ino#n, tasks by name, errno names).
//
// Isolation: task A is started by `unshare --mount --propagation private`, and mounts fresh
// tmpfs on /tmp and /run before the first step, so the scenario's mknod/mount/mkdir on /tmp/...
// and /run/... happen in a private mount namespace and never touch the host. /proc stays the
// host's proc. Every helper process is SIGKILLed at the end, whatever happens.
import * as child_process from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Scenario, Step } from '../scenarios/format';
import { traceRecord } from '../scenarios/runner';
import { atCheckAsync, CheckAnswer, CheckQuery, NsRef as CheckNsRef, observeResult, RawResult, resolveStepArgs, savedValues, stepProblem } from '../scenarios/vocabulary';
import { ArgDecl, AT_FDCWD, SyscallDesc, syscallDesc } from '../kernel/syscall_table';
import { CLONE_NEWPID, CLONE_NEWUSER, flagNames } from '../kernel/flags';
import { Symbols, TraceHeader, traceHeader, TraceStep } from './trace';

export interface RecordOptions {
  /** How long to wait for one reply from a helper (ms). */
  replyTimeoutMs?: number;
  /** Path of a prebuilt helper binary (default: oracle/linux/procns-helper, else built into a cache). */
  helper?: string;
}

export type RecordResult = { header: TraceHeader; steps: TraceStep[] } | { skipped: string };

/** A scenario the recorder cannot run (unsupported op or argument): a caller error, not a kernel result. */
export class ScenarioError extends Error {}

// ---------------------------------------------------------------------------------------------
// The helper binary

function linuxDir(): string {
  const candidates = [path.resolve(__dirname, 'linux'), path.resolve(__dirname, '..', '..', 'oracle', 'linux')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'procns-helper.c'))) ?? candidates[1];
}

function hasGcc(): boolean {
  return child_process.spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The helper binary: oracle/linux/procns-helper when it exists and is not older than its source,
 * else a build of the source cached under node_modules/.cache/procns (keyed by the source's hash).
 */
export function helperBinary(): { path: string } | { skipped: string } {
  const dir = linuxDir();
  const src = path.join(dir, 'procns-helper.c');
  const bin = path.join(dir, 'procns-helper');
  if (!fs.existsSync(src)) return fs.existsSync(bin) ? { path: bin } : { skipped: `no helper source at ${src}` };
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs) return { path: bin };
  const hash = crypto.createHash('sha1').update(fs.readFileSync(src)).digest('hex').slice(0, 12);
  const cacheDir = path.resolve(dir, '..', '..', 'node_modules', '.cache', 'procns');
  const cached = path.join(cacheDir, `procns-helper-${hash}`);
  if (fs.existsSync(cached)) return { path: cached };
  if (!hasGcc()) return { skipped: 'gcc not found (needed to build oracle/linux/procns-helper.c)' };
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  const r = child_process.spawnSync('gcc', ['-O2', '-Wall', '-o', tmp, src], { encoding: 'utf8' });
  if (r.status !== 0) {
    try { fs.unlinkSync(tmp); } catch { /* nothing built */ }
    return { skipped: `gcc failed to build the helper: ${(r.stderr || r.error?.message || '').trim().slice(0, 500)}` };
  }
  fs.renameSync(tmp, cached);
  return { path: cached };
}

/** Why this machine cannot record, or null when it can. */
function cannotRun(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  const r = child_process.spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' });
  if (r.error) return `unshare(1) not available: ${r.error.message}`;
  if (r.status !== 0) return 'namespaces unsupported here (`unshare --mount true` failed)';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Talking to one helper

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Lines from a stream, one at a time, with a timeout. */
class LineReader {
  private buf = '';
  private lines: string[] = [];
  private eof = false;
  private waiter: (() => void) | null = null;

  constructor(readonly stream: NodeJS.ReadableStream & { destroy?: () => void }) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.wake();
    });
    const end = (): void => { this.eof = true; this.wake(); };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next line; null on EOF or timeout (`timedOut` tells which). */
  async next(timeoutMs: number): Promise<{ line: string | null; timedOut: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      while (!this.lines.length && !this.eof && !timedOut) {
        await new Promise<void>((res) => {
          this.waiter = res;
          timer = setTimeout(() => { timedOut = true; res(); }, timeoutMs);
        });
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
      this.waiter = null;
    }
    const line = this.lines.shift();
    return { line: line ?? null, timedOut: line === undefined && timedOut };
  }

  destroy(): void {
    this.stream.destroy?.();
  }
}

interface RealTask {
  name: string;
  /** pid in the host (the recorder's) pid namespace. */
  pid: number;
  write: (line: string) => void;
  reader: LineReader;
  /** The write end we hold (FIFO tasks), closed at cleanup. */
  writeFd?: number;
  exited: boolean;
}

/** A namespace named by @ns / @fdns: its nsfs id (the key), type and file handle. */
interface NsRef extends CheckNsRef {
  key: string;
  type: number;
  hex: string;
}

/** Every reason the recorder cannot run a scenario, found before any process starts. */
export function unsupportedSteps(sc: Scenario): string[] {
  const out: string[] = [];
  for (const [i, st] of sc.steps.entries()) {
    const where = `step ${i + 1} (${st.op})`;
    const why = stepProblem(st);
    if (why) { out.push(`${where}: ${why}`); continue; }
    if (st.op.startsWith('@')) continue;
    const d = syscallDesc(st.op) as SyscallDesc;
    if (d.helper === null) { out.push(`${where}: the recorder cannot run '${st.op}' on a real kernel: ${d.helperWhy ?? ''}`); continue; }
    const args = resolveStepArgs(st.op, st.args, () => 0) as Record<string, unknown>;
    const refused = d.helperRefuses?.(args);
    if (refused) out.push(`${where}: ${refused}`);
    for (const [key, v] of Object.entries(st.args ?? {})) {
      if (typeof v === 'string' && /\s/.test(v)) out.push(`${where}: ${key}: whitespace cannot cross the helper protocol`);
    }
  }
  return out;
}

/**
 * The helper's command line for a syscall (kernel/syscall_table.ts `helper`): each `%name`
 * encoded as its argument's kind says; an argument left out takes its default (dirfd: AT_FDCWD).
 */
export function helperLine(d: SyscallDesc, a: Record<string, unknown>, index: number): string {
  if (d.helper === null) throw new ScenarioError(`step ${index}: the recorder cannot run '${d.name}': ${d.helperWhy ?? ''}`);
  return d.helper.replace(/%(\w+)/g, (_m, name: string) => {
    const decl = d.args.find((x) => x.name === name) as ArgDecl;
    return encodeArg(decl, a[name], index, d.name);
  });
}

function encodeArg(decl: ArgDecl, raw: unknown, index: number, op: string): string {
  const v = raw ?? ('dflt' in decl ? decl.dflt : undefined) ?? (decl.kind === 'dirfd' ? AT_FDCWD : undefined);
  const bad = (what: string): never => { throw new ScenarioError(`step ${index}: ${op}: ${decl.name}: ${what} ${JSON.stringify(raw)}`); };
  switch (decl.kind) {
    case 'flags': case 'nstype':
      // by name, so the helper's own headers give the values (they differ between architectures)
      return typeof v === 'number' ? flagNames(v, decl.names as [string, number][]) : bad('not a flag word:');
    case 'path': case 'text': {
      const text = typeof v === 'number' ? String(v) : v;
      if (typeof text !== 'string' || !text.length || /\s/.test(text)) return bad('cannot be sent:');
      return text;
    }
    case 'caps': return bad('cannot be sent:');
    default:
      // fd, dirfd, int, size, uid, pid: an unresolved "$name" is a bad fd, as the emulator's int() makes it
      return String(intArg(v, -1));
  }
}

function procChildren(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** NSpid of a process: its pid in each pid namespace, outermost first. */
function nsPids(pid: number): number[] | null {
  try {
    const m = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1].trim().split(/\s+/).map(Number) : [pid];
  } catch {
    return null;
  }
}

/** Process state letter from /proc/<pid>/stat, or null when gone. */
function procState(pid: number): string | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

function exeOf(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/**
 * The environment variable every helper process of this recorder process carries (inherited by
 * the tasks it forks): `PROCNS_RECORDER=<pid of this node process>`. Processes of other
 * recorders (another mocha worker, another procns) carry their own.
 */
export const RECORDER_TAG = `PROCNS_RECORDER=${process.pid}`;

/**
 * Every live process whose executable is `bin`; with `tag`, only those whose environment carries
 * it (this recorder's own helpers: RECORDER_TAG).
 */
export function processesRunning(bin: string, tag?: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const exe = exeOf(Number(e));
    if (exe !== bin && exe !== `${bin} (deleted)`) continue;
    if (tag !== undefined) {
      let env = '';
      try { env = fs.readFileSync(`/proc/${e}/environ`, 'latin1'); } catch { continue; }
      if (!env.split('\0').includes(tag)) continue;
    }
    out.push(Number(e));
  }
  return out;
}

function openAsync(p: string, flags: number): Promise<number> {
  return new Promise((res, rej) => fs.open(p, flags, (err, fd) => (err ? rej(err) : res(fd))));
}

/** Blocking open of a FIFO end, with a timeout that unblocks the open by opening the other end. */
async function openFifo(p: string, flags: number, timeoutMs: number): Promise<number> {
  const pending = openAsync(p, flags);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeoutMs); });
  const r = await Promise.race([pending, timeout]);
  clearTimeout(timer);
  if (r !== 'timeout') return r;
  // nobody opened the other side: open it ourselves (non-blocking) so the thread-pool open returns
  const other = (flags & 3) === fs.constants.O_WRONLY ? fs.constants.O_RDONLY : fs.constants.O_WRONLY;
  let o = -1;
  try { o = fs.openSync(p, other | fs.constants.O_NONBLOCK); } catch { /* best effort */ }
  try { fs.closeSync(await pending); } catch { /* already failed */ }
  if (o >= 0) fs.closeSync(o);
  throw new Error(`timed out opening FIFO ${p}`);
}

// ---------------------------------------------------------------------------------------------
// The recorder

interface StepOutcome {
  observed: Record<string, unknown>;
}

class Recorder {
  readonly tasks = new Map<string, RealTask>();
  readonly saved = new Map<string, number>();
  readonly nsNames = new Map<string, CheckNsRef>();
  readonly syms = new Symbols();
  readonly allPids = new Set<number>();
  private stderr = '';
  private fifoDir = '';
  private fifoCount = 0;
  private rootChild: child_process.ChildProcess | null = null;

  constructor(readonly bin: string, readonly timeoutMs: number) {}

  // ---- processes ----

  async start(): Promise<void> {
    this.fifoDir = fs.mkdtempSync(path.join(fifoBase(), 'procns-rec-'));
    const [tagName, tagValue] = RECORDER_TAG.split('=');
    const child = child_process.spawn('unshare', ['--mount', '--uts', '--ipc', '--propagation', 'private', this.bin], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, [tagName]: tagValue },
    });
    this.rootChild = child;
    if (child.pid === undefined) throw new Error('could not start the helper under unshare(1)');
    this.allPids.add(child.pid);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => { if (this.stderr.length < 8192) this.stderr += s; });
    child.stdin?.on('error', () => { /* the helper went away: replies will show it */ });
    child.on('error', () => { /* reported through EOF */ });
    const stdin = child.stdin as NodeJS.WritableStream;
    const a: RealTask = {
      name: 'A', pid: child.pid, write: (l) => { stdin.write(l); },
      reader: new LineReader(child.stdout as NodeJS.ReadableStream), exited: false,
    };
    this.tasks.set('A', a);
    const pid = await this.command(a, 'getpid');
    if (pid !== `ok ${child.pid}`) throw new Error(`helper A: getpid replied '${pid}', expected pid ${child.pid}`);
    for (const dir of ['/tmp', '/run']) {
      const r = await this.command(a, `mounttmpfs ${dir}`);
      if (r !== 'ok 0') throw new Error(`helper A: mounting a private tmpfs on ${dir} failed: ${r}`);
    }
  }

  /** Send one command, read one reply line. */
  async command(t: RealTask, line: string): Promise<string> {
    if (t.exited) throw new Error(`task ${t.name} has exited`);
    t.write(line + '\n');
    const { line: reply, timedOut } = await t.reader.next(this.timeoutMs);
    if (reply === null) {
      const why = timedOut ? `no reply within ${this.timeoutMs} ms` : 'the helper closed its output (died?)';
      throw new Error(`task ${t.name} (pid ${t.pid}): '${line}': ${why}${this.stderr ? `; helper stderr: ${this.stderr.trim()}` : ''}`);
    }
    return reply;
  }

  /** fork/clone `parent` into a new task named `name` (`line`: the table's helper line); the reply line of the parent. */
  async fork(parent: RealTask, name: string | undefined, line: string): Promise<{ reply: string; task?: RealTask }> {
    const id = `${++this.fifoCount}`;
    const inP = path.join(this.fifoDir, `${id}.in`);
    const outP = path.join(this.fifoDir, `${id}.out`);
    const mk = child_process.spawnSync('mkfifo', ['-m', '0600', inP, outP], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
    const before = new Set(procChildren(parent.pid));
    const reply = await this.command(parent, `${line} ${inP} ${outP}`);
    const m = /^ok (\d+)$/.exec(reply);
    if (!m) {
      fs.rmSync(inP, { force: true });
      fs.rmSync(outP, { force: true });
      return { reply };
    }
    const hostPid = this.hostPidOfChild(parent.pid, Number(m[1]), before);
    this.allPids.add(hostPid);
    const w = await openFifo(inP, fs.constants.O_WRONLY, this.timeoutMs);
    let r: number;
    try {
      r = await openFifo(outP, fs.constants.O_RDONLY, this.timeoutMs);
    } catch (e) {
      fs.closeSync(w);
      throw e;
    }
    fs.rmSync(inP, { force: true });
    fs.rmSync(outP, { force: true });
    const sock = new net.Socket({ fd: r, readable: true, writable: false });
    sock.on('error', () => { /* EOF handling covers it */ });
    const task: RealTask = {
      name: name ?? `pid${hostPid}`, pid: hostPid, writeFd: w, reader: new LineReader(sock), exited: false,
      write: (l) => { fs.writeSync(w, l); },
    };
    const check = await this.command(task, 'getpid');
    if (!/^ok \d+$/.test(check)) throw new Error(`new task ${task.name}: getpid replied '${check}'`);
    return { reply, task };
  }

  /** The host pid of the child the parent reported as `reported` (its pid in the parent's pid ns). */
  private hostPidOfChild(parentPid: number, reported: number, before: Set<number>): number {
    const parentLevel = (nsPids(parentPid)?.length ?? 1) - 1;
    for (const c of procChildren(parentPid)) {
      if (before.has(c)) continue;
      const ns = nsPids(c);
      if (ns && ns[parentLevel] === reported) return c;
    }
    return reported;
  }

  /** The pid of host pid `hostPid` as seen from task `viewer`'s pid namespace (null: not visible). */
  pidSeenBy(viewer: RealTask, hostPid: number): number | null {
    const level = (nsPids(viewer.pid)?.length ?? 1) - 1;
    const ns = nsPids(hostPid);
    if (!ns) return level === 0 ? hostPid : null;
    return ns[level] ?? null;
  }

  /** After "exit": wait until the kernel has finished do_exit (zombie, or gone when reaped). */
  async awaitExit(t: RealTask): Promise<void> {
    const deadline = performance.now() + this.timeoutMs;
    while (performance.now() < deadline) {
      const st = procState(t.pid);
      if (st === null || st === 'Z' || st === 'X') return;
      await sleep(2);
    }
    throw new Error(`task ${t.name} (pid ${t.pid}) did not exit within ${this.timeoutMs} ms`);
  }

  /** A live task to run checks from: A when it is alive, else `pref`, else any. */
  checker(pref?: RealTask): RealTask | undefined {
    const a = this.tasks.get('A');
    if (a && !a.exited) return a;
    if (pref && !pref.exited) return pref;
    return [...this.tasks.values()].find((t) => !t.exited);
  }

  taskName(hostPid: number): string {
    return [...this.tasks.entries()].find(([, t]) => t.pid === hostPid)?.[0] ?? `pid${hostPid}`;
  }

  /** Kill every helper process we started (and their descendants), wait until they are gone. */
  async cleanup(): Promise<void> {
    const all = new Set(this.allPids);
    const walk = (p: number, depth: number): void => {
      if (depth > 64) return;
      for (const c of procChildren(p)) if (exeOf(c) === this.bin && !all.has(c)) { all.add(c); walk(c, depth + 1); }
    };
    for (const p of [...all]) walk(p, 0);
    for (const p of all) {
      // only processes that are still our helper (a pid could in theory have been reused)
      const exe = exeOf(p);
      if (exe !== null && exe !== this.bin && !exe.startsWith(`${this.bin} `)) continue;
      try { process.kill(p, 'SIGKILL'); } catch { /* gone already */ }
    }
    for (const t of this.tasks.values()) {
      t.reader.destroy();
      if (t.writeFd !== undefined) { try { fs.closeSync(t.writeFd); } catch { /* closed */ } }
    }
    this.rootChild?.stdin?.destroy();
    const deadline = performance.now() + 3000;
    while (performance.now() < deadline) {
      const left = [...all].filter((p) => { const st = procState(p); return st !== null && st !== 'Z' && st !== 'X'; });
      const rootLive = this.rootChild && this.rootChild.exitCode === null && this.rootChild.signalCode === null;
      if (!left.length && !rootLive) break;
      await sleep(5);
    }
    if (this.fifoDir) fs.rmSync(this.fifoDir, { recursive: true, force: true });
  }

  // ---- steps ----

  /** A "$name" in a step: a task's host pid, or a saved value. */
  readonly value = (name: string): number | undefined => this.tasks.get(name)?.pid ?? this.saved.get(name);

  async runStep(step: Step, index: number): Promise<StepOutcome> {
    const t = this.tasks.get(step.task ?? 'A');
    if (!t) return { observed: { error: `no task '${step.task}'` } };
    if (step.op.startsWith('@')) return { observed: await atCheckAsync(step, this.nsNames, this.value, (q) => this.answerCheck(t, q)) };
    if (t.exited) return { observed: { error: `task '${t.name}' has exited` } };
    const args = resolveStepArgs(step.op, step.args, this.value);
    if (typeof args === 'string') throw new ScenarioError(`step ${index}: ${args}`);
    const op = step.op;
    const d = syscallDesc(op) as SyscallDesc;

    if (op === 'exit') {
      t.write(`${helperLine(d, args, index)}\n`);
      await this.awaitExit(t);
      t.exited = true;
      t.reader.destroy();
      return { observed: { ret: 0 } };
    }
    if (op === 'fork' || op === 'clone') {
      const { reply, task } = await this.fork(t, step.as, helperLine(d, args, index));
      const pid = /^ok (\d+)$/.exec(reply);
      if (task) {
        this.tasks.set(step.as ?? task.name, task);
        if (step.save) this.saved.set(step.save, task.pid);
      }
      return { observed: observeResult(d, { ret: pid ? Number(pid[1]) : parseErr(reply) }, { syms: this.syms, taskName: (p) => this.taskName(p), newTask: task ? step.as ?? task.name : undefined }) };
    }
    if (op === 'wait') return { observed: await this.wait(t, args.pid ?? -1) };

    const reply = await this.command(t, helperLine(d, args, index));
    const raw = this.rawOf(d, reply);
    const observed = observeResult(d, raw, { syms: this.syms, taskName: () => t.name });
    for (const [name, v] of savedValues(d, step.save, typeof raw.ret === 'number' ? raw.ret : -1, raw.fds)) this.saved.set(name, v);
    return { observed };
  }

  private async wait(t: RealTask, pidArg: unknown): Promise<Record<string, unknown>> {
    const hostPid = typeof pidArg === 'number' ? pidArg : Number.NaN;
    if (Number.isInteger(hostPid) && hostPid > 0) {
      const seen = this.pidSeenBy(t, hostPid) ?? hostPid;
      const reply = await this.command(t, `wait ${seen}`);
      if (!reply.startsWith('ok')) return parseErr(reply);
      this.markReaped(hostPid);
      return { ret: this.taskName(hostPid) };
    }
    // wait(-1) / wait(0): poll WNOHANG so the reaped pid is known
    const arg = Number.isInteger(hostPid) ? hostPid : -1;
    const deadline = performance.now() + this.timeoutMs;
    while (true) {
      const reply = await this.command(t, `waitnohang ${arg}`);
      const m = /^ok (\d+) -?\d+$/.exec(reply);
      if (!m) return parseErr(reply);
      const p = Number(m[1]);
      if (p > 0) {
        const level = (nsPids(t.pid)?.length ?? 1) - 1;
        const task = [...this.tasks.values()].find((x) => x.pid === p || this.nsPidsCache.get(x.pid)?.[level] === p);
        const host = task?.pid ?? p;
        this.markReaped(host);
        return { ret: this.taskName(host) };
      }
      if (performance.now() > deadline) throw new Error(`task ${t.name}: wait(${arg}) found no child to reap within ${this.timeoutMs} ms`);
      await sleep(2);
    }
  }

  /** NSpid of every task as seen when it was alive (a reaped task's /proc entry is gone). */
  readonly nsPidsCache = new Map<number, number[]>();

  private markReaped(hostPid: number): void {
    for (const x of this.tasks.values()) if (x.pid === hostPid) x.exited = true;
  }

  /** A helper reply as the raw result the shared naming reads (its kind from the table's `obs`, `returns`). */
  private rawOf(d: SyscallDesc, reply: string): RawResult {
    if (!reply.startsWith('ok')) return { ret: parseErr(reply) };
    const body = reply.slice(3);
    switch (d.obs) {
      case 'stat': {
        const st = JSON.parse(body) as { mode: number; ino: number; dev: number };
        return { ret: 0, stat: { mode: st.mode, ino: st.ino, dev: st.dev } };
      }
      case 'text': {
        if (d.returns === 'zero') return { ret: 0, text: body }; // gethostname
        const text = body.replace(/\\(n|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
        return { ret: Buffer.byteLength(text), text };
      }
      case 'dirents': {
        const sp = body.indexOf(' ');
        const ret = Number(sp < 0 ? body : body.slice(0, sp));
        if (ret <= 0) return { ret };
        return { ret, dirents: JSON.parse(body.slice(sp + 1)) as NonNullable<RawResult['dirents']> };
      }
      default: break;
    }
    if (d.returns === 'fds') {
      const m = /^ok 0 (\d+) (\d+)$/.exec(reply);
      return m ? { ret: 0, fds: [Number(m[1]), Number(m[2])] } : { ret: { errno: 'EPROTO' } };
    }
    const m = /^ok (-?\d+)/.exec(reply);
    return m ? { ret: Number(m[1]) } : reply === 'ok' ? { ret: 0 } : { ret: { errno: 'EPROTO' } };
  }

  /**
   * The real kernel's answers to the @-checks' questions, through nsfs file handles. Whether a
   * namespace is alive is observed, never read from the scenario's expectation: user and pid
   * namespaces die asynchronously (a few ms after their last holder), so for them a live answer
   * is asked again for up to 300 ms; every other type dies at once (oracle/linux/FACTS.md).
   */
  private async answerCheck(t: RealTask, q: CheckQuery): Promise<CheckAnswer> {
    switch (q.q) {
      case 'taskNs': {
        const who = this.checker(t);
        if (!who) return { errno: 'ESRCH' };
        return parseHandle(await this.command(who, `handle /proc/${t.pid}/ns/${q.type}`));
      }
      case 'fdNs': {
        if (t.exited) return { errno: 'EBADF' };
        const fd = intArg(q.fd, -1);
        if (fd < 0) return { errno: 'EINVAL' };
        return parseHandle(await this.command(t, `handle fd:${fd}`));
      }
      case 'alive': {
        const ns = q.ns as NsRef;
        const who = this.checker(t);
        if (!who) return { errno: 'ESRCH' };
        const poll = ns.type === CLONE_NEWUSER || ns.type === CLONE_NEWPID;
        const deadline = performance.now() + 300;
        while (true) {
          const reply = await this.command(who, `alive ${ns.hex}`);
          if (reply !== 'ok alive' && reply !== 'ok dead') return { errno: parseErr(reply).errno };
          const alive = reply === 'ok alive';
          if (!alive || !poll || performance.now() >= deadline) return { alive };
          await sleep(5);
        }
      }
    }
  }
}

/** Where FIFOs live: not under /tmp or /run, which task A covers with its private tmpfs. */
function fifoBase(): string {
  for (const d of ['/dev/shm', '/var/tmp']) {
    try {
      fs.accessSync(d, fs.constants.W_OK);
      return d;
    } catch { /* next */ }
  }
  // last resort: the host's tmpdir seen through our own root, which A's tmpfs does not cover
  return `/proc/${process.pid}/root${os.tmpdir()}`;
}

function intArg(v: unknown, dflt: number): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return dflt; // an unresolved "$name": a bad fd, as the emulator's int() would make it
}

function parseErr(reply: string): { errno: string } {
  return reply.startsWith('err ') ? { errno: reply.slice(4).trim() } : { errno: 'EPROTO' };
}

function parseHandle(reply: string): NsRef | { errno: string } {
  if (reply.startsWith('err ')) return { errno: reply.slice(4).trim() };
  const m = /^ok (\d+) (\d+) (\d+) ([0-9a-f]+)$/.exec(reply);
  if (!m || m[1] === '0') return { errno: m ? 'EINVAL' : 'EPROTO' }; // not an nsfs handle
  return { key: m[1], type: Number(m[2]), hex: m[4] };
}

/**
 * Run a scenario on this machine's kernel and return its trace, or {skipped} when this machine
 * cannot (not root, no gcc, no namespaces). Throws ScenarioError for a scenario the recorder
 * cannot express, and Error when a helper misbehaves (after killing every helper).
 */
export async function recordLinux(scenario: Scenario, opts: RecordOptions = {}): Promise<RecordResult> {
  const bad = unsupportedSteps(scenario);
  if (bad.length) throw new ScenarioError(bad.join('; '));
  const why = cannotRun();
  if (why) return { skipped: why };
  let bin: string;
  if (opts.helper) bin = opts.helper;
  else {
    const h = helperBinary();
    if ('skipped' in h) return h;
    bin = h.path;
  }
  bin = fs.realpathSync(bin);
  const rec = new Recorder(bin, opts.replyTimeoutMs ?? 10000);
  const steps: TraceStep[] = [];
  try {
    await rec.start();
    for (const [i, step] of scenario.steps.entries()) {
      for (const t of rec.tasks.values()) if (!t.exited && !rec.nsPidsCache.has(t.pid)) rec.nsPidsCache.set(t.pid, nsPids(t.pid) ?? [t.pid]);
      const { observed } = await rec.runStep(step, i + 1);
      steps.push(traceRecord(i + 1, step, observed));
    }
  } finally {
    await rec.cleanup();
  }
  const header: TraceHeader = traceHeader(scenario, { base: 'nsfs', fix: [], inject: [] }, `linux ${os.release()}`);
  return { header, steps };
}
