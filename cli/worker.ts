// A worker thread of the pool (pool.ts): runs the tasks it is sent (tasks.ts), one at a time,
// and answers each with its result or its error.
import { parentPort } from 'worker_threads';
import { TASKS, TaskName } from './tasks';

parentPort?.on('message', (m: { id: number; name: TaskName; arg: never }) => {
  let answer: { id: number; result?: unknown; error?: string };
  try {
    answer = { id: m.id, result: TASKS[m.name](m.arg) };
  } catch (e) {
    answer = { id: m.id, error: (e as Error)?.message ?? String(e) };
  }
  parentPort?.postMessage(answer);
});
