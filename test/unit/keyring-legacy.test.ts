import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createOpener, loadKeyring, trialOrder, type KeySlot } from '../../src/core/keyring.js';
import { parseKey } from '../../src/core/keys.js';
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
  const cipher = createCipheriv('aes-256-gcm', pbkdf2Sync(Buffer.from(secret, 'utf8'), salt, 2145, 32, 'sha512'), iv, {
    authTagLength: 16,
  });
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
    const opener = createOpener(keyring);
    const opened = await Promise.all(blobs.map((blob) => opener.openText(blob)));
    expect(opened.map((o) => [o.plaintext, o.slot.env])).toEqual(blobs.map((_, i) => [`secret ${i}`, 'OLD']));
    expect(derivations.count).toBe(blobs.length + 1);
  });

  it('opens the others when the first blob opens with no key, and reports that one', async () => {
    const keyring = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: ['OLD'] }), { M: KEY_A, OLD: LEGACY_PASSPHRASE });
    const lost = sealLegacy(KEY_B, 'lost');
    const blobs = [lost, ...Array.from({ length: 5 }, (_, i) => sealLegacy(LEGACY_PASSPHRASE, `s${i}`))];
    const opener = createOpener(keyring);
    const results = await Promise.allSettled(blobs.map((blob) => opener.openText(blob)));
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'E_AUTH_FAILED' } });
    expect(results.slice(1).map((r) => (r.status === 'fulfilled' ? r.value.plaintext : r.reason))).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });
});

describe('trialOrder: which configured key is tried on a blob, in which order', () => {
  const slot = (env: string, role: KeySlot['role'], value?: string): KeySlot =>
    value === undefined ? { env, role } : { env, role, key: parseKey(env, value) };
  const M = slot('M', 'master', KEY_A);
  const OLD = slot('OLD', 'legacy', KEY_B);
  const PASS = slot('PASS', 'legacy', LEGACY_PASSPHRASE);
  const UNSET = slot('UNSET', 'legacy');
  const SAME_AS_MASTER = slot('AGAIN', 'legacy', KEY_A);
  const kid = (s: KeySlot) => s.key!.kid;

  it.each<[string, KeySlot[], { format: 'v1' } | { format: 'v2'; kid: string }, string | undefined, string[]]>([
    ['v2 under the master: the master alone', [M, OLD, PASS], { format: 'v2', kid: kid(M) }, undefined, ['M']],
    ['v2 under a legacy key: that key alone', [M, OLD, PASS], { format: 'v2', kid: kid(OLD) }, undefined, ['OLD']],
    ['v2 under a key listed as master and as legacy: the master', [M, SAME_AS_MASTER], { format: 'v2', kid: kid(M) }, undefined, ['M']],
    ['v2 under a key nobody has: none', [M, OLD], { format: 'v2', kid: '00000000' }, undefined, []],
    ['v2 never goes to a passphrase (it has no 64-hex key id)', [M, PASS], { format: 'v2', kid: kid(PASS) }, undefined, []],
    ['v2 ignores the v1 preference', [M, OLD], { format: 'v2', kid: kid(M) }, 'OLD', ['M']],
    ['v1 with nothing learnt: master, then legacy keys as listed', [M, OLD, PASS], { format: 'v1' }, undefined, ['M', 'OLD', 'PASS']],
    ['v1 after PASS opened the last blob: PASS first, the rest in order', [M, OLD, PASS], { format: 'v1' }, 'PASS', ['PASS', 'M', 'OLD']],
    ['v1 with an unset legacy key: it is skipped', [M, UNSET, PASS], { format: 'v1' }, undefined, ['M', 'PASS']],
    ['v1 preferring a key that is unset: the listed order', [M, UNSET, PASS], { format: 'v1' }, 'UNSET', ['M', 'PASS']],
    ['v1 with the master unset: the legacy keys', [slot('M', 'master'), OLD], { format: 'v1' }, undefined, ['OLD']],
  ])('%s', (_case, slots, blob, preferred, expected) => {
    expect(trialOrder(slots, blob, preferred).map((s) => s.env)).toEqual(expected);
  });

  it('is pure: the slots it is given stay as they were', () => {
    const slots = [M, OLD, PASS];
    trialOrder(slots, { format: 'v1' }, 'PASS');
    expect(slots.map((s) => s.env)).toEqual(['M', 'OLD', 'PASS']);
  });
});
