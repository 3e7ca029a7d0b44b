// Shared helpers for the kernel unit tests (not a test file itself).
import { expect } from 'chai';
import { Kernel } from '../../kernel/kernel';
import { Task } from '../../kernel/task';
import { Dentry, File, Inode, SuperBlock } from '../../kernel/fs';
import { KObject, Kind } from '../../kernel/object';
import { Namespace } from '../../kernel/namespaces';
import { PROC_I } from '../../kernel/proc_fs';
import { fcheck_files } from '../../kernel/file';
import { SysResult } from '../../kernel/syscalls';
import { submit } from '../../kernel/sched';
import { CLONE_SIGHAND, CLONE_THREAD, CLONE_VM, O_DIRECTORY } from '../../kernel/flags';
import { boot, fork, live, sys } from '../helpers';

export { boot, fork, live, sys };

/** clone flags of a thread (pthread_create minus the irrelevant bits). */
export const THREAD = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;

/** Run a syscall that must succeed; returns its ret. */
export function ok(k: Kernel, t: Task, op: string, args: Record<string, unknown> = {}): number {
  const r = sys(k, t, op, args);
  expect(r.ret, `${op} ${JSON.stringify(args)}`).to.be.at.least(0);
  return r.ret;
}

/** open(path, flags) that must succeed: the fd. */
export function openFd(k: Kernel, t: Task, path: string, flags = 0): number {
  return ok(k, t, 'open', { path, flags });
}

/** open a directory. */
export function openDir(k: Kernel, t: Task, path: string): number {
  return openFd(k, t, path, O_DIRECTORY);
}

/** mknod a regular file (must succeed). */
export function mkfile(k: Kernel, t: Task, path: string): void {
  expect(sys(k, t, 'mknod', { path }).ret, `mknod ${path}`).to.equal(0);
}

/** fork, then setuid(uid): a task of another user, without capabilities and not dumpable. */
export function asUser(k: Kernel, parent: Task, uid: number): Task {
  const t = fork(k, parent);
  expect(sys(k, t, 'setuid', { uid }).ret).to.equal(0);
  return t;
}

/** exit(0) to completion. */
export function exitTask(k: Kernel, t: Task): void {
  expect(sys(k, t, 'exit', { code: 0 }).ret).to.equal(0);
}

/** wait for a specific child: must reap it. */
export function reap(k: Kernel, parent: Task, child: Task): void {
  const nr = child.pid.nr;
  expect(sys(k, parent, 'wait', { pid: nr }).ret).to.equal(nr);
}

/** exit, then reaped by its parent. */
export function exitAndReap(k: Kernel, t: Task): void {
  const parent = t.real_parent;
  exitTask(k, t);
  reap(k, parent, t);
}

/** The file at fd in a task's table. */
export function fileAt(t: Task, fd: number): File {
  const files = t.files;
  if (!files) throw new Error('task has no files');
  const f = fcheck_files(files, fd);
  if (!f) throw new Error(`no file at fd ${fd}`);
  return f;
}

/** The inode behind an open fd. */
export function inodeAt(t: Task, fd: number): Inode {
  return fileAt(t, fd).f_path.dentry.d_inode as Inode;
}

/** The namespace a 3.0 ns-file inode holds (ei->ns). */
export function nsOfFd(t: Task, fd: number): Namespace | null {
  return PROC_I(inodeAt(t, fd)).ns;
}

/** Live objects of a kind. */
export function objs<T extends KObject = KObject>(k: Kernel, kind: Kind): T[] {
  return k.objects.ofKind(kind) as T[];
}

/** Live dentries with this name (optionally under a parent of that name). */
export function dentries(k: Kernel, name: string, parentName?: string): Dentry[] {
  return objs<Dentry>(k, 'dentry').filter((d) => d.d_name === name && (parentName === undefined || d.d_parent.d_name === parentName));
}

export function procSb(k: Kernel): SuperBlock {
  if (!k.procMnt) throw new Error('no /proc');
  return k.procMnt.mnt_sb;
}

/** P2: every live object's count equals its number of holders. Returns the violations. */
export function conservationViolations(k: Kernel): string[] {
  const out: string[] = [];
  for (const o of k.objects.live.values()) {
    let sum = 0;
    for (const n of o.holders.values()) sum += n;
    if (sum !== o.count) out.push(`${o.id}: count ${o.count} holders ${sum}`);
  }
  return out;
}

/** Does any holder label of `o` start with `prefix`? */
export function heldBy(o: KObject, prefix: string): boolean {
  for (const h of o.holders.keys()) if (h.startsWith(prefix)) return true;
  return false;
}

/**
 * Advance the task's in-flight syscall one yield at a time until `pred` holds (returns null)
 * or the call completes (returns its result). Throws if neither happens.
 */
export function advanceUntil(k: Kernel, t: Task, pred: () => boolean, max = 1000): SysResult | null {
  for (let i = 0; i < max; i++) {
    if (pred()) return null;
    const done = k.advance(t);
    if (done) return done.result;
  }
  throw new Error('advanceUntil: no progress');
}

/** exit(0), submitted and run to completion, while another task's syscall may be in flight. */
export function runExit(k: Kernel, t: Task): void {
  expect(submit(k, t, { op: 'exit', args: { code: 0 } })).to.equal(true);
  expect(finish(k, t).ret).to.equal(0);
}

/** Run the task's in-flight syscall to completion. */
export function finish(k: Kernel, t: Task): SysResult {
  for (let i = 0; i < 10000; i++) {
    const done = k.advance(t);
    if (done) return done.result;
  }
  throw new Error('finish: syscall never completed');
}
