/**
 * The master and legacy keys, resolved from the [crypto] config and an environment map, and the two
 * operations on blobs: seal under the master, open with whichever configured key works.
 */
import { authFailed, deriveLegacyKey, openGcm, randomNonce, sealGcm } from './aead.js';
import { formatBlob, parseBlob, v2Aad, type Blob, type BlobFormat } from './blob.js';
import type { CryptoConfig } from './crypto-config.js';
import { LibertyError } from './errors.js';
import { parseKey, type Key } from './keys.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface KeySlot {
  env: string;
  role: 'master' | 'legacy';
  /** undefined when the variable is unset or empty */
  key?: Key;
}

export interface Keyring {
  master: KeySlot;
  legacy: KeySlot[];
  storedFingerprint?: string;
}

export interface OpenedBlob {
  plaintext: string;
  format: BlobFormat;
  /** the slot whose key opened it */
  slot: KeySlot & { key: Key };
}

export function loadKeyring(config: CryptoConfig, env: Environment): Keyring {
  const slot = (name: string, role: KeySlot['role']): KeySlot => {
    const value = env[name];
    return value ? { env: name, role, key: parseKey(name, value) } : { env: name, role };
  };
  return {
    master: slot(config.masterEnv, 'master'),
    legacy: config.legacyEnvs.map((name) => slot(name, 'legacy')),
    ...(config.storedFingerprint ? { storedFingerprint: config.storedFingerprint } : {}),
  };
}

export function fingerprintMatches(keyring: Keyring): boolean | undefined {
  if (!keyring.storedFingerprint || !keyring.master.key) return undefined;
  return keyring.master.key.fingerprint === keyring.storedFingerprint;
}

/** The master key, loaded and matching the stored fingerprint; what every use of the keys starts with. */
export function requireMaster(keyring: Keyring): Key {
  const { master } = keyring;
  if (!master.key) {
    throw new LibertyError('E_MASTER_KEY_NOT_SET', `crypto: master key not set (${master.env} is empty)`, {
      hint: `export the master key as ${master.env} (generate one with liberty-crypto genkey)`,
    });
  }
  if (fingerprintMatches(keyring) === false) {
    const stored = keyring.storedFingerprint!.slice(0, 8);
    throw new LibertyError(
      'E_FINGERPRINT_MISMATCH',
      `crypto: master key fingerprint mismatch: wrong key for this host? (${master.env} has key id ${master.key.kid}, app.toml stores ${stored})`,
      { hint: 'load the key app.toml was set up with, or run liberty-crypto fingerprint --write after a deliberate change' },
    );
  }
  return master.key;
}

/** The master key, checked that it can encrypt (64 hex characters). */
export function requireSealingKey(keyring: Keyring): Key & { aesKey: Buffer } {
  const key = requireMaster(keyring);
  if (!key.aesKey) {
    throw new LibertyError('E_MASTER_KEY_MALFORMED', 'crypto: master key malformed', {
      hint: `${keyring.master.env} must hold 64 hex characters to encrypt: generate a key with liberty-crypto genkey and rotate to it (liberty-crypto keys rotate --to NAME)`,
    });
  }
  return key as Key & { aesKey: Buffer };
}

/** With the u flag, \p{Cs} matches only unpaired surrogates: text that has no UTF-8 form. */
const LONE_SURROGATE = /\p{Cs}/u;

export function sealWithKey(key: Key & { aesKey: Buffer }, plaintext: string): string {
  // UTF-8 encoding would replace it with U+FFFD: the blob would silently hold another value
  if (LONE_SURROGATE.test(plaintext)) {
    throw new LibertyError('E_BAD_SETTINGS', 'plaintext is not valid unicode (lone surrogate); it has no utf-8 form', {
      hint: 'a settings value must be valid unicode text',
    });
  }
  const nonce = randomNonce();
  const sealed = sealGcm(key.aesKey, nonce, Buffer.from(plaintext, 'utf8'), aadOf(key));
  return formatBlob({ format: 'v2', kid: key.kid, nonce, ...sealed });
}

/** Seals a plaintext under the current master key as a v2 blob. */
export function sealValue(keyring: Keyring, plaintext: string): string {
  return sealWithKey(requireSealingKey(keyring), plaintext);
}

function loadedSlots(keyring: Keyring): Array<KeySlot & { key: Key }> {
  return [keyring.master, ...keyring.legacy].filter((slot): slot is KeySlot & { key: Key } => slot.key !== undefined);
}

// ignoreBOM: a plaintext that starts with U+FEFF keeps it (the decoder would strip it by default)
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodePlaintext(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new LibertyError('E_MALFORMED_BLOB', 'malformed blob: plaintext is not utf-8');
  } finally {
    bytes.fill(0);
  }
}

/** Opens a blob text with the configured keys: v2 by key id (master first), legacy by trial. */
export async function openBlob(keyring: Keyring, text: string): Promise<OpenedBlob> {
  return openParsedBlob(keyring, parseBlob(text));
}

export async function openParsedBlob(keyring: Keyring, blob: Blob): Promise<OpenedBlob> {
  requireMaster(keyring);
  return blob.format === 'v2' ? openV2(keyring, blob) : openLegacy(keyring, blob);
}

function openV2(keyring: Keyring, blob: Extract<Blob, { format: 'v2' }>): OpenedBlob {
  const slot = v2Slot(keyring, blob.kid);
  if (!slot) throw noMatchingKey(keyring, blob.kid);
  const bytes = openGcm(slot.key.aesKey!, blob.nonce, blob, aadOf(slot.key));
  return { plaintext: decodePlaintext(bytes), format: 'v2', slot };
}

/** The slot whose key opens v2 blobs of key id `kid`: the master first, then the legacy keys in order. */
function v2Slot(keyring: Keyring, kid: string): (KeySlot & { key: Key }) | undefined {
  const { master } = keyring;
  if (master.key?.aesKey && master.key.kid === kid) return master as KeySlot & { key: Key };
  return loadedSlots(keyring).find((candidate) => candidate.key.aesKey && candidate.key.kid === kid);
}

/** The v2 additional data of each key, made once: opening thousands of blobs asks for it every time. */
const AAD_OF_KEY = new WeakMap<Key, Buffer>();

function aadOf(key: Key): Buffer {
  let aad = AAD_OF_KEY.get(key);
  if (aad === undefined) {
    aad = v2Aad(key.kid);
    AAD_OF_KEY.set(key, aad);
  }
  return aad;
}

/**
 * The slot that opened the last legacy blob of a keyring. A legacy blob names no key, so every wrong key
 * tried costs a PBKDF2; blobs of one install mostly share a key, so that one is tried first. Only the key
 * that sealed a blob can authenticate it, so the order changes the cost, never the result.
 */
const lastLegacyOpener = new WeakMap<Keyring, string>();

/**
 * The first legacy blob opened with a keyring while no opener is known yet. Blobs of a file are opened
 * all at once: without it each of them would try the master first (a wasted PBKDF2 per blob of the first
 * files in flight); they wait for this one to find the key instead. Only the first wait: when it opens
 * nothing, the others go on without waiting.
 */
const firstLegacyProbe = new WeakMap<Keyring, Promise<void>>();

async function openLegacy(keyring: Keyring, blob: Extract<Blob, { format: 'legacy' }>): Promise<OpenedBlob> {
  if (!lastLegacyOpener.has(keyring)) {
    const probe = firstLegacyProbe.get(keyring);
    if (probe !== undefined) {
      await probe;
    } else {
      const attempt = tryLegacyKeys(keyring, blob);
      firstLegacyProbe.set(keyring, attempt.then(() => undefined, () => undefined));
      return attempt;
    }
  }
  return tryLegacyKeys(keyring, blob);
}

async function tryLegacyKeys(keyring: Keyring, blob: Extract<Blob, { format: 'legacy' }>): Promise<OpenedBlob> {
  const preferred = lastLegacyOpener.get(keyring);
  const slots = loadedSlots(keyring).sort((a, b) => Number(b.env === preferred) - Number(a.env === preferred));
  for (const slot of slots) {
    const derived = await deriveLegacyKey(slot.key.passphrase, blob.salt);
    try {
      const bytes = openGcm(derived, blob.iv, blob);
      lastLegacyOpener.set(keyring, slot.env);
      return { plaintext: decodePlaintext(bytes), format: 'legacy', slot };
    } catch (error) {
      if (!(error instanceof LibertyError && error.code === 'E_AUTH_FAILED')) throw error;
    } finally {
      derived.fill(0);
    }
  }
  // a legacy blob names no key: when none of them opens it, that is an authentication failure
  throw authFailed();
}

export function noMatchingKey(keyring: Keyring, kid: string): LibertyError {
  const unset = keyring.legacy.filter((slot) => !slot.key).map((slot) => slot.env);
  const note = unset.length > 0 ? ` (unset legacy keys: ${unset.join(', ')})` : '';
  // a master that is not 64 hex characters (stray whitespace, a passphrase) can never match a v2 key id
  const master = keyring.master.key;
  const hint =
    master && !master.aesKey
      ? `${master.env} must hold 64 hex characters to open v2 blobs (stray whitespace, or a passphrase?)`
      : 'add the old key back as a legacy key, then run liberty-crypto rewrap';
  return new LibertyError(
    'E_NO_MATCHING_KEY',
    `crypto: no configured key matches key id ${kid}: it is neither the master nor a legacy key${note}`,
    { hint },
  );
}
