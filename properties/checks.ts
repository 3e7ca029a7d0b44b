// P3–P7, checked on every completed syscall, and the quiescent-point checks P1/P2.
import { Kernel } from '../kernel/kernel';
import { File } from '../kernel/fs';
import { errname } from '../kernel/errno';
import { Namespace } from '../kernel/namespaces';
import { PROC_I } from '../kernel/proc_fs';
import { Task } from '../kernel/task';
import { fcheck_files } from '../kernel/file';
import { ns_entries } from '../procfs/namespaces';
import { dirent64_reclen } from '../kernel/readdir';
import { Completion, NsPath, World } from './world';
import { IncrementalLiveness, Violation as LiveViolation } from './liveness';

export type PropertyName = 'P1' | 'P2' | 'P3' | 'P4' | 'P5' | 'P6' | 'P7' | 'P8';

export const PROPERTIES: Record<PropertyName, string> = {
  P1: 'exact liveness: a namespace is alive iff reachable from a task, an open file, a mount or a cached dentry',
  P2: 'refcount conservation: every refcount equals its number of holders; no oops',
  P3: 'naming: /proc/<pid>/ns/<x> opened now names the task\'s current namespace',
  P4: 'readdir: ".", "..", then every entry once, in order, whatever the buffer sizes',
  P5: 'lookup after death is ENOENT and instantiates nothing',
  P6: 'setns through a held file moves the caller into exactly that namespace',
  P7: 'permissions and errors as the kernel source says',
  P8: 'determinism: same seed, same trace bytes',
};

export interface Violation {
  property: PropertyName;
  step: number;
  message: string;
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

function fileOf(t: Task, fd: number): File | null {
  return t.files ? fcheck_files(t.files, fd) : null;
}

/** Syscalls that look a path up; those that also reach the ns file's target. */
const LOOKUPS: ReadonlySet<string> = new Set(['open', 'stat', 'lstat', 'readlink']);
const FOLLOWING_LOOKUPS: ReadonlySet<string> = new Set(['open', 'stat', 'readlink']);
/** The syscalls P1 (after memory pressure) and P3-P7 say something about; the others pass. */
const OBSERVED: ReadonlySet<string> = new Set([...LOOKUPS, 'drop_caches', 'getdents64', 'lseek', 'read', 'setns']);

/** Checks every completed syscall against P3–P7; collects violations. */
export class Checker {
  readonly violations: Violation[] = [];
  /** P4: what each open ns directory has listed so far. */
  private readonly listed = new WeakMap<File, string[]>();
  private oopsesSeen = 0;
  private listing: readonly string[] | null = null;
  private incremental: IncrementalLiveness | null = null;

  /** Is P1 or P2 checked (the incremental checker runs only then)? */
  private readonly livenessOn: boolean;

  constructor(private readonly enabled: ReadonlySet<PropertyName>) {
    this.livenessOn = enabled.has('P1') || enabled.has('P2');
  }

  private fail(property: PropertyName, step: number, message: string): void {
    if (this.enabled.has(property)) this.violations.push({ property, step, message });
  }

  readonly observe = (w: World, c: Completion): void => {
    const k = w.k;
    const { op, args } = c.call;
    if (!OBSERVED.has(op)) return;
    const ret = c.result.ret;
    const path = typeof args.path === 'string' ? args.path : '';
    const m = c.nsPath;
    // P1 after memory pressure: cached dentries are no longer roots
    if (op === 'drop_caches' && ret === 0 && c.alone && !k.inFlight()) this.liveness(w, false);

    // P3: an ns file opened now names the target's current namespace
    if (op === 'open' && ret >= 0 && m && c.alone) {
      // /proc/self is the thread group: a thread's "self" is its leader's tgid
      const target = m.pid === 'self' ? (w.k.tasks.get(c.task.tgid) ?? null) : c.target;
      const f = fileOf(c.task, ret);
      const ns = f?.f_path.dentry.d_inode ? PROC_I(f.f_path.dentry.d_inode).ns : null;
      const now = target ? taskNs(target, m.entry) : null;
      if (target && now && ns && ns !== now) {
        this.fail('P3', c.step, `open ${path} named ${ns.id}, but task ${target.pid.nr} is in ${now.id}`);
      }
    }

    // P4: listings of ns directories (a seek, where allowed, restarts the listing at that position)
    if (op === 'getdents64') this.checkReaddir(k, c);
    if (op === 'lseek' && ret >= 0) {
      const f = fileOf(c.task, args.fd as number);
      if (f && f.f_op?.name === 'proc_ns_dir_operations') {
        this.listed.set(f, this.nsListing(k).slice(0, ret));
      }
    }

    // P5: lookups under a pid with no task
    if (m && m.pid !== 'self' && c.targetPid !== null && c.target === null && LOOKUPS.has(op)) {
      if (ret !== -2) this.fail('P5', c.step, `${op} ${path} of a reaped pid returned ${ret < 0 ? errname(ret) : ret}, not ENOENT`);
      const procRoot = k.procMnt?.mnt_root;
      if (procRoot?.d_hash.get(m.pid)) this.fail('P5', c.step, `${op} ${path} of a reaped pid left /proc/${m.pid} in the dcache`);
    }

    // P6: setns lands in exactly the file's namespace
    if (op === 'setns' && ret === 0 && c.alone) {
      const f = fileOf(c.task, args.fd as number);
      const ns = f?.f_path.dentry.d_inode ? PROC_I(f.f_path.dentry.d_inode).ns : null;
      // a pid namespace is entered by the children to come (pidns_install)
      const entry = ns?.type === 'pid' ? 'pid_for_children' : ns?.type ?? '';
      if (ns && taskNs(c.task, entry) !== ns) {
        this.fail('P6', c.step, `setns(${String(args.fd)}) left task ${c.task.pid.nr} in ${taskNs(c.task, entry)?.id ?? 'none'}, not ${ns.id}`);
      }
    }

    // P7: permissions and errors
    this.checkErrors(k, c, m);
  };

  /** P4's expected listing of an ns directory: ".", "..", then the profile's ns_entries (made once). */
  private nsListing(k: Kernel): readonly string[] {
    return (this.listing ??= ['.', '..', ...ns_entries(k).map((e) => e.name)]);
  }

  private checkReaddir(k: Kernel, c: Completion): void {
    const f = fileOf(c.task, c.call.args.fd as number);
    if (!f || f.f_op?.name !== 'proc_ns_dir_operations') return;
    const expected = this.nsListing(k);
    const seen = this.listed.get(f) ?? [];
    const ret = c.result.ret;
    if (ret < 0) {
      const e = errname(ret);
      const next = expected[seen.length];
      const tooSmall = next !== undefined && dirent64_reclen(next) > (c.call.args.count as number);
      if (!(e === 'ENOENT' || e === 'EPERM' || (e === 'EINVAL' && tooSmall))) {
        this.fail('P4', c.step, `getdents64 of an ns directory failed with ${e} (next entry ${next ?? 'none'})`);
      }
      return;
    }
    const names = c.result.obs?.dirents?.map((d) => d.name) ?? [];
    if (ret === 0 && seen.length < expected.length && c.alone) {
      this.fail('P4', c.step, `getdents64 reached the end after ${JSON.stringify(seen)}; expected ${JSON.stringify(expected)}`);
    }
    for (const n of names) {
      const want = expected[seen.length];
      if (n !== want) {
        this.fail('P4', c.step, `getdents64 listed ${JSON.stringify(n)} after ${JSON.stringify(seen)}; expected ${JSON.stringify(want ?? 'end')}`);
        break;
      }
      seen.push(n);
    }
    this.listed.set(f, seen);
  }

  private checkErrors(k: Kernel, c: Completion, m: NsPath | null): void {
    const { op, args } = c.call;
    const ret = c.result.ret;
    const v30 = k.profile.version === '3.0';
    const caps = c.task.cred.caps;
    if (op === 'setns') {
      if (ret === 0 && !caps.has('CAP_SYS_ADMIN')) this.fail('P7', c.step, 'setns succeeded without CAP_SYS_ADMIN');
      const nf = fileOf(c.task, args.fd as number);
      const ns = nf?.f_path.dentry.d_inode ? PROC_I(nf.f_path.dentry.d_inode).ns : null;
      const nstype = args.nstype as number;
      if (ns && nstype && PROC_I(nf?.f_path.dentry.d_inode as never).ns_ops?.type !== nstype && ret === 0) {
        this.fail('P7', c.step, `setns of a ${ns.type} file with nstype ${nstype} succeeded, not EINVAL`);
      }
      if (v30 && !caps.has('CAP_SYS_ADMIN') && ret !== -1) this.fail('P7', c.step, `3.0 setns without CAP_SYS_ADMIN returned ${errname(ret)}, not EPERM (capable is checked first)`);
    }
    const f = (op === 'read' || op === 'lseek') ? fileOf(c.task, args.fd as number) : null;
    if (f && f.f_op?.name === 'ns_file_operations') {
      const want = op === 'read' ? 'EINVAL' : 'ESPIPE';
      if (errname(ret) !== want || ret >= 0) this.fail('P7', c.step, `${op} on a namespace file returned ${ret < 0 ? errname(ret) : ret}, not ${want}`);
    }
    // another uid's live task: its namespaces are not for us. 3.8 checks ptrace on every
    // follow_link and readlink (EACCES). 3.0 checks only in lookup (EPERM), so a dentry cached
    // by an earlier lookup skips the check; open still fails on the 0400 inode (EACCES).
    const target = m && m.pid !== 'self' ? c.target : null;
    if (target && c.alone && target.state === 'running' && target !== c.task && !caps.has('CAP_SYS_PTRACE')
      && target.cred.uid !== c.task.cred.uid) {
      const got = ret < 0 ? errname(ret) : String(ret);
      if (!v30 && FOLLOWING_LOOKUPS.has(op) && got !== 'EACCES') {
        this.fail('P7', c.step, `${op} ${String(args.path)} of uid ${target.cred.uid}'s task by uid ${c.task.cred.uid} returned ${got}, not EACCES`);
      }
      if (v30 && FOLLOWING_LOOKUPS.has(op) && !c.cachedBefore && got !== 'EPERM') {
        this.fail('P7', c.step, `${op} ${String(args.path)} of uid ${target.cred.uid}'s task by uid ${c.task.cred.uid} returned ${got}, not EPERM`);
      }
      if (v30 && op === 'open' && got !== 'EPERM' && got !== 'EACCES') {
        this.fail('P7', c.step, `open ${String(args.path)} of uid ${target.cred.uid}'s task by uid ${c.task.cred.uid} returned ${got}, not EPERM or EACCES`);
      }
    }
  }

  /** P1/P2 at a quiescent point (nothing in flight, so no temporary references). */
  quiescent(w: World): void {
    if (!w.k.inFlight()) this.liveness(w, true);
  }

  private liveness(w: World, caches: boolean): void {
    for (; this.oopsesSeen < w.k.oopses.length; this.oopsesSeen++) {
      const o = w.k.oopses[this.oopsesSeen];
      const text = `oops: ${o.message} in ${o.at}${o.object ? ` (${o.object})` : ''}`;
      this.fail('P2', w.steps, text);
      // a task that oopses dies inside the kernel with what its syscall held: exact liveness is lost too
      this.fail('P1', w.steps, text);
    }
    if (!this.livenessOn) return;
    this.incremental ??= new IncrementalLiveness(w.k);
    // after memory pressure cached dentries are no longer roots: every namespace that hung from
    // one lost it in the shrink (a touch), so the incremental check sees it
    const vs: readonly LiveViolation[] = this.incremental.check(caches);
    for (let i = 0; i < vs.length; i++) this.fail(vs[i].property, w.steps, vs[i].message);
  }
}
