// The syscall table: one declaration per syscall, as arch/x86/entry/syscalls/syscall_64.tbl is
// the kernel's one list. Each entry gives the syscall's arguments (their kinds), what it
// returns, how the fuzzer draws it, how the real-kernel helper encodes it and the C it becomes.
// Every list of syscalls procns has is read from here: the kernel's dispatch (syscallGen), the
// fuzz mix and its arbitraries (properties/commands.ts), the world's resolver
// (properties/world.ts), the scenario runner and the trace's symbols (scenarios/vocabulary.ts),
// the recorder (oracle/recordLinux.ts) and the torture tests (test/kernel/randomCalls.ts).
// docs/extending.md says what adding one touches.
import type { Kernel } from './kernel';
import type { KGen } from './fs';
import { ENOSYS } from './errno';
import {
  CLONE_FILES, CLONE_FLAG_NAMES, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID,
  CLONE_NEWTIME, CLONE_NEWUTS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM, MNT_DETACH, MNT_FORCE, MNT_EXPIRE, MS_BIND,
  O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDWR, OPEN_FLAG_NAMES, SEEK_CUR, SEEK_END, SEEK_SET, UMOUNT_NOFOLLOW,
  type Cap,
} from './flags';
import {
  sys_capset_call, sys_clone, sys_close_call, sys_drop_caches, sys_dup2_call, sys_dup_call, sys_exit, sys_fork, sys_fstat,
  sys_getdents64_call, sys_gethostname, sys_getpid, sys_lseek, sys_lstat, sys_mkdir, sys_mknod_reg, sys_mount, sys_open,
  sys_pipe2, sys_read, sys_readlink, sys_rmdir, sys_setns_call, sys_sethostname, sys_setuid_call, sys_stat_follow,
  sys_umount2, sys_unlink_file, sys_unshare, sys_wait_call, type Call, type SysResult,
} from './syscalls';

/** A flag word's names, as the uapi headers give them. */
export type FlagTable = readonly (readonly [string, number])[];

export const MNT_FLAG_NAMES: FlagTable = [['MNT_FORCE', MNT_FORCE], ['MNT_DETACH', MNT_DETACH], ['MNT_EXPIRE', MNT_EXPIRE], ['UMOUNT_NOFOLLOW', UMOUNT_NOFOLLOW]];
export const MS_FLAG_NAMES: FlagTable = [['MS_BIND', MS_BIND]];
export const SEEK_NAMES: FlagTable = [['SEEK_SET', SEEK_SET], ['SEEK_CUR', SEEK_CUR], ['SEEK_END', SEEK_END]];
export const OPEN_NAMES: FlagTable = [['O_RDONLY', 0], ...OPEN_FLAG_NAMES];
export const CLONE_NAMES: FlagTable = CLONE_FLAG_NAMES;
/** AT_FDCWD (include/uapi/linux/fcntl.h). */
export const AT_FDCWD = -100;

/**
 * What a path argument may name when the fuzzer draws it (the world fills in pids and fds):
 * ns: /proc/<pid|self>/ns/<entry>; nsdir: /proc/<pid>/ns; fdlink: /proc/<pid>/fd/<n>;
 * mnt: /tmp/m<n>, the world's mount targets; tmp: /tmp/t<n>, names free for mknod and mkdir.
 */
export type PathKind = 'ns' | 'nsdir' | 'fdlink' | 'mnt' | 'tmp';

/**
 * One argument: its name in the call, its kind, and for the fuzzer what to draw. `spec` is the
 * key a world command (properties/world.ts) keeps it under, when not `name`; `dflt` is its
 * value when a command or a scenario leaves it out.
 *  - fd: an open file of the caller; a command keeps an index among its open fds (a negative
 *    index is that literal, bad fd). `dir`: a directory is wanted (a listing).
 *  - dirfd: AT_FDCWD or an open directory.
 *  - path: a path; `paths` what the fuzzer draws.
 *  - flags: a flag word with its names; nstype: a CLONE_NEW* type (0: any).
 *  - int, size, uid: numbers; pid: a child (a command names it by task name); caps: a
 *    capability set; text: a string.
 * `narrow`: what the fuzzer draws instead in a run whose swarm narrows arguments (commands.ts):
 * the values where bugs of that argument live (small readdir buffers, the offsets getdents
 * returns, bind mounts of mount-namespace files, new mount namespaces); for a path,
 * `narrowEntries`, the ns entries its /proc/<pid>/ns/<entry> paths name then (those the
 * profile has; any when it has none).
 */
export type ArgDecl =
  | { name: string; kind: 'fd'; dir?: boolean; spec?: string }
  | { name: string; kind: 'dirfd'; spec?: string }
  | { name: string; kind: 'path'; paths: readonly PathKind[]; narrow?: readonly PathKind[]; narrowEntries?: readonly string[]; spec?: string }
  | { name: string; kind: 'flags' | 'nstype'; names: FlagTable; draw?: readonly number[]; narrow?: readonly number[]; bad?: readonly number[]; dflt?: number; spec?: string }
  | { name: string; kind: 'int' | 'size' | 'uid'; draw?: readonly number[]; narrow?: readonly number[]; bad?: readonly number[]; dflt?: number; spec?: string }
  | { name: string; kind: 'pid'; spec?: string }
  | { name: string; kind: 'caps'; draw?: readonly (readonly Cap[])[]; dflt?: readonly Cap[]; spec?: string }
  | { name: string; kind: 'text'; draw?: readonly string[]; dflt?: string; spec?: string };

/**
 * What a syscall returns, and how a trace names it (scenarios/vocabulary.ts):
 * zero: 0; count: a number (bytes, an offset, a length); fd: a new fd (fd#n); fds: 0 and two
 * new fds in obs.fds; task: a new task (its name); reaped: the reaped child (its name); pid:
 * the caller's own pid (its name).
 */
export type RetKind = 'zero' | 'count' | 'fd' | 'fds' | 'task' | 'reaped' | 'pid';
/** What a successful call observes besides its return value. */
export type ObsKind = 'stat' | 'text' | 'dirents';

export type NsLookup = 'target' | 'entry';

/**
 * A syscall's part in a race command (properties/world.ts): 'raced', it reaches preemption
 * points where races live (an instantiate, the stages of exit) and is preempted there; 'victim',
 * the task the raced call names makes it in the window (it dies, or changes its namespaces or
 * files); 'reaper', that task's parent makes it (the reap).
 */
export type RaceRole = 'raced' | 'victim' | 'reaper';
const TARGET = (): NsLookup => 'target';
const ENTRY = (): NsLookup => 'entry';

export type Handler = (k: Kernel, a: Record<string, unknown>) => KGen<SysResult>;

export interface SyscallDesc {
  readonly name: string;
  readonly handler: Handler;
  readonly args: readonly ArgDecl[];
  readonly returns: RetKind;
  readonly obs?: ObsKind;
  /**
   * A syscall that looks its `path` up: how a /proc/<pid>/ns/<entry> path is walked, for the
   * checks. 'target': the walk reaches the entry's namespace (open, stat; readlink, whose
   * ->readlink checks ptrace as follow_link does); 'entry': it stops at the entry (lstat, an
   * open with O_NOFOLLOW).
   */
  readonly nsLookup?: (args: Record<string, unknown>) => NsLookup;
  /**
   * The fuzzer: the weight of this syscall in a run's swarm mix (8 for the calls namespaces
   * live and die by, 1 for the rest), in how many runs of 4 the swarm switches it on (`on`, 2
   * by default; 1 for the rest: a bug that needs a few calls shows when most others are off,
   * and every syscall added would otherwise dilute the others), or always; `notByInit`: init
   * never makes it (its life and credentials stay those of boot); `race`, its part in a race
   * command (properties/world.ts); `refine`, a last touch to a drawn command. Or why it is
   * never drawn.
   */
  readonly fuzz: { weight: number; on?: number; always?: boolean; notByInit?: true; race?: readonly RaceRole[]; refine?: (spec: Record<string, unknown>) => Record<string, unknown> } | { excluded: string };
  /**
   * The real-kernel helper's command line (oracle/linux/procns-helper.c), `%name` for each
   * argument as its kind encodes it; null when the helper cannot run it, with `helperWhy`.
   * `helperRefuses` names arguments the helper cannot express.
   */
  readonly helper: string | null;
  readonly helperWhy?: string;
  readonly helperRefuses?: (args: Record<string, unknown>) => string | null;
  /** The C call it becomes in an exported reproducer, `%name` as in `helper`. */
  readonly c: string;
}

const FD_DRAW = { name: 'fd', kind: 'fd' } as const;

/** The syscall table. */
const TABLE = {
  clone: {
    handler: sys_clone, returns: 'task',
    args: [{ name: 'flags', kind: 'flags', names: CLONE_NAMES, dflt: 0,
      draw: [0, 0, CLONE_FILES, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, CLONE_NEWNET, CLONE_NEWUTS | CLONE_NEWIPC, CLONE_NEWNS],
      narrow: [CLONE_NEWNS, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM] }],
    fuzz: { weight: 24, always: true },
    helper: 'clone %flags', c: 'syscall(SYS_clone, %flags | SIGCHLD, 0, 0, 0, 0)',
  },
  fork: {
    handler: sys_fork, returns: 'task', args: [],
    fuzz: { weight: 1, on: 1 },
    helper: 'fork', c: 'fork()',
  },
  unshare: {
    handler: sys_unshare, returns: 'zero',
    args: [{ name: 'flags', kind: 'flags', names: CLONE_NAMES,
      draw: [CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET | CLONE_NEWUTS, CLONE_NEWNS, CLONE_FILES, CLONE_NEWPID, CLONE_NEWCGROUP | CLONE_NEWTIME],
      narrow: [CLONE_NEWNS] }],
    fuzz: { weight: 8, race: ['victim'] },
    helper: 'unshare %flags', c: 'unshare(%flags)',
  },
  setns: {
    handler: sys_setns_call, returns: 'zero',
    args: [FD_DRAW, { name: 'nstype', kind: 'nstype', names: CLONE_NAMES, dflt: 0, draw: [0, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC] }],
    fuzz: { weight: 8, race: ['victim'] },
    helper: 'setns %fd %nstype', c: 'setns(%fd, %nstype)',
  },
  exit: {
    handler: sys_exit, returns: 'zero',
    args: [{ name: 'code', kind: 'int', dflt: 0 }],
    fuzz: { weight: 8, notByInit: true, race: ['raced', 'victim'] },
    // exit(2), not exit_group: do_exit ends this task only (a thread group's others go on)
    helper: 'exit %code', c: 'syscall(SYS_exit, %code)',
  },
  wait: {
    handler: sys_wait_call, returns: 'reaped',
    args: [{ name: 'pid', kind: 'pid', spec: 'child' }],
    fuzz: { weight: 8, race: ['reaper'] },
    // sys_wait is wait4(pid, WNOHANG): 0 while no child is a zombie, never a sleep
    helper: 'waitnohang %pid', c: 'waitpid(%pid, NULL, WNOHANG)',
  },
  setuid: {
    handler: sys_setuid_call, returns: 'zero',
    args: [{ name: 'uid', kind: 'uid', dflt: 1000 }],
    fuzz: { weight: 8, on: 4, notByInit: true },
    helper: 'setuid %uid', c: 'setuid(%uid)',
  },
  capset: {
    handler: sys_capset_call, returns: 'zero',
    args: [{ name: 'caps', kind: 'caps', dflt: [] }],
    fuzz: { weight: 8, notByInit: true },
    helper: 'capdrop', c: 'capset_drop_all()',
    helperRefuses: (a) => (Array.isArray(a.caps) && a.caps.length === 0 ? null : 'only "caps": [] (drop every capability) is supported'),
  },
  sethostname: {
    handler: sys_sethostname, returns: 'zero',
    args: [{ name: 'name', kind: 'text', dflt: 'procns-a', draw: ['procns-a', 'procns-b', 'x'.repeat(65)] }],
    fuzz: { weight: 1, on: 1 },
    helper: 'sethostname %name', c: 'sethostname(%name, strlen(%name))',
  },
  gethostname: {
    handler: sys_gethostname, returns: 'zero', obs: 'text', args: [],
    fuzz: { weight: 1, on: 1 },
    helper: 'gethostname', c: 'gethostname(buf, sizeof buf)',
  },
  getpid: {
    handler: sys_getpid, returns: 'pid', args: [],
    fuzz: { weight: 1, on: 1 },
    helper: 'getpid', c: 'getpid()',
  },
  open: {
    handler: sys_open, returns: 'fd', nsLookup: (a) => ((a.flags as number) & O_NOFOLLOW ? 'entry' : 'target'),
    args: [
      { name: 'dirfd', kind: 'dirfd' },
      { name: 'path', kind: 'path', paths: ['ns', 'nsdir', 'fdlink', 'mnt'], narrow: ['nsdir', 'ns'] },
      { name: 'flags', kind: 'flags', names: OPEN_NAMES, dflt: 0, draw: [0, 0, 0, 0, 0, 0, 0, O_PATH], bad: [O_RDWR] },
    ],
    // a listing wants the directory opened as one
    fuzz: { weight: 8, always: true, race: ['raced'], refine: (s) => ((s.path as { kind: string }).kind === 'nsdir' ? { ...s, flags: (s.flags as number) | O_DIRECTORY } : s) },
    helper: 'openat %dirfd %path %flags', c: 'openat(%dirfd, %path, %flags)',
  },
  close: {
    handler: sys_close_call, returns: 'zero', args: [FD_DRAW],
    fuzz: { weight: 8, race: ['victim'] },
    helper: 'close %fd', c: 'close(%fd)',
  },
  dup: {
    handler: sys_dup_call, returns: 'fd', args: [FD_DRAW],
    fuzz: { weight: 8 },
    helper: 'dup %fd', c: 'dup(%fd)',
  },
  dup2: {
    handler: sys_dup2_call, returns: 'fd',
    args: [{ name: 'oldfd', kind: 'fd', spec: 'fd' }, { name: 'newfd', kind: 'int', draw: [3, 5, 9], bad: [-1] }],
    fuzz: { weight: 1, on: 1 },
    helper: 'dup2 %oldfd %newfd', c: 'dup2(%oldfd, %newfd)',
  },
  pipe2: {
    handler: sys_pipe2, returns: 'fds',
    // O_NONBLOCK always: a blocking read of an empty pipe sleeps until a signal (kernel/pipe.ts)
    args: [{ name: 'flags', kind: 'flags', names: OPEN_NAMES, dflt: 0, draw: [O_NONBLOCK, O_NONBLOCK | O_CLOEXEC], bad: [O_RDWR] }],
    fuzz: { weight: 1, on: 1 },
    helper: 'pipe2 %flags', c: 'pipe2(pipefd, %flags)',
  },
  getdents64: {
    handler: sys_getdents64_call, returns: 'count', obs: 'dirents',
    args: [{ name: 'fd', kind: 'fd', dir: true }, { name: 'count', kind: 'size', dflt: 64, draw: [1, 24, 32, 48, 64, 200], narrow: [24, 32, 48] }],
    fuzz: { weight: 8, race: ['raced'] },
    helper: 'getdents %fd %count', c: 'syscall(SYS_getdents64, %fd, buf, %count)',
  },
  lseek: {
    handler: sys_lseek, returns: 'count',
    args: [FD_DRAW, { name: 'offset', kind: 'int', dflt: 0, draw: [0, 0, 2, 3], narrow: [2, 3, 4] }, { name: 'whence', kind: 'flags', names: SEEK_NAMES, dflt: 0, draw: [SEEK_SET, SEEK_SET, SEEK_CUR, SEEK_END] }],
    fuzz: { weight: 8 },
    helper: 'lseek %fd %offset %whence', c: 'lseek(%fd, %offset, %whence)',
  },
  read: {
    handler: sys_read, returns: 'count',
    args: [FD_DRAW, { name: 'count', kind: 'size', dflt: 0, draw: [0, 16] }],
    fuzz: { weight: 8 },
    helper: 'read %fd %count', c: 'read(%fd, buf, %count)',
  },
  stat: {
    handler: sys_stat_follow, returns: 'zero', obs: 'stat', nsLookup: TARGET,
    args: [{ name: 'dirfd', kind: 'dirfd' }, { name: 'path', kind: 'path', paths: ['ns', 'nsdir', 'fdlink', 'mnt'] }],
    fuzz: { weight: 8, race: ['raced'] },
    helper: 'stat %dirfd %path', c: 'fstatat(%dirfd, %path, &st, 0)',
  },
  lstat: {
    handler: sys_lstat, returns: 'zero', obs: 'stat', nsLookup: ENTRY,
    args: [{ name: 'dirfd', kind: 'dirfd' }, { name: 'path', kind: 'path', paths: ['ns', 'nsdir', 'fdlink', 'mnt'] }],
    fuzz: { weight: 8, race: ['raced'] },
    helper: 'lstat %dirfd %path', c: 'fstatat(%dirfd, %path, &st, AT_SYMLINK_NOFOLLOW)',
  },
  fstat: {
    handler: sys_fstat, returns: 'zero', obs: 'stat', args: [FD_DRAW],
    fuzz: { weight: 1, on: 1 },
    helper: 'fstat %fd', c: 'fstat(%fd, &st)',
  },
  readlink: {
    handler: sys_readlink, returns: 'count', obs: 'text', nsLookup: TARGET,
    args: [{ name: 'dirfd', kind: 'dirfd' }, { name: 'path', kind: 'path', paths: ['ns', 'nsdir', 'fdlink', 'mnt'] }],
    fuzz: { weight: 8, race: ['raced'] },
    helper: 'readlink %dirfd %path', c: 'readlinkat(%dirfd, %path, buf, sizeof buf)',
  },
  mount: {
    handler: sys_mount, returns: 'zero',
    args: [
      // a mount namespace's own file bound into it pins it (mnt_ns_loop)
      { name: 'source', kind: 'path', paths: ['ns', 'nsdir', 'fdlink', 'mnt'], narrow: ['ns'], narrowEntries: ['mnt'] },
      { name: 'target', kind: 'path', paths: ['mnt'], spec: 'path' },
      { name: 'flags', kind: 'flags', names: MS_FLAG_NAMES },
    ],
    fuzz: { weight: 8 },
    helper: 'mount %source %target', c: 'mount(%source, %target, NULL, MS_BIND, NULL)',
    helperRefuses: (a) => (a.flags === undefined || a.flags === MS_BIND ? null : 'only MS_BIND mounts are supported'),
  },
  umount2: {
    handler: sys_umount2, returns: 'zero',
    args: [{ name: 'target', kind: 'path', paths: ['mnt'], spec: 'path' }, { name: 'flags', kind: 'flags', names: MNT_FLAG_NAMES, dflt: 0, draw: [0, MNT_DETACH] }],
    fuzz: { weight: 8 },
    helper: 'umount2 %target %flags', c: 'umount2(%target, %flags)',
  },
  drop_caches: {
    handler: sys_drop_caches, returns: 'zero',
    args: [{ name: 'mode', kind: 'int', dflt: 2 }],
    fuzz: { weight: 8 },
    helper: null, helperWhy: 'a write to /proc/sys/vm/drop_caches reaches the whole host; the recorder never touches the host',
    c: 'drop_caches(%mode)',
  },
  mknod: {
    handler: sys_mknod_reg, returns: 'zero',
    args: [{ name: 'path', kind: 'path', paths: ['tmp', 'mnt'] }],
    fuzz: { weight: 1, on: 1 },
    helper: 'mknod %path', c: 'mknod(%path, S_IFREG | 0644, 0)',
  },
  mkdir: {
    handler: sys_mkdir, returns: 'zero',
    args: [{ name: 'path', kind: 'path', paths: ['tmp'] }],
    fuzz: { weight: 1, on: 1 },
    helper: 'mkdir %path', c: 'mkdir(%path, 0755)',
  },
  unlink: {
    handler: sys_unlink_file, returns: 'zero',
    args: [{ name: 'path', kind: 'path', paths: ['tmp', 'mnt'] }],
    fuzz: { weight: 1, on: 1 },
    helper: 'unlink %path', c: 'unlink(%path)',
  },
  rmdir: {
    handler: sys_rmdir, returns: 'zero',
    args: [{ name: 'path', kind: 'path', paths: ['tmp', 'mnt'] }],
    fuzz: { weight: 1, on: 1 },
    helper: 'rmdir %path', c: 'rmdir(%path)',
  },
} satisfies Record<string, Omit<SyscallDesc, 'name'>>;

export type SyscallName = keyof typeof TABLE;

/** Every syscall, by name, in the table's order. */
export const SYSCALL_TABLE: ReadonlyMap<string, SyscallDesc> = new Map(
  Object.entries(TABLE).map(([name, d]) => [name, Object.freeze({ name, ...d } as SyscallDesc)]),
);

/** The syscalls that look a path up (nsLookup), in the table's order: what P5 and P7 watch. */
export const LOOKUP_SYSCALLS: readonly string[] = [...SYSCALL_TABLE.values()].filter((d) => d.nsLookup).map((d) => d.name);

/** The syscalls' names, in the table's order. */
export const SYSCALL_NAMES = Object.keys(TABLE) as SyscallName[];

export function syscallDesc(op: string): SyscallDesc | undefined {
  return SYSCALL_TABLE.get(op);
}


/** The generator for a call; an unknown syscall is ENOSYS, as the kernel's sys_ni_syscall. */
export function syscallGen(k: Kernel, call: Call): KGen<SysResult> {
  const d = SYSCALL_TABLE.get(call.op);
  const args = call.args !== null && typeof call.args === 'object' ? call.args : {};
  if (!d) return (function* () { return { ret: -ENOSYS }; })();
  return d.handler(k, args);
}
