// P6, setns through a held file: it moves the caller into exactly the file's namespace, even
// after every task of that namespace has died.
import { Property, Sink, StepCheck, fileOf, nsOfFile, taskNs } from './property';
import { Completion, World } from './world';

class SetnsCheck implements StepCheck {
  constructor(private readonly sink: Sink) {}

  observe(_w: World, c: Completion): void {
    if (c.result.ret !== 0 || !c.alone) return;
    const fd = c.call.args.fd as number;
    const ns = nsOfFile(fileOf(c.task, fd));
    if (!ns) return;
    // a pid namespace is entered by the children to come (pidns_install)
    const entry = ns.type === 'pid' ? 'pid_for_children' : ns.type;
    const now = taskNs(c.task, entry);
    if (now !== ns) this.sink.fail('P6', c.step, `setns(${String(fd)}) left task ${c.task.pid.nr} in ${now?.id ?? 'none'}, not ${ns.id}`);
  }
}

export const P6: Property<'P6'> = {
  name: 'P6',
  text: 'setns through a held file moves the caller into exactly that namespace',
  step: { ops: ['setns'], make: (sink) => new SetnsCheck(sink) },
  failsUnder: [],
};
