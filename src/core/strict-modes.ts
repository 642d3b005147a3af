/**
 * sshd's StrictModes for the settings directory and the audit log: a place another local user could write
 * to is refused (E_PERMISSION_DENIED), because whoever can write a directory can swap what it holds for a
 * link, and the tool, run as root, would follow it. The rules:
 * - the settings directory itself is writable by its owner only (a sticky bit does not help: anybody could
 *   still add a lock, an audit log or a settings file there);
 * - every directory on the way to it (links followed), and to the audit log, is writable by its owner only,
 *   or sticky like /tmp (nobody can then rename what another user put there), and belongs to root or to the
 *   user the command acts as; `/` itself is left alone;
 * - the audit log, when it exists, is writable by its owner only.
 * Only inspects: whether to apply it (as root) and as whom is the caller's decision.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ioError, LibertyError } from './errors.js';

/** A directory (or the target) met on the way, with what lstat said of it. */
interface Step {
  path: string;
  stats: Stats;
}

interface Walk {
  /** every directory a name was looked up in, in order; `/` included */
  directories: Step[];
  /** the target itself (links followed); undefined when some part of the path does not exist */
  target?: Step;
}

/** As the kernel does: more links than this on one path is a loop. */
const MAX_LINKS = 40;

export interface Ownership {
  uid: number;
  gid: number;
}

/**
 * The settings directory `dir` and the directories on the way to it. Returns the owner and group of `dir`,
 * or undefined when it does not exist or is not a directory (the loader reports that). Directories on the
 * way may belong to root or to that owner: the command acts as one of them.
 */
export function checkSettingsDirModes(dir: string): Ownership | undefined {
  const walk = walkTo(dir);
  if (!walk.target?.stats.isDirectory()) return undefined;
  const { uid: owner, gid } = walk.target.stats;
  const writers = otherWriters(walk.target.stats.mode);
  if (writers) {
    throw refusal(`${walk.target.path}: the settings directory is writable by ${writers}`, walk.target);
  }
  checkOnTheWay(
    walk.directories.filter((step) => step.path !== walk.target!.path),
    owner,
    walk.target.path,
  );
  return { uid: owner, gid };
}

/** The audit log `path` and the directories on the way to it, for a command acting as `actingUid`. */
export function checkAuditLogModes(path: string, actingUid: number): void {
  const walk = walkTo(path);
  const directories = walk.directories.filter((step) => step.path !== walk.target?.path);
  checkOnTheWay(directories, actingUid, path);
  if (!walk.target?.stats.isFile()) return; // absent is fine; a link or a FIFO is refused when it is opened
  const writers = otherWriters(walk.target.stats.mode);
  if (writers) {
    throw refusal(`${walk.target.path}: the audit log is writable by ${writers}`, walk.target);
  }
}

function checkOnTheWay(directories: readonly Step[], actingUid: number, below: string): void {
  for (const step of directories) {
    if (step.path === '/') continue;
    const { mode, uid } = step.stats;
    const writers = otherWriters(mode);
    if (writers && (mode & 0o1000) === 0) {
      throw refusal(`${step.path}, on the way to ${below}, is writable by ${writers} without the sticky bit`, step);
    }
    if (uid !== 0 && uid !== actingUid) {
      throw new LibertyError(
        'E_PERMISSION_DENIED',
        `refusing ${step.path}, on the way to ${below}: it belongs to uid ${uid}, who could swap what it holds`,
        {
          hint: `chown root ${quoteForShell(step.path)}, or move the settings out of it`,
        },
      );
    }
  }
}

/**
 * Resolves `target` one name at a time, as the kernel does, recording each directory a name is looked
 * up in (so a directory holding a link on the way counts, and so do the directories of the link's target).
 */
function walkTo(target: string): Walk {
  const directories: Step[] = [];
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    directories.push({ path, stats: lstatChecked(path)! });
  };
  let current = '/';
  let pending = namesOf(resolve(target));
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      current = dirname(current);
      continue;
    }
    visit(current);
    const next = join(current, name);
    const stats = lstatChecked(next);
    if (stats === undefined) return { directories };
    if (stats.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw ioError('resolve', target, Object.assign(new Error('too many links'), { code: 'ELOOP' }));
      const link = readlinkSync(next);
      if (isAbsolute(link)) current = '/';
      pending = [...namesOf(link), ...pending];
      continue;
    }
    if (pending.length > 0 && !stats.isDirectory()) return { directories };
    current = next;
  }
  return { directories, target: { path: current, stats: lstatChecked(current)! } };
}

function namesOf(path: string): string[] {
  return path.split('/').filter((name) => name !== '' && name !== '.');
}

/** lstat, undefined when the path does not exist. */
function lstatChecked(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw ioError('inspect', path, error);
  }
}

function otherWriters(mode: number): string | undefined {
  const group = (mode & 0o020) !== 0;
  const others = (mode & 0o002) !== 0;
  if (group && others) return 'group and others';
  if (group) return 'its group';
  return others ? 'others' : undefined;
}

/** `what` is writable by someone else than its owner: the fix is the same whichever part it is. */
function refusal(what: string, step: Step): LibertyError {
  const mode = (step.stats.mode & 0o7777).toString(8).padStart(4, '0');
  return new LibertyError('E_PERMISSION_DENIED', `refusing ${what} (mode ${mode}): another local user could plant links there`, {
    hint: `chmod go-w ${quoteForShell(step.path)}`,
  });
}

/** A path as one shell word: bare when it is plain, else in single quotes. */
function quoteForShell(path: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
