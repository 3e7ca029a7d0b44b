// Records a scenario on a real kernel: this machine's, or whatever a runner prefix reaches
// (`runsc do` for gVisor, `ssh host`, a VM). One procns-helper process (oracle/linux/
// procns-helper.c) is started through the runner; it makes its sandbox (oracle/linux/sandbox.h),
// forks the scenario's tasks itself, and speaks one line protocol over its own stdin and stdout
// (the helper's header comment). The results are written as the same trace records the
// emulator's runner produces (scenarios/runner.ts), with the same symbolization (fds → fd#n,
// inode numbers → ino#n, tasks by name, errno names).
//
// Nothing here reads the host's /proc or creates a file: the helper's hub keeps the pids, waits
// for exits and answers the nsfs handle queries inside the sandbox. Closing its stdin (the end
// of a recording, or this process dying for any reason) ends the hub, which ends the sandbox.
import * as child_process from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Scenario, Step } from '../scenarios/format';
import { traceRecord } from '../scenarios/runner';
import { atCheckAsync, CheckAnswer, CheckQuery, NsRef as CheckNsRef, observeResult, RawResult, resolveStepArgs, savedValues, stepProblem } from '../scenarios/vocabulary';
import { ArgDecl, AT_FDCWD, SyscallDesc, syscallDesc } from '../kernel/syscall_table';
import { CLONE_NEWPID, CLONE_NEWUSER, flagNames } from '../kernel/flags';
import { Symbols, TraceHeader, traceHeader, TraceStep } from './trace';

export interface RecordOptions {
  /** How long to wait for one reply from the helper (ms). */
  replyTimeoutMs?: number;
  /** Path of a prebuilt helper binary (default: oracle/linux/procns-helper, else built into a cache); with a runner, a path on the far side. */
  helper?: string;
  /** A command prefix that runs the helper (`runsc --platform=ptrace --network=none do`, `ssh host`), as words; a `{}` in them is the helper's path, else it comes last. */
  runner?: string[];
  /**
   * The CPU the helper runs on (`taskset -c`; the sandbox keeps every task of the run on it).
   * Default: the first CPU this process may use, where the sandbox pins itself.
   */
  cpu?: number;
}

export type RecordResult = { header: TraceHeader; steps: TraceStep[] } | { skipped: string };

/** A scenario the recorder cannot run (unsupported op or argument): a caller error, not a kernel result. */
export class ScenarioError extends Error {}

// ---------------------------------------------------------------------------------------------
// The helper binary

/** The folder of the helper's C source and the sandbox (oracle/linux), from dist/ or from the source tree. */
export function linuxDir(): string {
  const candidates = [path.resolve(__dirname, 'linux'), path.resolve(__dirname, '..', '..', 'oracle', 'linux')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'procns-helper.c'))) ?? candidates[1];
}

function hasGcc(): boolean {
  return child_process.spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The helper binary: oracle/linux/procns-helper when it exists and is not older than its source
 * (procns-helper.c and the sandbox.h it includes),
 * else a build of the source cached under node_modules/.cache/procns (keyed by the source's hash).
 */
export function helperBinary(): { path: string } | { skipped: string } {
  const dir = linuxDir();
  const src = path.join(dir, 'procns-helper.c');
  const sandbox = path.join(dir, 'sandbox.h');
  const bin = path.join(dir, 'procns-helper');
  if (!fs.existsSync(src)) return fs.existsSync(bin) ? { path: bin } : { skipped: `no helper source at ${src}` };
  const newest = Math.max(fs.statSync(src).mtimeMs, fs.existsSync(sandbox) ? fs.statSync(sandbox).mtimeMs : 0);
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= newest) return { path: bin };
  const hash = crypto.createHash('sha1').update(fs.readFileSync(src)).update(fs.existsSync(sandbox) ? fs.readFileSync(sandbox) : '').digest('hex').slice(0, 12);
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

/** Why this machine cannot record with no runner, or null when it may try (the helper says the rest). */
function cannotRunHere(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  return null;
}

/**
 * The environment variable every helper process of this recorder process carries (inherited by
 * the tasks it forks): `PROCNS_RECORDER=<pid of this node process>`, so a test can tell this
 * recorder's processes from another's.
 */
export const RECORDER_TAG = `PROCNS_RECORDER=${process.pid}`;

/**
 * Every live (not zombie) process whose executable is `bin` (null: any, such as runsc's); with
 * `tag`, only those whose environment carries it (this recorder's own helpers: RECORDER_TAG).
 * For tests and bench/interrupts: the recorder itself never reads the host's /proc.
 */
export function processesRunning(bin: string | null, tag?: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (bin !== null) {
        const exe = fs.readlinkSync(`/proc/${e}/exe`);
        if (exe !== bin && exe !== `${bin} (deleted)`) continue;
      }
      if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${e}/status`, 'utf8'))) continue;
      if (tag !== undefined && !fs.readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes(tag)) continue;
    } catch { continue; /* gone */ }
    out.push(Number(e));
  }
  return out;
}

/**
 * A runner's command line as words, split as a shell splits a simple command (blanks, '…',
 * "…" and backslash), with nothing else of a shell: no variables, globs or operators. A string
 * says why it cannot be split.
 */
export function splitRunner(text: string): string[] | string {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return 'an unterminated \' quote';
      cur = (cur ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let w = '';
      for (; j < text.length && text[j] !== '"'; j++) w += text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]) ? text[++j] : text[j];
      if (j >= text.length) return 'an unterminated " quote';
      cur = (cur ?? '') + w;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return 'a trailing backslash';
      cur = (cur ?? '') + text[++i];
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) words.push(cur);
  return words.length ? words : 'an empty command';
}

// ---------------------------------------------------------------------------------------------
// Talking to the helper

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** The recorder or its helper failed (not the kernel): the recording stops, nothing is written. */
export class RecorderError extends Error {}

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
        this.lines.push(this.buf.slice(0, i).replace(/\r$/, ''));
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
}

/** A scenario task as the hub knows it. */
interface RealTask {
  /** The scenario's name (A, B, ...). */
  name: string;
  /** The hub's name for it (A, t1, t2, ...): unique for the whole recording. */
  hubName: string;
  /** Its pids, from the sandbox's pid namespace inwards (NSpid): nspid[0] is what /proc names. */
  nspid: number[];
  exited: boolean;
}

/** A namespace named by @ns / @fdns: its identity (the key), type and file handle. */
interface NsRef extends CheckNsRef {
  key: string;
  type: number;
  hex: string;
}

/**
 * What a name whose step failed stands for, as a C program would have it, but never "any":
 * a saved fd is the failed call's -1 (a bad fd: EBADF); a task or a saved pid is a pid no task
 * has (INT_MAX), so `wait` on it is ECHILD, not wait(-1), which would reap any child.
 */
const FAILED_FD = -1;
const NO_SUCH_PID = 2147483647;

/** What the helper said about where it runs. */
export interface HelperHello {
  sysname: string;
  release: string;
  machine: string;
  /** What the sandbox had to leave out there (sandbox.h), and what the recorder found missing. */
  missing: string[];
}

class Recorder {
  readonly tasks = new Map<string, RealTask>();
  readonly saved = new Map<string, number>();
  /** Names of tasks and saved values whose step failed, and what they stand for (FAILED_FD, NO_SUCH_PID). */
  readonly failed = new Map<string, number>();
  readonly nsNames = new Map<string, CheckNsRef>();
  readonly syms = new Symbols();
  hello: HelperHello | null = null;
  private stderr = '';
  private child: child_process.ChildProcess | null = null;
  private reader: LineReader | null = null;
  private forks = 0;
  /** No nsfs file handles here (gVisor): namespaces are named by their nsfs inode instead. */
  private noHandles = false;

  constructor(readonly argv: string[], readonly timeoutMs: number) {}

  async start(): Promise<void> {
    const [tagName, tagValue] = RECORDER_TAG.split('=');
    const child = child_process.spawn(this.argv[0], this.argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, [tagName]: tagValue },
    });
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => { if (this.stderr.length < 8192) this.stderr += s; });
    child.stdin?.on('error', () => { /* the helper went away: its replies show it */ });
    let spawnError = '';
    child.on('error', (e) => { spawnError = e.message; });
    this.reader = new LineReader(child.stdout as NodeJS.ReadableStream);
    // what a runner prints before the hub speaks (a VM's boot messages, an ssh banner) is not ours
    const deadline = performance.now() + Math.max(this.timeoutMs, 20000);
    let line: string | null = null;
    do line = (await this.reader.next(Math.max(1, deadline - performance.now()))).line;
    while (line !== null && !line.startsWith('- ') && performance.now() < deadline);
    const m = line === null ? null : /^- hello (\S+) (\S+) (\S+) (\S+)$/.exec(line);
    if (!m) {
      const why = line?.startsWith('- fail ') ? line.slice(7) : line === null ? 'no greeting' : `greeted '${line}'`;
      throw new RecorderError(`the helper (${this.argv.join(' ')}) did not start: ${spawnError || why}${this.stderr ? `; stderr: ${this.stderr.trim().slice(0, 500)}` : ''}`);
    }
    this.hello = { sysname: m[1], release: m[2], machine: m[3], missing: m[4] === '-' ? [] : m[4].split(',') };
    this.tasks.set('A', { name: 'A', hubName: 'A', nspid: [1], exited: false });
  }

  /** Send one line, read the one reply; its words after the tag. A `fail` reply is the recorder's error. */
  async command(tag: string, line: string): Promise<string> {
    this.child?.stdin?.write(`${tag} ${line}\n`);
    const { line: reply, timedOut } = await (this.reader as LineReader).next(this.timeoutMs);
    if (reply === null) {
      const why = timedOut ? `no reply within ${this.timeoutMs} ms` : 'the helper closed its output (died?)';
      throw new RecorderError(`'${tag} ${line}': ${why}${this.stderr ? `; helper stderr: ${this.stderr.trim().slice(0, 500)}` : ''}`);
    }
    if (!reply.startsWith(`${tag} `)) throw new RecorderError(`'${tag} ${line}': a reply for someone else: '${reply}'`);
    const body = reply.slice(tag.length + 1);
    if (body.startsWith('fail')) throw new RecorderError(`'${tag} ${line}': ${body}`);
    if (body === 'err EPROTO') throw new RecorderError(`'${tag} ${line}': the helper refused the line (a recorder bug)`);
    return body;
  }

  /** End the helper: close its stdin (the hub exits, the sandbox with it), then wait for it. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.stdin?.end();
    const done = (): boolean => child.exitCode !== null || child.signalCode !== null;
    const deadline = performance.now() + 5000;
    while (!done() && performance.now() < deadline) await sleep(5);
    if (!done()) child.kill('SIGKILL');
    while (!done() && performance.now() < deadline + 2000) await sleep(5);
  }

  // ---- steps ----

  /** A "$name" in a step: a task's pid in the sandbox (what its /proc names), or a saved value. */
  readonly value = (name: string): number | undefined =>
    this.tasks.get(name)?.nspid[0] ?? this.saved.get(name) ?? this.failed.get(name);

  taskName(sandboxPid: number): string {
    return [...this.tasks.values()].find((t) => t.nspid[0] === sandboxPid)?.name ?? `pid${sandboxPid}`;
  }

  async runStep(step: Step, index: number): Promise<Record<string, unknown>> {
    const t = this.tasks.get(step.task ?? 'A');
    if (!t) return { error: `no task '${step.task}'` };
    if (step.op.startsWith('@')) return atCheckAsync(step, this.nsNames, this.value, (q) => this.answerCheck(t, q));
    const args = resolveStepArgs(step.op, step.args, this.value);
    if (typeof args === 'string') throw new ScenarioError(`step ${index}: ${args}`);
    const op = step.op;
    const d = syscallDesc(op) as SyscallDesc;
    const isFork = op === 'fork' || op === 'clone';
    // a task that has exited, or was killed, makes no syscall: ESRCH, as the emulator says
    if (t.exited) {
      this.stepFailed(step, d);
      return { errno: 'ESRCH' };
    }
    if (op === 'exit') {
      const r = await this.command(t.hubName, helperLine(d, args, index));
      t.exited = true;
      return r === 'gone' ? { errno: 'ESRCH' } : { ret: 0 };
    }
    if (isFork) return this.fork(t, step, helperLine(d, args, index));
    if (op === 'wait') return this.wait(t, d, args, index);
    const reply = await this.command(t.hubName, helperLine(d, args, index));
    if (reply === 'gone') {
      t.exited = true;
      this.stepFailed(step, d);
      return { errno: 'ESRCH' };
    }
    const raw = rawOf(d, reply);
    if (typeof raw.ret !== 'number' || raw.ret < 0) this.stepFailed(step, d);
    const observed = observeResult(d, raw, { syms: this.syms, taskName: () => t.name });
    for (const [name, v] of savedValues(d, step.save, typeof raw.ret === 'number' ? raw.ret : -1, raw.fds)) this.saved.set(name, v);
    return observed;
  }

  private async fork(parent: RealTask, step: Step, line: string): Promise<Record<string, unknown>> {
    const hubName = `t${++this.forks}`;
    const reply = await this.command(parent.hubName, `${line} ${hubName}`);
    const d = syscallDesc(step.op) as SyscallDesc;
    const m = /^ok (\d+) ([\d,]+)$/.exec(reply);
    if (!m) {
      this.stepFailed(step, d);
      if (reply === 'gone') { parent.exited = true; return { errno: 'ESRCH' }; }
      return observeResult(d, { ret: parseErr(reply) }, { syms: this.syms, taskName: (p) => this.taskName(p) });
    }
    const name = step.as ?? hubName;
    const task: RealTask = { name, hubName, nspid: m[2].split(',').map(Number), exited: false };
    this.tasks.set(name, task);
    this.failed.delete(name);
    if (step.save) this.failed.delete(step.save);
    if (step.save) this.saved.set(step.save, task.nspid[0]);
    return observeResult(d, { ret: Number(m[1]) }, { syms: this.syms, taskName: (p) => this.taskName(p), newTask: name });
  }

  /** A step failed: the names it would have given stand for a failed result from now on. */
  private stepFailed(step: Step, d: SyscallDesc): void {
    const isTask = d.returns === 'task';
    if (isTask && step.as && !this.tasks.has(step.as)) this.failed.set(step.as, NO_SUCH_PID);
    if (!step.save) return;
    const names = d.returns === 'fds' ? [`${step.save}0`, `${step.save}1`] : [step.save];
    for (const n of names) if (!this.saved.has(n)) this.failed.set(n, isTask ? NO_SUCH_PID : FAILED_FD);
  }

  /** The pid of a sandbox pid as `viewer` sees it (its own pid namespace's number), if it can. */
  private pidSeenBy(viewer: RealTask, sandboxPid: number): number {
    const target = [...this.tasks.values()].find((x) => x.nspid[0] === sandboxPid);
    return target?.nspid[viewer.nspid.length - 1] ?? sandboxPid;
  }

  /**
   * wait as the table declares it: wait4(pid, WNOHANG) once, as the emulator's sys_wait does (0:
   * children, none a zombie; a task that exited is a zombie before its exit step ends). pid is
   * the child's sandbox pid, translated into the waiter's pid namespace.
   */
  private async wait(t: RealTask, d: SyscallDesc, args: Record<string, unknown>, index: number): Promise<Record<string, unknown>> {
    const pid = typeof args.pid === 'number' ? args.pid : -1;
    const seen = pid > 0 ? this.pidSeenBy(t, pid) : pid;
    const reply = await this.command(t.hubName, helperLine(d, { ...args, pid: seen }, index));
    if (reply === 'gone') { t.exited = true; return { errno: 'ESRCH' }; }
    const m = /^ok (\d+) -?\d+$/.exec(reply);
    if (!m) return parseErr(reply);
    const p = Number(m[1]);
    if (p === 0) return { ret: 0 };
    const level = t.nspid.length - 1;
    const task = [...this.tasks.values()].find((x) => x.nspid.length > level && x.nspid[level] === p);
    const sandboxPid = task?.nspid[0] ?? p;
    this.markReaped(sandboxPid);
    return { ret: this.taskName(sandboxPid) };
  }

  private markReaped(sandboxPid: number): void {
    for (const x of this.tasks.values()) if (x.nspid[0] === sandboxPid) x.exited = true;
  }

  /**
   * The real kernel's answers to the @-checks' questions, through nsfs file handles (asked by
   * the hub, except an fd's, which only its task can name). Whether a namespace is alive is
   * observed, never read from the scenario's expectation: user and pid namespaces die
   * asynchronously (a few ms after their last holder), so for every namespace of those types a
   * live answer is asked again for up to 300 ms; every other type dies at once
   * (oracle/linux/FACTS.md). Without nsfs handles (gVisor), a namespace is named by its nsfs
   * inode (stat), and liveness cannot be observed: @alive then records no "alive".
   */
  private async answerCheck(t: RealTask, q: CheckQuery): Promise<CheckAnswer> {
    switch (q.q) {
      case 'taskNs': {
        const p = `/proc/${t.nspid[0]}/ns/${q.type}`;
        if (!this.noHandles) {
          const h = parseHandle(await this.command('-', `handle ${p}`));
          if (!('errno' in h) || !this.lacksHandles(h.errno)) return h;
        }
        return parseNsid(await this.command('-', `nsid ${p}`));
      }
      case 'fdNs': {
        if (t.exited) return { errno: 'EBADF' };
        const fd = intArg(q.fd, -1);
        if (fd < 0) return { errno: 'EINVAL' };
        if (!this.noHandles) {
          const reply = await this.command(t.hubName, `handle fd:${fd}`);
          if (reply === 'gone') { t.exited = true; return { errno: 'EBADF' }; }
          const h = parseHandle(reply);
          if (!('errno' in h) || !this.lacksHandles(h.errno)) return h;
        }
        const reply = await this.command(t.hubName, `fstat ${fd}`);
        if (reply === 'gone') { t.exited = true; return { errno: 'EBADF' }; }
        if (!reply.startsWith('ok ')) return parseErr(reply);
        const st = JSON.parse(reply.slice(3)) as { ino: number; dev: number };
        const nsDev = await this.nsfsDev();
        return st.dev === nsDev ? ({ key: `${st.dev}:${st.ino}`, type: 0, hex: '' } as NsRef) : { errno: 'EINVAL' };
      }
      case 'alive': {
        const ns = q.ns as NsRef;
        if (!ns.hex) return { errno: 'EOPNOTSUPP' } as unknown as CheckAnswer;
        const poll = ns.type === CLONE_NEWUSER || ns.type === CLONE_NEWPID;
        const deadline = performance.now() + 300;
        while (true) {
          const reply = await this.command('-', `alive ${ns.hex}`);
          if (reply !== 'ok alive' && reply !== 'ok dead') return { errno: parseErr(reply).errno };
          const alive = reply === 'ok alive';
          if (!alive || !poll || performance.now() >= deadline) return { alive };
          await sleep(5);
        }
      }
    }
  }

  /** An errno of name_to_handle_at that says the implementation has no nsfs handles. */
  private lacksHandles(errno: string): boolean {
    if (errno !== 'EOPNOTSUPP' && errno !== 'ENOSYS') return false;
    this.noHandles = true;
    (this.hello as HelperHello).missing.push('nsfs-handles');
    return true;
  }

  private nsDevCache: number | null = null;
  /** The device number of nsfs here (the sandbox's own net namespace's file). */
  private async nsfsDev(): Promise<number> {
    if (this.nsDevCache === null) {
      const m = /^ok \d+ (\d+)$/.exec(await this.command('-', 'nsid /proc/1/ns/net'));
      this.nsDevCache = m ? Number(m[1]) : -1;
    }
    return this.nsDevCache;
  }
}

/** A helper reply as the raw result the shared naming reads (its kind from the table's `obs`, `returns`). */
function rawOf(d: SyscallDesc, reply: string): RawResult {
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
    if (!m) throw new RecorderError(`${d.name}: a reply the recorder cannot read: '${reply}'`);
    return { ret: 0, fds: [Number(m[1]), Number(m[2])] };
  }
  const m = /^ok (-?\d+)/.exec(reply);
  if (m) return { ret: Number(m[1]) };
  if (reply === 'ok') return { ret: 0 };
  throw new RecorderError(`${d.name}: a reply the recorder cannot read: '${reply}'`);
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

function intArg(v: unknown, dflt: number): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return dflt; // an unresolved "$name": a bad fd, as the emulator's int() would make it
}

/** A kernel errno from an `err` reply; anything else is the recorder's error, never an errno in a trace. */
function parseErr(reply: string): { errno: string } {
  if (/^err E[A-Z0-9]+$/.test(reply)) return { errno: reply.slice(4) };
  throw new RecorderError(`a reply the recorder cannot read: '${reply}'`);
}

function parseHandle(reply: string): NsRef | { errno: string } {
  if (reply.startsWith('err ')) return parseErr(reply);
  const m = /^ok (\d+) (\d+) (\d+) ([0-9a-f]+)/.exec(reply);
  if (!m) throw new RecorderError(`handle: a reply the recorder cannot read: '${reply}'`);
  if (m[1] === '0') return { errno: 'EINVAL' }; // not an nsfs handle
  return { key: m[1], type: Number(m[2]), hex: m[4] };
}

/** "ok <ino> <dev>" of an ns file: the namespace named by its inode (no handle to ask liveness with). */
function parseNsid(reply: string): NsRef | { errno: string } {
  if (reply.startsWith('err ')) return parseErr(reply);
  const m = /^ok (\d+) (\d+)$/.exec(reply);
  if (!m) throw new RecorderError(`nsid: a reply the recorder cannot read: '${reply}'`);
  return { key: `${m[2]}:${m[1]}`, type: 0, hex: '' };
}

/**
 * Run a scenario on a real kernel (this machine's, or the runner's) and return its trace, or
 * {skipped} when it cannot (not root, no gcc, a helper that cannot make its sandbox). Throws
 * ScenarioError for a scenario the recorder cannot express, and RecorderError when the helper
 * misbehaves; the helper and its sandbox are gone when it returns or throws.
 */
export async function recordLinux(scenario: Scenario, opts: RecordOptions = {}): Promise<RecordResult> {
  const bad = unsupportedSteps(scenario);
  if (bad.length) throw new ScenarioError(bad.join('; '));
  const runner = opts.runner ?? [];
  if (!runner.length) {
    const why = cannotRunHere();
    if (why) return { skipped: why };
  }
  let bin: string;
  if (opts.helper) bin = runner.length ? opts.helper : fs.realpathSync(opts.helper);
  else {
    const h = helperBinary();
    if ('skipped' in h) return h;
    bin = fs.realpathSync(h.path);
  }
  // the helper's path replaces a "{}" in the runner's words (a VM's kernel command line), else ends them
  const words = runner.some((w) => w.includes('{}')) ? runner.map((w) => w.split('{}').join(bin)) : [...runner, bin];
  const argv = opts.cpu === undefined ? words : ['taskset', '-c', String(opts.cpu), ...words];
  const rec = new Recorder(argv, opts.replyTimeoutMs ?? 10000);
  const steps: TraceStep[] = [];
  try {
    try {
      await rec.start();
    } catch (e) {
      // a kernel or a runner without the namespaces the sandbox needs (or not root there)
      if (e instanceof RecorderError && /sandbox: .*(Operation not permitted|Function not implemented)/.test(e.message)) return { skipped: e.message };
      throw e;
    }
    for (const [i, step] of scenario.steps.entries()) steps.push(traceRecord(i + 1, step, await rec.runStep(step, i + 1)));
  } finally {
    await rec.stop();
  }
  const hello = rec.hello as HelperHello;
  const header: TraceHeader = traceHeader(scenario, { base: 'nsfs', fix: [], inject: [] }, `${hello.sysname.toLowerCase()} ${hello.release}`);
  header.uname = `${hello.sysname} ${hello.release} ${hello.machine}`;
  header.runner = runner.join(' ');
  if (hello.missing.length) header.missing = [...hello.missing];
  return { header, steps };
}
