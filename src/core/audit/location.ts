/**
 * Where the audit log may be. A local user who can edit app.toml must not be able to point root's appends
 * at a file elsewhere, so `[audit] path` names a file inside the settings directory (relative, no `..`
 * out of it, its directory's real path inside the directory's real path). LIBERTY_AUDIT_LOG is the
 * operator's own choice and may name any place, but its directory must exist: it is never created.
 * Both are returned as real paths (every directory link resolved), so the open can check it reached
 * exactly that place.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LibertyError } from '../errors.js';

export const DEFAULT_AUDIT_FILE = 'audit.jsonl';

const AUDIT_PATH_FIELD = 'audit.path';

/**
 * The audit log's path: `fromEnv` (LIBERTY_AUDIT_LOG), else `configured` (app.toml [audit] path, relative
 * to `dir`), else `<dir>/audit.jsonl`. `appFile` names app.toml in errors.
 */
export function resolveAuditLogPath(dir: string, configured: string | undefined, fromEnv: string | undefined, appFile: string): string {
  if (fromEnv) return inRealDirectory(resolve(fromEnv), 'LIBERTY_AUDIT_LOG');
  if (configured === undefined) return inRealDirectory(join(dir, DEFAULT_AUDIT_FILE), undefined) ?? join(dir, DEFAULT_AUDIT_FILE);
  const refuse = (why: string) =>
    new LibertyError('E_BAD_SETTINGS', `${appFile}: ${AUDIT_PATH_FIELD}: ${why}`, {
      hint: 'name a file inside the settings directory (e.g. audit.jsonl), or set LIBERTY_AUDIT_LOG to log elsewhere',
      file: appFile,
      field: AUDIT_PATH_FIELD,
    });
  if (configured.includes('\0')) throw refuse('holds a NUL character');
  if (isAbsolute(configured)) throw refuse('must be relative to the settings directory');
  const root = resolve(dir);
  const full = resolve(root, configured);
  if (full === root || !isWithin(root, full)) throw refuse('leads outside the settings directory');
  const real = inRealDirectory(full, `${appFile}: ${AUDIT_PATH_FIELD}`);
  if (!isWithin(realpathSync.native(root), dirname(real))) throw refuse('a symbolic link leads outside the settings directory');
  return real;
}

/**
 * The directory the log must stay inside when it is opened: the settings directory's real path, or
 * undefined when LIBERTY_AUDIT_LOG chose the place.
 */
export function auditLogBoundary(dir: string, fromEnv: string | undefined): string | undefined {
  if (fromEnv) return undefined;
  try {
    return realpathSync.native(dir);
  } catch {
    return resolve(dir); // a missing directory: there is no log to open either
  }
}

/** Whether `path` is `root` or below it (both absolute and normalised). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * `path` with its directory's real path. A missing directory is refused (E_AUDIT_LOG, exit 6) when `source`
 * names where the path came from; for the default log (source undefined) the path is returned as it is,
 * since a missing settings directory is reported by whoever needs it.
 */
function inRealDirectory(path: string, source: string): string;
function inRealDirectory(path: string, source: undefined): string | undefined;
function inRealDirectory(path: string, source: string | undefined): string | undefined {
  const parent = dirname(path);
  try {
    if (statSync(parent).isDirectory()) return join(realpathSync.native(parent), basename(path));
  } catch {
    // missing, or not reachable: refused below
  }
  if (source === undefined) return undefined;
  throw new LibertyError('E_AUDIT_LOG', `${source}: the directory of the audit log does not exist: ${parent}`, {
    hint: 'create that directory first (liberty-crypto never creates it), or point the log elsewhere',
  });
}
