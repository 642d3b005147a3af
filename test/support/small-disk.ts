/**
 * Real write failures for fault tests. A tiny tmpfs filled to its last page gives ENOSPC (root only);
 * where mounting is not permitted, `ulimit -f` on the CLI's shell gives EFBIG for writes past the limit.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, ftruncateSync, openSync, statfsSync, writeSync } from 'node:fs';
import { runningAsRoot } from './unprivileged.js';

/** Mounts a tmpfs of `bytes` on `dir`; false when this user may not mount, throws on any other failure. */
export function mountTmpfs(dir: string, bytes: number): boolean {
  if (!runningAsRoot()) return false;
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (result.status === 0) return true;
  if (/permission denied|not permitted|only root/i.test(result.stderr)) return false; // a container without CAP_SYS_ADMIN
  throw new Error(`mount -t tmpfs failed: ${result.stderr}`);
}

export function unmount(dir: string): void {
  const result = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`umount ${dir} failed: ${result.stderr}`);
}

/**
 * Grows `filler` until its file system is full, then gives back exactly one block: room for the settings
 * lock, none for the rewritten file. Returns the blocks left free (1, or the test's premise is wrong).
 */
export function fillLeavingOneBlock(filler: string): number {
  const block = statfsSync(filler.replace(/\/[^/]*$/, '')).bsize;
  const fd = openSync(filler, 'w');
  try {
    const chunk = Buffer.alloc(block, 0x78);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    }
    ftruncateSync(fd, (Math.ceil(fstatSync(fd).size / block) - 1) * block);
  } finally {
    closeSync(fd);
  }
  return statfsSync(filler).bavail;
}

/** A shell wrapper that runs a command with writes limited to `kib` KiB per file (EFBIG beyond). */
export function fileSizeLimit(kib: number): string[] {
  // node ignores SIGXFSZ itself; the trap makes that explicit, so the write fails instead of killing it
  return ['bash', '-c', `trap "" XFSZ; ulimit -f ${kib}; exec "$@"`, 'bash'];
}
