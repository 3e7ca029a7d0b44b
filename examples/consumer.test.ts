// An example consumer of procns as a library: a mocha test in a project of its own, where
// procns is installed from its tarball. test/package.test.ts packs procns, installs it into a
// temporary project, type-checks this file against the shipped declarations and runs it there.
import { strict as assert } from 'assert';
import { checkTrace, createWorld, fuzz, loadScenario, makeProfile, runScenario, type Command, type Property } from 'procns';

describe('procns, used as a library', function () {
  // a fuzz campaign of up to 500 runs: seconds on a loaded 2-core machine, not mocha's default 2
  this.timeout(60000);
  it('fuzz finds the seed\'s evict-null-put and returns a replayable counterexample', () => {
    const r = fuzz({ profile: 'seed', seed: 1, runs: 500, steps: 40, properties: ['P2'] });
    assert.ok(r.failure);
    assert.equal(r.failure.expect?.property, 'P2');
  });

  it('a bundled scenario runs, and its own trace agrees with the profile', () => {
    const sc = loadScenario('ip-netns');
    assert.notEqual(typeof sc, 'string');
    const profile = makeProfile('v3.8');
    if (typeof sc === 'string' || typeof profile === 'string') return;
    const report = runScenario(sc, profile);
    assert.equal(report.ok, true);
    const trace = [{ procns: 1, profile: 'v3.8', scenario: sc.name }, ...report.trace].map((o) => JSON.stringify(o)).join('\n');
    assert.equal(checkTrace(trace, 'v3.8').verdict, 'agrees');
  });

  it('a world with a custom property and an observer', () => {
    const opened: string[] = [];
    // a property of our own: an open of a path the world names is never EFAULT (a bad pointer)
    const noFault: Property = {
      name: 'X1',
      text: 'open never returns EFAULT for a path string',
      step: {
        ops: ['open'],
        make: (sink) => ({ observe: (_w, c) => { if (c.result.ret === -14) sink.fail('X1', c.step, 'EFAULT'); } }),
      },
      failsUnder: [],
    };
    const { world, checker } = createWorld('nsfs', { custom: [noFault], observers: [(_w, c) => opened.push(c.call.op)] });
    const cmds: Command[] = [
      { t: 'call', task: 0, call: { op: 'clone', flags: 0, as: 1 } },
      { t: 'call', task: 1, call: { op: 'unshare', flags: 0x40000000 } },
      { t: 'call', task: 0, call: { op: 'open', path: { kind: 'ns', target: 1, ns: 'net' }, flags: 0 } },
    ];
    for (const c of cmds) {
      world.run(c);
      checker.quiescent(world);
    }
    assert.deepEqual(opened, ['clone', 'unshare', 'open']);
    assert.equal(checker.violations.length, 0);
    // the custom check runs: a path that is not a string is EFAULT, and X1 says so
    world.run({ t: 'call', task: 0, call: { op: 'open', path: undefined, flags: 0 } });
    assert.deepEqual(checker.violations.map((v) => v.property), ['X1']);
  });
});
