/**
 * Finding settings files. The rules, in one place:
 * - every `*.toml` file under the settings directory, recursively, relative with `/` separators, sorted
 *   by code unit (the same order on every machine and locale);
 * - hidden files and folders (name starts with `.`) are skipped: lock and temporary files live there;
 * - a symbolic link to a directory is never followed (no cycles, no second path to one file);
 * - a symbolic link to a file is included only when its real path stays inside the settings directory;
 *   a link pointing outside, or a broken link, is skipped;
 * - anything else named `*.toml` (a FIFO, a device, a socket, a directory) is skipped: only regular files
 *   are settings files, and reading a FIFO or a device could hang or never end.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, posix, relative, resolve, sep, win32 } from 'node:path';

import { ioError, LibertyError } from './errors.js';

export const SETTINGS_EXTENSION = '.toml';

const SETTINGS_HINT = 'pass --settings <dir> or set LIBERTY_SETTINGS_DIR';

/** Every settings file under `dir` (see the module comment for the rules). */
export async function crawlSettings(dir: string): Promise<string[]> {
  const root = resolveSettingsDir(dir);
  const found: string[] = [];
  walk(root, root, '', found);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Where a settings file is: its canonical name and its real path inside the real settings directory. */
export interface SettingsFileLocation {
  /** the name users see: relative, `/` separators, no `.` or `..` (see `canonicalSettingsPath`) */
  file: string;
  /** the real path of the settings directory */
  root: string;
  /** the real path of the file (links resolved); for a missing file, where it would be created */
  path: string;
}

/**
 * The one spelling of a settings file: relative to the directory, `/` separators, `.` and `..` folded
 * (`sub/../connectors.toml` and `./connectors.toml` are `connectors.toml`), so the audit log and every
 * message name a file one way. E_USAGE for an empty path, an absolute one (even one inside the directory:
 * the writer would take it as relative again), and one that climbs out with `..`.
 */
export function canonicalSettingsPath(relFile: string): string {
  const slashed = relFile.replace(/\\/g, '/');
  if (slashed.trim() === '') {
    throw new LibertyError('E_USAGE', 'settings file path is empty', { hint: 'name a file relative to the settings directory' });
  }
  if (posix.isAbsolute(slashed) || win32.isAbsolute(slashed)) {
    throw new LibertyError('E_USAGE', `file must be relative to the settings directory: ${relFile}`, {
      hint: 'name the file as the settings directory sees it, e.g. connectors.toml, not its absolute path',
      file: relFile,
    });
  }
  const normal = posix.normalize(slashed).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../') || normal === '.') {
    throw new LibertyError('E_USAGE', `file is outside the settings directory: ${relFile}`, {
      hint: 'name a file relative to the settings directory, without ..',
      file: relFile,
    });
  }
  return normal;
}

/**
 * Locates the user-given `relFile` (see `canonicalSettingsPath`) in the settings directory. E_BAD_SETTINGS
 * when a symbolic link on the way leads outside the directory; a link that stays inside is followed.
 */
export function locateSettingsFile(dir: string, relFile: string): SettingsFileLocation {
  const named = settingsFileWhereNamed(dir, relFile);
  const { file, root } = named;
  const path = realpathOfExistingPart(named.path);
  if (!isWithin(root, path)) {
    throw new LibertyError('E_BAD_SETTINGS', `${file}: a symbolic link leads outside the settings directory`, {
      hint: 'replace the link with the file itself or a link that stays inside the directory',
      file,
    });
  }
  return { file, root, path };
}

/**
 * Where a settings file is when no link is on its way: its name under the directory's real path, not
 * resolved. Only what was opened can confirm it (readRegularFileAt); else locateSettingsFile.
 */
export function settingsFileWhereNamed(dir: string, relFile: string): SettingsFileLocation {
  const file = canonicalSettingsPath(relFile);
  const root = realRoot(resolve(dir));
  return { file, root, path: join(root, file) };
}

/** `locateSettingsFile`, as a path inside `dir` (links not resolved). */
export function resolveInside(dir: string, relFile: string): string {
  const { file } = locateSettingsFile(dir, relFile);
  return join(resolve(dir), file);
}

/** The real path of the settings directory; E_IO when it is missing or not a directory. */
function resolveSettingsDir(dir: string): string {
  if (!checkSettingsDir(dir)) throw missingSettingsDir(dir);
  try {
    return realpathSync.native(dir);
  } catch (error) {
    throw ioError('read the settings directory', dir, error);
  }
}

/** True when the settings directory exists, false when it is missing; E_IO when it is not a directory. */
export function checkSettingsDir(dir: string): boolean {
  let info;
  try {
    info = statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError('read the settings directory', dir, error);
  }
  if (!info.isDirectory()) {
    throw new LibertyError('E_IO', `settings path is not a directory: ${dir}`, { hint: SETTINGS_HINT });
  }
  return true;
}

export function missingSettingsDir(dir: string): LibertyError {
  return new LibertyError('E_IO', `settings directory not found: ${dir}`, { hint: SETTINGS_HINT });
}

/** The entries of the directory `abs` (links not followed); E_IO naming it when it cannot be read. */
export function readDirectory(abs: string): Dirent[] {
  try {
    return readdirSync(abs, { withFileTypes: true });
  } catch (error) {
    throw ioError('read directory', abs, error);
  }
}

/** `name` inside the relative path `rel` ('' for the root), with `/` separators on every platform. */
export function childPath(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

function walk(root: string, abs: string, rel: string, found: string[]): void {
  for (const entry of readDirectory(abs)) {
    if (entry.name.startsWith('.')) continue;
    const childAbs = join(abs, entry.name);
    const childRel = childPath(rel, entry.name);
    if (entry.isDirectory()) {
      walk(root, childAbs, childRel, found);
    } else if (entry.name.endsWith(SETTINGS_EXTENSION)) {
      if (entry.isFile() || (entry.isSymbolicLink() && isFileLinkInside(root, childAbs))) {
        found.push(childRel);
      }
    }
  }
}

/** True when the link at `linkPath` resolves to a regular file inside `root`; broken links give false. */
function isFileLinkInside(root: string, linkPath: string): boolean {
  try {
    const real = realpathSync.native(linkPath);
    return isWithin(root, real) && statSync(real).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return false;
    throw ioError('resolve link', linkPath, error);
  }
}

/** Whether `path` is `root` or below it (both absolute, lexically). */
export function isWithin(root: string, path: string): boolean {
  // both absolute and normalised (real paths): a prefix test on whole components, without path.relative
  if (isAbsolute(root) && isAbsolute(path) && root === normalize(root) && path === normalize(path)) {
    return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
  }
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of a settings directory, resolved once per process: a run reads a thousand files from
 * it. A directory swapped for a link during the run then leaves its files outside the root resolved at
 * the start, and they are refused: stricter than resolving it again for each file.
 */
const REAL_ROOTS = new Map<string, string>();

function realRoot(dir: string): string {
  let root = REAL_ROOTS.get(dir);
  if (root !== undefined) return root;
  try {
    root = realpathSync.native(dir);
  } catch {
    return dir; // missing: not remembered, whoever needs the directory reports it
  }
  REAL_ROOTS.set(dir, root);
  return root;
}

// realpathSync.native is one realpath(3) call; the JavaScript realpathSync makes an lstat per path
// component.
/**
 * The real path of `path`, resolving the longest existing prefix (a file about to be created may not
 * exist). A dangling link is followed lexically, so a link to a missing file outside still shows as outside.
 */
function realpathOfExistingPart(path: string, depth = 0): string {
  let head = path;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(head), ...tail);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && depth < 40 && isSymbolicLink(head)) {
        return realpathOfExistingPart(join(resolve(dirname(head), readlinkSync(head)), ...tail), depth + 1);
      }
      const parent = dirname(head);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === head) return path;
      tail.unshift(basename(head));
      head = parent;
    }
  }
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
