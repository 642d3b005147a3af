/**
 * The [crypto] table of app.toml: which environment variables hold the master and legacy keys, the
 * stored master fingerprint, and the blob format the directory writes. Keys are referenced as ${NAME},
 * or as ${NAME:-default} (the framework's syntax: NAME is the key's source; a non-empty default is a key
 * written on disk, reported by status and never used). A literal key on disk is refused (exit 3).
 */
import type { BlobFormat } from './blob.js';
import { hasDefaultOnDisk, parseEnvReference } from './env-reference.js';
import { LibertyError } from './errors.js';
import { isTable } from './toml/index.js';
import { APP_FILE } from './settings-directory.js';

export { formatEnvRef, isEnvName } from './env-reference.js';

export const DEFAULT_MASTER_ENV = 'LIBERTY_MASTER_KEY';
/** Every Liberty runtime reads v1: a directory that does not say otherwise is written in it. */
export const DEFAULT_FORMAT: BlobFormat = 'v1';
export const BLOB_FORMATS: readonly BlobFormat[] = ['v1', 'v2'];
const FINGERPRINT = /^[0-9a-f]{64}$/;

export interface CryptoConfig {
  masterEnv: string;
  legacyEnvs: string[];
  storedFingerprint?: string;
  /** the format new blobs are written in */
  format: BlobFormat;
  /** whether app.toml names the format (false: the v1 default) */
  formatExplicit: boolean;
  /** key references with a non-empty default: a key written on disk (the field, never the value) */
  keyDefaultsOnDisk: Array<{ field: string; env: string }>;
}

interface KeyReference {
  env: string;
  defaultOnDisk: boolean;
}

/** Reads `${NAME}` or `${NAME:-default}`; anything else is refused without echoing the value. */
function parseKeyReference(value: unknown, file: string, field: string): KeyReference {
  const reference = typeof value === 'string' ? parseEnvReference(value) : undefined;
  if (reference) return { env: reference.name, defaultOnDisk: hasDefaultOnDisk(reference) };
  const text = typeof value === 'string' ? value : '';
  // `$NAME` is the shell's spelling: the framework reads only ${NAME}
  const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(text)?.[1];
  const isLegacy = field.startsWith('crypto.legacy_keys');
  const example = bare ?? (isLegacy ? 'LIBERTY_MASTER_KEY_OLD' : 'LIBERTY_MASTER_KEY');
  const message = bare
    ? `${file}: ${field}: $${bare} needs braces: the framework reads \${NAME} references only`
    : text.includes('${')
      ? `${file}: ${field}: not a valid \${NAME} reference`
      : `${file}: ${field}: must name an environment variable as \${NAME}; a key is never written into a settings file`;
  const line = isLegacy ? `legacy_keys = ["\${${example}}"]` : `master_key = "\${${example}}"`;
  const after = bare ? '' : ` and export the key as ${example} in the environment; if a real key was committed, rotate it`;
  throw new LibertyError('E_KEY_ON_DISK', message, { file, field, hint: `write ${line} under [crypto]${after}` });
}

/** Builds the config from the parsed `[crypto]` table (undefined when app.toml or the table is absent). */
export function readCryptoConfig(crypto: unknown, file = APP_FILE): CryptoConfig {
  const config: CryptoConfig = {
    masterEnv: DEFAULT_MASTER_ENV,
    legacyEnvs: [],
    format: DEFAULT_FORMAT,
    formatExplicit: false,
    keyDefaultsOnDisk: [],
  };
  if (crypto === undefined) return config;
  if (!isTable(crypto)) throw badSettings(file, 'crypto', 'must be a table');
  const reference = (value: unknown, field: string): string => {
    const parsed = parseKeyReference(value, file, field);
    if (parsed.defaultOnDisk) config.keyDefaultsOnDisk.push({ field, env: parsed.env });
    return parsed.env;
  };
  if (crypto.master_key !== undefined) config.masterEnv = reference(crypto.master_key, 'crypto.master_key');
  const legacyRaw = crypto.legacy_keys ?? [];
  if (!Array.isArray(legacyRaw)) throw badSettings(file, 'crypto.legacy_keys', 'must be an array of ${NAME} references');
  config.legacyEnvs = legacyRaw.map((entry, index) => reference(entry, `crypto.legacy_keys[${index}]`));
  const stored = crypto.fingerprint;
  if (stored !== undefined && (typeof stored !== 'string' || !FINGERPRINT.test(stored))) {
    throw badSettings(file, 'crypto.fingerprint', 'must be 64 lower-case hex characters');
  }
  if (stored) config.storedFingerprint = stored;
  if (crypto.format !== undefined) {
    if (!BLOB_FORMATS.includes(crypto.format as BlobFormat)) throw badSettings(file, 'crypto.format', 'must be "v1" or "v2"');
    config.format = crypto.format as BlobFormat;
    config.formatExplicit = true;
  }
  return config;
}

function badSettings(file: string, field: string, reason: string): LibertyError {
  return new LibertyError('E_BAD_SETTINGS', `${file}: ${field}: ${reason}`, { file, field });
}
