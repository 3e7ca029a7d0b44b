// procns show: an input (a replay file, a trace, a scenario's name or file) as a picture and
// its HTML. The input is read by the loaders every other command uses: loadReplay, the trace
// checker (oracle/check.ts, which judges the trace first), loadScenario.
import * as fs from 'fs';
import { makeProfile } from '../kernel/profile';
import { loadReplay } from '../cli/fuzz';
import { loadScenario } from '../scenarios/runner';
import { readInput } from '../scenarios/input';
import { checkTraceFile } from '../oracle/check';
import { TraceHeader, TraceStep } from '../oracle/trace';
import { Picture } from './model';
import { inputName, replayPicture, scenarioPicture, tracePicture } from './sources';
import { renderHtml } from './render';

export { renderHtml };

/** What kind of input a file is, from its text: a trace's first line is its header. */
function kindOf(text: string): 'replay' | 'trace' | 'scenario' {
  const first = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  try {
    const h = JSON.parse(first) as { procns?: unknown; scenario?: unknown };
    if (h && typeof h === 'object' && h.procns === 1 && 'scenario' in h) return 'trace';
  } catch { /* not a one-line JSON object: a replay or a scenario */ }
  try {
    if ((JSON.parse(text) as { kind?: unknown }).kind === 'replay') return 'replay';
  } catch { /* loadScenario says why */ }
  return 'scenario';
}

/** The picture of an input and its HTML, or why there is none (one line). */
export async function showPicture(input: string, profileName?: string): Promise<{ picture: Picture; html: string } | string> {
  const picture = await pictureOf(input, profileName);
  return typeof picture === 'string' ? picture : { picture, html: renderHtml(picture) };
}

export async function pictureOf(input: string, profileName?: string): Promise<Picture | string> {
  const name = inputName(input);
  const read = fs.existsSync(input) ? readInput(input) : null;
  if (read && 'error' in read) return read.error;
  const kind = read ? kindOf(read.text) : 'scenario';
  if (kind === 'replay') {
    if (profileName !== undefined) return `${input}: a replay runs under its own profile (${'--profile'} is for a scenario or a trace)`;
    const r = loadReplay(input);
    return typeof r === 'string' ? `${input}: ${r}` : replayPicture(r, name);
  }
  if (kind === 'trace') {
    // judged first, by the checker itself: a malformed trace is refused with its line
    const verdict = await checkTraceFile(input, profileName);
    if (verdict.verdict === 'malformed') return `${input}: malformed trace, line ${verdict.line}: ${verdict.reason}`;
    const lines = (read as { text: string }).text.split('\n');
    const header = JSON.parse(lines[0]) as TraceHeader;
    // the checker stops at the first divergence: a line after it may still be malformed, and
    // the trace's columns end there
    const steps: TraceStep[] = [];
    let cut: string | undefined;
    for (const [i, l] of lines.slice(1).entries()) {
      if (l.trim() === '') continue;
      try {
        const o = JSON.parse(l) as TraceStep;
        if (!o || typeof o !== 'object' || o.step !== steps.length + 1) throw new Error(`not step ${steps.length + 1}`);
        steps.push(o);
      } catch (e) {
        cut = `line ${i + 2} of the trace is malformed (${(e as Error).message.split('\n')[0]}): its columns end at step ${steps.length}.`;
        break;
      }
    }
    const profile = profileName !== undefined ? makeProfile(profileName) : makeProfile(header.profile, header.fix ?? [], header.inject ?? []);
    if (typeof profile === 'string') return profile;
    const p = tracePicture(header, steps, profile, verdict, name);
    if (typeof p !== 'string' && cut) p.notes.push(cut);
    return p;
  }
  const sc = loadScenario(input);
  if (typeof sc === 'string') return sc;
  const profile = makeProfile(profileName ?? sc.applies[0] ?? 'v3.0');
  if (typeof profile === 'string') return profile;
  return scenarioPicture(sc, profile, read ? name : sc.name);
}
