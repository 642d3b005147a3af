/** What `fingerprint` reports: the configured keys, their fingerprints, and the stored fingerprint. */
import { parseBlob, type BlobFormat } from './blob.js';
import type { KeySource } from './key-sources.js';
import { createOpener, fingerprintMatches, type Keyring, type KeySlot } from './keyring.js';

export interface KeyDescription {
  env: string;
  set: boolean;
  fingerprint: string | null;
  keyId: string | null;
  /** whether it could seal in the directory's format: v2 needs a 64-hex key; v1 any key but a published or mixed-case one */
  canEncrypt: boolean;
  /** not a 64-hex key: it seals and opens v1 blobs only */
  passphrase: boolean;
  /** where the key was read: the variable (env), a systemd credential, or the file NAME_FILE names; null when unset */
  source: KeySource | null;
}

export interface KeyReport {
  master: KeyDescription;
  legacy: KeyDescription[];
  stored: string | null;
  /** null when there is nothing to compare (no stored fingerprint or no master key) */
  matches: boolean | null;
}

export function describeSlot(slot: KeySlot, format: BlobFormat): KeyDescription {
  const key = slot.key;
  const sealsInFormat = format === 'v2' ? Boolean(key?.aesKey) : !key?.mixedCaseHex;
  return {
    env: slot.env,
    set: Boolean(key),
    fingerprint: key?.fingerprint ?? null,
    keyId: key?.kid ?? null,
    canEncrypt: Boolean(key) && !key!.published && sealsInFormat,
    passphrase: Boolean(key) && !key!.aesKey,
    source: slot.source ?? null,
  };
}

export function describeKeys(keyring: Keyring): KeyReport {
  return {
    master: describeSlot(keyring.master, keyring.format),
    legacy: keyring.legacy.map((slot) => describeSlot(slot, keyring.format)),
    stored: keyring.storedFingerprint ?? null,
    matches: fingerprintMatches(keyring) ?? null,
  };
}

export interface BlobDescription {
  format: BlobFormat;
  /** the key id in a v2 header; null for v1, which names no key */
  keyId: string | null;
  /** the env var of the configured key that opens it */
  opensWith: string;
  role: KeySlot['role'];
}

/** Finds the key that opens a blob by really opening it; the plaintext is dropped at once. */
export async function describeBlob(keyring: Keyring, text: string): Promise<BlobDescription> {
  const blob = parseBlob(text);
  const opened = await createOpener(keyring).open(blob);
  return {
    format: blob.format,
    keyId: blob.format === 'v2' ? blob.kid : null,
    opensWith: opened.slot.env,
    role: opened.slot.role,
  };
}
