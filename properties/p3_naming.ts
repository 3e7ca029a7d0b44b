// P3, naming: /proc/<pid>/ns/<entry> opened now names the task's current namespace.
import { Property, Sink, StepCheck, fileOf, nsOfFile, taskNs } from './property';
import { Completion, World } from './world';

class NamingCheck implements StepCheck {
  constructor(private readonly sink: Sink) {}

  observe(w: World, c: Completion): void {
    const m = c.nsPath;
    const ret = c.result.ret;
    if (ret < 0 || !m || !c.alone) return;
    // /proc/self is the thread group: a thread's "self" is its leader's tgid
    const target = m.pid === 'self' ? (w.k.tasks.get(c.task.tgid) ?? null) : c.target;
    const ns = nsOfFile(fileOf(c.task, ret));
    const now = target ? taskNs(target, m.entry) : null;
    if (target && now && ns && ns !== now) {
      this.sink.fail('P3', c.step, `open ${String(c.call.args.path)} named ${ns.id}, but task ${target.pid.nr} is in ${now.id}`);
    }
  }
}

export const P3: Property<'P3'> = {
  name: 'P3',
  text: 'naming: /proc/<pid>/ns/<x> opened now names the task\'s current namespace',
  step: { ops: ['open'], make: (sink) => new NamingCheck(sink) },
  // the seed's and 3.0's own defect (v3.0 carries it already)
  failsUnder: [{ profile: 'v3.0', flag: 'stale-ns-dentry', shows: /^open \/proc\/(\d+|self)\/ns\/(net|uts|ipc) named (net|uts|ipc)#\d+, but task \d+ is in \3#\d+$/ }],
};
