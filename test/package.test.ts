// procns as a package: `npm pack`, installed into an empty project, gives a working `procns`
// command and a library a TypeScript consumer type-checks against and uses
// (examples/consumer.test.ts, run there with mocha).
import * as child_process from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');

function sh(cmd: string, args: string[], cwd: string): { status: number | null; out: string } {
  const r = child_process.spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('the npm package', function () {
  this.timeout(300000);
  let dir = '';
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procns-pack-'));
    const pack = sh('npm', ['pack', '--silent', '--pack-destination', dir], ROOT);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.out}`);
    const tgz = path.join(dir, pack.out.trim().split('\n').pop() as string);
    const project = path.join(dir, 'consumer');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    const inst = sh('npm', ['install', tgz, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
    if (inst.status !== 0) {
      // no registry and no cache for the runtime dependencies: nothing to judge here
      if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|offline/.test(inst.out)) this.skip();
      throw new Error(`npm install of the tarball failed: ${inst.out}`);
    }
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('ships dist, the helper\'s source and the scenarios, not the tests', () => {
    const pkg = path.join(dir, 'consumer', 'node_modules', 'procns');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/procns.js', 'oracle/linux/procns-helper.c', 'oracle/linux/sandbox.h', 'oracle/linux/export-runtime.c', 'scenarios/ip-netns.json']) {
      expect(fs.existsSync(path.join(pkg, f)), f).to.equal(true);
    }
    expect(fs.existsSync(path.join(pkg, 'dist/test')), 'dist/test').to.equal(false);
  });

  it('npx procns list works in the project', () => {
    const r = sh(path.join(dir, 'consumer', 'node_modules', '.bin', 'procns'), ['list'], path.join(dir, 'consumer'));
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.match(/^scenarios:/);
  });

  it('a TypeScript consumer type-checks against the declarations and its mocha test passes', () => {
    const project = path.join(dir, 'consumer');
    fs.copyFileSync(path.join(ROOT, 'examples', 'consumer.test.ts'), path.join(project, 'consumer.test.ts'));
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, outDir: 'out',
        typeRoots: [path.join(ROOT, 'node_modules', '@types')], types: ['node', 'mocha'],
      },
      files: ['consumer.test.ts'],
    }));
    const tsc = sh(path.join(BIN, 'tsc'), ['-p', project], project);
    expect(tsc.status, tsc.out).to.equal(0);
    const mocha = sh(path.join(BIN, 'mocha'), ['--no-config', '--timeout', '60000', path.join('out', 'consumer.test.js')], project);
    expect(mocha.status, mocha.out).to.equal(0);
    expect(mocha.out).to.match(/3 passing/);
  });
});
