/**
 * A key as held in an environment variable: 64 hex characters (32 bytes, as `genkey` prints them) or any
 * other non-empty string (the 32-character passphrases of old Liberty installs). The v1 format derives its
 * AES key from the key's text, so any key works there; v2 uses the 32 bytes of a hex key, so only a hex
 * key can seal or open v2 blobs. Fingerprint = SHA-256 of the key bytes; key id = its first 8 hex chars.
 */
import { createHash } from 'node:crypto';
import { KEY_BYTES } from './aead.js';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

export interface Key {
  /** the environment variable it came from, e.g. LIBERTY_MASTER_KEY */
  env: string;
  /** 32 bytes when the key is hex, else undefined: such a key cannot seal or open v2 blobs */
  aesKey?: Buffer;
  /** the UTF-8 bytes of the string as held in the environment: the PBKDF2 secret of the v1 format */
  passphrase: Buffer;
  fingerprint: string;
  kid: string;
  /**
   * A hex key with upper-case letters: its fingerprint (of the bytes) equals that of the lower-case
   * spelling, but its v1 blobs (of the text) do not open with it. A replica exporting the other case
   * would hold blobs the other cannot read.
   */
  mixedCaseHex: boolean;
  /** the published stock passphrase of old Liberty installs: anyone can open what it seals */
  published: boolean;
}

/**
 * Fingerprints of keys that are public knowledge: the stock passphrase that Liberty installs shipped
 * with for years. Compared by fingerprint, so the value itself is not kept in the code.
 */
const PUBLISHED_KEY_FINGERPRINTS: ReadonlySet<string> = new Set(['ca7515a3a561ab23481c3c53f3d8f5f2d0f2b4587a0735e9c4e9044748354f7b']);

export function isHexKey(value: string): boolean {
  return HEX_KEY.test(value);
}

export function fingerprintOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function keyIdOf(fingerprint: string): string {
  return fingerprint.slice(0, 8);
}

/** Builds a Key from a non-empty environment value. Validation of emptiness is the caller's job. */
export function parseKey(env: string, value: string): Key {
  const aesKey = isHexKey(value) ? Buffer.from(value, 'hex') : undefined;
  if (aesKey && aesKey.length !== KEY_BYTES) throw new Error('unreachable: hex key length');
  const passphrase = Buffer.from(value, 'utf8');
  const fingerprint = fingerprintOf(aesKey ?? passphrase);
  return {
    env,
    aesKey,
    passphrase,
    fingerprint,
    kid: keyIdOf(fingerprint),
    mixedCaseHex: aesKey !== undefined && value !== value.toLowerCase(),
    published: PUBLISHED_KEY_FINGERPRINTS.has(fingerprint),
  };
}

/** Normalises a typed fingerprint: drops spaces and colons, lower-cases. */
export function normaliseFingerprintInput(text: string): string {
  return text.replace(/[\s:]/g, '').toLowerCase();
}

/** The shortest prefix of a fingerprint that confirms it: twice the key id, which is shown everywhere. */
export const FINGERPRINT_MIN_PREFIX = 16;

/**
 * True when `typed` is too short to confirm any fingerprint (the 8-character key id, an empty entry):
 * not a wrong fingerprint but an entry to ask for again. It depends on the length only, so it tells
 * nothing about the fingerprint.
 */
export function fingerprintEntryTooShort(typed: string): boolean {
  return normaliseFingerprintInput(typed).length < FINGERPRINT_MIN_PREFIX;
}

/** Accepts the full 64 hex chars, or a prefix of at least 16, of the expected fingerprint. */
export function fingerprintConfirms(typed: string, expected: string): boolean {
  const candidate = normaliseFingerprintInput(typed);
  if (!/^[0-9a-f]+$/.test(candidate)) return false;
  if (candidate.length < FINGERPRINT_MIN_PREFIX || candidate.length > 64) return false;
  return expected.startsWith(candidate);
}
