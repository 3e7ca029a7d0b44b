// The bug zoo pinned: for each flag (properties/zoo.ts), one seed of the zoo's 1 to 10 whose
// campaign of the default budget (500 runs of up to 40 steps, every step property checked, the
// profile's own flags fixed) finds it; npm run bench shows all ten. The seed is the quickest
// of the ten in the bench's table, so CI stays short.
import { expect } from 'chai';
import { replayRun } from '../properties/fuzz';
import { ZOO, ZOO_RUNS, zooCampaign } from '../properties/zoo';

const SEED: Record<string, number> = {
  'evict-null-put': 9,
  'missing-put': 1,
  'mnt-ns-loop': 3,
  'stale-ns-dentry': 5,
  'readdir-off-by-one': 2,
  'no-revalidate-race-check': 3,
  'no-ptrace-check': 2,
  'setns-no-type-check': 1,
};

describe('the bug zoo: a fixed seed finds each flag within the default budget', function () {
  this.timeout(120000);
  it('every flag of the zoo has a seed here, and only those', () => {
    expect(Object.keys(SEED).sort()).to.deep.equal(ZOO.map((e) => e.flag).sort());
  });
  for (const e of ZOO) {
    it(`${e.flag} on ${e.profile}${e.fix.length ? ` (fixed: ${e.fix.join(', ')})` : ''}: seed ${SEED[e.flag]} finds it within ${ZOO_RUNS} runs, and its replay shows it again`, () => {
      const r = zooCampaign(e, SEED[e.flag]);
      expect(r.failure, `seed ${SEED[e.flag]}: ${r.runs} runs, no failure`).to.not.equal(null);
      expect(r.runs).to.be.at.most(ZOO_RUNS);
      const again = replayRun(r.failure as NonNullable<typeof r.failure>);
      expect(again.violation?.message).to.equal(r.failure?.expect?.message);
    });
  }
});
