/**
 * What makes a directory a settings directory: an `app.toml` in it. A directory without one is refused
 * (E_NOT_SETTINGS_DIR, exit 6) before anything is read or created, because the usual cause is `--settings`
 * one level too high: writing there would create a second `app.toml`, audit log and lock beside the real
 * install, and seal blobs under whatever key the defaults name. The refusal names an `app.toml` found a
 * little below, the likely intended directory.
 *
 * The search is bounded (two levels, a fixed number of entries) and never follows a symbolic link: the
 * directory may be `/` or one a hostile user fills, and it runs before the command does any real work.
 */
import { lstatSync, readdirSync, realpathSync, type Dirent } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { LibertyError } from './errors.js';
import { shellQuote } from './shell-quote.js';

export const APP_FILE = 'app.toml';

/** How deep below the directory `app.toml` is looked for: `*\/app.toml` and `*\/*\/app.toml`. */
export const SEARCH_DEPTH = 2;
/** At most this many directories are looked into, so a huge tree costs a bounded time. */
const SEARCH_BUDGET = 2000;
/** Names listed in the hint beyond the first. */
const LISTED = 2;

/** True when `dir` holds an entry named app.toml (of any type: reading it reports what is wrong with it). */
export function hasAppFile(dir: string): boolean {
  try {
    lstatSync(join(dir, APP_FILE));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    return true; // unreadable for another reason: let the read name it
  }
}

/**
 * Every `app.toml` that is a regular file at most SEARCH_DEPTH levels below `dir`, as relative paths with
 * `/` separators, sorted. Hidden folders and symbolic links are skipped; unreadable folders are passed by.
 */
export function findAppFilesBelow(dir: string): string[] {
  const found: string[] = [];
  let budget = SEARCH_BUDGET;
  const visit = (abs: string, rel: string, depth: number): void => {
    if (depth > SEARCH_DEPTH || budget <= 0) return;
    budget -= 1;
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    if (depth > 0 && entries.some((entry) => entry.name === APP_FILE && entry.isFile())) found.push(posix.join(rel, APP_FILE));
    for (const entry of entries) {
      // Dirent types come from lstat: a link to a directory is not a directory here, so it is never followed
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      visit(join(abs, entry.name), rel === '' ? entry.name : `${rel}/${entry.name}`, depth + 1);
    }
  };
  visit(dir, '', 0);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The directories up to SEARCH_DEPTH levels above `dir` (absolute) that hold app.toml as a regular file,
 * nearest first: `dir` would be a folder of that install, its files that install's settings files.
 */
export function findAppFilesAbove(dir: string): string[] {
  const found: string[] = [];
  let current = resolve(dir);
  for (let level = 0; level < SEARCH_DEPTH; level += 1) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
    try {
      if (lstatSync(join(current, APP_FILE)).isFile()) found.push(current);
    } catch {
      // none there, or not reachable: nothing to name
    }
  }
  return found;
}

/**
 * The refusal of a directory without app.toml. `shown` is the directory as the operator named it (for the
 * hint's `--settings`), `found` what `findAppFilesBelow` returned.
 */
export function notSettingsDirectory(shown: string, found: readonly string[]): LibertyError {
  const message = `not a settings directory: ${shown} has no ${APP_FILE}`;
  if (found.length === 0) {
    return new LibertyError('E_NOT_SETTINGS_DIR', message, {
      hint: `pass --settings with the directory that holds ${APP_FILE}; for a new install, run liberty-crypto init --settings ${shellQuote(shown)}`,
    });
  }
  const [first, ...more] = found;
  const suggestion = suggestedDir(shown, posix.dirname(first));
  const listed = more.slice(0, LISTED);
  const rest = more.length - listed.length;
  const also = more.length === 0 ? '' : `; also ${listed.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
  return new LibertyError('E_NOT_SETTINGS_DIR', message, { hint: `did you mean --settings ${shellQuote(suggestion)}? (${first}${also})` });
}

/** `shown` joined with `sub`, kept relative when `shown` was: `.` and `config` give `./config`. */
function suggestedDir(shown: string, sub: string): string {
  const joined = posix.join(shown.replace(/\\/g, '/'), sub);
  return posix.isAbsolute(joined) || joined.startsWith('../') || joined.startsWith('./') ? joined : `./${joined}`;
}

/**
 * A settings directory with nothing to protect: no settings file beside app.toml and no blob anywhere. A
 * new install looks like this, and so does a wrong directory that happens to hold an app.toml; status and
 * rewrap --check say so instead of a plain "ok" (a nightly job pointed at the wrong place must be seen).
 */
export function isEmptySettingsDir(files: readonly string[], blobs: number): boolean {
  return blobs === 0 && files.every((file) => file === APP_FILE);
}

export const EMPTY_SETTINGS_DIR = {
  code: 'EMPTY_SETTINGS_DIR',
  message: `empty settings directory: no settings file beside ${APP_FILE} and no blob`,
  hint: 'check that --settings (or LIBERTY_SETTINGS_DIR) names the install; on a new install, encrypt the first secret with liberty-crypto encrypt FILE:KEY',
} as const;

/**
 * `path` (a real path) as the operator would name it: under the settings directory, the directory as they
 * named it (`shown`) and the rest; elsewhere, as it is.
 */
export function pathAsNamed(dir: string, shown: string, path: string): string {
  let root: string;
  try {
    root = realpathSync.native(dir);
  } catch {
    return path;
  }
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return path;
  return posix.join(shown.replace(/\\/g, '/'), rel.split(sep).join('/')).replace(/^(?![./])/, './');
}
