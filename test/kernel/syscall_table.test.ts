// The syscall table (kernel/syscall_table.ts) is the one list of syscalls: these tests fail when
// an entry is not fuzzed and gives no reason, when the fuzz mix never draws one, when the
// recorder claims a syscall the helper cannot encode, and when an argument's template is wrong.
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import fc from 'fast-check';
import { SYSCALL_NAMES, SYSCALL_TABLE } from '../../kernel/syscall_table';
import { commandArbs, mixArbitrary, OPS } from '../../properties/commands';
import { buildProfile } from '../../properties/fuzz';
import { helperLine } from '../../oracle/recordLinux';
import { PROFILE_NAMES } from '../../kernel/profile';

const HELPER_C = path.resolve(__dirname, '..', '..', '..', 'oracle', 'linux', 'procns-helper.c');

/** The commands procns-helper.c dispatches on: every `!strcmp(c, "name")` in handle_cmd. */
function helperCommands(): Set<string> {
  const src = fs.readFileSync(HELPER_C, 'utf8');
  const body = src.slice(src.indexOf('static void handle_cmd('));
  return new Set([...body.matchAll(/!strcmp\(c, "([a-z0-9_]+)"\)/g)].map((m) => m[1]));
}

describe('syscall table: one declaration per syscall', () => {
  it('every syscall is fuzzed, or excluded with a reason', () => {
    for (const [name, d] of SYSCALL_TABLE) {
      if ('excluded' in d.fuzz) expect(d.fuzz.excluded.length, `${name}: an exclusion needs its reason`).to.be.greaterThan(10);
      else expect(OPS, `${name} has a fuzz weight but is not in the fuzz mix`).to.include(name);
    }
  });

  it('the fuzz mix draws every syscall that is fuzzed, on every profile', () => {
    for (const profile of PROFILE_NAMES) {
      const p = buildProfile(profile);
      const seen = new Set<string>();
      const arb = mixArbitrary().chain((mix) => fc.tuple(...commandArbs(p, mix)));
      for (const [c] of fc.sample(arb, { seed: 1, numRuns: 4000 })) {
        if (c.cmd.t === 'call' || c.cmd.t === 'start' || c.cmd.t === 'race') seen.add(c.cmd.call.op);
        if (c.cmd.t === 'race') for (const x of c.cmd.then) seen.add(x.call.op);
      }
      expect([...OPS].filter((op) => !seen.has(op)), `${profile}: never drawn`).to.deep.equal([]);
    }
  });

  it('every syscall has a handler, an argument list and a C template naming only its arguments', () => {
    for (const [name, d] of SYSCALL_TABLE) {
      expect(d.handler, name).to.be.a('function');
      const names = d.args.map((a) => a.name);
      expect(new Set(names).size, `${name}: argument names repeat`).to.equal(names.length);
      for (const m of d.c.matchAll(/%(\w+)/g)) expect(names, `${name}: C template names %${m[1]}`).to.include(m[1]);
    }
  });

  it('the recorder claims only syscalls the helper can encode', () => {
    const cmds = helperCommands();
    expect(cmds.size, 'commands found in procns-helper.c').to.be.greaterThan(20);
    for (const [name, d] of SYSCALL_TABLE) {
      if (d.helper === null) {
        expect(d.helperWhy ?? '', `${name}: no helper line and no reason`).to.have.length.greaterThan(10);
        continue;
      }
      const word = d.helper.split(' ')[0];
      expect(cmds, `${name}: the helper has no '${word}' command`).to.include(word);
      for (const m of d.helper.matchAll(/%(\w+)/g)) expect(d.args.map((a) => a.name), `${name}: helper template names %${m[1]}`).to.include(m[1]);
    }
  });

  it('helper lines encode flags by name and leave nothing unexpanded', () => {
    const open = SYSCALL_TABLE.get('open');
    expect(helperLine(open as never, { path: '/proc/self/ns/net', flags: 0o10000000 | 0o400000 }, 1)).to.equal('openat -100 /proc/self/ns/net O_NOFOLLOW|O_PATH');
    const setns = SYSCALL_TABLE.get('setns');
    expect(helperLine(setns as never, { fd: 3, nstype: 0x40000000 }, 1)).to.equal('setns 3 CLONE_NEWNET');
    for (const name of SYSCALL_NAMES) {
      const d = SYSCALL_TABLE.get(name);
      if (!d?.helper || name === 'capset') continue;
      const args = Object.fromEntries(d.args.map((a) => [a.name, a.kind === 'path' || a.kind === 'text' ? '/tmp/x' : 0]));
      expect(helperLine(d, args, 1), name).to.not.match(/%\w/);
    }
  });
});
