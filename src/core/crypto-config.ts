/**
 * The [crypto] table of app.toml: which environment variables hold the master and legacy keys, and the
 * stored master fingerprint. Keys are referenced as ${NAME}; a literal key on disk is refused (exit 3).
 */
import { LibertyError } from './errors.js';

export const DEFAULT_MASTER_ENV = 'LIBERTY_MASTER_KEY';
const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;

export interface CryptoConfig {
  masterEnv: string;
  legacyEnvs: string[];
  storedFingerprint?: string;
}

export function formatEnvRef(name: string): string {
  return `\${${name}}`;
}

export function isEnvName(name: string): boolean {
  return ENV_REF.test(formatEnvRef(name));
}

/** Reads `${NAME}` and returns NAME; anything else is refused without echoing the value. */
export function parseEnvRef(value: unknown, file: string, field: string): string {
  const match = typeof value === 'string' ? ENV_REF.exec(value) : null;
  if (match) return match[1]!;
  const looksLikeRef = typeof value === 'string' && value.includes('${');
  const message = looksLikeRef
    ? `${file}: ${field}: not a valid \${NAME} reference`
    : `${file}: ${field}: must name an environment variable as \${NAME}; a key is never written into a settings file`;
  throw new LibertyError('E_KEY_ON_DISK', message, {
    file,
    field,
    hint: `write ${field.split('.').pop()} = "\${LIBERTY_MASTER_KEY}" and export the key in the environment; if a real key was committed, rotate it`,
  });
}

/** Builds the config from the parsed `[crypto]` table (undefined when app.toml or the table is absent). */
export function readCryptoConfig(crypto: unknown, file = 'app.toml'): CryptoConfig {
  if (crypto === undefined) return { masterEnv: DEFAULT_MASTER_ENV, legacyEnvs: [] };
  if (!isTable(crypto)) throw badSettings(file, 'crypto', 'must be a table');
  const masterEnv = crypto.master_key === undefined ? DEFAULT_MASTER_ENV : parseEnvRef(crypto.master_key, file, 'crypto.master_key');
  const legacyRaw = crypto.legacy_keys ?? [];
  if (!Array.isArray(legacyRaw)) throw badSettings(file, 'crypto.legacy_keys', 'must be an array of ${NAME} references');
  const legacyEnvs = legacyRaw.map((entry, index) => parseEnvRef(entry, file, `crypto.legacy_keys[${index}]`));
  const stored = crypto.fingerprint;
  if (stored !== undefined && (typeof stored !== 'string' || !FINGERPRINT.test(stored))) {
    throw badSettings(file, 'crypto.fingerprint', 'must be 64 lower-case hex characters');
  }
  return { masterEnv, legacyEnvs, ...(stored ? { storedFingerprint: stored } : {}) };
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function badSettings(file: string, field: string, reason: string): LibertyError {
  return new LibertyError('E_BAD_SETTINGS', `${file}: ${field}: ${reason}`, { file, field });
}
