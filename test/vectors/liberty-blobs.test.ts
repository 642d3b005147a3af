import { describe, expect, it } from 'vitest';
import { formatBlob, parseBlob } from '../../src/core/blob.js';
import { LibertyError, type ErrorCode } from '../../src/core/errors.js';
import { loadKeyring, openBlob } from '../../src/core/keyring.js';
import { cryptoConfig } from '../support/settings.js';
import { readVector } from '../support/vectors.js';

const suite = JSON.parse(readVector('liberty-blobs.json'));
const cases: any[] = suite.cases;

const EXPECTED_CODE: Record<string, ErrorCode> = {
  'auth-failed': 'E_AUTH_FAILED',
  'no-matching-key': 'E_NO_MATCHING_KEY',
  malformed: 'E_MALFORMED_BLOB',
  'not-encrypted': 'E_NOT_ENCRYPTED',
};

function keyringFor(names: string[]) {
  const env: Record<string, string> = {};
  names.forEach((name) => (env[`KEY_${name}`] = suite.keys[name].value));
  const [master, ...legacy] = names.map((name) => `KEY_${name}`);
  return loadKeyring(cryptoConfig({ masterEnv: master, legacyEnvs: legacy }), env);
}

describe('liberty-blobs.json', () => {
  it('finds the 37 cases', () => expect(cases.length).toBe(37));

  it.each(cases)('$name', async (test: any) => {
    const keyring = keyringFor(test.keys);
    if (test.expect === 'ok') {
      const opened = await openBlob(keyring, test.blob);
      expect(opened.plaintext).toBe(test.plaintext);
      expect(opened.slot.env).toBe(`KEY_${test.keys[test.keyIndex]}`);
      // every accepted blob re-encodes to the same text
      expect(formatBlob(parseBlob(test.blob))).toBe(test.blob);
      return;
    }
    const error = await openBlob(keyring, test.blob).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LibertyError);
    expect((error as LibertyError).code).toBe(EXPECTED_CODE[test.expect]);
  });

  it('keys: fingerprint and kid as documented', async () => {
    const { parseKey } = await import('../../src/core/keys.js');
    for (const [name, key] of Object.entries<any>(suite.keys)) {
      const parsed = parseKey(name, key.value);
      expect(parsed.fingerprint).toBe(key.fingerprint);
      expect(parsed.kid).toBe(key.kid);
    }
  });
});
