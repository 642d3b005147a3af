/**
 * Opening files a local user may have planted: the settings directory is writable by its owner, and
 * liberty-crypto often runs as root. Every open of a file the tool did not just create goes through here:
 * - O_NOFOLLOW: a symbolic link in the last component is refused (ELOOP), never followed;
 * - O_NONBLOCK: a FIFO opens at once instead of waiting for a writer (reads of regular files ignore it);
 * - fstat on the open descriptor: only a regular file is used (no FIFO, device, directory), and only up to
 *   a size bound, so a link to /dev/zero or a huge file cannot exhaust memory;
 * - the descriptor's device and inode are returned, so a writer can check later that the file it replaces
 *   is still the one it read.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { ioError, LibertyError } from './errors.js';

/** Settings files are small; anything larger is not one (or is an attack on memory). */
export const MAX_SETTINGS_FILE_BYTES = 16 * 1024 * 1024;

export interface FileIdentity {
  dev: number;
  ino: number;
}

export interface RegularFile {
  bytes: Buffer;
  identity: FileIdentity;
  stats: Stats;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** For a path the operator named and may have made a link on purpose (a Kubernetes secret's `..data` link). */
const READ_FOLLOWING_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads a regular file, at most `maxBytes`. `shown` names it in errors (relative to the settings directory
 * where there is one). ENOENT is rethrown as it is, for callers that treat a missing file as empty.
 */
export function readRegularFile(
  path: string,
  shown: string,
  maxBytes = MAX_SETTINGS_FILE_BYTES,
  options: { followLinks?: boolean } = {},
): RegularFile {
  const fd = openChecked(path, shown, options.followLinks ? READ_FOLLOWING_FLAGS : READ_FLAGS);
  return readOpened(fd, shown, maxBytes);
}

/**
 * readRegularFile (no link followed) of the file whose real path is `path`, known without resolving it
 * first: the kernel names the file the descriptor opened (/proc/self/fd on Linux), and that must be `path`
 * itself. Undefined when it is not (a link on the way), or when the name cannot be had (no /proc): the
 * caller then resolves the path first, as before. Race-free where resolve-then-open is not: the name is
 * that of what was opened.
 *
 * The bytes go to `use` in one buffer that every call reuses and wipes afterwards (`use` must not keep
 * them, nor read another file with this): reading each of a thousand files into fresh memory cost ~10 ms
 * of page faults.
 */
export function readRegularFileAt<T>(path: string, shown: string, use: (bytes: Buffer) => T): UsedFile<T> | undefined {
  const fd = openChecked(path, shown, READ_FLAGS);
  let opened: string | undefined;
  try {
    opened = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    opened = undefined;
  }
  if (opened !== path) {
    closeSync(fd);
    return undefined;
  }
  const read = readOpened(fd, shown, MAX_SETTINGS_FILE_BYTES, scratchOf);
  try {
    return { value: use(read.bytes), identity: read.identity, stats: read.stats };
  } finally {
    read.bytes.fill(0);
  }
}

export interface UsedFile<T> {
  value: T;
  identity: FileIdentity;
  stats: Stats;
}

let scratch: Buffer = Buffer.alloc(0);
function scratchOf(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.alloc(Math.max(size, 64 * 1024));
  return scratch;
}

/**
 * Reads what `fd` opened, when it is a regular file of at most `maxBytes`; closes `fd`. The bytes are read
 * into `bufferOf(size)` (at least `size` long), a new buffer by default.
 */
function readOpened(
  fd: number,
  shown: string,
  maxBytes: number,
  bufferOf: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
): RegularFile {
  try {
    const stats = checkRegular(fd, shown);
    if (stats.size > maxBytes) throw tooLarge(shown, maxBytes);
    // one byte more than fstat said: a file that grew since is caught, not read in part
    const size = stats.size + 1;
    const buffer = bufferOf(size);
    let length = 0;
    for (;;) {
      const wanted = size - length;
      const read = readSync(fd, buffer, length, wanted, null);
      length += read;
      if (length === size) throw length > maxBytes ? tooLarge(shown, maxBytes) : changedWhileRead(shown);
      // a regular file reads short only at its end: no second read to see 0 (a syscall per file)
      if (read < wanted) break;
    }
    return { bytes: buffer.subarray(0, length), identity: { dev: stats.dev, ino: stats.ino }, stats };
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a regular file for appending, creating it with `mode` when missing; a link, FIFO or device at the
 * path is refused. Returns the descriptor and what fstat says of it; the caller closes it.
 */
export function openRegularForAppend(path: string, shown: string, mode = 0o600): { fd: number; stats: Stats } {
  const fd = openChecked(path, shown, APPEND_FLAGS, mode);
  try {
    return { fd, stats: checkRegular(fd, shown) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Whether two identities name the same file (device and inode). */
export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function openChecked(path: string, shown: string, flags: number, mode?: number): number {
  try {
    return openSync(path, flags, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw error;
    if (code === 'ELOOP') throw notRegular(shown, 'a symbolic link');
    if (code === 'ENXIO') throw notRegular(shown, 'a socket or FIFO');
    throw ioError('open', shown, error);
  }
}

function checkRegular(fd: number, shown: string): Stats {
  const stats = fstatSync(fd);
  if (!stats.isFile()) throw notRegular(shown, describeType(stats));
  return stats;
}

function describeType(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(shown: string, what: string): LibertyError {
  return new LibertyError('E_IO', `refusing ${shown}: it is ${what}, not a regular file`, {
    hint: 'someone may have planted it: check who can write to the settings directory, remove it, and run again',
  });
}

function changedWhileRead(shown: string): LibertyError {
  return new LibertyError('E_IO', `${shown} changed while it was read`, {
    hint: 'something is writing to it: run again when it is done',
  });
}

function tooLarge(shown: string, maxBytes: number): LibertyError {
  return new LibertyError('E_IO', `refusing ${shown}: larger than ${Math.round(maxBytes / 1024)} KiB`, {
    hint: 'a settings, lock or audit file this large is not one liberty-crypto wrote',
  });
}

/**
 * Opens a regular file for reading with the same checks as readRegularFile, for a caller that reads it in
 * pieces rather than whole (the audit log, which only grows). Returns the descriptor and what fstat says
 * of it; the caller closes it and bounds what it reads.
 */
export function openRegularForRead(path: string, shown: string): { fd: number; stats: Stats } {
  const fd = openChecked(path, shown, READ_FLAGS);
  try {
    return { fd, stats: checkRegular(fd, shown) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
