// Test helpers: boot a kernel on a profile and run syscalls to completion.
import { Kernel } from '../kernel/kernel';
import { makeProfile, Profile } from '../kernel/profile';
import { syscall } from '../kernel/sched';
import { SysResult } from '../kernel/syscalls';
import { Task } from '../kernel/task';
import { newKernel } from '../procfs';
import { main } from '../cli/main';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Told of every kernel boot() makes, when a test file has asked (test/procfs/util.ts checks them after each test). */
let onBoot: ((k: Kernel) => void) | null = null;
export function watchBoots(f: ((k: Kernel) => void) | null): void {
  onBoot = f;
}

export function boot(profile = 'v3.0', fix: string[] = [], inject: string[] = []): Kernel {
  const p = makeProfile(profile, fix, inject);
  if (typeof p === 'string') throw new Error(p);
  const k = newKernel(p as Profile);
  onBoot?.(k);
  return k;
}

/** Run one syscall on `t` to completion. */
export function sys(k: Kernel, t: Task, op: string, args: Record<string, unknown> = {}): SysResult {
  return syscall(k, t, { op, args });
}

/** fork `t` and return the child task. */
export function fork(k: Kernel, t: Task, flags = 0): Task {
  const r = sys(k, t, 'clone', { flags });
  if (r.ret < 0) throw new Error(`clone failed: ${r.ret}`);
  return k.tasks.get(r.ret) as Task;
}

/** Live objects of a kind, by id. */
export function live(k: Kernel, kind: string): string[] {
  return [...k.objects.live.values()].filter((o) => o.kind === kind).map((o) => o.id);
}

/** Run the `procns` command in this process: its exit status and what it printed. */
export async function runCli(argv: string[]): Promise<{ code: number; text: string; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (s) => lines.push(...s.split('\n')));
  return { code, text: lines.join('\n'), lines };
}

/**
 * In the describe() that calls it: a fresh temporary folder for each test, where replay files go
 * (PROCNS_REPLAY_DIR), removed after it; the function returned gives the current test's.
 */
export function replayDirPerTest(prefix: string): () => string {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    process.env.PROCNS_REPLAY_DIR = dir;
  });
  afterEach(() => {
    delete process.env.PROCNS_REPLAY_DIR;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}
