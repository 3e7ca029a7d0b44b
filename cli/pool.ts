// The worker threads of procns's parallel commands (fuzz and verdicts; diff-linux can take the
// same): `--jobs N` threads, each running the tasks of tasks.ts as they are handed out. Which
// thread runs which task, and in what order they end, never reaches a result: every task is a
// function of its data, and the callers put results back in their fixed order (inOrder).
// With one job the tasks run in this thread, as they did before there were workers.
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { TASKS, TaskArg, TaskName, TaskResult } from './tasks';

/** The default --jobs: the cores this process may use. */
export function defaultJobs(): number {
  return os.availableParallelism();
}

export interface Pool {
  readonly jobs: number;
  run<K extends TaskName>(name: K, arg: TaskArg<K>): Promise<TaskResult<K>>;
  /** End the workers (a pool that is not closed keeps the process alive). */
  close(): Promise<void>;
}

export function createPool(jobs: number): Pool {
  if (jobs <= 1) {
    return {
      jobs: 1,
      run: async (name, arg) => (TASKS[name] as (a: typeof arg) => TaskResult<typeof name>)(arg),
      close: async () => undefined,
    };
  }
  type Pending = { resolve: (r: never) => void; reject: (e: Error) => void };
  const pending = new Map<number, Pending>();
  const idle: Worker[] = [];
  const queue: { id: number; name: TaskName; arg: unknown }[] = [];
  let nextId = 0;
  let broken: Error | null = null;
  const workers = Array.from({ length: jobs }, () => {
    const w = new Worker(path.join(__dirname, 'worker.js'));
    w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result as never);
      give(w);
    });
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => { if (code !== 0) fail(new Error(`a worker thread exited with status ${code}`)); });
    return w;
  });
  const give = (w: Worker): void => {
    const t = queue.shift();
    if (t) w.postMessage(t);
    else idle.push(w);
  };
  const fail = (e: Error): void => {
    broken ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  idle.push(...workers);
  return {
    jobs,
    run(name, arg) {
      if (broken) return Promise.reject(broken);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (r: never) => void, reject });
        const w = idle.shift();
        if (w) w.postMessage({ id, name, arg });
        else queue.push({ id, name, arg });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * Items 0..count-1 through `work`, at most `jobs` at a time, handed out in index order; each
 * result goes to `done` in index order, as soon as those before it are in. `skip(i)`, asked as
 * item i's turn comes, leaves it out (its result is undefined).
 */
export async function inOrder<R>(count: number, jobs: number, work: (i: number) => Promise<R>,
  done: (i: number, r: R | undefined) => void = () => undefined, skip: (i: number) => boolean = () => false): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array<R | undefined>(count);
  const ended = new Array<boolean>(count).fill(false);
  let next = 0;
  let reported = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      if (!skip(i)) results[i] = await work(i);
      ended[i] = true;
      for (; reported < count && ended[reported]; reported++) done(reported, results[reported]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, count) }, lane));
  return results;
}
