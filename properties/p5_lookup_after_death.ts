// P5, lookup after death: a path under a pid with no task is ENOENT, and instantiates nothing;
// and a lookup during which the task is reaped is ENOENT too. Each point where a lookup may
// sleep (or, on SMP, where another CPU may reap the task) is followed by a check that the task
// still exists: pid_revalidate of a cached dentry, get_proc_task in ->lookup, and the revalidate
// at the end of each instantiate ("Close the race of the process dying before we return the
// dentry"); nothing after the last check sleeps.
import { ENOENT, errname } from '../kernel/errno';
import { LOOKUP_SYSCALLS } from '../kernel/syscall_table';
import { Property, Sink, StepCheck } from './property';
import { Completion, World } from './world';

class LookupAfterDeathCheck implements StepCheck {
  constructor(private readonly sink: Sink) {}

  observe(w: World, c: Completion): void {
    const m = c.nsPath;
    if (!m || m.pid === 'self' || c.targetPid === null) return;
    const { op, args } = c.call;
    const ret = c.result.ret;
    if (c.target !== null) {
      // alive when the call started: reaped while it was in flight?
      if (!w.k.tasks.has(c.targetPid) && ret !== -ENOENT) {
        this.sink.fail('P5', c.step, `${op} ${String(args.path)} returned ${ret < 0 ? errname(ret) : ret}, not ENOENT, though its task was reaped while it was in flight`);
      }
      return;
    }
    if (ret !== -ENOENT) this.sink.fail('P5', c.step, `${op} ${String(args.path)} of a reaped pid returned ${ret < 0 ? errname(ret) : ret}, not ENOENT`);
    if (w.k.procMnt?.mnt_root.d_hash.get(m.pid)) this.sink.fail('P5', c.step, `${op} ${String(args.path)} of a reaped pid left /proc/${m.pid} in the dcache`);
  }
}

export const P5: Property<'P5'> = {
  name: 'P5',
  text: 'lookup after death is ENOENT and instantiates nothing; so is a lookup during which the task is reaped',
  // the syscalls that look a path up (kernel/syscall_table.ts nsLookup)
  step: { ops: LOOKUP_SYSCALLS, make: (sink) => new LookupAfterDeathCheck(sink) },
  // the race of the task dying during proc_ns_instantiate, found by a race command (world.ts)
  failsUnder: [{ profile: 'v3.0', flag: 'no-revalidate-race-check', shows: /though its task was reaped while it was in flight/ }],
};
