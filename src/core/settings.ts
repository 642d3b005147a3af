/**
 * The settings directory as core sees it: app.toml and its [crypto] table, the keyring that follows
 * from it, and reading one settings file. All paths given to users are relative to the directory.
 */
import { readFileSync } from 'node:fs';
import { resolveAuditLogPath } from './audit-location.js';
import { checkSettingsDir, missingSettingsDir, resolveInside } from './crawl.js';
import { isTable, readCryptoConfig, type CryptoConfig } from './crypto-config.js';
import { LibertyError, ioError } from './errors.js';
import { loadKeyring, type Environment, type Keyring } from './keyring.js';
import { readFieldRules, type FieldRules } from './secret-fields.js';
import { parseTomlDocument, type TomlDocument } from './toml-edit.js';

export const APP_FILE = 'app.toml';

export interface Settings {
  dir: string;
  /** app.toml, when present */
  app?: TomlDocument;
  crypto: CryptoConfig;
  fields: FieldRules;
}

export interface LoadOptions {
  /** false: a missing directory is read as empty (the ./config default for blob-only commands) */
  mustExist: boolean;
}

/** Reads one settings file (relative path) into a parsed document. */
export async function readSettingsFile(dir: string, file: string): Promise<TomlDocument> {
  const path = resolveInside(dir, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path); // settings files are small: a sync read costs far less than fs/promises
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LibertyError('E_FIELD_NOT_FOUND', `${file}: file not found in the settings directory`, { file });
    }
    throw ioError('read', file, error);
  }
  return parseTomlDocument(file, bytes);
}

/** app.toml as it is on disk now; an empty document when there is none yet (a write will create it). */
export async function readAppDocument(settings: Settings): Promise<TomlDocument> {
  try {
    return await readSettingsFile(settings.dir, APP_FILE);
  } catch (error) {
    if (error instanceof LibertyError && error.code === 'E_FIELD_NOT_FOUND') return parseTomlDocument(APP_FILE, '');
    throw error;
  }
}

export async function loadSettings(dir: string, options: LoadOptions = { mustExist: true }): Promise<Settings> {
  const exists = await checkSettingsDir(dir);
  if (!exists) {
    if (options.mustExist) throw missingSettingsDir(dir);
    return { dir, crypto: readCryptoConfig(undefined), fields: readFieldRules(undefined) };
  }
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

export { DEFAULT_AUDIT_FILE } from './audit-location.js';

/**
 * The audit log: LIBERTY_AUDIT_LOG (its directory must exist), else app.toml [audit] path (a file inside
 * the directory), else audit.jsonl; as a real path. E_BAD_SETTINGS when [audit] path leads outside.
 */
export function auditLogPath(settings: Settings, env: Environment): string {
  const audit = settings.app?.data.audit;
  const path = audit !== undefined && isTable(audit) ? audit.path : undefined;
  if (!env.LIBERTY_AUDIT_LOG && path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new LibertyError('E_BAD_SETTINGS', `${APP_FILE}: audit.path: must be a non-empty string`, { file: APP_FILE, field: 'audit.path' });
  }
  return resolveAuditLogPath(settings.dir, path as string | undefined, env.LIBERTY_AUDIT_LOG, APP_FILE);
}

/** The parsed [permissions] table of app.toml, undefined when there is none. */
export function permissionsTable(settings: Settings): unknown {
  return settings.app?.data.permissions;
}
