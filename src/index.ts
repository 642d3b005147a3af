/**
 * The library API of liberty-crypto, for programs that read Liberty settings (the framework runtime
 * first): load the keyring, open and seal blobs, load settings files with every blob opened.
 * It never loads oclif or anything of the terminal. Every failure about settings, keys or blobs is a
 * LibertyError with the same code as the CLI's; an argument of the wrong type is a TypeError.
 * This is the API boundary: the only place that falls back to process.env (core never reads it).
 */
import { isBlobText } from './core/blob.js';
import { EXIT_CODES, EXIT_STATUS, LibertyError, type ErrorCode } from './core/errors.js';
import {
  loadKeyring as keyringFromConfig,
  openBlob as openWithRing,
  requireMaster,
  sealValue as sealWithRing,
  type Environment,
  type Keyring as Ring,
} from './core/keyring.js';
import { readSettingsData, readSettingsSections, type SettingsTable, type SettingsValue } from './core/settings-values.js';
import { loadSettings } from './core/settings.js';

export { EXIT_CODES, EXIT_STATUS, isBlobText, LibertyError, type Environment, type ErrorCode, type SettingsTable, type SettingsValue };

/** The keys of a settings directory, ready to open and seal. Holds no key material you can read or print. */
export interface Keyring {
  /** the environment variable holding the master key (app.toml crypto.master_key) */
  readonly masterEnv: string;
  /** SHA-256 of the master key, 64 lower-case hex characters */
  readonly fingerprint: string;
  /** the key id: the fingerprint's first 8 characters, as in ENC:v2:<kid>: */
  readonly keyId: string;
  /** the legacy keys in the order they are tried; keyId is undefined when the variable is unset */
  readonly legacy: ReadonlyArray<{ readonly env: string; readonly keyId?: string }>;
}

/** Where the keys come from: a keyring from loadKeyring, or an environment map (default process.env). */
export type LoadOptions = { keyring: Keyring; env?: never } | { keyring?: never; env?: Environment };

/** The key material behind each Keyring handed out; a Keyring not made here opens nothing. */
const RINGS = new WeakMap<Keyring, Ring>();

/**
 * Reads app.toml [crypto] of `settingsDir` and resolves the keys from `env`. Throws E_MASTER_KEY_NOT_SET,
 * E_FINGERPRINT_MISMATCH, E_KEY_ON_DISK, E_BAD_SETTINGS, E_INVALID_TOML, E_IO.
 */
export async function loadKeyring(settingsDir: string, env: Environment = process.env): Promise<Keyring> {
  checkString('settingsDir', settingsDir);
  const ring = await ringOf(settingsDir, env);
  const master = requireMaster(ring);
  const keyring: Keyring = Object.freeze({
    masterEnv: ring.master.env,
    fingerprint: master.fingerprint,
    keyId: master.kid,
    legacy: Object.freeze(ring.legacy.map((slot) => Object.freeze(slot.key ? { env: slot.env, keyId: slot.key.kid } : { env: slot.env }))),
  });
  RINGS.set(keyring, ring);
  return keyring;
}

/** The plaintext of a blob (v1 or v2), opened with the master or a legacy key. */
export async function openBlob(keyring: Keyring, blob: string): Promise<string> {
  const ring = ringFor(keyring);
  checkString('blob', blob);
  return (await openWithRing(ring, blob)).plaintext;
}

/**
 * A new blob of `plaintext` under the master key, in the directory's format (app.toml [crypto] format, v1
 * when absent). v2 needs a 64-hex key, else E_MASTER_KEY_MALFORMED; the published stock passphrase seals
 * nothing (E_KEY_PUBLISHED).
 */
export function sealValue(keyring: Keyring, plaintext: string): string {
  const ring = ringFor(keyring);
  checkString('plaintext', plaintext); // a lone surrogate is refused by the keyring's seal
  return sealWithRing(ring, plaintext);
}

/** One settings file (`file` relative to `settingsDir`) as plain data, every blob opened. */
export async function loadSettingsFile(settingsDir: string, file: string, options: LoadOptions = {}): Promise<SettingsTable> {
  checkString('settingsDir', settingsDir);
  checkString('file', file);
  return readSettingsData(settingsDir, file, await ringForLoad(settingsDir, options));
}

/** Every settings file of `settingsDir`, keyed by section (`app.toml` -> `app`, `tenants/acme.toml` -> `tenants/acme`). */
export async function loadSettingsDirectory(settingsDir: string, options: LoadOptions = {}): Promise<Record<string, SettingsTable>> {
  checkString('settingsDir', settingsDir);
  return readSettingsSections(settingsDir, await ringForLoad(settingsDir, options));
}

async function ringOf(settingsDir: string, env: Environment): Promise<Ring> {
  if (typeof env !== 'object' || env === null) throw new TypeError('env must be an object of environment variables');
  return keyringFromConfig((await loadSettings(settingsDir, { mustExist: true })).crypto, env);
}

/**
 * The keys for loading settings. From an environment map, the master key is needed only once a blob has
 * to be opened (an install with no blobs loads without it), but a master key that is set must match
 * the stored fingerprint: a wrong key on the wrong host fails at once.
 */
async function ringForLoad(settingsDir: string, options: LoadOptions): Promise<Ring> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  if (options.keyring !== undefined) {
    if (options.env !== undefined) throw new TypeError('pass options.keyring or options.env, not both');
    return ringFor(options.keyring);
  }
  const ring = await ringOf(settingsDir, options.env ?? process.env);
  if (ring.master.key) requireMaster(ring);
  return ring;
}

function ringFor(keyring: Keyring): Ring {
  const ring = typeof keyring === 'object' && keyring !== null ? RINGS.get(keyring) : undefined;
  if (!ring) throw new TypeError('keyring must be a Keyring returned by loadKeyring');
  return ring;
}

function checkString(name: string, value: unknown): void {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
}
