// Progress of a long command, on standard error (standard output, and --json, stay clean): on a
// terminal, one line redrawn in place with a bar; elsewhere (a CI log), a plain line every few
// seconds. Harness code: it reads the clock, which kernel/ and procfs/ never do.
import { performance } from 'perf_hooks';

const EVERY_MS = 5000;
const WIDTH = 24;

export interface Progress {
  /** `done` of `total` (total 0: unknown), with what is being done now. */
  tick(done: number, total: number, what?: string): void;
  /** Clear the line (on a terminal) before the command prints its result. */
  end(): void;
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr, enabled = true): Progress {
  const tty = stream.isTTY === true;
  let last = performance.now();
  let drawn = false;
  return {
    tick(done, total, what = '') {
      if (!enabled) return;
      const now = performance.now();
      if (tty) {
        if (now - last < 100 && done < total) return;
        const filled = total ? Math.round((WIDTH * done) / total) : 0;
        const bar = total ? ` [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]` : '';
        stream.write(`\r\x1b[K${label}${bar} ${done}${total ? `/${total}` : ''} ${what}`);
        drawn = true;
      } else if (now - last >= EVERY_MS) {
        stream.write(`${label}: ${done}${total ? ` of ${total}` : ''} ${what}\n`);
      } else {
        return;
      }
      last = now;
    },
    end() {
      if (tty && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
