// Kernel profiles: a kernel version plus named bug flags. Each flag is read at exactly the
// lines where its bug lives (grep the flag name to find them).

/**
 * The kernel releases procns names a rule by, in order, each as major × 1000 + minor: where a
 * rule changed once and then stayed, the code reads `atLeast(k, '3.8')`.
 */
const RELEASES = Object.freeze({
  '3.0': 3000, '3.1': 3001, '3.3': 3003, '3.8': 3008, '3.9': 3009, '3.12': 3012, '3.19': 3019, '4.6': 4006, '4.8': 4008, '4.12': 4012, '5.6': 5006, '5.9': 5009, '6.18': 6018,
});
export type Release = keyof typeof RELEASES;

export interface Profile {
  /** The profile's name with its changes: "v3.0-stale-ns-dentry" (base v3.0, the flag fixed). */
  readonly name: string;
  /** The base profile's name, and the flags switched off and on (makeProfile's arguments). */
  readonly base: string;
  readonly fix: readonly string[];
  readonly inject: readonly string[];
  /** The release the profile's kernel is, ordered (RELEASES): the seed and v3.0 are 3.0, nsfs is today's 6.18. */
  readonly release: number;
  readonly flags: ReadonlySet<string>;
}

/** Is the kernel (a Kernel, or the profile it boots) release `r` or later? */
export function atLeast(x: { readonly release: number }, r: Release): boolean {
  return x.release >= RELEASES[r];
}

export interface FlagInfo {
  name: string;
  synthetic: boolean;
  what: string;
}

/** Every bug flag procns knows: the two the seed really has, and synthetic ones for the bug zoo. */
export const BUG_FLAGS: readonly FlagInfo[] = [
  { name: 'evict-null-put', synthetic: false,
    what: 'proc_ns_instantiate sets ei->ns_ops before ns_ops->get(); a NULL get() reaches put(NULL) in proc_evict_inode' },
  { name: 'stale-ns-dentry', synthetic: false,
    what: 'pid_revalidate keeps a cached ns dentry while the task lives, so it names a namespace the task has left' },
  { name: 'unknown-name-eperm', synthetic: false,
    what: 'proc_ns_dir_lookup returns the EPERM it set before the ptrace check for a name no entry has (3.0 as released: ENOENT)' },
  { name: 'mnt-ns-loop', synthetic: false,
    what: '3.8.0 lets /proc/<pid>/ns/mnt be bound inside its own namespace: a cycle nothing can free (fixed in 3.9 by mnt_ns_loop)' },
  { name: 'readdir-off-by-one', synthetic: true, what: 'proc_ns_dir_readdir resumes one entry late after a full buffer' },
  { name: 'missing-put', synthetic: true, what: 'proc_evict_inode forgets ns_ops->put: the namespace leaks' },
  { name: 'no-revalidate-race-check', synthetic: true,
    what: 'proc_ns_instantiate skips the pid_revalidate that closes the race with the task dying' },
  { name: 'no-ptrace-check', synthetic: true, what: 'proc_ns_dir_lookup skips ptrace_may_access' },
  { name: 'setns-no-type-check', synthetic: true, what: 'setns ignores nstype' },
  { name: 'leaky-global', synthetic: true,
    what: 'get_next_ino counts in one module-level counter, so a world inherits the inode numbers of the worlds before it' },
];

const BASE: Record<string, { release: Release; flags: string[]; what: string }> = {
  seed: { release: '3.0', flags: ['evict-null-put', 'stale-ns-dentry', 'unknown-name-eperm'],
    what: 'the seed commit as written, with the 3.0 follow-ups (setns, net/uts/ipc entries)' },
  'v3.0': { release: '3.0', flags: ['stale-ns-dentry'], what: 'Linux 3.0 as released' },
  'v3.8': { release: '3.8', flags: [], what: 'Linux 3.8: ns symlinks, one inode per namespace, mnt/pid/user entries' },
  nsfs: { release: '6.18', flags: [], what: "today's kernel (nsfs), as observed on this machine" },
};

export const PROFILE_NAMES: readonly string[] = Object.keys(BASE);

export function profileDescription(name: string): string {
  return BASE[name]?.what ?? '';
}

/**
 * Build a profile by name, switching flags off (`fix`) or on (`inject`).
 * Returns an error string for an unknown profile or flag.
 */
export function makeProfile(name: string, fix: readonly string[] = [], inject: readonly string[] = []): Profile | string {
  const base = Object.prototype.hasOwnProperty.call(BASE, name) ? BASE[name] : undefined;
  if (!base) return `unknown profile '${name}' (known: ${PROFILE_NAMES.join(', ')})`;
  const known = new Set(BUG_FLAGS.map((f) => f.name));
  for (const f of [...fix, ...inject]) if (!known.has(f)) return `unknown bug flag '${f}'`;
  for (const f of fix) if (!base.flags.includes(f)) return `profile '${name}' has no flag '${f}' to fix`;
  const flags = new Set(base.flags.filter((f) => !fix.includes(f)));
  for (const f of inject) flags.add(f);
  const suffix = [...fix.map((f) => `-${f}`), ...inject.map((f) => `+${f}`)].join('');
  return { name: name + suffix, base: name, fix: [...fix], inject: [...inject], release: RELEASES[base.release], flags };
}

export function has(p: Profile, flag: string): boolean {
  return p.flags.has(flag);
}
