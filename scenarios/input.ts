// Reading an input file a user names: a regular file of bounded size, read whole. /dev/zero, a
// FIFO or a directory would grow memory without limit or hang; they are refused in one line.
import * as fs from 'fs';

/** The largest input procns reads whole (a scenario, a replay file, a trace). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** The file's text, or why it cannot be read (one line). */
export function readInput(file: string): { text: string } | { error: string } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
  if (!st.isFile()) return { error: `${file}: not a regular file` };
  if (st.size > MAX_INPUT_BYTES) return { error: `${file}: ${st.size} bytes, more than the ${MAX_INPUT_BYTES} procns reads` };
  try {
    return { text: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
}
