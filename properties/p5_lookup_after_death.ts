// P5, lookup after death: a path under a pid with no task is ENOENT, and instantiates nothing.
import { ENOENT, errname } from '../kernel/errno';
import { LOOKUP_SYSCALLS } from '../kernel/syscall_table';
import { Property, Sink, StepCheck } from './property';
import { Completion, World } from './world';

class LookupAfterDeathCheck implements StepCheck {
  constructor(private readonly sink: Sink) {}

  observe(w: World, c: Completion): void {
    const m = c.nsPath;
    if (!m || m.pid === 'self' || c.targetPid === null || c.target !== null) return;
    const { op, args } = c.call;
    const ret = c.result.ret;
    if (ret !== -ENOENT) this.sink.fail('P5', c.step, `${op} ${String(args.path)} of a reaped pid returned ${ret < 0 ? errname(ret) : ret}, not ENOENT`);
    if (w.k.procMnt?.mnt_root.d_hash.get(m.pid)) this.sink.fail('P5', c.step, `${op} ${String(args.path)} of a reaped pid left /proc/${m.pid} in the dcache`);
  }
}

export const P5: Property<'P5'> = {
  name: 'P5',
  text: 'lookup after death is ENOENT and instantiates nothing',
  // the syscalls that look a path up (kernel/syscall_table.ts nsLookup)
  step: { ops: LOOKUP_SYSCALLS, make: (sink) => new LookupAfterDeathCheck(sink) },
  failsUnder: [],
};
