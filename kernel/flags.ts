// include/uapi/linux/sched.h, fcntl.h, stat.h, fs.h, capability.h: flag values as in Linux.
export const CLONE_VM = 0x00000100;
export const CLONE_FS = 0x00000200;
export const CLONE_FILES = 0x00000400;
export const CLONE_SIGHAND = 0x00000800;
export const CLONE_THREAD = 0x00010000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_SYSVSEM = 0x00040000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_NEWTIME = 0x00000080;
/** CSIGNAL (include/uapi/linux/sched.h): clone(2)'s low byte is the exit signal. */
export const CSIGNAL = 0x000000ff;
export const SIGCHLD = 17;

export const CLONE_FLAG_NAMES: [string, number][] = [
  ['CLONE_VM', CLONE_VM], ['CLONE_FS', CLONE_FS], ['CLONE_FILES', CLONE_FILES],
  ['CLONE_SIGHAND', CLONE_SIGHAND], ['CLONE_THREAD', CLONE_THREAD], ['CLONE_NEWNS', CLONE_NEWNS],
  ['CLONE_SYSVSEM', CLONE_SYSVSEM], ['CLONE_NEWCGROUP', CLONE_NEWCGROUP], ['CLONE_NEWUTS', CLONE_NEWUTS],
  ['CLONE_NEWIPC', CLONE_NEWIPC], ['CLONE_NEWUSER', CLONE_NEWUSER], ['CLONE_NEWPID', CLONE_NEWPID],
  ['CLONE_NEWNET', CLONE_NEWNET], ['CLONE_NEWTIME', CLONE_NEWTIME],
];

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_ACCMODE = 0o3;
export const O_CREAT = 0o100;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
/** O_PATH (2.6.39): a file that only names a path; fget refuses it (FMODE_PATH). */
export const O_PATH = 0o10000000;

export const OPEN_FLAG_NAMES: [string, number][] = [
  ['O_WRONLY', O_WRONLY], ['O_RDWR', O_RDWR], ['O_CREAT', O_CREAT], ['O_DIRECTORY', O_DIRECTORY],
  ['O_NOFOLLOW', O_NOFOLLOW], ['O_CLOEXEC', O_CLOEXEC], ['O_NONBLOCK', O_NONBLOCK], ['O_PATH', O_PATH],
];

export const S_IFMT = 0o170000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_ISVTX = 0o001000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_IRWXU = 0o700;
export const S_IRUSR = 0o400;
export const S_IWUSR = 0o200;
export const S_IXUSR = 0o100;
export const S_IRUGO = 0o444;
export const S_IWUGO = 0o222;
export const S_IXUGO = 0o111;
/** S_IMMUTABLE (include/linux/fs.h): inode->i_flags, nobody may write the file. */
export const S_IMMUTABLE = 8;
export const S_ISDIR = (m: number): boolean => (m & S_IFMT) === S_IFDIR;
export const S_ISREG = (m: number): boolean => (m & S_IFMT) === S_IFREG;
export const S_ISLNK = (m: number): boolean => (m & S_IFMT) === S_IFLNK;

export const DT_UNKNOWN = 0;
export const DT_DIR = 4;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_NAMES: Record<number, string> = { 0: 'DT_UNKNOWN', 4: 'DT_DIR', 8: 'DT_REG', 10: 'DT_LNK' };

export const MS_BIND = 4096;
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
/** SEEK_DATA, SEEK_HOLE (3.1). */
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

export type Cap = 'CAP_SYS_ADMIN' | 'CAP_SYS_PTRACE' | 'CAP_SETUID' | 'CAP_DAC_OVERRIDE' | 'CAP_DAC_READ_SEARCH' | 'CAP_FOWNER';
export const ALL_CAPS: readonly Cap[] = ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN'];

/** "CLONE_NEWNET|CLONE_NEWUTS" for a flag word; "0" when empty; unknown bits in hex. */
export function flagNames(v: number, table: [string, number][]): string {
  const out: string[] = [];
  let rest = v;
  for (const [n, b] of table) if ((v & b) === b && b !== 0) { out.push(n); rest &= ~b; }
  if (rest) out.push('0x' + (rest >>> 0).toString(16));
  return out.length ? out.join('|') : '0';
}
