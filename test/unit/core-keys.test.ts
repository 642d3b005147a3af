import { describe, expect, it } from 'vitest';
import { readCryptoConfig } from '../../src/core/crypto-config.js';
import { LibertyError } from '../../src/core/errors.js';
import { parseFieldRef } from '../../src/core/field-ref.js';
import { fingerprintConfirms, parseKey } from '../../src/core/keys.js';
import { loadKeyring, openBlob, requireMaster, requireSealingKey, sealValue, sealVerified } from '../../src/core/keyring.js';
import { classifyField, matchesPattern, readFieldRules } from '../../src/core/secret-fields.js';
import { KEY_A, KEY_A_FP, KEY_B, KEY_B_FP, LEGACY_PASSPHRASE } from '../support/cli.js';
import { cryptoConfig } from '../support/settings.js';
import { thrown } from '../support/errors.js';

describe('keys', () => {
  it('fingerprints hex keys by their bytes and passphrases by their UTF-8 bytes', () => {
    expect(parseKey('K', KEY_A).fingerprint).toBe(KEY_A_FP);
    expect(parseKey('K', KEY_A.toUpperCase()).fingerprint).toBe(KEY_A_FP);
    expect(parseKey('K', LEGACY_PASSPHRASE).aesKey).toBeUndefined();
    expect(parseKey('K', KEY_A).kid).toBe(KEY_A_FP.slice(0, 8));
  });

  it.each([
    [KEY_A_FP, true],
    [KEY_A_FP.toUpperCase(), true],
    [KEY_A_FP.slice(0, 16), true],
    [KEY_A_FP.slice(0, 16).replace(/(..)/g, '$1:'), true],
    [` ${KEY_A_FP.slice(0, 32)} `, true],
    [KEY_A_FP.slice(0, 15), false],
    [KEY_B_FP, false],
    ['', false],
    [`${KEY_A_FP}00`, false],
    [KEY_A_FP.slice(1, 17), false],
  ])('fingerprint confirmation %#', (typed, accepted) => {
    expect(fingerprintConfirms(typed, KEY_A_FP)).toBe(accepted);
  });
});

describe('crypto config', () => {
  it('defaults to ${LIBERTY_MASTER_KEY} without app.toml or [crypto]', () => {
    const defaults = { masterEnv: 'LIBERTY_MASTER_KEY', legacyEnvs: [], format: 'v1', formatExplicit: false, keyDefaultsOnDisk: [] };
    expect(readCryptoConfig(undefined)).toEqual(defaults);
    expect(readCryptoConfig({})).toEqual(defaults);
  });

  it.each([
    [{}, 'v1', false],
    [{ format: 'v1' }, 'v1', true],
    [{ format: 'v2' }, 'v2', true],
  ])('format of %j is %s (explicit: %s)', (crypto, format, explicit) => {
    expect(readCryptoConfig(crypto)).toMatchObject({ format, formatExplicit: explicit });
  });

  it.each([['v3'], ['V1'], [2], ['']])('refuses format = %j', (format) => {
    expect(thrown(() => readCryptoConfig({ format })).code).toBe('E_BAD_SETTINGS');
  });

  it('takes NAME from ${NAME:-default}; a non-empty default is a key on disk, named by field only', () => {
    const config = readCryptoConfig({ master_key: '${M:-not-a-real-key}', legacy_keys: ['${A:-}', '${B:-old-key-text}'] });
    expect(config).toMatchObject({
      masterEnv: 'M',
      legacyEnvs: ['A', 'B'],
      keyDefaultsOnDisk: [
        { field: 'crypto.master_key', env: 'M' },
        { field: 'crypto.legacy_keys[1]', env: 'B' },
      ],
    });
    expect(JSON.stringify(config)).not.toContain('key-text');
  });

  it.each([[KEY_A], ['LIBERTY_MASTER_KEY'], ['${}'], ['${1BAD}'], ['${A'], ['$A'], [''], [42]])(
    'refuses master_key = %j with exit 3 and never echoes it',
    (value) => {
      try {
        readCryptoConfig({ master_key: value });
        expect.unreachable();
      } catch (error) {
        expect((error as LibertyError).code).toBe('E_KEY_ON_DISK');
        expect((error as LibertyError).exitCode).toBe(3);
        if (typeof value === 'string' && value.length > 3) expect((error as LibertyError).message).not.toContain(value);
      }
    },
  );

  it('reads legacy keys in order and a stored fingerprint', () => {
    expect(readCryptoConfig({ master_key: '${NEW}', legacy_keys: ['${A}', '${B}'], fingerprint: KEY_A_FP })).toEqual({
      masterEnv: 'NEW',
      legacyEnvs: ['A', 'B'],
      storedFingerprint: KEY_A_FP,
      format: 'v1',
      formatExplicit: false,
      keyDefaultsOnDisk: [],
    });
    expect(thrown(() => readCryptoConfig({ fingerprint: 'abc' })).code).toBe('E_BAD_SETTINGS');
    expect(thrown(() => readCryptoConfig({ legacy_keys: '${A}' })).code).toBe('E_BAD_SETTINGS');
  });
});

describe('keyring', () => {
  it('needs a set master, matching the stored fingerprint, hex to encrypt', () => {
    expect(thrown(() => requireMaster(loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [] }), {}))).code).toBe(
      'E_MASTER_KEY_NOT_SET',
    );
    expect(thrown(() => requireMaster(loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [] }), { M: '' }))).code).toBe(
      'E_MASTER_KEY_NOT_SET',
    );
    expect(
      thrown(() => requireMaster(loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [], storedFingerprint: KEY_B_FP }), { M: KEY_A })))
        .code,
    ).toBe('E_FINGERPRINT_MISMATCH');
    expect(
      thrown(() => requireSealingKey(loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [] }), { M: 'an old install passphrase' })))
        .code,
    ).toBe('E_MASTER_KEY_MALFORMED');
  });

  it.each([
    ['a passphrase', LEGACY_PASSPHRASE.replace('3z', 'q9'), undefined],
    ['a hex key as genkey prints it', KEY_A, undefined],
    ['a hex key with upper-case letters', KEY_A.toUpperCase(), 'E_MASTER_KEY_MALFORMED'],
    ['the published stock passphrase', LEGACY_PASSPHRASE, 'E_KEY_PUBLISHED'],
  ])('under v1, %s as master: sealing %s', (_name, key, code) => {
    const keyring = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [], format: 'v1' }), { M: key });
    if (code) expect(thrown(() => requireSealingKey(keyring)).code).toBe(code);
    else expect(requireSealingKey(keyring).env).toBe('M');
  });

  it('under v1 seals a v1 blob of the key text; v1 and v2 keyrings open each other', async () => {
    const v1 = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [], format: 'v1' }), { M: KEY_A });
    const v2 = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [], format: 'v2' }), { M: KEY_A });
    const blob = sealValue(v1, 'pässword');
    expect(blob).toMatch(/^ENC:[A-Za-z0-9+/]+={0,2}$/);
    expect(await openBlob(v2, blob)).toMatchObject({ plaintext: 'pässword', format: 'v1', slot: { env: 'M' } });
    const verified = await sealVerified(v1, requireSealingKey(v1), 'again', 'x.toml');
    expect(await openBlob(v1, verified)).toMatchObject({ plaintext: 'again', format: 'v1' });
    expect(await openBlob(v1, sealValue(v2, 'new'))).toMatchObject({ plaintext: 'new', format: 'v2' });
  });

  it("under v1 an upper-case spelling of a hex key opens none of the lower-case spelling's blobs", async () => {
    const lower = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [], format: 'v1' }), { M: KEY_A });
    const upper = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [], format: 'v2' }), { M: KEY_A.toUpperCase() });
    await expect(openBlob(upper, sealValue(lower, 'x'))).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
  });

  it('opens a v2 blob with the legacy key whose id matches', async () => {
    const old = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [] }), { M: KEY_B });
    const blob = sealValue(old, 'rotated');
    const both = loadKeyring(cryptoConfig({ masterEnv: 'N', legacyEnvs: ['M'] }), { N: KEY_A, M: KEY_B });
    const opened = await openBlob(both, blob);
    expect(opened).toMatchObject({ plaintext: 'rotated', format: 'v2', slot: { env: 'M', role: 'legacy' } });
  });
});

describe('secret fields', () => {
  it.each([
    ['**.password', 'password', true],
    ['**.password', 'pools.main.password', true],
    ['**.password', 'pools.main.password_hint', false],
    ['*.password', 'pools.password', true],
    ['*.password', 'pools.main.password', false],
    ['pools.*.password', 'pools.main.password', true],
    ['**.oidc.client_secret', 'auth.oidc.client_secret', true],
    ['**.oidc.client_secret', 'client_secret', false],
    ['a.**.z', 'a.z', true],
    ['a.**.z', 'a.b.c.z', true],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(matchesPattern(pattern, key.split('.'))).toBe(expected);
  });

  it('classifies with the defaults, locked before secret', () => {
    const rules = readFieldRules(undefined);
    expect(classifyField(rules, ['notifications', 'slack', 'webhook_url'])).toBe('locked');
    expect(classifyField(rules, ['connectors', 'x', 'webhook_url'])).toBe('secret');
    expect(classifyField(rules, ['pools', 'main', 'host'])).toBe('other');
  });

  it('[crypto.fields] replaces the lists; malformed lists are refused', () => {
    const rules = readFieldRules({ fields: { secret: ['**.token'] } });
    expect(rules.secret).toEqual(['**.token']);
    expect(rules.locked).toContain('**.oidc.client_secret');
    expect(thrown(() => readFieldRules({ fields: { secret: '**.x' } })).code).toBe('E_BAD_SETTINGS');
  });
});

describe('field references', () => {
  it('splits FILE.toml:KEY with quoted parts', () => {
    expect(parseFieldRef('connectors.toml:pools.main.password')).toEqual({ file: 'connectors.toml', path: ['pools', 'main', 'password'] });
    expect(parseFieldRef('sub/dir.toml:pools."eu west".password')).toEqual({
      file: 'sub/dir.toml',
      path: ['pools', 'eu west', 'password'],
    });
    expect(parseFieldRef('sub/../connectors.toml:a.b').file).toBe('connectors.toml');
    expect(parseFieldRef('./connectors.toml:a.b').file).toBe('connectors.toml');
    expect(thrown(() => parseFieldRef('/etc/liberty/connectors.toml:a.b')).code).toBe('E_USAGE');
    expect(thrown(() => parseFieldRef('../connectors.toml:a.b')).code).toBe('E_USAGE');
    expect(thrown(() => parseFieldRef('connectors.json:x')).code).toBe('E_BAD_FIELD_REF');
    expect(thrown(() => parseFieldRef('c.toml:a..b')).code).toBe('E_BAD_FIELD_REF');
  });
});
