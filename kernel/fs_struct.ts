// fs/fs_struct.c: a task's root and working directory, shared with CLONE_FS.
import type { Kernel } from './kernel';
import { Path } from './fs';
import { KObject, kfree, kput } from './object';
import { path_get, path_put } from './mount';

export class FsStruct extends KObject {
  readonly kind = 'fs' as const;
  root: Path;
  pwd: Path;
  constructor(k: Kernel, holder: string, root: Path, pwd: Path) {
    super(k, holder);
    this.register();
    this.root = path_get(root, this.id);
    this.pwd = path_get(pwd, this.id);
  }
}

/** copy_fs_struct (fs/fs_struct.c). */
export function copy_fs_struct(old: FsStruct, holder: string): FsStruct {
  return new FsStruct(old.k, holder, old.root, old.pwd);
}

/** free_fs_struct / exit_fs's last put (fs/fs_struct.c). */
export function put_fs_struct(fs: FsStruct, holder: string): void {
  if (!kput(fs.k, fs, holder, 'exit_fs')) return;
  path_put(fs.root, fs.id);
  path_put(fs.pwd, fs.id);
  kfree(fs.k, fs, 'free_fs_struct');
}

/** set_fs_root / set_fs_pwd (fs/fs_struct.c): the new path gains a reference, the old one loses it. */
export function set_fs_path(fs: FsStruct, which: 'root' | 'pwd', p: Path): void {
  const old = fs[which];
  fs[which] = path_get(p, fs.id);
  path_put(old, fs.id);
}
