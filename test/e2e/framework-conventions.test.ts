/**
 * Issue 11 ("Real Liberty installs"): the framework's conventions one by one, through the built CLI on
 * small temporary settings directories. The full README rotation on a real-shaped install is in
 * liberty-install.test.ts and is not repeated here.
 *
 * `appToml({ format: null })` is a directory without a `format` line: v1, the framework's layout.
 * Every test asserts exit codes, error and finding codes, --json fields and file bytes; never wording.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEY_A, KEY_B, LEGACY_PASSPHRASE, parseJson, runCli, type RunResult } from '../support/cli.js';
import { ANY_BLOB } from '../support/liberty-install.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { readVector } from '../support/vectors.js';
import { readAuditLog } from '../support/audit-entries.js';

// each test spawns the CLI several times, and v1 blobs cost a PBKDF2 each: room for a loaded machine
vi.setConfig({ testTimeout: 120_000 });

const made: TempSettings[] = [];
afterEach(() => made.splice(0).forEach((settings) => settings.cleanup()));

function setup(files: Record<string, string>): TempSettings {
  const settings = makeSettings(files);
  made.push(settings);
  return settings;
}

type Env = Record<string, string | undefined>;
const cli = (dir: string, args: string[], env: Env, input?: string) =>
  runCli([...args, '-s', dir], { env, ...(input === undefined ? {} : { input }) });
const show = (result: RunResult) => `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const codes = (findings: Array<{ code: string }>) => findings.map((finding) => finding.code);
/** The JSON error of a failed `--json` run, after checking its exit code. */
function errorOf(result: RunResult, exitCode: number): { code: string; message: string } {
  expect(result.code, show(result)).toBe(exitCode);
  return parseJson(result).error;
}
function expectNotShown(results: RunResult[], text: string): void {
  for (const result of results) expect(result.stdout + result.stderr).not.toContain(text);
}
const V1_BLOB = /^ENC:[A-Za-z0-9+/]+={0,2}$/;
const blobsIn = (text: string) => [...text.matchAll(ANY_BLOB)].map((match) => match[0]);
const masked = (text: string) => text.replace(ANY_BLOB, '<blob>');
const auditLines = (settings: TempSettings) => readAuditLog<Record<string, unknown>>(settings.audit);

const MASTER = { LIBERTY_MASTER_KEY: KEY_A };

describe('1. status: ${NAME} references in secret and locked fields', () => {
  const references = '[db]\npassword = "${DB_PW}"\n\n[oidc]\nclient_secret = "${OIDC_CLIENT_SECRET}"\n';

  it.each([
    ['DB_PW set, OIDC_CLIENT_SECRET unset', { DB_PW: 'db-pw-from-env' }, true, false],
    ['DB_PW unset, OIDC_CLIENT_SECRET set', { OIDC_CLIENT_SECRET: 'oidc-from-env' }, false, true],
  ])(
    'are values from the environment, not plaintext: exit 0, envReferences says which is set (%s)',
    async (_label, env, dbSet, oidcSet) => {
      const { dir } = setup({ 'app.toml': appToml({ format: null }), 'c.toml': references });
      const result = await cli(dir, ['status', '--json'], { ...MASTER, ...env });
      expect(result.code, show(result)).toBe(0);
      const report = parseJson(result);
      expect(report.envReferences).toEqual([
        expect.objectContaining({ file: 'c.toml', key: 'db.password', env: 'DB_PW', set: dbSet }),
        expect.objectContaining({ file: 'c.toml', key: 'oidc.client_secret', env: 'OIDC_CLIENT_SECRET', set: oidcSet }),
      ]);
      expect(report.plaintextSecrets).toEqual([]);
      expect(report.problems).toEqual([]);
      expect(report.warnings).toEqual([]);
    },
  );

  const defaults: Array<[string, string, { key: string; locked: boolean; code: string; exit: number } | undefined]> = [
    [
      'a default in a secret field',
      '[db]\npassword = "${NAME:-hunter2}"\n',
      { key: 'db.password', locked: false, code: 'PLAINTEXT_SECRET', exit: 0 },
    ],
    [
      'a default in a locked field',
      '[oidc]\nclient_secret = "${NAME:-hunter2}"\n',
      { key: 'oidc.client_secret', locked: true, code: 'LOCKED_FIELD_PLAIN', exit: 1 },
    ],
    ['an empty default in a secret field', '[db]\npassword = "${NAME:-}"\n', undefined],
    ['an empty default in a locked field', '[oidc]\nclient_secret = "${NAME:-}"\n', undefined],
  ];

  it.each(defaults)(
    '%s: listed as a plaintext secret only when the default holds text, which is never shown',
    async (_label, text, listed) => {
      const { dir } = setup({ 'app.toml': appToml({ format: null }), 'c.toml': text });
      const [json, human] = await Promise.all([cli(dir, ['status', '--json'], MASTER), cli(dir, ['status'], MASTER)]);
      const report = parseJson(json);
      expect(json.code, show(json)).toBe(listed?.exit ?? 0);
      expect(human.code, show(human)).toBe(listed?.exit ?? 0);
      if (listed) {
        expect(report.plaintextSecrets).toEqual([
          expect.objectContaining({ file: 'c.toml', key: listed.key, locked: listed.locked, defaultOf: 'NAME' }),
        ]);
        const findings = listed.exit === 1 ? report.problems : report.warnings;
        expect(codes(findings)).toEqual([listed.code]);
      } else {
        expect(report.plaintextSecrets).toEqual([]);
        expect(report.problems).toEqual([]);
        expect(report.warnings).toEqual([]);
      }
      expectNotShown([json, human], 'hunter2');
    },
  );
});

describe('2. encrypt never seals a ${NAME} reference', () => {
  const text = [
    '# pools',
    '[db]',
    'password = "${DB_PW}"   # from the unit file',
    '',
    '[oidc]',
    "client_secret = '${OIDC_CLIENT_SECRET}'",
    '',
    '[smtp]',
    'password = "${SMTP_PW:-}"',
    'auth_password = "${SMTP_AUTH:-fallback-pw}"',
    '',
    '[cache]',
    'password = "plain-cache-pw"',
    '',
  ].join('\n');
  const env = { ...MASTER, DB_PW: 'db-pw-from-env', SMTP_AUTH: 'smtp-from-env' };

  it('encrypt --all seals the plaintext, leaves every reference byte-identical and lists it in skippedReferences', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: null }), 'c.toml': text });
    const result = await cli(dir, ['encrypt', '--all', '--json'], env);
    expect(result.code, show(result)).toBe(0);
    const json = parseJson(result);
    expect(json.encrypted.map((write: { field: string }) => write.field)).toEqual(['c.toml:cache.password']);
    expect([...json.skippedReferences].sort()).toEqual([
      'c.toml:db.password',
      'c.toml:oidc.client_secret',
      'c.toml:smtp.auth_password',
      'c.toml:smtp.password',
    ]);
    const after = read(dir, 'c.toml');
    const [blob] = blobsIn(after);
    expect(blob).toMatch(V1_BLOB);
    expect(after).toBe(text.replace('"plain-cache-pw"', `"${blob}"`));
    expectNotShown([result], 'fallback-pw');
  });

  it.each([
    ['db.password', 'DB_PW'],
    ['oidc.client_secret', 'OIDC_CLIENT_SECRET'],
    ['smtp.auth_password', 'SMTP_AUTH'],
  ])('encrypt c.toml:%s --existing is a usage error naming %s; nothing is written', async (key, name) => {
    const settings = setup({ 'app.toml': appToml({ format: null }), 'c.toml': text });
    const app = read(settings.dir, 'app.toml');
    const result = await cli(settings.dir, ['encrypt', `c.toml:${key}`, '--existing', '--json'], env);
    const error = errorOf(result, 2);
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toContain(name);
    expect(read(settings.dir, 'c.toml')).toBe(text);
    expect(read(settings.dir, 'app.toml')).toBe(app);
    expect(auditLines(settings)).toEqual([]);
    expectNotShown([result], 'fallback-pw');
  });
});

describe('3. master_key = "${M:-default}": M is the key, the default is never used', () => {
  const app = appToml({ master: 'M', format: null }).replace('master_key = "${M}"', 'master_key = "${M:-some-key-text}"');
  if (!app.includes('${M:-some-key-text}')) throw new Error('test setup: master_key has no default');
  const onlyM = { M: KEY_A };

  it('status: problem E_KEY_ON_DISK, exit 1, with M set or not; the default is never shown', async () => {
    const { dir } = setup({ 'app.toml': app });
    const runs = await Promise.all([
      cli(dir, ['status', '--json'], onlyM),
      cli(dir, ['status', '--json'], {}),
      cli(dir, ['status'], onlyM),
      cli(dir, ['status'], {}),
    ]);
    for (const result of runs) expect(result.code, show(result)).toBe(1);
    for (const result of runs.slice(0, 2)) expect(codes(parseJson(result).problems)).toContain('E_KEY_ON_DISK');
    expectNotShown(runs, 'some-key-text');
  });

  it("with M set, encrypt and decrypt use M's value: the blob opens where M is the plain master, a blob of the default does not", async () => {
    const { dir } = setup({ 'app.toml': app, 'c.toml': `[db]\npassword = "${seal('some-key-text', 'under-the-default', 'v1')}"\n` });
    const control = setup({ 'app.toml': appToml({ master: 'M', format: null }) });
    const sealed = await cli(dir, ['encrypt'], onlyM, 'pool-pw');
    expect(sealed.code, show(sealed)).toBe(0);
    const blob = sealed.stdout.trim();
    expect(blob).toMatch(V1_BLOB);
    expect(await cli(dir, ['decrypt', blob], onlyM)).toMatchObject({ code: 0, stdout: 'pool-pw' });
    expect(await cli(control.dir, ['decrypt', blob], onlyM)).toMatchObject({ code: 0, stdout: 'pool-pw' });
    const byDefault = await cli(dir, ['decrypt', 'c.toml:db.password', '--json'], onlyM);
    expect(errorOf(byDefault, 4).code).toBe('E_AUTH_FAILED');
    expectNotShown([sealed, byDefault], 'some-key-text');
  });

  it('with M unset, encrypt and decrypt exit 3 E_MASTER_KEY_NOT_SET (the default is not a key)', async () => {
    const { dir } = setup({ 'app.toml': app, 'c.toml': `[db]\npassword = "${seal('some-key-text', 'under-the-default', 'v1')}"\n` });
    const encrypt = await cli(dir, ['encrypt', '--json'], {}, 'pool-pw');
    expect(errorOf(encrypt, 3).code).toBe('E_MASTER_KEY_NOT_SET');
    const decrypt = await cli(dir, ['decrypt', 'c.toml:db.password', '--json'], {});
    expect(errorOf(decrypt, 3).code).toBe('E_MASTER_KEY_NOT_SET');
    expect(decrypt.stdout).not.toContain('under-the-default');
    expectNotShown([encrypt, decrypt], 'some-key-text');
  });
});

describe('4. the published stock passphrase', () => {
  // a blob the stock passphrase sealed, from the shared vectors: the CLI itself refuses to seal under it
  const stock = JSON.parse(readVector('liberty-blobs.json')).cases.find((c: { name: string }) => c.name === 'legacy-ok-2');

  it.each([
    ['as a legacy key', appToml({ legacy: ['OLD'], format: null }), { ...MASTER, OLD: LEGACY_PASSPHRASE }, 'legacy'],
    ['as the master', appToml({ format: null }), { LIBERTY_MASTER_KEY: LEGACY_PASSPHRASE }, 'master'],
  ])('%s: status exit 1 with E_KEY_PUBLISHED, the passphrase never printed', async (_label, app, env, role) => {
    const { dir } = setup({ 'app.toml': app, 'c.toml': `[db]\npassword = "${stock.blob}"\n` });
    const [json, human] = await Promise.all([cli(dir, ['status', '--json'], env), cli(dir, ['status'], env)]);
    expect(json.code, show(json)).toBe(1);
    expect(human.code, show(human)).toBe(1);
    const report = parseJson(json);
    expect(report.byKey).toEqual([expect.objectContaining({ role, v1: 1 })]);
    expect(codes(report.problems)).toContain('E_KEY_PUBLISHED');
    expectNotShown([json, human], LEGACY_PASSPHRASE);
    expectNotShown([json, human], stock.plaintext);
  });
});

describe('5. a hex master key with upper-case letters', () => {
  const UPPER_A = KEY_A.toUpperCase();
  const UPPER_B = KEY_B.toUpperCase();

  it('under v1: status exit 1 MIXED_CASE_KEY, encrypt exit 3 E_MASTER_KEY_MALFORMED; the key never printed', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: null }) });
    const env = { LIBERTY_MASTER_KEY: UPPER_A };
    const [status, encrypt] = await Promise.all([cli(dir, ['status', '--json'], env), cli(dir, ['encrypt', '--json'], env, 'x')]);
    expect(status.code, show(status)).toBe(1);
    expect(codes(parseJson(status).problems)).toContain('MIXED_CASE_KEY');
    expect(errorOf(encrypt, 3).code).toBe('E_MASTER_KEY_MALFORMED');
    expectNotShown([status, encrypt], UPPER_A);
  });

  it('under v1: keys rotate --to an upper-case hex key exits 3 E_KEY_MALFORMED; app.toml unchanged', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: null }) });
    const app = read(dir, 'app.toml');
    const result = await cli(dir, ['keys', 'rotate', '--to', 'NEW', '--json'], { ...MASTER, NEW: UPPER_B });
    expect(errorOf(result, 3).code).toBe('E_KEY_MALFORMED');
    expect(read(dir, 'app.toml')).toBe(app);
    expectNotShown([result], UPPER_B);
  });

  it('under format = "v2" the same key is fine: status exit 0 without MIXED_CASE_KEY, encrypt seals', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: 'v2' }) });
    const env = { LIBERTY_MASTER_KEY: UPPER_A };
    const [status, encrypt] = await Promise.all([cli(dir, ['status', '--json'], env), cli(dir, ['encrypt'], env, 'x')]);
    expect(status.code, show(status)).toBe(0);
    expect(codes(parseJson(status).problems)).not.toContain('MIXED_CASE_KEY');
    expect(encrypt.code, show(encrypt)).toBe(0);
    expect(encrypt.stdout).toMatch(/^ENC:v2:439d87b0:/);
  });
});

describe('6. a passphrase master under v1', () => {
  const PASSPHRASE = 'an old install passphrase 2019!';
  const env = { LIBERTY_MASTER_KEY: PASSPHRASE };

  it('status exit 0 with warning PASSPHRASE_MASTER; encrypt FILE:KEY writes a v1 blob that decrypts', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: null }), 'c.toml': '[db]\nhost = "db"\n' });
    const status = await cli(dir, ['status', '--json'], env);
    expect(status.code, show(status)).toBe(0);
    expect(codes(parseJson(status).warnings)).toContain('PASSPHRASE_MASTER');
    expect(parseJson(status).problems).toEqual([]);

    const encrypt = await cli(dir, ['encrypt', 'c.toml:db.password'], env, 'pool-pw\n');
    expect(encrypt.code, show(encrypt)).toBe(0);
    const after = read(dir, 'c.toml');
    expect(after).toMatch(/^\[db\]\nhost = "db"\npassword = "ENC:[A-Za-z0-9+/]+={0,2}"\n$/);
    expect(await cli(dir, ['decrypt', 'c.toml:db.password'], env)).toMatchObject({ code: 0, stdout: 'pool-pw' });
    expectNotShown([status, encrypt], PASSPHRASE);
  });
});

describe('7. blobs under the master in the other format', () => {
  const cases = [
    ['a v1 directory (no format line) holding v2 blobs', { format: null, blobs: 'v2', after: V1_BLOB }],
    ['a format = "v2" directory holding v1 blobs', { format: 'v2', blobs: 'v1', after: /^ENC:v2:439d87b0:[A-Za-z0-9_-]+$/ }],
  ] as const;

  it.each(cases)(
    '%s: status FORMAT_BLOBS and rewrap --check reason format (exit 1); after rewrap both exit 0',
    async (_label, { format, blobs, after }) => {
      const text = `[db]\npassword = "${seal(KEY_A, 'db-pw', blobs)}"\n\n[pools.main]\nurl = "postgresql://app:${seal(KEY_A, 'pool-pw', blobs)}@db/app"\n`;
      const { dir } = setup({ 'app.toml': appToml({ format }), 'c.toml': text });

      const status = await cli(dir, ['status', '--json'], MASTER);
      expect(status.code, show(status)).toBe(1);
      expect(codes(parseJson(status).problems)).toEqual(['FORMAT_BLOBS']);
      const check = await cli(dir, ['rewrap', '--check', '--json'], MASTER);
      expect(check.code, show(check)).toBe(1);
      expect(parseJson(check).onLegacy).toEqual([
        expect.objectContaining({ file: 'c.toml', key: 'db.password', format: blobs, reason: 'format' }),
        expect.objectContaining({ file: 'c.toml', key: 'pools.main.url', format: blobs, reason: 'format' }),
      ]);
      expect(read(dir, 'c.toml')).toBe(text);

      const rewrap = await cli(dir, ['rewrap'], MASTER);
      expect(rewrap.code, show(rewrap)).toBe(0);
      const rewritten = read(dir, 'c.toml');
      expect(masked(rewritten)).toBe(masked(text));
      for (const blob of blobsIn(rewritten)) expect(blob).toMatch(after);
      const [recheck, restatus, db, pool] = await Promise.all([
        cli(dir, ['rewrap', '--check'], MASTER),
        cli(dir, ['status', '--json'], MASTER),
        cli(dir, ['decrypt', 'c.toml:db.password'], MASTER),
        cli(dir, ['decrypt', 'c.toml:pools.main.url'], MASTER),
      ]);
      expect(recheck.code, show(recheck)).toBe(0);
      expect(restatus.code, show(restatus)).toBe(0);
      expect(db).toMatchObject({ code: 0, stdout: 'db-pw' });
      expect(pool).toMatchObject({ code: 0, stdout: 'postgresql://app:pool-pw@db/app' });
    },
  );
});

describe('8. blobs embedded in a longer string', () => {
  it('two blobs in one value: named url#1 and url#2, counted, kept by drop-legacy, re-sealed in place by rewrap', async () => {
    const [one, two] = [seal(KEY_B, 'pw-one', 'v1'), seal(KEY_B, 'pw-two', 'v1')];
    const text = `# one URL, two secrets\nurl = "x://a:${one}@h/?backup=${two}"   # primary and backup\n`;
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'], format: null }), 'c.toml': text });
    const app = read(dir, 'app.toml');
    const both = { ...MASTER, OLD: KEY_B };

    const [check, status, drop] = await Promise.all([
      cli(dir, ['rewrap', '--check', '--json'], both),
      cli(dir, ['status', '--json'], both),
      cli(dir, ['keys', 'drop-legacy', 'OLD', '--json'], both),
    ]);
    expect(check.code, show(check)).toBe(1);
    expect(parseJson(check).onLegacy).toEqual([
      expect.objectContaining({ file: 'c.toml', key: 'url#1', opensWith: 'OLD' }),
      expect.objectContaining({ file: 'c.toml', key: 'url#2', opensWith: 'OLD' }),
    ]);
    expect(parseJson(status).blobs).toMatchObject({ total: 2, v1: 2 });
    expect(parseJson(status).byKey).toEqual([expect.objectContaining({ env: 'OLD', role: 'legacy', v1: 2 })]);
    expect(drop.code, show(drop)).toBe(1);
    expect(read(dir, 'app.toml')).toBe(app);

    const rewrap = await cli(dir, ['rewrap'], both);
    expect(rewrap.code, show(rewrap)).toBe(0);
    const after = read(dir, 'c.toml');
    expect(masked(after)).toBe(masked(text));
    const blobs = blobsIn(after);
    expect(blobs).toHaveLength(2);
    for (const blob of blobs) {
      expect(blob).toMatch(V1_BLOB);
      expect([one, two]).not.toContain(blob);
    }
    // only the master from now on: both opened in place
    const decrypt = await cli(dir, ['decrypt', 'c.toml:url'], MASTER);
    expect(decrypt).toMatchObject({ code: 0, stdout: 'x://a:pw-one@h/?backup=pw-two' });
    const dropAfter = await cli(dir, ['keys', 'drop-legacy', 'OLD'], both);
    expect(dropAfter.code, show(dropAfter)).toBe(0);
  });

  it('one blob current, one on the legacy key: only url#2 is named and re-sealed, url#1 keeps its bytes', async () => {
    const [current, old] = [seal(KEY_A, 'pw-master', 'v1'), seal(KEY_B, 'pw-old', 'v1')];
    const text = `url = "x://a:${current}@h/?backup=${old}"\n`;
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'], format: null }), 'c.toml': text });
    const both = { ...MASTER, OLD: KEY_B };
    const check = await cli(dir, ['rewrap', '--check', '--json'], both);
    expect(check.code, show(check)).toBe(1);
    expect(parseJson(check).onLegacy).toEqual([expect.objectContaining({ file: 'c.toml', key: 'url#2', opensWith: 'OLD' })]);
    const rewrap = await cli(dir, ['rewrap'], both);
    expect(rewrap.code, show(rewrap)).toBe(0);
    const [first, second] = blobsIn(read(dir, 'c.toml'));
    expect(first).toBe(current);
    expect(second).not.toBe(old);
    expect(read(dir, 'c.toml')).toBe(text.replace(old, second));
    expect(await cli(dir, ['decrypt', 'c.toml:url'], MASTER)).toMatchObject({ code: 0, stdout: 'x://a:pw-master@h/?backup=pw-old' });
  });

  it('a URL with a plaintext password: warning PLAINTEXT_URL_PASSWORD, exit 0, the password never printed', async () => {
    const { dir } = setup({
      'app.toml': appToml({ format: null }),
      'c.toml': '[pools.main]\nurl = "postgresql://app:s3cr3t-pw-77@db/app"\n',
    });
    const [json, human] = await Promise.all([cli(dir, ['status', '--json'], MASTER), cli(dir, ['status'], MASTER)]);
    expect(json.code, show(json)).toBe(0);
    expect(human.code, show(human)).toBe(0);
    expect(codes(parseJson(json).warnings)).toEqual(['PLAINTEXT_URL_PASSWORD']);
    expectNotShown([json, human], 's3cr3t-pw-77');
  });
});

describe('9. keys add-legacy NAME', () => {
  const app = `${appToml({ legacy: ['OLD'], format: null })}\n[server]\nport = 8080   # keep this comment\n`;
  const env = { ...MASTER, OLD: KEY_B, OLDER: 'a passphrase two generations old' };

  it.each([
    ['an unset NAME', 3, 'E_KEY_NOT_SET', 'UNSET_KEY', app],
    ['a legacy key already', 2, 'E_USAGE', 'OLD', app],
    ["the master's name", 2, 'E_USAGE', 'LIBERTY_MASTER_KEY', app],
    [
      'without settings:framework',
      8,
      'E_PERMISSION_DENIED',
      'OLDER',
      appToml({ legacy: ['OLD'], format: null, permissions: ['settings:reveal-secrets'] }),
    ],
  ])('refuses %s (exit %i, %s), app.toml unchanged, nothing logged as done', async (_label, exitCode, code, name, text) => {
    const settings = setup({ 'app.toml': text });
    const result = await cli(settings.dir, ['keys', 'add-legacy', name, '--json'], env);
    expect(errorOf(result, exitCode).code).toBe(code);
    expect(read(settings.dir, 'app.toml')).toBe(text);
    expect(auditLines(settings).filter((line) => line.outcome === 'ok')).toEqual([]);
  });

  const withLegacy = (line: string) => {
    const text = app.replace('legacy_keys = ["${OLD}"]', line);
    if (text === app) throw new Error('test setup: no legacy_keys line to replace');
    return text;
  };
  const SINGLE_ENTRY = /^[\s,]*(["'])\$\{OLDER\}\1[\s,]*$/;
  it.each([
    ['to a one-line array', app, ['OLD', 'OLDER'], SINGLE_ENTRY],
    [
      'as a new legacy_keys line',
      `${appToml({ format: null })}\n[server]\nport = 8080   # keep this comment\n`,
      ['OLDER'],
      /^\n?legacy_keys = \["\$\{OLDER\}"\]\n?$/,
    ],
    [
      'to a multi-line array with a comment per key',
      withLegacy('legacy_keys = [\n  "${OLD}",  # the 2023 passphrase\n]'),
      ['OLD', 'OLDER'],
      SINGLE_ENTRY,
    ],
    ['to an array whose entry is in single quotes', withLegacy("legacy_keys = ['${OLD}']"), ['OLD', 'OLDER'], SINGLE_ENTRY],
  ])(
    'appends "${OLDER}" %s: nothing but the new entry changes in app.toml; audit line keys.add-legacy',
    async (_label, text, legacy, insertion) => {
      const settings = setup({ 'app.toml': text });
      const result = await cli(settings.dir, ['keys', 'add-legacy', 'OLDER', '--json'], env);
      expect(result.code, show(result)).toBe(0);
      const after = read(settings.dir, 'app.toml');
      expect(insertionOf(text, after), after).toMatch(insertion);
      const fingerprint = parseJson(await cli(settings.dir, ['fingerprint', '--json'], env));
      expect(fingerprint.legacy.map((key: { env: string }) => key.env)).toEqual(legacy);
      expect(auditLines(settings)).toEqual([
        expect.objectContaining({ event: 'keys.add-legacy', outcome: 'ok', details: expect.objectContaining({ env: 'OLDER' }) }),
      ]);
    },
  );
});

/**
 * The text inserted into `before` to make `after`, when `after` is `before` with one insertion and nothing
 * removed or changed (every byte of `before` kept, in order, around one new piece); else undefined.
 */
function insertionOf(before: string, after: string): string | undefined {
  let prefix = 0;
  while (prefix < before.length && before[prefix] === after[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < before.length - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix += 1;
  return prefix + suffix === before.length && after.length > before.length ? after.slice(prefix, after.length - suffix) : undefined;
}

describe('10. a re-seal keeps the string style', () => {
  it('a file of one-line literal strings: each stays literal after rewrap, every other byte as it was', async () => {
    const originals = [seal(KEY_B, 'cache-pw', 'v1'), seal(KEY_B, 'redis-pw', 'v1')];
    const text = `# literal strings only\n[cache]\npassword = '${originals[0]}'\nurl = 'redis://:${originals[1]}@cache:6379/0'   # the pool\n`;
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'], format: null }), 'literal.toml': text });
    const rewrap = await cli(dir, ['rewrap'], { ...MASTER, OLD: KEY_B });
    expect(rewrap.code, show(rewrap)).toBe(0);
    const after = read(dir, 'literal.toml');
    expect(masked(after)).toBe(masked(text));
    const blobs = blobsIn(after);
    expect(blobs).toHaveLength(2);
    for (const blob of blobs) expect(originals).not.toContain(blob);
    expect(after).toMatch(/^password = 'ENC:[A-Za-z0-9+/]+={0,2}'$/m);
    expect(after).toMatch(/^url = 'redis:\/\/:ENC:[A-Za-z0-9+/]+={0,2}@cache:6379\/0' {3}# the pool$/m);
    const opened = await Promise.all(['cache.password', 'cache.url'].map((key) => cli(dir, ['decrypt', `literal.toml:${key}`], MASTER)));
    expect(opened.map((result) => [result.code, result.stdout])).toEqual([
      [0, 'cache-pw'],
      [0, 'redis://:redis-pw@cache:6379/0'],
    ]);
  });

  it('literal, multi-line basic and multi-line literal blobs (and a literal URL holding one) stay so after rewrap; every other byte as it was', async () => {
    const originals = ['lit-pw', 'ml-pw', 'mll-pw', 'ml-newline-pw', 'url-pw'].map((plaintext) => seal(KEY_B, plaintext, 'v1'));
    const [lit, ml, mll, mlNewline, url] = originals;
    const text = [
      '[pool]',
      `password = '${lit}'   # literal`,
      `auth_password = """${ml}"""`,
      `api_key = '''${mll}'''`,
      `url = 'oracle://system:${url}@db:1521/'`,
      '',
      '[pool.next]',
      'password = """',
      `${mlNewline}"""`,
      '',
    ].join('\n');
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'], format: null }), 'c.toml': text });
    const rewrap = await cli(dir, ['rewrap'], { ...MASTER, OLD: KEY_B });
    expect(rewrap.code, show(rewrap)).toBe(0);
    const after = read(dir, 'c.toml');
    expect(masked(after)).toBe(masked(text));
    const blobs = blobsIn(after);
    expect(blobs).toHaveLength(5);
    for (const blob of blobs) {
      expect(blob).toMatch(V1_BLOB);
      expect(originals).not.toContain(blob);
    }
    expect(after).toMatch(/^password = 'ENC:[A-Za-z0-9+/]+={0,2}' {3}# literal$/m);
    expect(after).toMatch(/^auth_password = """ENC:[A-Za-z0-9+/]+={0,2}"""$/m);
    expect(after).toMatch(/^api_key = '''ENC:[A-Za-z0-9+/]+={0,2}'''$/m);
    expect(after).toMatch(/^password = """\nENC:[A-Za-z0-9+/]+={0,2}"""$/m);
    expect(after).toMatch(/^url = 'oracle:\/\/system:ENC:[A-Za-z0-9+/]+={0,2}@db:1521\/'$/m);
    const opened = await Promise.all(
      ['pool.password', 'pool.auth_password', 'pool.api_key', 'pool.url', 'pool.next.password'].map((key) =>
        cli(dir, ['decrypt', `c.toml:${key}`], MASTER),
      ),
    );
    expect(opened.map((result) => [result.code, result.stdout])).toEqual([
      [0, 'lit-pw'],
      [0, 'ml-pw'],
      [0, 'mll-pw'],
      [0, 'oracle://system:url-pw@db:1521/'],
      [0, 'ml-newline-pw'],
    ]);
  });
});
