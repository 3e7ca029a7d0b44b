// procfs: the port of fs/proc. newKernel boots the emulated kernel with proc mounted on /proc.
import { Kernel } from '../kernel/kernel';
import { Profile } from '../kernel/profile';
import { proc_fs_type } from './root';

export function newKernel(profile: Profile): Kernel {
  return new Kernel(profile, proc_fs_type);
}
