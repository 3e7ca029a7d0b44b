// The trace format (JSON Lines): a header, then one record per step. Tasks, fds, namespaces and
// inode numbers are symbolic, so traces from different implementations compare up to renaming.
import { createHash } from 'crypto';
export interface TraceHeader {
  procns: 1;
  /** The profile the trace claims: a profile's name, with the flags switched off and on. */
  profile: string;
  fix?: string[];
  inject?: string[];
  /** The scenario's name; the scenario itself is inlined (`doc`) so a trace is checked with nothing else at hand. */
  scenario: string;
  doc?: unknown;
  /** sha256 of the inlined scenario's JSON, as written: a changed scenario is a malformed trace. */
  sha256?: string;
  /** Who produced it: "procns" (the emulator) or "linux <release>" (the kernel's own uname -r). */
  source?: string;
  /** A recording: `uname -srm` as the helper saw it from inside its sandbox. */
  uname?: string;
  /** A recording: the runner prefix the helper ran under ("" when run directly). */
  runner?: string;
  /** A recording: what the implementation lacks, left out rather than failing (e.g. "cgroup", "nsfs-handles"). */
  missing?: string[];
}

/** A trace's header for a run of `sc` under a profile (its base name, fix and inject). */
export function traceHeader(sc: { name: string }, profile: { base: string; fix: readonly string[]; inject: readonly string[] }, source: string): TraceHeader {
  const h: TraceHeader = { procns: 1, profile: profile.base, scenario: sc.name, doc: sc, sha256: scenarioHash(sc), source };
  if (profile.fix.length) h.fix = [...profile.fix];
  if (profile.inject.length) h.inject = [...profile.inject];
  return h;
}

/** The hash a header carries of its inlined scenario. */
export function scenarioHash(doc: unknown): string {
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex');
}

export interface TraceObs {
  mode?: string;
  ino?: string;
  text?: string;
  dirents?: { name: string; type: string; off: number; reclen: number; ino: string }[];
  alive?: boolean;
  same?: boolean;
  /** pipe2: the two new fds, symbolic. */
  fds?: string[];
}

export interface TraceStep {
  step: number;
  task: string;
  op: string;
  args: Record<string, unknown>;
  ret?: number | string;
  errno?: string;
  obs?: TraceObs;
}

/** Renames raw values (inode numbers, fds) to symbols in order of first appearance. */
export class Symbols {
  private readonly map = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  name(prefix: string, raw: number | string): string {
    const key = `${prefix}:${raw}`;
    let s = this.map.get(key);
    if (!s) {
      const n = (this.counts.get(prefix) ?? 0) + 1;
      this.counts.set(prefix, n);
      s = `${prefix}#${n}`;
      this.map.set(key, s);
    }
    return s;
  }
}

/** Symbolic text of a readlink result: the inode number in "net:[4026531956]" becomes ino#k. */
export function symbolicLinkText(text: string, syms: Symbols): string {
  return text.replace(/^([a-z_]+):\[(\d+)\]$/, (_m, t: string, n: string) => `${t}:[${syms.name('ino', `ns:${n}`)}]`);
}

export function toJsonl(header: TraceHeader, steps: TraceStep[]): string {
  return [header, ...steps].map((o) => JSON.stringify(o)).join('\n') + '\n';
}
