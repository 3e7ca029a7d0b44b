// include/uapi/asm-generic/errno-base.h, errno.h: the errno values procns returns, as in Linux.
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const ENXIO = 6;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const EMFILE = 24;
export const ESPIPE = 29;
export const ENAMETOOLONG = 36;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const ENODEV = 19;
export const EPROTO = 71;
export const EUSERS = 87;
export const ESTALE = 116;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [ESRCH]: 'ESRCH', [EINTR]: 'EINTR', [EBADF]: 'EBADF', [ECHILD]: 'ECHILD',
  [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM', [ENXIO]: 'ENXIO', [EACCES]: 'EACCES', [EFAULT]: 'EFAULT', [ENODEV]: 'ENODEV', [EPROTO]: 'EPROTO', [EUSERS]: 'EUSERS', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST',
  [EXDEV]: 'EXDEV', [ENOTDIR]: 'ENOTDIR', [EISDIR]: 'EISDIR', [EINVAL]: 'EINVAL', [EMFILE]: 'EMFILE',
  [ESPIPE]: 'ESPIPE', [ENAMETOOLONG]: 'ENAMETOOLONG', [ENOSYS]: 'ENOSYS', [ENOTEMPTY]: 'ENOTEMPTY',
  [ELOOP]: 'ELOOP', [ESTALE]: 'ESTALE',
};

/** Symbolic name of an errno given as a positive or negative number ("ENOENT"). */
export function errname(e: number): string {
  const n = Math.abs(e);
  return NAMES[n] ?? `E${n}`;
}

/** The errno number for a symbolic name, or undefined. */
export function errnum(name: string): number | undefined {
  for (const [n, s] of Object.entries(NAMES)) if (s === name) return Number(n);
  return undefined;
}

/** The kernel's ERR_PTR: a pointer-or-errno return, kept as a negative number. */
export type ErrPtr<T> = T | number;
export function IS_ERR<T>(p: ErrPtr<T> | null): p is number {
  return typeof p === 'number';
}
