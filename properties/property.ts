// What a property is: its name, its text, its check, and the flag that shows the check can fail.
// Each property is declared once, in its own file (p1_liveness.ts … p8_determinism.ts);
// checks.ts lists them, and every list of properties derives from that one.
import type { Kernel } from '../kernel/kernel';
import type { File } from '../kernel/fs';
import type { Namespace } from '../kernel/namespaces';
import type { Task } from '../kernel/task';
import { fcheck_files } from '../kernel/file';
import { PROC_I } from '../kernel/proc_fs';
import { procEra } from '../procfs/era';
import type { Op } from './commands';
import type { Completion, World } from './world';
import type { fuzz, FuzzOptions, replayRun } from './fuzz';

/** Where a check reports a violation; the Checker keeps those of the properties it checks. */
export interface Sink {
  fail(property: string, step: number, message: string): void;
}

/** A step check's state for one world (one Checker). */
export interface StepCheck {
  /** A completed syscall, one of its checker's `ops`. */
  observe(w: World, c: Completion): void;
  /** A quiescent point: no syscall in flight, so no temporary references. */
  quiescent?(w: World): void;
}

/** A check made after every step of a run. P1 and P2 share one (liveness_check.ts). */
export interface StepChecker {
  /** The syscalls whose completions it looks at; it passes the others without being called. */
  readonly ops: readonly string[];
  /** Its state for a new world, reporting to `sink`. */
  make(sink: Sink): StepCheck;
}

/** What a whole-run check found: the runs and steps it took, what it compared, and null or what differed. */
export interface RunVerdict {
  runs: number;
  steps: number;
  summary: string;
  message: string | null;
}

/**
 * What a whole-run check is handed to run campaigns with (fuzz.ts's CAMPAIGNS). Handed, not
 * imported: a campaign checks the step properties, so fuzz.ts needs the list of properties,
 * which holds P8.
 */
export interface Campaigns {
  fuzz: typeof fuzz;
  replayRun: typeof replayRun;
}

/** A check made on whole campaigns (P8): it runs them itself. */
export interface RunChecker {
  check(o: FuzzOptions, campaigns: Campaigns): RunVerdict;
}

/**
 * A flag that makes a property fail: injected into `profile` (restricted to `ops`, for a bug
 * most mixes would miss), fuzzing finds a violation whose message matches `shows`.
 */
export interface FailsUnder {
  profile: string;
  flag: string;
  shows: RegExp;
  ops?: Op[];
}

export interface Property<N extends string = string> {
  readonly name: N;
  readonly text: string;
  /** Checked after every step, or on whole runs: one of the two. */
  readonly step?: StepChecker;
  readonly run?: RunChecker;
  /** The flags that make it fail (synthetic ones where the kernel's history has none). */
  readonly failsUnder: readonly FailsUnder[];
}

/** The namespace a task's /proc/<pid>/ns/<entry> names now (the model's view, no references). */
export function taskNs(t: Task, entry: string): Namespace | null {
  if (entry === 'user') return t.user_ns;
  if (entry === 'pid') return t.pid.task === t ? t.pid.ns : null;
  const p = t.nsproxy;
  if (!p) return null;
  switch (entry) {
    case 'net': return p.net_ns;
    case 'uts': return p.uts_ns;
    case 'ipc': return p.ipc_ns;
    case 'mnt': return p.mnt_ns;
    case 'pid_for_children': return p.pid_ns;
    case 'cgroup': return p.cgroup_ns;
    case 'time': return p.time_ns;
    case 'time_for_children': return p.time_ns_for_children;
    default: return null;
  }
}

/** The file at a task's fd, or null. */
export function fileOf(t: Task, fd: number): File | null {
  return t.files ? fcheck_files(t.files, fd) : null;
}

/** The namespace a file's proc inode holds, or null. */
export function nsOfFile(f: File | null): Namespace | null {
  const inode = f?.f_path.dentry.d_inode;
  return inode ? PROC_I(inode).ns : null;
}

// Files are told apart by their ops table, as proc_ns_fget does (f_op == &ns_file_operations),
// never by its name. The two tests below are the only places the checks name the tables.

/** Is f a namespace file (/proc/<pid>/ns/<entry> opened)? */
export function isNsFile(k: Kernel, f: File): boolean {
  return f.f_op === procEra(k).ns_file_operations;
}

/** Is f an ns directory (/proc/<pid>/ns opened)? */
export function isNsDir(k: Kernel, f: File): boolean {
  return f.f_op === procEra(k).proc_ns_dir_operations;
}
