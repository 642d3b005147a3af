/**
 * The settings directory as core sees it: app.toml and its [crypto] table, the keyring that follows
 * from it, and reading one settings file. All paths given to users are relative to the directory.
 */
import { resolveAuditLogPath } from './audit/index.js';
import { checkSettingsDir, locateSettingsFile, missingSettingsDir, settingsFileWhereNamed, type SettingsFileLocation } from './crawl.js';
import { readCryptoConfig, type CryptoConfig } from './crypto-config.js';
import { LibertyError, ioError } from './errors.js';
import { writeFileAtomic, type ExpectedFile } from './fs-atomic.js';
import { loadKeyring, type Environment, type Keyring } from './keyring.js';
import { readRegularFile, readRegularFileAt, type RegularFile, type UsedFile } from './safe-fs.js';
import { readFieldRules, type FieldRules } from './secret-fields.js';
import { APP_FILE, findAppFilesBelow, hasAppFile, notSettingsDirectory } from './settings-directory.js';
import { parseTomlDocument, type TomlDocument, isTable } from './toml/index.js';

export { APP_FILE };

export interface Settings {
  dir: string;
  /** app.toml, when present */
  app?: SettingsDocument;
  crypto: CryptoConfig;
  fields: FieldRules;
}

export interface LoadOptions {
  /** false: a missing directory is read as empty (the ./config default for blob-only commands) */
  mustExist: boolean;
  /**
   * The directory must hold app.toml (see settings-directory.ts): E_NOT_SETTINGS_DIR otherwise, naming
   * `shown` (the directory as the operator named it). Absent: app.toml is optional (the library, blob-only commands).
   */
  requireApp?: { shown: string };
}

/** Where a settings file was read, for the checks when it is written back (see `writeSettingsFile`). */
export interface ReadOrigin extends ExpectedFile {
  /** the file's canonical name, relative to the settings directory */
  file: string;
  /** the real path the file was read from (or, for a missing app.toml, where it will be created) */
  path: string;
}

/** A settings file as read: the parsed document and where it came from. */
export interface SettingsDocument extends TomlDocument {
  readonly origin: ReadOrigin;
}

/**
 * Reads one settings file (relative path, see `locateSettingsFile`) into a parsed document. The file is
 * opened at its real path inside the directory without following a link there, and must be a regular
 * file of bounded size: a FIFO, a device or a huge file is refused (E_IO) instead of hanging the command.
 */
export async function readSettingsFile(dir: string, file: string): Promise<SettingsDocument> {
  const named = readWhereNamed(dir, file);
  if (named) return named;
  const { location, read } = readLocated(dir, file);
  return withOrigin(parseTomlDocument(location.file, read.bytes), { ...location, identity: read.identity });
}

/**
 * The common case without resolving the path first (a realpath per file was the largest cost of reading a
 * thousand files): the file opened at its name under the directory's real path, when what was opened is
 * that very file. Its parse error is then the file's own and stands; anything else (a link on the way, an
 * open that fails): undefined, and readLocated finds out what is wrong.
 */
function readWhereNamed(dir: string, file: string): SettingsDocument | undefined {
  let location: SettingsFileLocation;
  let read: UsedFile<TomlDocument | LibertyError> | undefined;
  try {
    location = settingsFileWhereNamed(dir, file);
    read = readRegularFileAt(location.path, location.file, (bytes) => parsedOrRefused(location.file, bytes));
  } catch {
    return undefined;
  }
  if (read?.value instanceof LibertyError) throw read.value;
  return read && withOrigin(read.value, { ...location, identity: read.identity });
}

function parsedOrRefused(file: string, bytes: Buffer): TomlDocument | LibertyError {
  try {
    return parseTomlDocument(file, bytes);
  } catch (error) {
    if (error instanceof LibertyError) return error;
    throw error;
  }
}

interface LocatedRead {
  location: SettingsFileLocation;
  read: RegularFile;
}

/** The careful way: the real path resolved and checked to be inside the directory, then opened. */
function readLocated(dir: string, file: string): LocatedRead {
  const location = locateSettingsFile(dir, file);
  try {
    return { location, read: readRegularFile(location.path, location.file) }; // settings files are small: a sync read costs less
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw fileNotFound(location.file);
    if (error instanceof LibertyError) throw error;
    throw ioError('read', location.file, error);
  }
}

/** app.toml as it is on disk now; an empty document when there is none yet (a write will create it). */
export async function readAppDocument(settings: Settings): Promise<SettingsDocument> {
  try {
    return await readSettingsFile(settings.dir, APP_FILE);
  } catch (error) {
    if (!(error instanceof LibertyError) || error.code !== 'E_FIELD_NOT_FOUND') throw error;
    // no identity: the write then checks that no file (nor a link) has appeared here meanwhile
    return withOrigin(parseTomlDocument(APP_FILE, ''), locateSettingsFile(settings.dir, APP_FILE));
  }
}

export interface WriteSettingsOptions {
  /** false: the written file is owned by the user running the command (see writeFileAtomic) */
  keepOwner?: boolean;
}

/**
 * Replaces a settings file read by `readSettingsFile` or `readAppDocument` with `text`, refused (E_IO,
 * nothing written) when the file was swapped since it was read, for another file or a link, or its folder
 * for a link: a local user who can write to the directory must not redirect the write elsewhere.
 */
export function writeSettingsFile(document: SettingsDocument, text: string, options: WriteSettingsOptions = {}): Promise<void> {
  const { path, root, identity } = document.origin;
  return writeFileAtomic(path, text, { expected: { root, ...(identity ? { identity } : {}) }, ...options });
}

function withOrigin(document: TomlDocument, origin: ReadOrigin): SettingsDocument {
  return { ...document, origin };
}

function fileNotFound(file: string): LibertyError {
  return new LibertyError('E_FIELD_NOT_FOUND', `${file}: file not found in the settings directory`, { file });
}

export async function loadSettings(dir: string, options: LoadOptions = { mustExist: true }): Promise<Settings> {
  const exists = checkSettingsDir(dir);
  if (!exists) {
    if (options.mustExist) throw missingSettingsDir(dir);
    return { dir, crypto: readCryptoConfig(undefined), fields: readFieldRules(undefined) };
  }
  if (options.requireApp && !hasAppFile(dir)) throw notSettingsDirectory(options.requireApp.shown, findAppFilesBelow(dir));
  const app = await readSettingsFile(dir, APP_FILE).catch((error: unknown) => {
    if (error instanceof LibertyError && error.code === 'E_FIELD_NOT_FOUND') return undefined;
    throw error;
  });
  const crypto = app?.data.crypto;
  return { dir, ...(app ? { app } : {}), crypto: readCryptoConfig(crypto), fields: readFieldRules(crypto) };
}

export function settingsKeyring(settings: Settings, env: Environment): Keyring {
  return loadKeyring(settings.crypto, env);
}

export { DEFAULT_AUDIT_FILE } from './audit/index.js';

/**
 * The audit log: LIBERTY_AUDIT_LOG (its directory must exist), else app.toml [audit] path (a file inside
 * the directory), else audit.jsonl; as a real path. E_BAD_SETTINGS when [audit] path leads outside.
 */
export function auditLogPath(settings: Settings, env: Environment): string {
  const audit = settings.app?.data.audit;
  const path = audit !== undefined && isTable(audit) ? audit.path : undefined;
  if (!env.LIBERTY_AUDIT_LOG && path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new LibertyError('E_BAD_SETTINGS', `${APP_FILE}: audit.path: must be a non-empty string`, {
      file: APP_FILE,
      field: 'audit.path',
    });
  }
  return resolveAuditLogPath(settings.dir, path as string | undefined, env.LIBERTY_AUDIT_LOG, APP_FILE);
}

/** The parsed [permissions] table of app.toml, undefined when there is none. */
export function permissionsTable(settings: Settings): unknown {
  return settings.app?.data.permissions;
}
