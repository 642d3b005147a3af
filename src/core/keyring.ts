/**
 * The master and legacy keys, resolved from the [crypto] config and an environment map, and the two
 * operations on blobs: seal under the master in the directory's format, open with whichever configured
 * key works.
 */
import { pbkdf2Sync } from 'node:crypto';
import { KEY_BYTES, authFailed, deriveV1Key, openGcm, randomBytesOf, randomNonce, sealGcm, V1_PBKDF2_ITERATIONS } from './aead.js';
import { findBlobs, formatBlob, parseBlob, replaceBlobs, V1_IV_BYTES, V1_SALT_BYTES, v2Aad, type Blob, type BlobFormat } from './blob.js';
import { DEFAULT_FORMAT, type CryptoConfig } from './crypto-config.js';
import { LibertyError, where } from './errors.js';
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
  /** the format new blobs are sealed in */
  format: BlobFormat;
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
    if (value) refuseStrayWhitespace(name, value);
    return value ? { env: name, role, key: parseKey(name, value) } : { env: name, role };
  };
  return {
    master: slot(config.masterEnv, 'master'),
    legacy: config.legacyEnvs.map((name) => slot(name, 'legacy')),
    ...(config.storedFingerprint ? { storedFingerprint: config.storedFingerprint } : {}),
    format: config.format ?? DEFAULT_FORMAT,
  };
}

/**
 * A key is used exactly as set: the v1 format derives from its text, so a trailing newline (what `echo`,
 * a file or `kubectl create secret --from-file` add) makes another key. Never trimmed: named instead.
 */
function refuseStrayWhitespace(name: string, value: string): void {
  const where = /^\s/.test(value) ? 'starts' : /\s$/.test(value) ? 'ends' : undefined;
  if (where === undefined) return;
  const what = /\n$/.test(value) && where === 'ends' ? 'a newline' : 'whitespace';
  throw new LibertyError('E_KEY_MALFORMED', `crypto: ${name} ${where} with ${what}`, {
    hint: `export ${name} without it (printf %s, not echo; kubectl create secret --from-literal, not --from-file): a key is used exactly as set, never trimmed`,
  });
}

export function fingerprintMatches(keyring: Keyring): boolean | undefined {
  if (!keyring.storedFingerprint || !keyring.master.key) return undefined;
  return keyring.master.key.fingerprint === keyring.storedFingerprint;
}

/** The master key, loaded and matching the stored fingerprint; what every use of the keys starts with. */
export function requireMaster(keyring: Keyring): Key {
  const { master } = keyring;
  if (!master.key) {
    // once app.toml stores a fingerprint, blobs exist under that key: a new key would open none of them
    const stored = keyring.storedFingerprint;
    throw new LibertyError('E_MASTER_KEY_NOT_SET', `crypto: master key not set (${master.env} is empty)`, {
      hint: stored
        ? `export the key app.toml's fingerprint names (key id ${stored.slice(0, 8)}) as ${master.env}`
        : `export the master key as ${master.env} (a new install only: generate one with liberty-crypto genkey)`,
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

/**
 * The master key, checked that it can seal in the keyring's format: v2 needs a 64-hex key; v1 derives from
 * the key's text, so a hex key must be spelled as genkey prints it (lower case) for every replica to derive
 * the same key. A published key seals nothing: anyone could open it.
 */
export function requireSealingKey(keyring: Keyring): Key {
  const key = requireMaster(keyring);
  const env = keyring.master.env;
  if (key.published) {
    throw new LibertyError('E_KEY_PUBLISHED', `crypto: ${env} holds the published stock passphrase of old Liberty installs: anyone can open what it seals`, {
      hint: 'rotate now (liberty-crypto genkey, keys rotate --to NAME, rewrap) and treat every secret sealed under it as exposed',
    });
  }
  if (keyring.format === 'v2' && !key.aesKey) {
    throw new LibertyError('E_MASTER_KEY_MALFORMED', 'crypto: master key malformed', {
      hint: `${env} must hold 64 hex characters to seal v2 blobs: generate a key with liberty-crypto genkey and rotate to it (liberty-crypto keys rotate --to NAME)`,
    });
  }
  if (keyring.format === 'v1' && key.mixedCaseHex) {
    throw new LibertyError('E_MASTER_KEY_MALFORMED', `crypto: ${env} is a hex key with upper-case letters: v1 blobs derive from the key's text, so replicas must spell it alike`, {
      hint: `export ${env} in lower case, as liberty-crypto genkey prints it`,
    });
  }
  return key;
}

/** With the u flag, \p{Cs} matches only unpaired surrogates: text that has no UTF-8 form. */
const LONE_SURROGATE = /\p{Cs}/u;

function plaintextBytes(plaintext: string): Buffer {
  // UTF-8 encoding would replace it with U+FFFD: the blob would silently hold another value
  if (LONE_SURROGATE.test(plaintext)) {
    throw new LibertyError('E_BAD_SETTINGS', 'plaintext is not valid unicode (lone surrogate); it has no utf-8 form', {
      hint: 'a settings value must be valid unicode text',
    });
  }
  return Buffer.from(plaintext, 'utf8');
}

function sealV2(key: Key, plaintext: string): string {
  if (!key.aesKey) throw new LibertyError('E_INTERNAL', 'unreachable: v2 seal without a hex key');
  const nonce = randomNonce();
  const sealed = sealGcm(key.aesKey, nonce, plaintextBytes(plaintext), aadOf(key));
  return formatBlob({ format: 'v2', kid: key.kid, nonce, ...sealed });
}

/** A v1 blob under a key already derived for `salt`; the caller wipes `derived`. */
function sealV1(derived: Buffer, salt: Buffer, plaintext: string): string {
  const iv = randomBytesOf(V1_IV_BYTES);
  const sealed = sealGcm(derived, iv, plaintextBytes(plaintext));
  return formatBlob({ format: 'v1', salt, iv, ...sealed });
}

/** Seals a plaintext under the current master key in the keyring's format (one blob: v1 derives in place). */
export function sealValue(keyring: Keyring, plaintext: string): string {
  const key = requireSealingKey(keyring);
  if (keyring.format === 'v2') return sealV2(key, plaintext);
  plaintextBytes(plaintext);
  const salt = randomBytesOf(V1_SALT_BYTES);
  const derived = pbkdf2Sync(key.passphrase, salt, V1_PBKDF2_ITERATIONS, KEY_BYTES, 'sha512');
  try {
    return sealV1(derived, salt, plaintext);
  } finally {
    derived.fill(0);
  }
}

/**
 * Seals under `key` (from requireSealingKey) in the keyring's format, then opens the new blob again and
 * compares, so a write never carries a blob that fails. v1 derives once per blob, on the thread pool, and
 * the check reuses that derivation; v2 opens through the keyring as any reader would.
 */
export async function sealVerified(keyring: Keyring, key: Key, plaintext: string, file: string): Promise<string> {
  let blob: string;
  let reopened: string;
  if (keyring.format === 'v2') {
    blob = sealV2(key, plaintext);
    reopened = (await openBlob(keyring, blob)).plaintext;
  } else {
    plaintextBytes(plaintext);
    const salt = randomBytesOf(V1_SALT_BYTES);
    const derived = await deriveV1Key(key.passphrase, salt);
    try {
      blob = sealV1(derived, salt, plaintext);
      const parsed = parseBlob(blob) as Extract<Blob, { format: 'v1' }>;
      reopened = decodePlaintext(openGcm(derived, parsed.iv, parsed));
    } finally {
      derived.fill(0);
    }
  }
  if (reopened !== plaintext) {
    throw new LibertyError('E_INTERNAL', `${where(file)}a new blob did not open to its plaintext; nothing was written`);
  }
  return blob;
}

/** Whether a blob opened by `opened` is current: in the keyring's format, under the master key. */
export function isCurrent(keyring: Keyring, opened: Pick<OpenedBlob, 'format' | 'slot'>): boolean {
  return opened.format === keyring.format && opened.slot.role === 'master';
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

/** Opens a blob text with the configured keys: v2 by key id (master first), v1 by trial. */
export async function openBlob(keyring: Keyring, text: string): Promise<OpenedBlob> {
  return openParsedBlob(keyring, parseBlob(text));
}

/**
 * A string value with every blob in it opened, as the framework reads it: the plaintext of a whole-value
 * blob, or a URL with its password opened. E_NOT_ENCRYPTED when the value holds no blob.
 */
export async function openValue(keyring: Keyring, value: string): Promise<{ text: string; opened: OpenedBlob[] }> {
  const spans = findBlobs(value);
  if (spans.length === 0) parseBlob(value); // throws E_NOT_ENCRYPTED, naming what an encrypted value looks like
  const opened = await Promise.all(spans.map((span) => openBlob(keyring, span.text)));
  return { text: replaceBlobs(value, spans, opened.map((blob) => blob.plaintext)), opened };
}

export async function openParsedBlob(keyring: Keyring, blob: Blob): Promise<OpenedBlob> {
  requireMaster(keyring);
  return blob.format === 'v2' ? openV2(keyring, blob) : openV1(keyring, blob);
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
 * The slot that opened the last v1 blob of a keyring. A v1 blob names no key, so every wrong key tried
 * costs a PBKDF2; blobs of one install mostly share a key, so that one is tried first. Only the key that
 * sealed a blob can authenticate it, so the order changes the cost, never the result.
 */
const lastV1Opener = new WeakMap<Keyring, string>();

/**
 * The first v1 blob opened with a keyring while no opener is known yet. Blobs of a file are opened
 * all at once: without it each of them would try the master first (a wasted PBKDF2 per blob of the first
 * files in flight); they wait for this one to find the key instead. Only the first wait: when it opens
 * nothing, the others go on without waiting.
 */
const firstV1Probe = new WeakMap<Keyring, Promise<void>>();

async function openV1(keyring: Keyring, blob: Extract<Blob, { format: 'v1' }>): Promise<OpenedBlob> {
  if (!lastV1Opener.has(keyring)) {
    const probe = firstV1Probe.get(keyring);
    if (probe !== undefined) {
      await probe;
    } else {
      const attempt = tryV1Keys(keyring, blob);
      firstV1Probe.set(keyring, attempt.then(() => undefined, () => undefined));
      return attempt;
    }
  }
  return tryV1Keys(keyring, blob);
}

async function tryV1Keys(keyring: Keyring, blob: Extract<Blob, { format: 'v1' }>): Promise<OpenedBlob> {
  const preferred = lastV1Opener.get(keyring);
  const slots = loadedSlots(keyring).sort((a, b) => Number(b.env === preferred) - Number(a.env === preferred));
  for (const slot of slots) {
    const derived = await deriveV1Key(slot.key.passphrase, blob.salt);
    try {
      const bytes = openGcm(derived, blob.iv, blob);
      lastV1Opener.set(keyring, slot.env);
      return { plaintext: decodePlaintext(bytes), format: 'v1', slot };
    } catch (error) {
      if (!(error instanceof LibertyError && error.code === 'E_AUTH_FAILED')) throw error;
    } finally {
      derived.fill(0);
    }
  }
  // a v1 blob names no key: when none of them opens it, the key may be missing or the blob was changed
  throw v1Unopened(keyring);
}

export function noMatchingKey(keyring: Keyring, kid: string): LibertyError {
  const unset = keyring.legacy.filter((slot) => !slot.key).map((slot) => slot.env);
  const note = unset.length > 0 ? ` (unset legacy keys: ${unset.join(', ')})` : '';
  // a master that is not 64 hex characters (stray whitespace, a passphrase) can never match a v2 key id
  const master = keyring.master.key;
  const hint =
    master && !master.aesKey
      ? `${master.env} must hold 64 hex characters to open v2 blobs (a passphrase?)`
      : unset.length > 0
        ? `export ${unset.join(' and ')}: app.toml lists ${unset.length === 1 ? 'it as a legacy key' : 'them as legacy keys'}, but the environment holds no value`
        : 'add the old key back as a legacy key (liberty-crypto keys add-legacy NAME), then run liberty-crypto rewrap';
  return new LibertyError(
    'E_NO_MATCHING_KEY',
    `crypto: no configured key matches key id ${kid}: it is neither the master nor a legacy key${note}`,
    { hint },
  );
}

/** Under v1 a missing key and a changed blob look the same: the tag fails under every key tried. */
function v1Unopened(keyring: Keyring): LibertyError {
  const tried = loadedSlots(keyring).map((slot) => slot.env);
  const unset = keyring.legacy.filter((slot) => !slot.key).map((slot) => slot.env);
  const base = authFailed();
  const note = unset.length > 0 ? ` (unset legacy keys: ${unset.join(', ')})` : '';
  return new LibertyError('E_AUTH_FAILED', `${base.message}: no configured key opens this v1 blob (tried ${tried.join(', ')})${note}`, {
    hint:
      unset.length > 0
        ? `export ${unset.join(', ')} and try again`
        : 'under v1 a missing key and an edited blob look the same: if its key is missing, export it and add it with liberty-crypto keys add-legacy NAME; if the blob was edited, re-encrypt the value from its plaintext source',
  });
}
