/**
 * A key as held in an environment variable: 64 hex characters (32 bytes, either case) encrypt and
 * decrypt; any other non-empty string (the 32-character passphrases of old Liberty installs) can only
 * open legacy-format blobs. Fingerprint = SHA-256 of the key bytes; key id = its first 8 hex chars.
 */
import { createHash } from 'node:crypto';
import { KEY_BYTES } from './aead.js';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

export interface Key {
  /** the environment variable it came from, e.g. LIBERTY_MASTER_KEY */
  env: string;
  /** 32 bytes when the key is hex, else undefined: such a key cannot seal or open v2 blobs */
  aesKey?: Buffer;
  /** the UTF-8 bytes of the string as held in the environment: the PBKDF2 secret of the legacy format */
  passphrase: Buffer;
  fingerprint: string;
  kid: string;
}

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
  return { env, aesKey, passphrase, fingerprint, kid: keyIdOf(fingerprint) };
}

/** Normalises a typed fingerprint: drops spaces and colons, lower-cases. */
export function normaliseFingerprintInput(text: string): string {
  return text.replace(/[\s:]/g, '').toLowerCase();
}

/** Accepts the full 64 hex chars, or a prefix of at least 16, of the expected fingerprint. */
export function fingerprintConfirms(typed: string, expected: string): boolean {
  const candidate = normaliseFingerprintInput(typed);
  if (!/^[0-9a-f]+$/.test(candidate)) return false;
  if (candidate.length < 16 || candidate.length > 64) return false;
  return expected.startsWith(candidate);
}
