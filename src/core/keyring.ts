/**
 * The master and legacy keys, resolved from the [crypto] config and an environment map, and the two
 * operations on blobs: seal under the master in the directory's format, open with whichever configured
 * key works.
 */
import { pbkdf2Sync } from 'node:crypto';
import { KEY_BYTES, deriveV1Key, openGcm, randomBytesOf, randomNonce, sealGcm, V1_PBKDF2_ITERATIONS } from './aead.js';
import {
  findBlobs,
  formatBlob,
  parseBlob,
  replaceBlobs,
  V1_IV_BYTES,
  V1_SALT_BYTES,
  v2Aad,
  type Blob,
  type BlobFormat,
  type V2Blob,
} from './blob.js';
import { DEFAULT_FORMAT, type CryptoConfig } from './crypto-config.js';
import { LibertyError, where } from './errors.js';
import { readKeyText, type KeySource } from './key-sources.js';
import { noMatchingKey, v1Unopened } from './no-key-errors.js';
import { parseKey, type Key } from './keys.js';
import { hasLoneSurrogate } from './toml/index.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface KeySlot {
  env: string;
  role: 'master' | 'legacy';
  /** undefined when the variable is unset or empty (and no credential or key file holds it) */
  key?: Key;
  /** where the key was read (key-sources.ts); undefined when it is not set */
  source?: KeySource;
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
    const found = readKeyText(name, env);
    if (!found) return { env: name, role };
    if (found.source === 'env') refuseStrayWhitespace(name, found.value); // a file's text is checked as it is read
    return { env: name, role, key: parseKey(name, found.value), source: found.source };
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
  const key = requireLoadedMaster(keyring);
  if (fingerprintMatches(keyring) === false) {
    const stored = keyring.storedFingerprint!.slice(0, 8);
    throw new LibertyError(
      'E_FINGERPRINT_MISMATCH',
      `crypto: master key fingerprint mismatch: wrong key for this host? (${keyring.master.env} has key id ${key.kid}, app.toml stores ${stored})`,
      { hint: 'load the key app.toml was set up with, or run liberty-crypto fingerprint --write after a deliberate change' },
    );
  }
  return key;
}

/** The master key, loaded; whether it matches the stored fingerprint is not asked (status reports it). */
function requireLoadedMaster(keyring: Keyring): Key {
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
    throw new LibertyError(
      'E_KEY_PUBLISHED',
      `crypto: ${env} holds the published stock passphrase of old Liberty installs: anyone can open what it seals`,
      {
        hint: 'rotate now (liberty-crypto genkey, keys rotate --to NAME, rewrap) and treat every secret sealed under it as exposed',
      },
    );
  }
  if (keyring.format === 'v2' && !key.aesKey) {
    throw new LibertyError('E_MASTER_KEY_MALFORMED', 'crypto: master key malformed', {
      hint: `${env} must hold 64 hex characters to seal v2 blobs: generate a key with liberty-crypto genkey and rotate to it (liberty-crypto keys rotate --to NAME)`,
    });
  }
  if (keyring.format === 'v1' && key.mixedCaseHex) {
    throw new LibertyError(
      'E_MASTER_KEY_MALFORMED',
      `crypto: ${env} is a hex key with upper-case letters: v1 blobs derive from the key's text, so replicas must spell it alike`,
      {
        hint: `export ${env} in lower case, as liberty-crypto genkey prints it`,
      },
    );
  }
  return key;
}

function plaintextBytes(plaintext: string): Buffer {
  // UTF-8 encoding would replace it with U+FFFD: the blob would silently hold another value
  if (hasLoneSurrogate(plaintext)) {
    throw new LibertyError('E_BAD_SETTINGS', 'plaintext is not valid unicode (lone surrogate); it has no utf-8 form', {
      hint: 'a settings value must be valid unicode text',
    });
  }
  return Buffer.from(plaintext, 'utf8');
}

function sealV2(key: Key, plaintext: string): string {
  if (!key.aesKey) throw new LibertyError('E_INTERNAL', 'unreachable: v2 seal without a hex key');
  const nonce = randomNonce();
  const sealed = sealGcm(key.aesKey, nonce, plaintextBytes(plaintext), v2Aad(key.kid));
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
export async function sealVerified(
  keyring: Keyring,
  key: Key,
  plaintext: string,
  file: string,
  opener?: BlobOpener, // one for a run of many seals
): Promise<string> {
  let blob: string;
  let reopened: string;
  if (keyring.format === 'v2') {
    blob = sealV2(key, plaintext);
    const parsed = parseBlob(blob);
    if (parsed.format !== 'v2') throw new LibertyError('E_INTERNAL', 'unreachable: a v2 seal made another format');
    reopened = (opener ?? createOpener(keyring)).openV2(parsed).plaintext; // at once: no promise per blob
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

/**
 * Which configured keys an opener tries on a blob, in order: the one pure rule of the keyring.
 *  - v2 names its key: the loaded slots whose 64-hex key has that key id, the master first (a key listed
 *    both as master and as legacy opens as master, so it counts as current).
 *  - v1 names no key: every loaded slot, the master first, then the legacy keys in their listed order;
 *    except that `preferred`, the slot that opened the last v1 blob, goes first. Blobs of one install
 *    mostly share a key and each wrong key costs a PBKDF2; only the key that sealed a blob authenticates
 *    it, so the order changes the cost, never the result.
 */
export function trialOrder(
  slots: ReadonlyArray<KeySlot>,
  blob: { format: 'v2'; kid: string } | { format: 'v1' },
  preferred?: string,
): Array<KeySlot & { key: Key }> {
  const loaded = slots.filter((slot): slot is KeySlot & { key: Key } => slot.key !== undefined);
  if (blob.format === 'v2') return loaded.filter((slot) => slot.key.aesKey !== undefined && slot.key.kid === blob.kid).slice(0, 1);
  const first = loaded.filter((slot) => slot.env === preferred).slice(0, 1);
  return [...first, ...loaded.filter((slot) => !first.includes(slot))];
}

/** What an opener may skip or narrow; the keyring itself stays as loaded. */
export interface OpenerOptions {
  /** open without the stored-fingerprint check: status reports a mismatch instead of stopping at it */
  skipFingerprintCheck?: boolean;
  /** try this one configured key alone, as if it were the only one (which blobs still need a legacy key) */
  only?: KeySlot;
}

/** Opens blobs with the configured keys, for one run: it learns which key opens v1 blobs (see trialOrder). */
export interface BlobOpener {
  open(blob: Blob): Promise<OpenedBlob>;
  /** A v2 blob, opened at once: it names its key, so nothing waits on the thread pool (no promise per blob). */
  openV2(blob: V2Blob): OpenedBlob;
  openText(text: string): Promise<OpenedBlob>;
  /**
   * A string value with every blob in it opened, as the framework reads it: the plaintext of a whole-value
   * blob, or a URL with its password opened. E_NOT_ENCRYPTED when the value holds no blob.
   */
  openValue(value: string): Promise<{ text: string; opened: OpenedBlob[] }>;
}

export function createOpener(keyring: Keyring, options: OpenerOptions = {}): BlobOpener {
  const slots = options.only ? [options.only] : [keyring.master, ...keyring.legacy];
  // the slot that opened the last v1 blob, and the first v1 attempt while none has: blobs of a file are
  // opened all at once, and without the wait each would try the master first (a wasted PBKDF2 each)
  let lastV1Opener: string | undefined;
  let firstV1Probe: Promise<void> | undefined;

  const tryV1 = async (blob: Extract<Blob, { format: 'v1' }>): Promise<OpenedBlob> => {
    for (const slot of trialOrder(slots, blob, lastV1Opener)) {
      const derived = await deriveV1Key(slot.key.passphrase, blob.salt);
      try {
        const bytes = openGcm(derived, blob.iv, blob);
        lastV1Opener = slot.env;
        return { plaintext: decodePlaintext(bytes), format: 'v1', slot };
      } catch (error) {
        if (!(error instanceof LibertyError && error.code === 'E_AUTH_FAILED')) throw error;
      } finally {
        derived.fill(0);
      }
    }
    // a v1 blob names no key: when none of them opens it, the key may be missing or the blob was changed
    throw v1Unopened(keyring, slots);
  };

  const checkMaster = () => {
    if (options.only === undefined) {
      if (options.skipFingerprintCheck) requireLoadedMaster(keyring);
      else requireMaster(keyring);
    }
  };

  // the key a v2 key id names, and its additional data, found once per key id (trialOrder's rule)
  const byKid = new Map<string, { slot: KeySlot & { key: Key }; aad: Buffer } | null>();
  const openV2 = (blob: V2Blob): OpenedBlob => {
    checkMaster();
    let known = byKid.get(blob.kid);
    if (known === undefined) {
      const [slot] = trialOrder(slots, blob);
      known = slot ? { slot, aad: v2Aad(slot.key.kid) } : null;
      byKid.set(blob.kid, known);
    }
    if (!known) throw noMatchingKey(keyring, blob.kid);
    const bytes = openGcm(known.slot.key.aesKey!, blob.nonce, blob, known.aad);
    return { plaintext: decodePlaintext(bytes), format: 'v2', slot: known.slot };
  };

  const open = async (blob: Blob): Promise<OpenedBlob> => {
    if (blob.format === 'v2') return openV2(blob);
    checkMaster();
    if (lastV1Opener === undefined) {
      if (firstV1Probe === undefined) {
        const attempt = tryV1(blob);
        firstV1Probe = attempt.then(
          () => undefined,
          () => undefined,
        );
        return attempt;
      }
      await firstV1Probe;
    }
    return tryV1(blob);
  };

  const openText = (text: string) => open(parseBlob(text));
  return {
    open,
    openV2,
    openText,
    async openValue(value) {
      const spans = findBlobs(value);
      if (spans.length === 0) parseBlob(value); // throws E_NOT_ENCRYPTED, naming what an encrypted value looks like
      const opened = await Promise.all(spans.map((span) => openText(span.text)));
      return {
        text: replaceBlobs(
          value,
          spans,
          opened.map((blob) => blob.plaintext),
        ),
        opened,
      };
    },
  };
}

/** Opens one blob text with the configured keys (a fresh opener: for many blobs, use createOpener). */
export async function openBlob(keyring: Keyring, text: string): Promise<OpenedBlob> {
  return createOpener(keyring).openText(text);
}

/** Opens every blob of one string value (a fresh opener: for many values, use createOpener). */
export async function openValue(keyring: Keyring, value: string): Promise<{ text: string; opened: OpenedBlob[] }> {
  return createOpener(keyring).openValue(value);
}
