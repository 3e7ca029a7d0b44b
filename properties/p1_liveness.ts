// P1, exact liveness: a namespace is alive exactly while it is reachable from a root. The model
// works liveness out by reachability and never reads the refcounts (liveness.ts).
import { livenessChecker } from './liveness_check';
import { Property } from './property';

export const P1: Property<'P1'> = {
  name: 'P1',
  text: 'exact liveness: a namespace is alive iff reachable from a task, an open file, a mount or a cached dentry',
  step: livenessChecker,
  failsUnder: [
    // the seed's own defect: a task that oopses dies in the kernel with what its syscall held
    { profile: 'v3.0', flag: 'evict-null-put', shows: /NULL pointer dereference/ },
    { profile: 'v3.0', flag: 'missing-put', shows: /alive but nothing holds it/ },
    // swarm, pinned: the loop needs a bind, an unshare and an umount, rare among thirty operations
    { profile: 'v3.8', flag: 'mnt-ns-loop', shows: /mnt_ns#\d+ is alive but nothing holds it/, ops: ['mount', 'unshare', 'umount2', 'clone', 'exit', 'wait'] },
  ],
};
