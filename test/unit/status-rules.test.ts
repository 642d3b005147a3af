// The rules of status, one row each: the judgement (status-judgement.ts) on a report built in memory, and
// what collectStatus (status.ts) notes in a small directory. The environment is a plain object and the
// liveness of a temp file's writer a fake; a failing row names the rule it broke.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CryptoConfig } from '../../src/core/crypto-config.js';
import { describeKeys } from '../../src/core/key-report.js';
import { loadKeyring, type Environment } from '../../src/core/keyring.js';
import { readFieldRules } from '../../src/core/secret-fields.js';
import type { Settings } from '../../src/core/settings.js';
import { loadSettings } from '../../src/core/settings.js';
import { judge } from '../../src/core/status-judgement.js';
import { collectStatus, emptyStatusReport, type StatusReport } from '../../src/core/status.js';
import { KEY_A, KEY_A_FP, KEY_B, LEGACY_PASSPHRASE } from '../support/cli.js';
import { appToml, cryptoConfig, seal, settingsPerTest } from '../support/settings.js';

// a made-up passphrase (not the published one): a master that is not a hex key
const PASSPHRASE = 'made-up-passphrase-for-a-v1-test';

interface JudgeCase {
  env: Environment;
  config?: Partial<CryptoConfig>;
  report?: Partial<StatusReport>;
}

/** Judges a report that holds only `report`, for the keys `env` and `config` give; returns the codes found. */
function judgeCase({ env, config = {}, report = {} }: JudgeCase): { problems: string[]; warnings: string[]; text: string } {
  const crypto = cryptoConfig({ masterEnv: 'M', legacyEnvs: [], ...config });
  const settings: Settings = { dir: '/nowhere', crypto, fields: readFieldRules(undefined) };
  const keyring = loadKeyring(crypto, env);
  const full: StatusReport = { ...emptyStatusReport(describeKeys(keyring), { writes: keyring.format, explicit: true }, 1), ...report };
  judge(full, keyring, settings);
  const text = JSON.stringify([full.problems, full.warnings]);
  return { problems: full.problems.map((f) => f.code), warnings: full.warnings.map((f) => f.code), text };
}

const note = { file: 'db.toml', key: 'db.password', line: 2 };
const blobs = (total: number) => ({ total, v1: 0, v2: total, malformed: 0 });

describe('status judgement: one rule per row', () => {
  it.each<[string, JudgeCase, { problems?: string[]; warnings?: string[] }]>([
    ['a directory with nothing wrong has no finding', { env: { M: KEY_A }, report: { blobs: blobs(1), current: 1 } }, {}],
    [
      'a master key that does not match the stored fingerprint is a problem',
      { env: { M: KEY_B }, config: { storedFingerprint: KEY_A_FP } },
      { problems: ['E_FINGERPRINT_MISMATCH'] },
    ],
    ['a matching stored fingerprint is no finding', { env: { M: KEY_A }, config: { storedFingerprint: KEY_A_FP } }, {}],
    [
      'a ${NAME:-default} key reference (a key on disk) is a problem',
      { env: { M: KEY_A }, config: { keyDefaultsOnDisk: [{ field: 'crypto.master_key', env: 'M' }] } },
      { problems: ['E_KEY_ON_DISK'] },
    ],
    [
      'the published stock passphrase in any slot is a problem, and no passphrase warning beside it',
      { env: { M: LEGACY_PASSPHRASE }, config: { format: 'v1' } },
      { problems: ['E_KEY_PUBLISHED'] },
    ],
    [
      'the published stock passphrase as a legacy key is a problem',
      { env: { M: KEY_A, OLD: LEGACY_PASSPHRASE }, config: { legacyEnvs: ['OLD'] } },
      { problems: ['E_KEY_PUBLISHED'] },
    ],
    [
      'under v1 a hex key with upper-case letters is a problem',
      { env: { M: KEY_A.toUpperCase() }, config: { format: 'v1' } },
      { problems: ['MIXED_CASE_KEY'] },
    ],
    ['under v2 the case of a hex key does not matter', { env: { M: KEY_A.toUpperCase() } }, {}],
    ['no master key while blobs exist is a problem', { env: {}, report: { blobs: blobs(2) } }, { problems: ['E_MASTER_KEY_NOT_SET'] }],
    ['no master key and no blob is no finding', { env: {} }, {}],
    ['under v2 a passphrase master cannot seal: a problem', { env: { M: PASSPHRASE } }, { problems: ['E_MASTER_KEY_MALFORMED'] }],
    [
      'under v1 a passphrase master is a warning',
      { env: { M: PASSPHRASE }, config: { format: 'v1' } },
      { warnings: ['PASSPHRASE_MASTER'] },
    ],
    [
      'blobs on a legacy key are a problem',
      { env: { M: KEY_A, OLD: KEY_B }, config: { legacyEnvs: ['OLD'] }, report: { byKey: [usage('OLD', 'legacy', 0, 3)] } },
      { problems: ['LEGACY_KEY_BLOBS'] },
    ],
    [
      'blobs under the master in the format the directory does not write are a problem',
      { env: { M: KEY_A }, report: { byKey: [usage('M', 'master', 2, 1)] } },
      { problems: ['FORMAT_BLOBS'] },
    ],
    [
      'blobs under the master in the written format are no finding',
      { env: { M: KEY_A }, report: { byKey: [usage('M', 'master', 0, 4)] } },
      {},
    ],
    [
      'an unreadable blob is a problem under its own code',
      { env: { M: KEY_A }, report: { unreadable: [{ ...note, keyId: 'deadbeef', code: 'E_NO_MATCHING_KEY', message: 'no key' }] } },
      { problems: ['E_NO_MATCHING_KEY'] },
    ],
    [
      'a tag that fails under the master key id is a tampered blob',
      { env: { M: KEY_A }, report: { unreadable: [{ ...note, keyId: KEY_A_FP.slice(0, 8), code: 'E_AUTH_FAILED', message: 'tag' }] } },
      { problems: ['E_AUTH_FAILED'] },
    ],
    [
      'the text of a configured key in a settings file is a problem',
      { env: { M: KEY_A }, report: { keysInFiles: [{ ...note, env: 'M' }] } },
      { problems: ['KEY_IN_FILE'] },
    ],
    [
      'a non-string value in a locked field is a problem',
      { env: { M: KEY_A }, report: { nonStringSecrets: [{ file: 'a.toml', key: 'oidc.client_secret', locked: true, type: 'a number' }] } },
      { problems: ['NON_STRING_SECRET'] },
    ],
    [
      'a non-string value in a secret field is a warning',
      { env: { M: KEY_A }, report: { nonStringSecrets: [{ file: 'a.toml', key: 'db.password', locked: false, type: 'a number' }] } },
      { warnings: ['NON_STRING_SECRET'] },
    ],
    [
      'a file that cannot be read is a problem under its own code',
      { env: { M: KEY_A }, report: { invalidFiles: [{ file: 'bad.toml', code: 'E_BAD_SETTINGS', message: 'bad.toml: invalid' }] } },
      { problems: ['E_BAD_SETTINGS'] },
    ],
    [
      'plaintext in a secret field is a warning',
      { env: { M: KEY_A }, report: { plaintextSecrets: [{ ...note, locked: false, empty: false }] } },
      { warnings: ['PLAINTEXT_SECRET'] },
    ],
    [
      'plaintext in a locked field is a problem',
      { env: { M: KEY_A }, report: { plaintextSecrets: [{ ...note, locked: true, empty: false }] } },
      { problems: ['LOCKED_FIELD_PLAIN'] },
    ],
    [
      'an empty secret field holds no secret: no finding',
      { env: { M: KEY_A }, report: { plaintextSecrets: [{ ...note, locked: true, empty: true }] } },
      {},
    ],
    [
      'the default of ${NAME:-default} in a secret field is a plaintext warning',
      { env: { M: KEY_A }, report: { plaintextSecrets: [{ ...note, locked: false, empty: false, defaultOf: 'DB_PASSWORD' }] } },
      { warnings: ['PLAINTEXT_SECRET'] },
    ],
    [
      'the default of ${NAME:-default} in a locked field is a problem',
      { env: { M: KEY_A }, report: { plaintextSecrets: [{ ...note, locked: true, empty: false, defaultOf: 'DB_PASSWORD' }] } },
      { problems: ['LOCKED_FIELD_PLAIN'] },
    ],
    [
      'a URL with a plaintext password is a warning',
      { env: { M: KEY_A }, report: { urlPasswords: [{ ...note, key: 'db.url' }] } },
      { warnings: ['PLAINTEXT_URL_PASSWORD'] },
    ],
    [
      'a legacy key no blob uses is a warning',
      { env: { M: KEY_A, OLD: KEY_B }, config: { legacyEnvs: ['OLD'] }, report: { unusedLegacyKeys: ['OLD'] } },
      { warnings: ['UNUSED_LEGACY_KEY'] },
    ],
    [
      'a temporary file left by an interrupted write is a problem',
      { env: { M: KEY_A }, report: { leftoverTempFiles: ['.db.toml.lc-tmp-1-abcdef'] } },
      { problems: ['LEFTOVER_TEMP_FILE'] },
    ],
    ['an empty settings directory is a warning', { env: { M: KEY_A }, report: { empty: true } }, { warnings: ['EMPTY_SETTINGS_DIR'] }],
    [
      'a framework-global secret in a settings file is a warning',
      {
        env: { M: KEY_A },
        report: { envOnlySecrets: [{ ...note, key: 'auth.jwt_secret', what: 'JWT signing key', env: 'LIBERTY_JWT_SIGNING_KEY' }] },
      },
      { warnings: ['ENV_ONLY_SECRET'] },
    ],
  ])('%s', (_rule, input, expected) => {
    const found = judgeCase(input);
    expect({ problems: found.problems, warnings: found.warnings }).toEqual({
      problems: expected.problems ?? [],
      warnings: expected.warnings ?? [],
    });
    // findings name variables, files and fields; never a key's value
    for (const value of Object.values(input.env)) if (value) expect(found.text).not.toContain(value);
  });
});

function usage(env: string, role: 'master' | 'legacy', v1: number, v2: number) {
  return { env, keyId: null, role, v1, v2 };
}

describe('collectStatus: what it notes in a directory, one rule per row', () => {
  const makeSettings = settingsPerTest();
  const ENV: Environment = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };

  it.each<[string, Record<string, string>, { problems?: string[]; warnings?: string[] }, { env?: Environment; alive?: boolean }?]>([
    ['a blob under the master key is current: no finding', { 'db.toml': `[db]\npassword = "${seal(KEY_A, 's')}"\n` }, {}],
    [
      'a blob on a legacy key is a problem',
      { 'app.toml': appToml({ legacy: ['OLD'] }), 'db.toml': `[db]\npassword = "${seal(KEY_B, 's')}"\n` },
      { problems: ['LEGACY_KEY_BLOBS'] },
    ],
    [
      'a legacy key no blob uses is a warning',
      { 'app.toml': appToml({ legacy: ['OLD'] }), 'db.toml': `[db]\npassword = "${seal(KEY_A, 's')}"\n` },
      { warnings: ['UNUSED_LEGACY_KEY'] },
    ],
    [
      'a fingerprint mismatch is one problem: the blobs still open (no unreadable blob beside it)',
      { 'app.toml': appToml({ fingerprint: 'b'.repeat(64) }), 'db.toml': `[db]\npassword = "${seal(KEY_A, 's')}"\n` },
      { problems: ['E_FINGERPRINT_MISMATCH'] },
    ],
    ['plaintext in a secret field is a warning', { 'db.toml': '[db]\npassword = "hunter2"\n' }, { warnings: ['PLAINTEXT_SECRET'] }],
    ['a ${NAME} reference in a secret field is no plaintext', { 'db.toml': '[db]\npassword = "${DB_PASSWORD}"\n' }, {}],
    [
      'the default of ${NAME:-default} in a secret field is plaintext on disk',
      { 'db.toml': '[db]\npassword = "${DB_PASSWORD:-hunter2}"\n' },
      { warnings: ['PLAINTEXT_SECRET'] },
    ],
    [
      'a ${NAME:-default} master key reference is a key on disk',
      { 'app.toml': `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY:-${KEY_B}}"\nformat = "v2"\n`, 'db.toml': '[db]\nhost = "h"\n' },
      { problems: ['E_KEY_ON_DISK'] },
    ],
    [
      'a plaintext password inside a URL is a warning',
      { 'db.toml': '[db]\nurl = "postgres://app:hunter2@db/app"\n' },
      { warnings: ['PLAINTEXT_URL_PASSWORD'] },
    ],
    ['a URL whose password is a ${NAME} reference is no finding', { 'db.toml': '[db]\nurl = "postgres://app:${PW}@db/app"\n' }, {}],
    ['a number in a secret field is a warning', { 'db.toml': '[db]\npassword = 123456\n' }, { warnings: ['NON_STRING_SECRET'] }],
    ['the text of the master key in a file is a problem', { 'db.toml': `[db]\nnote = "${KEY_A}"\n` }, { problems: ['KEY_IN_FILE'] }],
    [
      'a JWT signing key in a file belongs in the environment',
      { 'auth.toml': '[auth]\njwt_secret = "x"\n' },
      { warnings: ['ENV_ONLY_SECRET'] },
    ],
    ['a file that is not TOML is a problem', { 'bad.toml': 'x = \n' }, { problems: ['E_INVALID_TOML'] }],
    ['a directory with only app.toml is empty: a warning', {}, { warnings: ['EMPTY_SETTINGS_DIR'] }],
    [
      'a temporary file whose writer is gone is a leftover: a problem',
      { 'db.toml': '[db]\nhost = "h"\n', '.db.toml.lc-tmp-4242-abcdef': 'x' },
      { problems: ['LEFTOVER_TEMP_FILE'] },
      { alive: false },
    ],
    [
      'a temporary file whose writer runs is a write in progress: no finding',
      { 'db.toml': '[db]\nhost = "h"\n', '.db.toml.lc-tmp-4242-abcdef': 'x' },
      {},
      { alive: true },
    ],
    [
      'no master key while blobs exist is one problem, not one per blob',
      { 'db.toml': `[db]\npassword = "${seal(KEY_A, 's')}"\nauth_token = "${seal(KEY_A, 't')}"\n` },
      { problems: ['E_MASTER_KEY_NOT_SET'] },
      { env: {} },
    ],
  ])('%s', async (_rule, files, expected, options = {}) => {
    const settings = makeSettings({ 'app.toml': appToml(), ...files });
    const loaded = await loadSettings(settings.dir);
    const env = options.env ?? ENV;
    const pids: number[] = [];
    const report = await collectStatus(loaded, loadKeyring(loaded.crypto, env), env, {
      isWriterAlive: (pid) => {
        pids.push(pid);
        return options.alive ?? false;
      },
    });
    expect({ problems: report.problems.map((f) => f.code), warnings: report.warnings.map((f) => f.code) }).toEqual({
      problems: expected.problems ?? [],
      warnings: expected.warnings ?? [],
    });
    if (options.alive !== undefined) expect(pids).toEqual([4242]);
  });

  it('reads only the files it is given with `only`', async () => {
    const settings = makeSettings({ 'app.toml': appToml(), 'a.toml': '[a]\npassword = "p"\n', 'b.toml': '[b]\npassword = "p"\n' });
    writeFileSync(join(settings.dir, 'c.toml'), 'x = \n');
    const loaded = await loadSettings(settings.dir);
    const report = await collectStatus(loaded, loadKeyring(loaded.crypto, ENV), ENV, { only: ['a.toml'] });
    expect(report.files).toBe(1);
    expect(report.plaintextSecrets.map((f) => f.file)).toEqual(['a.toml']);
  });
});
