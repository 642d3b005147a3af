/**
 * Atomic file replacement: write a hidden temporary file next to the target, fsync it, rename it over
 * the target, fsync the directory. A reader sees the old bytes or the new bytes, never a mix; a crash
 * leaves at most a temporary file, which `removeStaleTempFiles` recognises by its name and removes.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsync, lstatSync, open, openSync, realpathSync, rename, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';

import { ioError } from './errors.js';

/** Marker inside every temporary name: `.<basename>.lc-tmp-<pid>-<hex>`. */
export const TEMP_MARKER = '.lc-tmp-';

/** Mode of a file that did not exist before. */
export const NEW_FILE_MODE = 0o600;

const TEMP_NAME = /^\..+\.lc-tmp-\d+-[0-9a-f]+$/;

export interface WriteAtomicOptions {
  /** mode for a new file (default 0o600); an existing file keeps its own mode */
  mode?: number;
}

/** True for names made by `makeTempName` (and for the claim files of the lock module). */
export function isTempFileName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** A unique hidden name beside `target`, recognisable by `isTempFileName`. */
export function makeTempName(target: string): string {
  return join(dirname(target), `.${basename(target)}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Replaces `path` with `data` atomically. An existing file keeps its mode (and owner, where the process
 * may set it); a new file gets `options.mode` or 0o600. A symbolic link is kept: the file it points to is
 * replaced. On failure the temporary file is removed, the original stays as it was, and E_IO names the path.
 */
export async function writeFileAtomic(
  path: string,
  data: Buffer | string,
  options: WriteAtomicOptions = {},
): Promise<void> {
  // The calls that wait on the disk (creating the file, fsync, rename) run on the thread pool, so several
  // files are in flight at once; the cheap ones on an open descriptor run synchronously, since on a rewrap
  // of a thousand files their promise round trips would cost more than the calls themselves.
  const { target, existing } = resolveTarget(path);
  const mode = existing ? existing.mode & 0o7777 : (options.mode ?? NEW_FILE_MODE);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temp = makeTempName(target);
  let created = false;
  try {
    const fd = await openAsync(temp, 'wx', mode);
    created = true;
    try {
      fchmodSync(fd, mode); // the umask may have narrowed the mode given to open
      if (existing && (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.())) {
        try {
          fchownSync(fd, existing.uid, existing.gid); // best effort: only root may
        } catch {
          // keep our own ownership
        }
      }
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
    await renameAsync(temp, target);
    created = false;
  } catch (error) {
    if (created) rmSync(temp, { force: true });
    throw ioError('write', path, error);
  }
  await syncDirectory(dirname(target), path);
}

/**
 * Removes leftover temporary files (see `isTempFileName`) under `dir`, recursively, without following
 * symbolic links and without entering hidden directories. Call it while holding the settings lock: any
 * temporary file found then belongs to a run that crashed. Returns how many files were removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<number> {
  let removed = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw ioError('read directory', dir, error);
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) removed += await removeStaleTempFiles(full);
    } else if (isTempFileName(entry.name) && !entry.isSymbolicLink()) {
      try {
        await unlink(full);
        removed += 1;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove', full, error);
      }
    }
  }
  return removed;
}

/** The file to replace: a symbolic link is followed; a missing file stays as given. */
function resolveTarget(path: string): { target: string; existing?: Stats } {
  let info: Stats;
  try {
    info = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { target: path };
    throw ioError('stat', path, error);
  }
  if (!info.isSymbolicLink()) return { target: path, existing: info };
  try {
    const target = realpathSync(path);
    return { target, existing: statSync(target) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { target: path };
    throw ioError('resolve', path, error);
  }
}

const fsyncAsync = promisify(fsync);
const openAsync = promisify(open);
const renameAsync = promisify(rename);

/** Makes the rename durable. Platforms that cannot fsync a directory (EINVAL, EISDIR) are tolerated. */
async function syncDirectory(dir: string, shownPath: string): Promise<void> {
  try {
    const fd = openSync(dir, 'r');
    try {
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'EISDIR' || code === 'ENOTSUP' || code === 'EPERM') return;
    throw ioError('sync the directory of', shownPath, error);
  }
}
