// fs/fs_struct.c: a task's root and working directory, shared with CLONE_FS.
import type { Kernel } from './kernel';
import { Path } from './fs';
import { KObject, kfree, kput, type Holder } from './object';
import { path_get, path_put } from './mount';

export class FsStruct extends KObject {
  readonly kind = 'fs' as const;
  root: Path;
  pwd: Path;
  constructor(k: Kernel, holder: Holder, root: Path, pwd: Path) {
    super(k, holder);
    this.register();
    this.root = path_get(root, this);
    this.pwd = path_get(pwd, this);
  }
}

/** copy_fs_struct (fs/fs_struct.c). */
export function copy_fs_struct(old: FsStruct, holder: Holder): FsStruct {
  return new FsStruct(old.k, holder, old.root, old.pwd);
}

/** free_fs_struct / exit_fs's last put (fs/fs_struct.c). */
export function put_fs_struct(fs: FsStruct, holder: Holder): void {
  if (!kput(fs.k, fs, holder, 'exit_fs')) return;
  path_put(fs.root, fs);
  path_put(fs.pwd, fs);
  kfree(fs.k, fs, 'free_fs_struct');
}

/** set_fs_root / set_fs_pwd (fs/fs_struct.c): the new path gains a reference, the old one loses it. */
export function set_fs_path(fs: FsStruct, which: 'root' | 'pwd', p: Path): void {
  const old = fs[which];
  fs[which] = path_get(p, fs);
  path_put(old, fs);
}
