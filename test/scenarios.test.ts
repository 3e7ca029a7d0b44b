import { expect } from 'chai';
import { runCli } from './helpers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listScenarios, runScenario, formatReport } from '../scenarios/runner';
import { makeProfile, Profile } from '../kernel/profile';

describe('scenarios: every scenario holds on every profile it applies to', () => {
  for (const sc of listScenarios()) {
    for (const p of sc.applies) {
      it(`${sc.name} on ${p}`, () => {
        const r = runScenario(sc, makeProfile(p) as Profile);
        expect(r.ok, formatReport(r)).to.equal(true);
      });
    }
  }
});

describe('procns run', () => {
  const capture = runCli;

  it('exits 0 when every expectation holds', async () => {
    expect((await capture(['run', 'setns-errors', '--profile', 'v3.0'])).code).to.equal(0);
  });

  it('exits 1 and points at the step whose expectation was changed', async () => {
    const sc = JSON.parse(fs.readFileSync(path.join(__dirname, '../../scenarios/setns-errors.json'), 'utf8'));
    sc.steps[7].expect = { errno: 'EPERM' }; // step 8: a regular file is EINVAL, not EPERM
    const file = path.join(os.tmpdir(), `procns-changed-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify(sc));
    const { code, text } = await capture(['run', file, '--profile', 'v3.0']);
    fs.unlinkSync(file);
    expect(code).to.equal(1);
    expect(text).to.match(/✗ step 8: .*setns.*→ EINVAL/);
    expect(text).to.contain('expected EPERM, got EINVAL');
    expect(text.match(/✗/g)).to.have.length(1);
  });

  it('an unknown scenario or profile is a usage error (exit 2)', async () => {
    expect((await capture(['run', 'no-such-scenario'])).code).to.equal(2);
    expect((await capture(['run', 'setns-errors', '--profile', 'v9'])).code).to.equal(2);
  });

  it('list --scenarios --profile prints one applicable scenario per line', async () => {
    const { code, text } = await capture(['list', '--scenarios', '--profile', 'v3.8']);
    expect(code).to.equal(0);
    const names = text.split('\n');
    expect(names).to.include('ip-netns');
    expect(names.every((n) => /^[a-z0-9-]+$/.test(n))).to.equal(true);
  });
});
