/**
 * The one place plaintext touches a file on purpose: `edit` writes the opened settings file for the
 * operator's editor. It goes into a folder of its own (mode 0700, made by mkdtemp, so no one else can
 * have made or entered it), as a file created with O_EXCL and O_NOFOLLOW, mode 0600, preferably on a
 * memory file system: $XDG_RUNTIME_DIR (the user's own tmpfs) when it is a real directory of ours closed
 * to others, else /dev/shm, else the temporary directory. Wiping overwrites every file in the folder with
 * zeros of the same length (the editor's swap and backup files too), fsyncs, removes them, then the folder.
 * A folder left by a process that died (SIGKILL, power loss) is wiped by the next `edit` of the same user.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { ioError } from './errors.js';
import { readRegularFile } from './safe-fs.js';
import { isProcessAlive } from './lock-file.js';

const FOLDER_PREFIX = 'liberty-crypto-edit-';
const FOLDER_NAME = /^liberty-crypto-edit-(\d+)-[A-Za-z0-9]+$/;
const ZEROS = Buffer.alloc(64 * 1024);

export interface PrivateTempFile {
  /** the file the editor opens */
  readonly path: string;
  /** its private folder */
  readonly folder: string;
  /** the file's bytes as they are now (the editor may have replaced the file: read by name, no link followed) */
  read(): Buffer;
  /** overwrites every file in the folder with zeros, fsyncs, removes them and the folder; safe to call twice */
  wipe(): void;
}

/**
 * The folder to make the private folder in: `$XDG_RUNTIME_DIR` when it is an absolute path to a directory
 * (not a link) owned by this user and closed to others, else `/dev/shm` when it is a directory, else `tmp`.
 */
export function privateTempBase(env: Readonly<Record<string, string | undefined>>, tmp: string): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && isAbsolute(runtime)) {
    try {
      const info = lstatSync(runtime);
      if (info.isDirectory() && info.uid === process.geteuid?.() && (info.mode & 0o077) === 0) return runtime;
    } catch {
      // not usable: the next place
    }
  }
  try {
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no /dev/shm (macOS, some containers)
  }
  return tmp;
}

/** Makes the private folder under `base` and the file `name` in it holding `content`. */
export function createPrivateTempFile(base: string, name: string, content: Uint8Array): PrivateTempFile {
  wipeAbandoned(base);
  let folder: string;
  try {
    folder = mkdtempSync(join(base, `${FOLDER_PREFIX}${process.pid}-`)); // mode 0700, a fresh name
  } catch (error) {
    throw ioError('create a private temporary folder in', base, error);
  }
  const path = join(folder, basename(name));
  const file: PrivateTempFile = {
    path,
    folder,
    read: () => readRegularFile(path, path).bytes,
    wipe: () => wipeFolder(folder),
  };
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, 0o600); // whatever the umask
      for (let written = 0; written < content.length;) written += writeSync(fd, content, written, content.length - written);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    wipeFolder(folder);
    throw ioError('write the temporary file', path, error);
  }
  return file;
}

/** Zeros over every regular file in `folder` (links and the rest are only removed), then removes all. */
function wipeFolder(folder: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError('read the temporary folder', folder, error);
  }
  for (const name of names) {
    const path = join(folder, name);
    let info;
    try {
      info = lstatSync(path);
    } catch {
      continue;
    }
    if (info.isFile()) overwriteWithZeros(path);
    if (info.isDirectory())
      rmSync(path, { recursive: true, force: true }); // an editor's own folder: no plaintext of ours
    else unlinkSync(path);
  }
  try {
    rmdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove the temporary folder', folder, error);
  }
}

function overwriteWithZeros(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return; // vanished or not ours to open: removed below all the same
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return;
    for (let at = 0; at < info.size;) at += writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, info.size - at), at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Folders of ours under `base` whose process is gone (killed before it could wipe): wiped now. */
function wipeAbandoned(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = FOLDER_NAME.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isProcessAlive(Number(pid))) continue;
    const folder = join(base, name);
    try {
      const info = lstatSync(folder);
      if (!info.isDirectory() || info.uid !== process.geteuid?.()) continue;
      wipeFolder(folder);
    } catch {
      // best effort: another edit may be wiping it too
    }
  }
}
