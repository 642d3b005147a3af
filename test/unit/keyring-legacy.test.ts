import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadKeyring, openBlob } from '../../src/core/keyring.js';
import { cryptoConfig } from '../support/settings.js';
import { KEY_A, KEY_B, LEGACY_PASSPHRASE } from '../support/cli.js';

// count the PBKDF2 derivations the keyring asks for; they still run for real
const derivations = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    pbkdf2: (...args: Parameters<typeof actual.pbkdf2>) => {
      derivations.count += 1;
      return actual.pbkdf2(...args);
    },
  };
});

/** A legacy-format blob: ENC:base64(salt64 | iv16 | tag16 | ct), key = PBKDF2-HMAC-SHA512(secret, salt, 2145, 32). */
function sealLegacy(secret: string, plaintext: string): string {
  const salt = randomBytes(64);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-gcm', pbkdf2Sync(Buffer.from(secret, 'utf8'), salt, 2145, 32, 'sha512'), iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `ENC:${Buffer.concat([salt, iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

describe('opening legacy blobs all at once', () => {
  beforeEach(() => {
    derivations.count = 0;
  });

  it('derives a key for the master once, then only with the key that opened the first blob', async () => {
    const keyring = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: ['OLD'] }), { M: KEY_A, OLD: LEGACY_PASSPHRASE });
    const blobs = Array.from({ length: 12 }, (_, i) => sealLegacy(LEGACY_PASSPHRASE, `secret ${i}`));
    const opened = await Promise.all(blobs.map((blob) => openBlob(keyring, blob)));
    expect(opened.map((o) => [o.plaintext, o.slot.env])).toEqual(blobs.map((_, i) => [`secret ${i}`, 'OLD']));
    expect(derivations.count).toBe(blobs.length + 1);
  });

  it('opens the others when the first blob opens with no key, and reports that one', async () => {
    const keyring = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: ['OLD'] }), { M: KEY_A, OLD: LEGACY_PASSPHRASE });
    const lost = sealLegacy(KEY_B, 'lost');
    const blobs = [lost, ...Array.from({ length: 5 }, (_, i) => sealLegacy(LEGACY_PASSPHRASE, `s${i}`))];
    const results = await Promise.allSettled(blobs.map((blob) => openBlob(keyring, blob)));
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'E_AUTH_FAILED' } });
    expect(results.slice(1).map((r) => (r.status === 'fulfilled' ? r.value.plaintext : r.reason))).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });
});
