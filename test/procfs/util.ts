// Shared helpers for the procfs tests (not a test file itself).
import { expect } from 'chai';
import { Kernel } from '../../kernel/kernel';
import { Task } from '../../kernel/task';
import { Dirent64 } from '../../kernel/readdir';
import { Kstat } from '../../kernel/fs';
import { ALL_CAPS, Cap, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM, O_DIRECTORY } from '../../kernel/flags';
import { sys, watchBoots } from '../helpers';
import { has } from '../../kernel/profile';
import { conservationViolations } from '../kernel/util';

/**
 * After each procfs test, every kernel it booted must be sound: no oops (a put by a task that
 * held no reference, a put(NULL), an underflow, a use after free) and every refcount equal to its
 * holders, and no reference left with a procfs function that has returned. Kernels whose profile
 * has evict-null-put are exempt (its put(NULL) is the bug shown).
 */
const booted: Kernel[] = [];
/** The holders procfs names by its function: each takes a reference and puts it before it returns. */
const TRANSIENT = new Set([
  'find_inode_number', 'pid_revalidate', 'proc_base_lookup', 'proc_fd_access_allowed', 'proc_fd_info', 'proc_fill_cache',
  'proc_flush_task', 'proc_lookupfd', 'proc_ns_dir_lookup', 'proc_ns_dir_readdir', 'proc_ns_fget', 'proc_ns_follow_link',
  'proc_ns_get_dentry', 'proc_ns_readlink', 'proc_ns_revalidate', 'proc_pid_lookup', 'proc_pid_permission', 'proc_pid_readdir',
  'proc_pid_readlink', 'proc_pident_lookup', 'proc_pident_readdir', 'proc_readfd', 'proc_task_lookup', 'proc_task_readdir',
  'tid_fd_revalidate',
]);
/** References still held by a procfs function once every call has returned: a missing put. */
function leftBehind(k: Kernel): string[] {
  if (k.inFlight()) return [];
  const out: string[] = [];
  for (const o of k.objects.live.values()) for (const h of o.holders.keys()) if (TRANSIENT.has(h)) out.push(`${o.id} held by ${h}`);
  return out;
}
watchBoots((k) => booted.push(k));
afterEach(function () {
  const ks = booted.splice(0);
  if (!this.currentTest?.file?.includes('procfs') || this.currentTest.state !== 'passed') return;
  for (const k of ks) {
    if (has(k.profile, 'evict-null-put')) continue;
    expect(k.oopses.map((o) => `${o.message} at ${o.at} ${o.object ?? ''}`), 'oopses').to.deep.equal([]);
    expect(conservationViolations(k), 'refcounts').to.deep.equal([]);
    expect(leftBehind(k), 'references a returned procfs function still holds').to.deep.equal([]);
  }
});

/** clone flags of a thread (pthread_create minus the irrelevant bits). */
export const THREAD = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;

/** Every capability root has, except one. */
export function capsWithout(cap: Cap): Cap[] {
  return ALL_CAPS.filter((c) => c !== cap);
}

/** One getdents64 call. */
export function getdents(k: Kernel, t: Task, fd: number, count = 4096): { ret: number; dirents: Dirent64[] } {
  const r = sys(k, t, 'getdents64', { fd, count });
  return { ret: r.ret, dirents: r.obs?.dirents ?? [] };
}

/** Open a directory and read it to EOF with `count`-byte getdents64 calls; closes it. */
export function listDir(k: Kernel, t: Task, path: string, count = 4096): Dirent64[] {
  const fd = sys(k, t, 'open', { path, flags: O_DIRECTORY }).ret;
  expect(fd, `open ${path}`).to.be.at.least(0);
  const out: Dirent64[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = getdents(k, t, fd, count);
    expect(r.ret, `getdents64 ${path}`).to.be.at.least(0);
    if (r.ret === 0) break;
    out.push(...r.dirents);
  }
  expect(sys(k, t, 'close', { fd }).ret).to.equal(0);
  return out;
}

/** stat / lstat that must succeed. */
export function statOf(k: Kernel, t: Task, path: string, op: 'stat' | 'lstat' = 'stat'): Kstat {
  const r = sys(k, t, op, { path });
  expect(r.ret, `${op} ${path}`).to.equal(0);
  return r.obs?.stat as Kstat;
}

/** readlink that must succeed: the text. */
export function linkText(k: Kernel, t: Task, path: string): string {
  const r = sys(k, t, 'readlink', { path });
  expect(r.ret, `readlink ${path}`).to.be.at.least(0);
  return r.obs?.text as string;
}
