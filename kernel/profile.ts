// Kernel profiles: a kernel version plus named bug flags. Each flag is read at exactly the
// lines where its bug lives (grep the flag name to find them).

export type Version = '3.0' | '3.8' | 'nsfs';

export interface Profile {
  readonly name: string;
  readonly version: Version;
  readonly flags: ReadonlySet<string>;
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

const BASE: Record<string, { version: Version; flags: string[]; what: string }> = {
  seed: { version: '3.0', flags: ['evict-null-put', 'stale-ns-dentry'],
    what: 'the seed commit as written, with the 3.0 follow-ups (setns, net/uts/ipc entries)' },
  'v3.0': { version: '3.0', flags: ['stale-ns-dentry'], what: 'Linux 3.0 as released' },
  'v3.8': { version: '3.8', flags: [], what: 'Linux 3.8: ns symlinks, one inode per namespace, mnt/pid/user entries' },
  nsfs: { version: 'nsfs', flags: [], what: "today's kernel (nsfs), as observed on this machine" },
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
  const base = BASE[name];
  if (!base) return `unknown profile '${name}' (known: ${PROFILE_NAMES.join(', ')})`;
  const known = new Set(BUG_FLAGS.map((f) => f.name));
  for (const f of [...fix, ...inject]) if (!known.has(f)) return `unknown bug flag '${f}'`;
  for (const f of fix) if (!base.flags.includes(f)) return `profile '${name}' has no flag '${f}' to fix`;
  const flags = new Set(base.flags.filter((f) => !fix.includes(f)));
  for (const f of inject) flags.add(f);
  const suffix = [...fix.map((f) => `-${f}`), ...inject.map((f) => `+${f}`)].join('');
  return { name: name + suffix, version: base.version, flags };
}

export function has(p: Profile, flag: string): boolean {
  return p.flags.has(flag);
}
