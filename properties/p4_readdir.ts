// P4, readdir: an ns directory lists ".", "..", then every entry once, in order, whatever the
// buffer sizes; a seek (where allowed) restarts the listing at that position.
import { Kernel } from '../kernel/kernel';
import { File } from '../kernel/fs';
import { EINVAL, ENOENT, EPERM, errname } from '../kernel/errno';
import { dirent64_reclen } from '../kernel/readdir';
import { ns_entries } from '../procfs/namespaces';
import { Property, Sink, StepCheck, fileOf, isNsDir } from './property';
import { Completion, World } from './world';

class ReaddirCheck implements StepCheck {
  /** What each open ns directory has listed so far. */
  private readonly listed = new WeakMap<File, string[]>();
  private listing: readonly string[] | null = null;

  constructor(private readonly sink: Sink) {}

  observe(w: World, c: Completion): void {
    const k = w.k;
    if (c.call.op === 'getdents64') {
      this.checkReaddir(k, c);
      return;
    }
    // lseek
    const ret = c.result.ret;
    if (ret < 0) return;
    const f = fileOf(c.task, c.call.args.fd as number);
    if (f && isNsDir(k, f)) this.listed.set(f, this.nsListing(k).slice(0, ret));
  }

  /** The expected listing of an ns directory: ".", "..", then the profile's ns_entries (made once). */
  private nsListing(k: Kernel): readonly string[] {
    return (this.listing ??= ['.', '..', ...ns_entries(k).map((e) => e.name)]);
  }

  private checkReaddir(k: Kernel, c: Completion): void {
    const f = fileOf(c.task, c.call.args.fd as number);
    if (!f || !isNsDir(k, f)) return;
    const expected = this.nsListing(k);
    const seen = this.listed.get(f) ?? [];
    const ret = c.result.ret;
    if (ret < 0) {
      const next = expected[seen.length];
      const tooSmall = next !== undefined && dirent64_reclen(next) > (c.call.args.count as number);
      if (!(ret === -ENOENT || ret === -EPERM || (ret === -EINVAL && tooSmall))) {
        this.sink.fail('P4', c.step, `getdents64 of an ns directory failed with ${errname(ret)} (next entry ${next ?? 'none'})`);
      }
      return;
    }
    const names = c.result.obs?.dirents?.map((d) => d.name) ?? [];
    if (ret === 0 && seen.length < expected.length && c.alone) {
      this.sink.fail('P4', c.step, `getdents64 reached the end after ${JSON.stringify(seen)}; expected ${JSON.stringify(expected)}`);
    }
    for (const n of names) {
      const want = expected[seen.length];
      if (n !== want) {
        this.sink.fail('P4', c.step, `getdents64 listed ${JSON.stringify(n)} after ${JSON.stringify(seen)}; expected ${JSON.stringify(want ?? 'end')}`);
        break;
      }
      seen.push(n);
    }
    this.listed.set(f, seen);
  }
}

export const P4: Property<'P4'> = {
  name: 'P4',
  text: 'readdir: ".", "..", then every entry once, in order, whatever the buffer sizes',
  step: { ops: ['getdents64', 'lseek'], make: (sink) => new ReaddirCheck(sink) },
  // a resumed listing skips one entry: a wrong next name, or (the last entry skipped) an early end
  failsUnder: [{ profile: 'v3.0', flag: 'readdir-off-by-one', shows: /getdents64 (listed|reached the end after)/ }],
};
