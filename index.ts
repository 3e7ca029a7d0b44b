// procns as a library: what `import { ... } from 'procns'` gives. The command (`procns`, cli/)
// is built on the same functions. README "As a library" documents each.
import type { Profile } from './kernel/profile';
import { makeProfile } from './kernel/profile';
import type { Property } from './properties/property';
import type { PropertyName } from './properties/checks';
import { Checker } from './properties/checks';
import { Observer, Steady, World } from './properties/world';
import { ALL_PROPERTIES } from './properties/fuzz';

export { fuzz, replayRun as replay, ALL_PROPERTIES } from './properties/fuzz';
export type { FuzzOptions, FuzzResult, Replay, ReplayResult } from './properties/fuzz';
export { runScenario, loadScenario, listScenarios, formatReport } from './scenarios/runner';
export type { RunReport } from './scenarios/runner';
export type { Scenario, Step, Expect } from './scenarios/format';
export { checkTrace, formatCheck } from './oracle/check';
export type { CheckResult } from './oracle/check';
export type { TraceHeader, TraceStep } from './oracle/trace';
export { makeProfile, PROFILE_NAMES, BUG_FLAGS, atLeast } from './kernel/profile';
export type { Profile } from './kernel/profile';
export { PROPERTIES, PROPERTY_LIST, Checker } from './properties/checks';
export type { PropertyName, Violation } from './properties/checks';
export type { Property, StepCheck, StepChecker, Sink } from './properties/property';
export { SYSCALL_TABLE, SYSCALL_NAMES } from './kernel/syscall_table';
export type { SyscallDesc, ArgDecl } from './kernel/syscall_table';
export { World } from './properties/world';
export type { Command, CallSpec, Completion, Observer } from './properties/world';

export interface WorldOptions {
  /** The built-in properties to check (default: every one checked after each step, P1-P7). */
  properties?: readonly PropertyName[];
  /** Properties of your own, checked after the built-in ones (see Property). */
  custom?: readonly Property[];
  /** Called with every completed syscall, after the checker. */
  observers?: readonly Observer[];
  /** Keep the world at a size (the bench's steady state). */
  steady?: Steady;
}

/**
 * A world (an emulated kernel booted on `profile`, with the harness's bookkeeping) and the
 * checker watching it. Run commands with `world.run(cmd)`, then `checker.quiescent(world)`; the
 * violations so far are `checker.violations`.
 */
export function createWorld(profile: string | Profile, opts: WorldOptions = {}): { world: World; checker: Checker } {
  const p = typeof profile === 'string' ? makeProfile(profile) : profile;
  if (typeof p === 'string') throw new Error(p);
  const props = new Set(opts.properties ?? ALL_PROPERTIES.filter((n) => n !== 'P8'));
  const checker = new Checker(props, opts.custom ?? []);
  const world = new World(p, [checker.observe, ...(opts.observers ?? [])], opts.steady ?? {});
  return { world, checker };
}
