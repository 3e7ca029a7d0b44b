// The scheduler: at every yield point a seeded PRNG picks which in-flight syscall runs next.
// A run is determined by its seed and the list of picks; replaying the picks alone gives the
// same run.
import seedrandom from 'seedrandom';
import type { Kernel } from './kernel';
import type { Task } from './task';
import type { Call, SysResult } from './syscalls';
import { syscallGen } from './syscall_table';
import { ESRCH } from './errno';

export interface Completion {
  task: Task;
  call: Call;
  result: SysResult;
}

/** Where the next pick comes from: a seeded PRNG, or a recorded list. */
export interface PickSource {
  pick(n: number): number;
}

export class SeededPicks implements PickSource {
  private readonly rng: seedrandom.PRNG;
  readonly taken: number[] = [];
  constructor(seed: string | number) {
    this.rng = seedrandom(String(seed));
  }
  pick(n: number): number {
    const i = n <= 1 ? 0 : Math.floor(this.rng() * n);
    this.taken.push(i);
    return i;
  }
}

export class ReplayPicks implements PickSource {
  private at = 0;
  constructor(private readonly picks: readonly number[]) {}
  pick(n: number): number {
    const i = this.picks[this.at++] ?? 0;
    return i < n ? i : 0;
  }
}

/** Start a syscall on a task. False when the task is busy, exiting or gone. */
export function submit(k: Kernel, t: Task, call: Call): boolean {
  return k.submit(t, call, syscallGen(k, call));
}

/**
 * One scheduling decision: pick an in-flight syscall and run it to its next yield. A pick asleep
 * on a mutex lets the holder run instead (as syscall() does): spinning on it would change nothing,
 * and a pick list that keeps naming it (a replay past its end picks 0) would never end.
 */
export function schedStep(k: Kernel, picks: PickSource): Completion | null {
  const ready = k.runnable();
  if (!ready.length) return null;
  const t = k.runFor(ready[picks.pick(ready.length)]);
  const done = k.advance(t);
  return done ? { task: t, call: done.call, result: done.result } : null;
}

/** Run until nothing is in flight; completions in the order they finished. */
export function runToIdle(k: Kernel, picks: PickSource): Completion[] {
  const out: Completion[] = [];
  while (k.inFlight()) {
    const c = schedStep(k, picks);
    if (c) out.push(c);
  }
  return out;
}

/** Run one syscall to completion with nothing else in flight (the common case in tests). */
export function syscall(k: Kernel, t: Task, call: Call): SysResult {
  if (!submit(k, t, call)) return { ret: -ESRCH }; // the task cannot run syscalls
  try {
    for (;;) {
      // A task asleep on a mutex waits for its holder, which runs in the meantime and yields at
      // its preemption points (t goes on as soon as the mutex is free). t would be picked again
      // at each of its own: they need not yield.
      const next = k.runFor(t);
      k.need_resched = next !== t;
      const done = k.advance(next);
      if (done && next === t) return done.result;
    }
  } finally {
    k.need_resched = true;
  }
}
