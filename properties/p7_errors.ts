// P7, permissions and errors as the kernel source says: setns needs CAP_SYS_ADMIN and the
// right nstype; a namespace file can be neither read nor seeked; the namespaces of a task
// ptrace_may_access refuses (another uid's, one not dumpable, one with capabilities we lack) are
// not for us (EACCES on 3.8's follow_link and readlink, EPERM in 3.0's lookup).
import { EACCES, EINVAL, EPERM, ESPIPE, errname } from '../kernel/errno';
import { PROC_I } from '../kernel/proc_fs';
import { atLeast } from '../kernel/profile';
import { O_PATH } from '../kernel/flags';
import { LOOKUP_SYSCALLS, SYSCALL_TABLE } from '../kernel/syscall_table';
import { Property, Sink, StepCheck, fileOf, isNsFile, nsOfFile } from './property';
import { Completion, World } from './world';


class ErrorsCheck implements StepCheck {
  constructor(private readonly sink: Sink) {}

  observe(w: World, c: Completion): void {
    const k = w.k;
    const { op, args } = c.call;
    const ret = c.result.ret;
    // 3.0 checks ptrace in proc_ns_dir_lookup; 3.8 moved it to follow_link and readlink
    const v30 = !atLeast(k, '3.8');
    const caps = c.task.cred.caps;
    if (op === 'setns') {
      if (ret === 0 && !caps.has('CAP_SYS_ADMIN')) this.sink.fail('P7', c.step, 'setns succeeded without CAP_SYS_ADMIN');
      const nf = fileOf(c.task, args.fd as number);
      const ns = nsOfFile(nf);
      const nstype = args.nstype as number;
      if (ns && nstype && PROC_I(nf?.f_path.dentry.d_inode as never).ns_ops?.type !== nstype && ret === 0) {
        this.sink.fail('P7', c.step, `setns of a ${ns.type} file with nstype ${nstype} succeeded, not EINVAL`);
      }
      if (v30 && !caps.has('CAP_SYS_ADMIN') && ret !== -EPERM) this.sink.fail('P7', c.step, `3.0 setns without CAP_SYS_ADMIN returned ${errname(ret)}, not EPERM (capable is checked first)`);
      return;
    }
    if (op === 'read' || op === 'lseek') {
      const f = fileOf(c.task, args.fd as number);
      if (f && isNsFile(k, f)) {
        const want = op === 'read' ? -EINVAL : -ESPIPE;
        if (ret !== want) this.sink.fail('P7', c.step, `${op} on a namespace file returned ${ret < 0 ? errname(ret) : ret}, not ${errname(want)}`);
      }
      return;
    }
    // a live task ptrace_may_access refuses (kernel/ptrace.c, security/commoncap.c): another
    // uid's, one that is not dumpable (its euid changed), or one with capabilities the caller
    // lacks, for a caller without CAP_SYS_PTRACE: its namespaces are not for us. 3.8 checks
    // ptrace on every follow_link and readlink (EACCES). 3.0 checks only in lookup (EPERM), so
    // a dentry cached by an earlier lookup skips the check; open still fails on the 0400 inode
    // of another uid (EACCES), except with O_PATH, which asks for no access (may_open: "O_PATH?
    // if (!acc_mode) return 0").
    const lookup = SYSCALL_TABLE.get(op)?.nsLookup?.(args);
    if (lookup !== 'target') return;
    const m = c.nsPath;
    const target = m && m.pid !== 'self' ? c.target : null;
    // (not one's own task; from 3.12 not one's own thread group either: __ptrace_may_access)
    const own = atLeast(k, '3.12') ? target?.group_leader === c.task.group_leader : target === c.task;
    if (!target || !c.alone || target.state !== 'running' || own || caps.has('CAP_SYS_PTRACE')) return;
    const otherUid = target.cred.uid !== c.task.cred.uid;
    const why = otherUid ? `uid ${target.cred.uid}'s task by uid ${c.task.cred.uid}`
      : !target.mm?.dumpable ? `a task that is not dumpable (pid ${target.pid.nr}) by one without CAP_SYS_PTRACE`
        : [...target.cred.caps].some((x) => !caps.has(x)) ? `a task with capabilities its caller (pid ${c.task.pid.nr}) lacks`
          : null;
    if (why === null) return;
    const got = ret < 0 ? errname(ret) : String(ret);
    if (!v30 && ret !== -EACCES) this.sink.fail('P7', c.step, `${op} ${String(args.path)} of ${why} returned ${got}, not EACCES`);
    if (v30 && !c.cachedBefore && ret !== -EPERM) this.sink.fail('P7', c.step, `${op} ${String(args.path)} of ${why} returned ${got}, not EPERM`);
    const noAccess = op === 'open' && ((args.flags as number) & O_PATH) !== 0 && c.cachedBefore;
    if (v30 && otherUid && op === 'open' && !noAccess && ret !== -EPERM && ret !== -EACCES) {
      this.sink.fail('P7', c.step, `open ${String(args.path)} of ${why} returned ${got}, not EPERM or EACCES`);
    }
  }
}

export const P7: Property<'P7'> = {
  name: 'P7',
  text: 'permissions and errors as the kernel source says',
  // setns; read and lseek of a file; the lookups (those that follow an ns entry: nsLookup)
  step: { ops: ['setns', 'read', 'lseek', ...LOOKUP_SYSCALLS], make: (sink) => new ErrorsCheck(sink) },
  failsUnder: [
    { profile: 'v3.0', flag: 'no-ptrace-check', shows: /not EPERM/ },
    { profile: 'v3.0', flag: 'setns-no-type-check', shows: /succeeded, not EINVAL/ },
  ],
};
