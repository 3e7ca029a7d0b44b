// Stress tests: long random runs of every syscall, valid and invalid, with several syscalls in
// flight at once; then a cleanup that must bring the kernel back to exactly its boot objects.
// And determinism: a seed gives the same completions and picks, and the picks alone replay it.
import { expect } from 'chai';
import { Oops } from '../../kernel/object';
import { Done, RunLog, cleanup, leftovers, randomRun, replayRun, serialize, showDone } from './randomCalls';

const SEED = 'procns-torture-1';

function badRets(done: readonly Done[]): string[] {
  return done.filter((d) => !Number.isInteger(d.ret)).map(showDone);
}

/** The oopses with the completions around each (oops.step = completions before it). */
function describeOopses(oopses: readonly Oops[], done: readonly Done[]): string {
  return oopses.slice(0, 5).map((o) => {
    const around = done.slice(Math.max(0, o.step - 6), o.step + 2).map((d, i) => `    #${Math.max(0, o.step - 6) + i + 1} ${showDone(d)}`);
    return `  step ${o.step}: ${o.message} at ${o.at}${o.object ? ` (${o.object})` : ''}\n${around.join('\n')}`;
  }).join('\n') + (oopses.length > 5 ? `\n  … ${oopses.length - 5} more` : '');
}

function torture(profile: string, calls: number): void {
  const run: RunLog = randomRun({ profile, seed: SEED, calls });
  const { k } = run;
  expect(badRets(run.done), 'results whose ret is not an integer').to.deep.equal([]);
  expect(k.oopses, `oopses during the run:\n${describeOopses(k.oopses, run.done)}`).to.deep.equal([]);
  const clean = cleanup(k, run.picks);
  expect(badRets(clean.done), 'cleanup results whose ret is not an integer').to.deep.equal([]);
  const all = [...run.done, ...clean.done];
  expect(k.oopses, `oopses during cleanup:\n${describeOopses(k.oopses, all)}`).to.deep.equal([]);
  expect(clean.problems, 'cleanup could not finish').to.deep.equal([]);
  const left = leftovers(k, run.bootLive);
  expect(left, `objects left after cleanup (${left.length}):\n  ${left.join('\n  ')}`).to.deep.equal([]);
}

describe('torture: random syscalls', function () {
  this.timeout(60000);

  it(`100,000 random syscalls on v3.0 (seed '${SEED}'), then back to the boot objects`, () => {
    torture('v3.0', 100000);
  });

  it(`20,000 random syscalls on v3.8 (seed '${SEED}'), then back to the boot objects`, () => {
    torture('v3.8', 20000);
  });

  it(`20,000 random syscalls on seed (seed '${SEED}'): no exception (evict-null-put oopses allowed)`, () => {
    const run = randomRun({ profile: 'seed', seed: SEED, calls: 20000 });
    expect(badRets(run.done), 'results whose ret is not an integer').to.deep.equal([]);
    const clean = cleanup(run.k, run.picks);
    expect(badRets(clean.done), 'cleanup results whose ret is not an integer').to.deep.equal([]);
  });
});

/** The first place two sequences differ, or null. */
function firstDiff(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `#${i + 1}:\n    ${a[i] ?? '(nothing)'}\n    ${b[i] ?? '(nothing)'}`;
  return null;
}

describe('torture: determinism', function () {
  this.timeout(60000);

  it('determinism over 100 seeds: same completions and picks, and the picks alone replay the run', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const a = randomRun({ profile: 'v3.0', seed, calls: 2000 });
      const b = randomRun({ profile: 'v3.0', seed, calls: 2000 });
      const doneA = a.done.map(serialize);
      expect(firstDiff(doneA, b.done.map(serialize)), `seed ${seed}: completions differ`).to.equal(null);
      expect(b.picks.taken.join(','), `seed ${seed}: scheduler picks differ`).to.equal(a.picks.taken.join(','));
      const replay = replayRun('v3.0', a.events, a.picks.taken).map(serialize);
      expect(firstDiff(doneA, replay), `seed ${seed}: replay from the picks differs`).to.equal(null);
    }
  });
});
