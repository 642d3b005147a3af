/**
 * Atomic file replacement: write a hidden temporary file next to the target, fsync it, rename it over
 * the target, fsync the directory. A reader sees the old bytes or the new bytes, never a mix; a crash
 * leaves at most a temporary file (mode 0600, whatever the target's mode), which `status` reports and
 * `removeStaleTempFiles` recognises by its name and removes.
 *
 * The settings directory may be writable by a user other than the one running the command (often root),
 * who can swap a file or a folder for a symbolic link between the read and the write. So the target is
 * never followed through a link, and it is checked twice, before the temporary file is created and again
 * just before the rename: still the file that was read (device and inode), its folder still where it was.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsync,
  lstatSync,
  open,
  openSync,
  realpathSync,
  rename,
  rmSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';

import { childPath, isWithin, readDirectory } from './crawl.js';
import { ioError, LibertyError } from './errors.js';
import { sameFile, type FileIdentity } from './safe-fs.js';
import { shellQuote } from './shell-quote.js';

/** Marker inside every temporary name: `.<basename>.lc-tmp-<pid>-<hex>`. */
export const TEMP_MARKER = '.lc-tmp-';

/** Mode of a file that did not exist before. */
export const NEW_FILE_MODE = 0o600;

/** Mode of a temporary file until just before the rename: it may hold plaintext (decrypt --to-plain). */
const TEMP_FILE_MODE = 0o600;

const TEMP_NAME = /^\..+\.lc-tmp-(\d+)-[0-9a-f]+$/;

/** What the caller read, for the checks at write time (see the module comment). */
export interface ExpectedFile {
  /** the real path of the settings directory: the target's folder must still resolve inside it */
  root: string;
  /** device and inode of the file as read; absent when there was none, and then none may appear */
  identity?: FileIdentity;
}

export interface WriteAtomicOptions {
  /** mode for a new file (default 0o600); an existing file keeps its own mode */
  mode?: number;
  /** the file as it was read: the write is refused unless the target is still that file */
  expected?: ExpectedFile;
  /**
   * false: the new file stays owned by the user running the command; default true: it keeps the owner of
   * the file it replaces (where the process may set it)
   */
  keepOwner?: boolean;
}

/** True for names made by `makeTempName` (and for the claim files of the lock module). */
export function isTempFileName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** The pid in a temporary file's name (the process that made it); undefined for other names. */
export function tempFileWriter(name: string): number | undefined {
  const pid = TEMP_NAME.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** A unique hidden name beside `target`, recognisable by `isTempFileName`. */
export function makeTempName(target: string): string {
  return join(dirname(target), `.${basename(target)}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Replaces `path` with `data` atomically. `path` is the file itself: a symbolic link there is refused,
 * never followed (callers pass the real path they read). An existing file keeps its mode (and owner, see
 * `keepOwner`); a new file gets `options.mode` or 0o600. With `options.expected`, the write is refused
 * unless the target is still the file that was read and its folder still resolves to where it did, inside
 * the settings directory; without it, unless the target is still what it was when this call began.
 * On failure the temporary file is removed, the original stays as it was, and E_IO names the path.
 */
/**
 * A file its owner cannot write (mode 0444) was made read-only on purpose: the rename would replace it
 * anyway (it needs only the directory's write bit), so refuse instead of overriding that choice.
 */
function refuseReadOnly(path: string, existing: Stats | undefined): void {
  if (!existing || (existing.mode & 0o200) !== 0) return;
  const mode = (existing.mode & 0o777).toString(8).padStart(4, '0');
  throw new LibertyError('E_PERMISSION_DENIED', `refusing to rewrite ${path}: it is read-only (mode ${mode}); nothing written`, {
    hint: `if the change is meant, make it writable first: chmod u+w ${shellQuote(path)}`,
  });
}

export async function writeFileAtomic(path: string, data: Buffer | string, options: WriteAtomicOptions = {}): Promise<void> {
  // The calls that wait on the disk (creating the file, fsync, rename) run on the thread pool, so several
  // files are in flight at once; the cheap ones on an open descriptor run synchronously, since on a rewrap
  // of a thousand files their promise round trips would cost more than the calls themselves.
  const existing = checkTarget(path, options.expected);
  refuseReadOnly(path, existing);
  const expected = options.expected ?? { identity: existing && identityOf(existing) };
  const mode = existing ? existing.mode & 0o7777 : (options.mode ?? NEW_FILE_MODE);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temp = makeTempName(path);
  let created = false;
  try {
    const fd = await openAsync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, TEMP_FILE_MODE);
    created = true;
    try {
      fchmodSync(fd, TEMP_FILE_MODE); // 0600 even if the umask would let more through
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
      await fsyncAsync(fd);
      checkTarget(path, expected);
      const keepOwner = options.keepOwner ?? true;
      if (keepOwner && existing && (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.())) {
        try {
          fchownSync(fd, existing.uid, existing.gid); // best effort: only root may
        } catch {
          // keep our own ownership
        }
      }
      fchmodSync(fd, mode); // the final mode, only now: until here the file is ours alone
    } finally {
      closeSync(fd);
    }
    await renameAsync(temp, path);
    created = false;
  } catch (error) {
    if (created) rmSync(temp, { force: true });
    if (error instanceof LibertyError) throw error;
    throw ioError('write', path, error);
  }
  await syncDirectory(dirname(path), path);
}

/**
 * The target as it is now, undefined when missing; refuses (E_IO) a target that is not a regular file
 * (a link, a FIFO, a directory), and one that is not what `expected` says.
 */
function checkTarget(path: string, expected: { root?: string; identity?: FileIdentity } | undefined): Stats | undefined {
  let info: Stats | undefined;
  try {
    info = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('write', path, error);
  }
  if (info?.isSymbolicLink()) throw refused(path, 'it is a symbolic link');
  if (info && !info.isFile()) throw refused(path, 'it is not a regular file');
  if (!expected) return info;
  if (expected.identity ? !info || !sameFile(identityOf(info), expected.identity) : info) {
    throw refused(path, 'it was replaced since it was read');
  }
  if (expected.root !== undefined) {
    const folder = dirname(path);
    let real: string;
    try {
      real = realpathSync.native(folder);
    } catch (error) {
      throw ioError('write', path, error);
    }
    if (real !== folder || !isWithin(expected.root, real)) throw refused(path, 'its folder was replaced since it was read');
  }
  return info;
}

function identityOf(info: Stats): FileIdentity {
  return { dev: info.dev, ino: info.ino };
}

function refused(path: string, why: string): LibertyError {
  return new LibertyError('E_IO', `refusing to write ${path}: ${why}; nothing was written`, {
    hint: 'someone may be tampering with the settings directory: check who can write to it and what it holds, then run again',
  });
}

/**
 * Removes leftover temporary files (see `findTempFiles`) under `dir`. Call it while holding the settings
 * lock: any temporary file found then belongs to a run that crashed. Returns how many files were removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<number> {
  let removed = 0;
  for (const rel of findTempFiles(dir)) {
    const full = join(dir, rel);
    try {
      unlinkSync(full);
      removed += 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove', full, error);
    }
  }
  return removed;
}

/**
 * The temporary files (see `isTempFileName`) under `dir`, relative with `/` separators, recursively,
 * without following symbolic links and without entering hidden directories; a link with such a name is
 * not one of ours and is left out.
 */
export function findTempFiles(dir: string, rel = ''): string[] {
  const found: string[] = [];
  for (const entry of readDirectory(rel === '' ? dir : join(dir, rel))) {
    const childRel = childPath(rel, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) found.push(...findTempFiles(dir, childRel));
    } else if (isTempFileName(entry.name) && !entry.isSymbolicLink()) {
      found.push(childRel);
    }
  }
  return found;
}

const fsyncAsync = promisify(fsync);
const openAsync = promisify(open);
const renameAsync = promisify(rename);

/** Makes the rename durable, off the main thread. */
async function syncDirectory(dir: string, shownPath: string): Promise<void> {
  try {
    await fsyncDirectory(dir, fsyncAsync);
  } catch (error) {
    throw ioError('sync the directory of', shownPath, error);
  }
}

/** Errors of a file system that cannot fsync a directory: the entry is as durable as it gets there. */
const NO_DIRECTORY_SYNC = new Set(['EINVAL', 'EISDIR', 'ENOTSUP', 'EPERM']);

/**
 * fsyncs the directory `dir` (a new or renamed entry in it survives a crash), with `sync` the fsync to use:
 * fsyncSync, or a promisified fsync for the thread pool. Opened O_DIRECTORY, so a FIFO put there cannot
 * block; platforms that cannot fsync a directory are tolerated. The one directory fsync of the code base
 * (atomic writes here, the audit log's appends).
 */
export function fsyncDirectory(dir: string, sync: (fd: number) => Promise<void>): Promise<void>;
export function fsyncDirectory(dir: string, sync: (fd: number) => void): void;
export function fsyncDirectory(dir: string, sync: (fd: number) => void | Promise<void>): void | Promise<void> {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (error) {
    if (NO_DIRECTORY_SYNC.has((error as NodeJS.ErrnoException).code ?? '')) return;
    throw error;
  }
  const tolerate = (error: unknown) => {
    if (!NO_DIRECTORY_SYNC.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  };
  let pending: void | Promise<void>;
  try {
    pending = sync(fd);
  } catch (error) {
    closeSync(fd);
    return tolerate(error);
  }
  if (pending instanceof Promise) return pending.catch(tolerate).finally(() => closeSync(fd));
  closeSync(fd);
}
