// procfs: the port of fs/proc. newKernel boots the emulated kernel with proc mounted on /proc;
// nsEntryNames gives harness code a profile's /proc/<pid>/ns entries without booting one.
import { Kernel } from '../kernel/kernel';
import { Profile } from '../kernel/profile';
import { procEraFor, proc_fs_type } from './root';

export function newKernel(profile: Profile): Kernel {
  return new Kernel(profile, proc_fs_type);
}

/** The names in /proc/<pid>/ns on a kernel of this profile, in readdir order (its era's ns_entries). */
export function nsEntryNames(profile: Profile): readonly string[] {
  return Object.freeze(procEraFor(profile).ns_entries.map((e) => e.name));
}

export { ns_entries } from './namespaces';
export { procEraFor } from './root';
export type { ProcEra } from './era';
