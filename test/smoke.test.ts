import { expect } from 'chai';
import { boot, fork, live, sys } from './helpers';
import { CLONE_NEWNET } from '../kernel/flags';

describe('smoke: a namespace lives exactly while something holds it', () => {
  it('an unshared net namespace dies when its only task is reaped', () => {
    const k = boot('v3.0');
    const a = fork(k, k.init);
    expect(sys(k, a, 'unshare', { flags: CLONE_NEWNET }).ret).to.equal(0);
    expect(live(k, 'net')).to.have.length(2);
    sys(k, a, 'exit');
    expect(live(k, 'net')).to.have.length(1); // exit_task_namespaces runs before the zombie state
    expect(sys(k, k.init, 'wait', { pid: a.pid.nr }).ret).to.equal(a.pid.nr);
    expect(k.oopses).to.deep.equal([]);
  });
});
