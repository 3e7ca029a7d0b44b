// procns diff-linux: the command around oracle/diffLinux.ts (seed, progress, saving, the report).
import { randomInt } from 'crypto';
import { diffLinux, DiffRun, saveDivergence } from '../oracle/diffLinux';
import { CmdResult, regressionDir, rel } from './fuzz';
import { progress } from './progress';

export interface DiffArgs {
  seed?: number;
  runs: number;
  steps: number;
  tasks: number;
  shrinkBudget: number;
  save?: string;
  inject: string[];
  jobs: number;
}

export async function cmdDiffLinux(a: DiffArgs, out: (s: string) => void, show: boolean): Promise<CmdResult> {
  const seed = a.seed ?? randomInt(1, 2 ** 31 - 1);
  const again = `procns diff-linux${a.inject.map((f) => ` --inject ${f}`).join('')} --seed ${seed} --runs ${a.runs} --steps ${a.steps} --tasks ${a.tasks} --shrink ${a.shrinkBudget}`;
  const bar = progress(`diff-linux seed ${seed}`, process.stderr, show);
  const dir = a.save ?? regressionDir();
  const found: { run: number; seed: number; verdict: string; step?: number; what?: string; error?: string; scenario?: string; trace?: string; model?: string }[] = [];
  const onRun = (r: DiffRun): void => {
    bar.tick(r.run, a.runs, 'scenarios');
    if (r.verdict === 'agrees') return;
    bar.end();
    if (r.verdict === 'error') {
      out(`run ${r.run} (seed ${r.seed}): could not be judged: ${r.error}`);
      found.push({ run: r.run, seed: r.seed, verdict: 'error', error: r.error });
      return;
    }
    const d = r.divergence as NonNullable<DiffRun['divergence']>;
    const files = saveDivergence(d, dir, a.inject);
    out(`run ${r.run} (seed ${r.seed}): diverges at step ${d.check.step} of ${d.scenario.steps.length} (shrunk from ${r.steps}, ${d.recordings} recordings): ${d.check.what}`);
    out(`  nsfs allows ${d.check.allowed}`);
    out(`  linux gave  ${d.check.observed}`);
    out(`  saved: ${rel(files.scenario)} (traces: the kernel's ${rel(files.trace)}, the model's ${rel(files.model)})`);
    found.push({ run: r.run, seed: r.seed, verdict: 'diverges', step: d.check.step, what: d.check.what, scenario: files.scenario, trace: files.trace, model: files.model });
  };
  const res = await diffLinux({ seed, runs: a.runs, steps: a.steps, tasks: a.tasks, shrinkBudget: a.shrinkBudget, inject: a.inject, jobs: a.jobs, onRun });
  bar.end();
  const doc: Record<string, unknown> = {
    command: 'diff-linux', inject: a.inject, seed, again, scenarios: res.scenarios, steps: res.steps, agree: res.agree, diverge: res.diverge, errors: res.errors, found,
  };
  if (res.skipped) {
    out(`diff-linux: skipped: ${res.skipped}`);
    return { code: 4, doc: { ...doc, verdict: 'skipped', reason: res.skipped } };
  }
  out(`seed ${seed}; again: ${again}`);
  out(`diff-linux: ${res.scenarios} scenarios, ${res.steps} steps, ${res.agree} agree, ${res.diverge} diverge, ${res.errors} errors`);
  const ok = res.diverge === 0 && res.errors === 0;
  return { code: ok ? 0 : 1, doc: { ...doc, verdict: ok ? 'agrees' : 'diverges' } };
}
