// P2, refcount conservation: every refcount equals its number of holders, and nothing oopses.
// Checked by the same incremental pass as P1 (liveness_check.ts).
import { livenessChecker } from './liveness_check';
import { Property } from './property';

export const P2: Property<'P2'> = {
  name: 'P2',
  text: 'refcount conservation: every refcount equals its number of holders; no oops',
  step: livenessChecker,
  // the seed's own defect, put into 3.0 as released: an instantiation that fails puts NULL
  failsUnder: [{ profile: 'v3.0', flag: 'evict-null-put', shows: /oops: BUG: unable to handle kernel NULL pointer dereference/ }],
};
