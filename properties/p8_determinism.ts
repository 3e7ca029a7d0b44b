// P8, determinism: the same seed gives the same bytes. A property of whole campaigns, not of a
// step: the campaign runs twice in this process and once in a fresh one, each digested
// (digest.ts: every completed syscall, and the failure's replay file and trace table), and the
// three digests must agree. Two runs in one process catch state that outlives a world (a
// module-level counter: leaky-global); the fresh process catches state this process had
// before the first campaign began.
import type { FuzzOptions } from './fuzz';
import { CampaignDigest, CampaignOptions, digestCampaign, digestInFreshProcess, firstDifference } from './digest';
import { Campaigns, Property, RunChecker, RunVerdict } from './property';

function check(o: FuzzOptions, campaigns: Campaigns): RunVerdict {
  // every step property is checked inside, so a failure's shrinking and replay are digested too
  const campaign: CampaignOptions = {
    profile: o.profile, fix: o.fix ?? [], inject: o.inject ?? [], seed: o.seed, runs: o.runs, steps: o.steps, ...(o.ops ? { ops: o.ops } : {}),
  };
  const first = digestCampaign(campaign, campaigns, true);
  const again = digestCampaign(campaign, campaigns, true);
  const fresh = digestInFreshProcess(campaign);
  const problems: string[] = [];
  const here = firstDifference(first, again);
  if (here) problems.push(`two campaigns of seed ${o.seed} in one process differ: ${here}`);
  if (typeof fresh === 'string') problems.push(fresh);
  else {
    const there = firstDifference(first, fresh);
    if (there) problems.push(`a fresh process differs from this one: ${there}`);
  }
  const all: CampaignDigest[] = typeof fresh === 'string' ? [first, again] : [first, again, fresh];
  return {
    runs: all.reduce((n, d) => n + d.runs, 0),
    steps: all.reduce((n, d) => n + d.steps, 0),
    summary: `seed ${o.seed}: ${all.length} campaigns digested (sha256 ${first.digest.slice(0, 16)}…), two in this process${typeof fresh === 'string' ? '' : ' and one in a fresh one'}`,
    message: problems.length ? problems.join('; ') : null,
  };
}

const determinism: RunChecker = { check };

export const P8: Property<'P8'> = {
  name: 'P8',
  text: 'determinism: same seed, same trace bytes',
  run: determinism,
  failsUnder: [{ profile: 'v3.8', flag: 'leaky-global', shows: /in one process differ: run \d+ first differs/ }],
};
