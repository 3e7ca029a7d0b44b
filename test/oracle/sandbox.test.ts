// oracle/linux/sandbox.h on the real kernel (root only): what a scenario does inside stays
// inside, and killing the program's parent at any moment leaves no process and no mount behind.
import { expect } from 'chai';
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { processesRunning } from '../../oracle/recordLinux';

const src = path.resolve(__dirname, '..', '..', '..', 'test', 'oracle', 'fixtures', 'sandbox-probe.c');
const include = path.resolve(__dirname, '..', '..', '..', 'oracle', 'linux');
const hostMounts = (): string[] => fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').sort();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sandbox.h: root programs cannot touch the host', function () {
  this.timeout(20000);
  let bin = '';

  before(function () {
    if (process.getuid?.() !== 0) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-sandbox-'));
    bin = path.join(dir, 'probe');
    const cc = child_process.spawnSync('gcc', ['-Wall', '-Wextra', '-Werror', '-I', include, '-o', bin, src], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).to.equal(0);
  });

  after(() => { if (bin) fs.rmSync(path.dirname(bin), { recursive: true, force: true }); });

  it('gives task A pid 1, its own hostname, and no path, process or file of the host', () => {
    const before = { host: os.hostname(), mounts: hostMounts() };
    const r = child_process.spawnSync(bin, [], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const seen = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    expect(seen.pid, 'A is the init of its own pid namespace').to.equal('1');
    expect(seen.hostname, 'sethostname acts on the sandbox').to.equal('escaped');
    expect(os.hostname(), 'and not on the host').to.equal(before.host);
    expect(seen.passwd, 'the host tree is gone').to.equal(`-${os.constants.errno.ENOENT}`);
    expect(seen.dotdot, '.. stops at the sandbox root').to.equal(`-${os.constants.errno.ENOENT}`);
    expect(seen['host-init'], 'no host task under /proc').to.equal(`-${os.constants.errno.ENOENT}`);
    expect(seen.mknod).to.equal('0');
    expect(seen.bind).to.equal('0');
    expect(fs.existsSync('/tmp/procns-sandbox-probe'), 'mknod made no host file').to.equal(false);
    expect(hostMounts(), 'no mount reached the host').to.deep.equal(before.mounts);
  });

  for (const victim of ['parent', 'hub'] as const) {
    it(`leaves no process behind when the ${victim} is killed mid-run`, async () => {
      // the parent: a shell that runs the hub, as node runs the recorder's helper
      const sh = child_process.spawn('sh', ['-c', `HANG=1 "${bin}"; echo unreachable`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      sh.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      for (let i = 0; i < 200 && !out.includes('bind'); i++) await sleep(10);
      const procs = processesRunning(bin);
      expect(procs, 'the hub and A are running').to.have.length(2);
      if (victim === 'parent') process.kill(sh.pid as number, 'SIGKILL');
      else process.kill(Math.min(...procs), 'SIGKILL');
      for (let i = 0; i < 200 && processesRunning(bin).length; i++) await sleep(10);
      expect(processesRunning(bin), 'PR_SET_PDEATHSIG ended every level').to.deep.equal([]);
      sh.kill('SIGKILL');
    });
  }
});
