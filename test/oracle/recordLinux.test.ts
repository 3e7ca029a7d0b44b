// record-linux: every scenario recorded on this machine's real kernel (skipped unless root with
// namespaces and gcc). Only sanity that does not depend on procns's own profiles is asserted.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listScenarios } from '../../scenarios/runner';
import { helperBinary, processesRunning, RECORDER_TAG, recordLinux } from '../../oracle/recordLinux';
import { main } from '../../cli/main';

const mountinfo = (): string[] => fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').sort();

describe('record-linux: scenarios on the real kernel', function () {
  this.timeout(60000);

  for (const sc of listScenarios()) {
    it(`records ${sc.name}`, async function () {
      const r = await recordLinux(sc);
      if ('skipped' in r) this.skip();
      expect(r.header).to.include({ procns: 1, profile: 'nsfs', scenario: sc.name, source: `linux ${os.release()}` });
      expect(r.header.doc, 'the scenario travels with its trace').to.deep.equal(sc);
      expect(r.steps).to.have.length(sc.steps.length);
      for (const [i, rec] of r.steps.entries()) {
        const step = sc.steps[i];
        const where = `step ${i + 1}: ${JSON.stringify(rec)}`;
        expect(rec.step, where).to.equal(i + 1);
        expect(rec.task, where).to.equal(step.task ?? 'A');
        expect(rec.op, where).to.equal(step.op);
        expect(rec.args, where).to.deep.equal(step.args ?? {});
        expect(rec.errno, `${where}: a protocol error is a recorder bug`).to.not.equal('EPROTO');
        expect(rec.ret !== undefined || rec.errno !== undefined, `${where}: every step has a result`).to.equal(true);
        if (step.op === '@alive') expect(rec.obs?.alive, where).to.be.a('boolean');
        if (step.op === '@same') expect(rec.obs?.same, where).to.be.a('boolean');
        if ((step.op === 'fork' || step.op === 'clone') && step.as && rec.errno === undefined) expect(rec.ret, where).to.equal(step.as);
      }
    });
  }

  it('leaves no helper processes and no host mounts behind', async function () {
    const sc = listScenarios().find((s) => s.name === 'util-linux-unshare-nsenter') ?? listScenarios()[0];
    const before = mountinfo();
    const r = await recordLinux(sc);
    if ('skipped' in r) this.skip();
    const bin = helperBinary();
    if ('skipped' in bin) throw new Error(bin.skipped);
    expect(processesRunning(fs.realpathSync(bin.path), RECORDER_TAG)).to.deep.equal([]);
    expect(mountinfo()).to.deep.equal(before);
  });

  it('cleans up after a helper error too', async function () {
    // "wait" on a task that never exits: the reply times out, the recorder throws and still kills everything
    const sc = {
      name: 'hang', description: '', applies: [], steps: [
        { task: 'A', op: 'fork', as: 'B' },
        { task: 'A', op: 'wait', args: { pid: '${B}' } },
      ],
    };
    const before = mountinfo();
    const r = await recordLinux(sc, { replyTimeoutMs: 300 }).catch((e: Error) => e);
    if (!(r instanceof Error) && 'skipped' in r) this.skip();
    expect(r).to.be.instanceOf(Error);
    expect((r as Error).message).to.match(/no reply/);
    const bin = helperBinary();
    if ('skipped' in bin) throw new Error(bin.skipped);
    expect(processesRunning(fs.realpathSync(bin.path), RECORDER_TAG)).to.deep.equal([]);
    expect(mountinfo()).to.deep.equal(before);
  });

  it('procns record-linux writes JSONL with -o, and exits 2 on a bad scenario', async function () {
    const lines: string[] = [];
    const file = path.join(os.tmpdir(), `procns-record-${process.pid}.jsonl`);
    try {
      const code = await main(['record-linux', 'readdir-ns', '-o', file], (s) => lines.push(s));
      expect(code, lines.join('\n')).to.equal(0);
      if (lines.some((l) => l.startsWith('record-linux: skipped:'))) this.skip();
      const recs = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(recs[0]).to.include({ procns: 1, profile: 'nsfs', scenario: 'readdir-ns' });
      expect(recs.length - 1).to.equal(listScenarios().find((s) => s.name === 'readdir-ns')?.steps.length);
    } finally {
      fs.rmSync(file, { force: true });
    }
    const bad: string[] = [];
    expect(await main(['record-linux', 'no-such-scenario'], (s) => bad.push(s))).to.equal(2);
    expect(bad.join('\n')).to.match(/record-linux: no scenario/);
  });
});
