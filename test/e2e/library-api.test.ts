// The library API as a program would use it: everything is imported through the package name
// 'liberty-crypto', which resolves (package.json exports) to the built entry dist/index.js. Blobs are made
// here with node:crypto from the documented formats, independently of the code under test.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect, promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EXIT_CODES,
  isBlobText,
  LibertyError,
  loadKeyring,
  loadSettingsDirectory,
  loadSettingsFile,
  openBlob,
  sealValue,
  type Keyring,
} from 'liberty-crypto';
import { baseEnv, KEY_A, KEY_A_FP, KEY_B, KEY_B_FP, LEGACY_PASSPHRASE, parseJson, REPO, runCli } from '../support/cli.js';

const run = promisify(execFile);
const ENTRY = join(REPO, 'dist/index.js');
const PROBE = join(REPO, 'test/support/library-probe.mjs');
const KID_A = KEY_A_FP.slice(0, 8);
const KID_B = KEY_B_FP.slice(0, 8);

// --- blobs made from the documented formats --------------------------------------------------------

function v2Blob(keyHex: string, plaintext: string): string {
  const key = Buffer.from(keyHex, 'hex');
  const kid = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(`ENC:v2:${kid}:`, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `ENC:v2:${kid}:${Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url')}`;
}

function legacyBlob(passphrase: string, plaintext: string): string {
  const salt = randomBytes(64);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-gcm', pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, 2145, 32, 'sha512'), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `ENC:${Buffer.concat([salt, iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

/** The same blob with one ciphertext character changed (still canonical base64url). */
function tamper(blob: string): string {
  const at = blob.length - 20;
  return blob.slice(0, at) + (blob[at] === 'A' ? 'B' : 'A') + blob.slice(at + 1);
}

// --- settings directories ----------------------------------------------------------------------------

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function settingsDir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lc-lib-'));
  roots.push(root);
  const dir = join(root, 'config');
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const PLAINTEXTS = ['pool-secret-1', 'billing-token-2', 'host-secret-3', 'server-secret-4', 'acme-oidc-5'];
const APP = [
  '[crypto]',
  'master_key = "${LIBERTY_MASTER_KEY}"',
  'legacy_keys = ["${OLD_HEX}", "${OLD_PASS}", "${GONE}"]',
  `fingerprint = "${KEY_A_FP}"`,
  '',
  '[permissions]',
  `"settings:reveal-secrets" = ["${userInfo().username}"]`,
  '',
].join('\n');
const ENV = { LIBERTY_MASTER_KEY: KEY_A, OLD_HEX: KEY_B, OLD_PASS: LEGACY_PASSPHRASE };

function connectorsToml(password = v2Blob(KEY_A, PLAINTEXTS[0])): string {
  return [
    '# connectors',
    '[pools.main]',
    'user = "liberty"',
    `password = "${password}"`,
    'size = 10',
    'big = 9007199254740993',
    'started = 1979-05-27T07:32:00Z',
    '',
    '[connectors.billing]',
    `auth = { kind = "bearer", auth_token = "${legacyBlob(LEGACY_PASSPHRASE, PLAINTEXTS[1])}" }`,
    `hosts = ["a.example", "${v2Blob(KEY_B, PLAINTEXTS[2])}"]`,
    'enabled = true',
    '',
    '[[servers]]',
    'name = "one"',
    `password = "${v2Blob(KEY_B, PLAINTEXTS[3])}"`,
    '',
    '[[servers]]',
    'name = "two"',
    'password = "plain"',
    '',
  ].join('\n');
}

const CONNECTORS = {
  pools: {
    main: { user: 'liberty', password: PLAINTEXTS[0], size: 10, big: 9007199254740993n, started: new Date('1979-05-27T07:32:00Z') },
  },
  connectors: { billing: { auth: { kind: 'bearer', auth_token: PLAINTEXTS[1] }, hosts: ['a.example', PLAINTEXTS[2]], enabled: true } },
  servers: [
    { name: 'one', password: PLAINTEXTS[3] },
    { name: 'two', password: 'plain' },
  ],
};

function fullSettings(connectors = connectorsToml()): string {
  const dir = settingsDir({
    'app.toml': APP,
    'connectors.toml': connectors,
    'tenants/acme.toml': `[oidc]\nclient_secret = "${v2Blob(KEY_A, PLAINTEXTS[4])}"\n`,
    '.hidden.toml': 'this is not toml\n', // skipped, or loading would fail
    'notes.txt': 'not a settings file\n',
  });
  writeFileSync(join(dir, '..', 'outside.toml'), 'this is not toml either\n');
  symlinkSync('../outside.toml', join(dir, 'outside.toml')); // a link leading outside is not followed
  return dir;
}

/** The LibertyError that `promise` rejects with (or `fn` throws). */
async function failure(work: Promise<unknown> | (() => unknown)): Promise<LibertyError> {
  const error = await (typeof work === 'function' ? Promise.resolve().then(work) : work).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibertyError);
  return error as LibertyError;
}

/** No key, no passphrase and no plaintext anywhere in what an error shows or carries. */
function expectNoSecrets(error: unknown, plaintexts: readonly string[] = PLAINTEXTS): void {
  const shown = [inspect(error, { depth: 10 }), JSON.stringify(error), String((error as Error).stack)].join('\n');
  for (const secret of [KEY_A, KEY_B, LEGACY_PASSPHRASE, ...plaintexts]) expect(shown).not.toContain(secret);
}

// --- the tests ---------------------------------------------------------------------------------------

describe('the package entry', () => {
  it("'liberty-crypto' resolves to the built dist/index.js and exports exactly the documented API", async () => {
    expect(fileURLToPath(import.meta.resolve('liberty-crypto'))).toBe(ENTRY);
    const api = await import('liberty-crypto');
    expect(Object.keys(api).sort()).toEqual(
      [
        'EXIT_CODES',
        'EXIT_STATUS',
        'LibertyError',
        'isBlobText',
        'loadKeyring',
        'loadSettingsDirectory',
        'loadSettingsFile',
        'openBlob',
        'sealValue',
      ].sort(),
    );
    expect(EXIT_CODES.E_AUTH_FAILED).toBe(4);
  });
});

describe('loadKeyring', () => {
  it('resolves master and legacy keys from the environment map, in order', async () => {
    const keyring = await loadKeyring(fullSettings(), ENV);
    expect(keyring).toEqual({
      masterEnv: 'LIBERTY_MASTER_KEY',
      fingerprint: KEY_A_FP,
      keyId: KID_A,
      legacy: [{ env: 'OLD_HEX', keyId: KID_B }, { env: 'OLD_PASS', keyId: expect.stringMatching(/^[0-9a-f]{8}$/) }, { env: 'GONE' }],
    });
    for (const secret of [KEY_A, KEY_B, LEGACY_PASSPHRASE]) {
      expect(inspect(keyring, { depth: 10, showHidden: true })).not.toContain(secret);
      expect(JSON.stringify(keyring)).not.toContain(secret);
    }
    expect(Object.isFrozen(keyring)).toBe(true);
  });

  it('defaults to LIBERTY_MASTER_KEY when app.toml has no [crypto]', async () => {
    const keyring = await loadKeyring(settingsDir({ 'app.toml': '[server]\nport = 1\n' }), { LIBERTY_MASTER_KEY: KEY_B });
    expect(keyring).toMatchObject({ masterEnv: 'LIBERTY_MASTER_KEY', keyId: KID_B, legacy: [] });
  });

  it('E_MASTER_KEY_NOT_SET when the master variable is unset or empty', async () => {
    for (const env of [{}, { LIBERTY_MASTER_KEY: '' }]) {
      const error = await failure(loadKeyring(fullSettings(), env));
      expect(error.code).toBe('E_MASTER_KEY_NOT_SET');
      expect(error.exitCode).toBe(3);
    }
  });

  it('E_FINGERPRINT_MISMATCH when the master key is not the one app.toml stores, naming neither key', async () => {
    const error = await failure(loadKeyring(fullSettings(), { ...ENV, LIBERTY_MASTER_KEY: KEY_B }));
    expect(error.code).toBe('E_FINGERPRINT_MISMATCH');
    expect(error.exitCode).toBe(3);
    expectNoSecrets(error);
  });

  it('E_KEY_ON_DISK for a key written into app.toml, without echoing it', async () => {
    const dir = settingsDir({ 'app.toml': `[crypto]\nmaster_key = "${KEY_A}"\n` });
    const error = await failure(loadKeyring(dir, ENV));
    expect(error).toMatchObject({ code: 'E_KEY_ON_DISK', file: 'app.toml', field: 'crypto.master_key', exitCode: 3 });
    expectNoSecrets(error);
  });

  it('E_IO for a missing settings directory', async () => {
    expect((await failure(loadKeyring(join(tmpdir(), 'lc-lib-missing-dir-xyz'), ENV))).code).toBe('E_IO');
  });
});

describe('openBlob and sealValue', () => {
  let keyring: Keyring;
  it('opens v2 blobs of the master and of a legacy key, and legacy-format blobs', async () => {
    keyring = await loadKeyring(fullSettings(), ENV);
    expect(await openBlob(keyring, v2Blob(KEY_A, 'under the master'))).toBe('under the master');
    expect(await openBlob(keyring, v2Blob(KEY_B, 'under a legacy key'))).toBe('under a legacy key');
    expect(await openBlob(keyring, legacyBlob(LEGACY_PASSPHRASE, 'legacy format ü'))).toBe('legacy format ü');
    expect(await openBlob(keyring, v2Blob(KEY_A, ''))).toBe('');
  });

  it('seals v1 (the framework layout) where app.toml names no format, v2 where it says format = "v2"', async () => {
    keyring ??= await loadKeyring(fullSettings(), ENV);
    const v1 = sealValue(keyring, 'for the framework');
    expect(v1).toMatch(/^ENC:[A-Za-z0-9+/]+={0,2}$/);
    expect(await openBlob(keyring, v1)).toBe('for the framework');
    const v2Ring = await loadKeyring(settingsDir({ 'app.toml': '[crypto]\nformat = "v2"\n' }), ENV);
    expect(sealValue(v2Ring, 'x')).toMatch(new RegExp(`^ENC:v2:${KID_A}:[A-Za-z0-9_-]+$`));
  });

  it('seals under the master key; every seal differs and opens to the same text', async () => {
    keyring = await loadKeyring(settingsDir({ 'app.toml': '[crypto]\nformat = "v2"\n' }), ENV);
    const text = 'a new token: ✓ "quoted"\n';
    const [one, two] = [sealValue(keyring, text), sealValue(keyring, text)];
    expect(one).toMatch(new RegExp(`^ENC:v2:${KID_A}:[A-Za-z0-9_-]+$`));
    expect(one).not.toBe(two);
    expect(isBlobText(one)).toBe(true);
    expect(await openBlob(keyring, one)).toBe(text);
    expect(await openBlob(keyring, two)).toBe(text);
  });

  it('fails with the CLI codes: tampered, unknown key, malformed, not a blob', async () => {
    keyring ??= await loadKeyring(fullSettings(), ENV);
    const cases: Array<[string, string]> = [
      [tamper(v2Blob(KEY_A, PLAINTEXTS[0])), 'E_AUTH_FAILED'],
      [tamper(legacyBlob(LEGACY_PASSPHRASE, PLAINTEXTS[1])), 'E_AUTH_FAILED'],
      [v2Blob(randomBytes(32).toString('hex'), PLAINTEXTS[2]), 'E_NO_MATCHING_KEY'],
      ['ENC:v2:zz:abc', 'E_MALFORMED_BLOB'],
      [PLAINTEXTS[3], 'E_NOT_ENCRYPTED'],
    ];
    for (const [blob, code] of cases) {
      const error = await failure(openBlob(keyring, blob));
      expect(error.code).toBe(code);
      expect(error.exitCode).toBe(EXIT_CODES[code as keyof typeof EXIT_CODES]);
      expectNoSecrets(error);
    }
  });

  it('refuses a keyring it did not make, and a plaintext that utf-8 would change', async () => {
    keyring ??= await loadKeyring(fullSettings(), ENV);
    const forged = { ...keyring };
    await expect(openBlob(forged, v2Blob(KEY_A, 'x'))).rejects.toBeInstanceOf(TypeError);
    expect(() => sealValue(forged, 'x')).toThrow(TypeError);
    expect(() => sealValue(keyring, 42 as unknown as string)).toThrow(TypeError);
    expect((await failure(() => sealValue(keyring, 'lone \ud800 surrogate'))).code).toBe('E_BAD_SETTINGS');
  });

  it('E_MASTER_KEY_MALFORMED when sealing v2 with a passphrase master key (it can still open v1 blobs)', async () => {
    const passphrase = 'an old install passphrase 2019!';
    const dir = settingsDir({ 'app.toml': '[crypto]\nmaster_key = "${OTHER_PASS}"\nformat = "v2"\n' });
    const passphraseRing = await loadKeyring(dir, { OTHER_PASS: passphrase });
    expect(await openBlob(passphraseRing, legacyBlob(passphrase, 'old'))).toBe('old');
    const error = await failure(() => sealValue(passphraseRing, 'new'));
    expect(error.code).toBe('E_MASTER_KEY_MALFORMED');
    expect(error.message + (error.hint ?? '')).not.toContain(passphrase);
  });

  it('E_KEY_PUBLISHED when sealing with the published stock passphrase (it can still open its blobs)', async () => {
    const dir = settingsDir({ 'app.toml': '[crypto]\nmaster_key = "${OLD_PASS}"\n' });
    const stockRing = await loadKeyring(dir, ENV);
    expect(await openBlob(stockRing, legacyBlob(LEGACY_PASSPHRASE, 'old'))).toBe('old');
    const error = await failure(() => sealValue(stockRing, 'new'));
    expect(error.code).toBe('E_KEY_PUBLISHED');
    expectNoSecrets(error);
  });
});

describe('loadSettingsFile and loadSettingsDirectory', () => {
  it('loads a file as plain data with every blob opened: nested tables, inline tables, arrays, arrays of tables', async () => {
    const dir = fullSettings();
    const data = await loadSettingsFile(dir, 'connectors.toml', { env: ENV });
    expect(data).toEqual(CONNECTORS);
    expect(typeof (data.pools as any).main.size).toBe('number');
    expect((data.pools as any).main.started).toBeInstanceOf(Date);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    const keyring = await loadKeyring(dir, ENV);
    expect(await loadSettingsFile(dir, './connectors.toml', { keyring })).toEqual(CONNECTORS);
  });

  it('loads the directory keyed by section, skipping hidden files, other files and links leading outside', async () => {
    const sections = await loadSettingsDirectory(fullSettings(), { env: ENV });
    expect(Object.keys(sections)).toEqual(['app', 'connectors', 'tenants/acme']);
    expect(sections.connectors).toEqual(CONNECTORS);
    expect(sections['tenants/acme']).toEqual({ oidc: { client_secret: PLAINTEXTS[4] } });
    expect((sections.app as any).crypto.master_key).toBe('${LIBERTY_MASTER_KEY}');
  });

  it('names file and field of a tampered blob: E_AUTH_FAILED, the same code and exit status as the CLI', async () => {
    const dir = fullSettings(connectorsToml(tamper(v2Blob(KEY_A, PLAINTEXTS[0]))));
    for (const error of [
      await failure(loadSettingsFile(dir, 'connectors.toml', { env: ENV })),
      await failure(loadSettingsDirectory(dir, { keyring: await loadKeyring(dir, ENV) })),
    ]) {
      expect(error).toMatchObject({ code: 'E_AUTH_FAILED', exitCode: 4, file: 'connectors.toml', field: 'pools.main.password' });
      expect(error.message).toMatch(/^connectors\.toml:pools\.main\.password: /);
      expectNoSecrets(error);
    }
    const cli = await runCli(['decrypt', '-s', dir, 'connectors.toml:pools.main.password', '--json'], { env: ENV });
    expect(cli.code).toBe(4);
    expect(parseJson(cli).error.code).toBe('E_AUTH_FAILED');
  });

  it('names an array element by its index', async () => {
    const dir = fullSettings(`hosts = ["a", "${tamper(v2Blob(KEY_B, PLAINTEXTS[2]))}"]\n`);
    const error = await failure(loadSettingsFile(dir, 'connectors.toml', { env: ENV }));
    expect(error).toMatchObject({ code: 'E_AUTH_FAILED', file: 'connectors.toml', field: 'hosts.1' });
  });

  it('needs the master key only once a blob is met: E_MASTER_KEY_NOT_SET names the first blob, as the CLI code', async () => {
    const plain = settingsDir({ 'app.toml': APP, 'db.toml': '[pools.main]\npassword = ""\n' });
    expect(await loadSettingsDirectory(plain, { env: {} })).toMatchObject({ db: { pools: { main: { password: '' } } } });
    const dir = fullSettings();
    const error = await failure(loadSettingsDirectory(dir, { env: {} }));
    expect(error).toMatchObject({ code: 'E_MASTER_KEY_NOT_SET', exitCode: 3, file: 'connectors.toml', field: 'pools.main.password' });
    const cli = await runCli(['decrypt', '-s', dir, 'connectors.toml:pools.main.password', '--json'], { env: {} });
    expect(cli.code).toBe(3);
    expect(parseJson(cli).error.code).toBe('E_MASTER_KEY_NOT_SET');
  });

  it('E_FINGERPRINT_MISMATCH for a wrong master key even when no blob is opened', async () => {
    const dir = settingsDir({ 'app.toml': APP, 'db.toml': 'size = 1\n' });
    const error = await failure(loadSettingsDirectory(dir, { env: { ...ENV, LIBERTY_MASTER_KEY: KEY_B } }));
    expect(error.code).toBe('E_FINGERPRINT_MISMATCH');
    expectNoSecrets(error);
  });

  it('E_INVALID_TOML names the file and line, never the text of the line', async () => {
    const dir = fullSettings('[pools.main]\npassword = "pool-secret-1\n');
    // one call at a time: a second promise made up front could reject before anything awaits it
    for (const work of [() => loadSettingsFile(dir, 'connectors.toml', { env: ENV }), () => loadSettingsDirectory(dir, { env: ENV })]) {
      const error = await failure(work());
      expect(error).toMatchObject({ code: 'E_INVALID_TOML', exitCode: 5, file: 'connectors.toml' });
      expect(error.message).toMatch(/line 2/);
      expectNoSecrets(error);
    }
    // what only the strict TOML 1.0 parser refuses is refused too, as by status and rewrap
    const strict = settingsDir({ 'app.toml': APP, 'x.toml': 'a = { b = 1, }\n' });
    expect((await failure(loadSettingsDirectory(strict, { env: ENV }))).code).toBe('E_INVALID_TOML');
  });

  it('refuses files that are not settings files of the directory (E_USAGE), like rewrap --files', async () => {
    const dir = fullSettings();
    for (const file of ['.hidden.toml', 'outside.toml', '../outside.toml', 'notes.txt', 'missing.toml']) {
      const error = await failure(loadSettingsFile(dir, file, { env: ENV }));
      expect(error.code).toBe('E_USAGE');
    }
  });

  it('takes a keyring or an environment, not both', async () => {
    const dir = fullSettings();
    const keyring = await loadKeyring(dir, ENV);
    await expect(loadSettingsDirectory(dir, { keyring, env: ENV } as never)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('without oclif', () => {
  const OCLIF = /@oclif\/|oclif\.manifest\.json|enableJsonFlag/;
  const TERMINAL = /node_modules\/(@oclif|chalk|ora|@inquirer)\//;

  /** Every dist file reachable from `entry` by static or dynamic relative imports. */
  function importGraph(entry: string): Map<string, string> {
    const seen = new Map<string, string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      const text = readFileSync(file, 'utf8');
      seen.set(file, text);
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) visit(join(dirname(file), match[1]));
    };
    visit(entry);
    return seen;
  }

  it('no file reachable from dist/index.js holds oclif code (while a command does)', () => {
    const library = importGraph(ENTRY);
    expect(library.size).toBeGreaterThan(1);
    for (const [file, text] of library) expect(OCLIF.test(text), file).toBe(false);
    const command = importGraph(join(REPO, 'dist/commands/status.js'));
    expect([...command.values()].some((text) => OCLIF.test(text))).toBe(true);
  });

  it('a program importing the package and loading settings loads no oclif, chalk, ora or inquirer module', async () => {
    const dir = fullSettings();
    const { stdout } = await run(process.execPath, [PROBE, 'liberty-crypto', dir], { cwd: tmpdir(), env: baseEnv(ENV) });
    const report = JSON.parse(stdout) as { sections: string[]; loaded: string[]; required: string[] };
    expect(report.sections).toEqual(['app', 'connectors', 'tenants/acme']);
    expect(report.loaded).toContain(pathToFileURL(ENTRY).href);
    for (const path of [...report.loaded.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url)), ...report.required]) {
      expect(path).not.toMatch(TERMINAL);
      if (path.startsWith(join(REPO, 'dist'))) expect(OCLIF.test(readFileSync(path, 'utf8')), path).toBe(false);
    }
    // the probe does see oclif where it is loaded
    const control = await run(process.execPath, [PROBE, pathToFileURL(join(REPO, 'dist/commands/status.js')).href], { env: baseEnv() });
    const loaded = (JSON.parse(control.stdout) as { loaded: string[] }).loaded.filter((url) => url.startsWith('file:'));
    expect(loaded.some((url) => OCLIF.test(readFileSync(fileURLToPath(url), 'utf8')))).toBe(true);
  });
});

describe('for consumers', () => {
  it('the README example runs as printed', async () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = /\n## Library API\n([\s\S]*?)\n## /.exec(readme)![1];
    const example = /```js\n([\s\S]*?)```/.exec(section)![1];
    const root = mkdtempSync(join(tmpdir(), 'lc-lib-consumer-'));
    roots.push(root);
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(REPO, join(root, 'node_modules/liberty-crypto'), 'dir');
    writeFileSync(join(root, 'example.mjs'), example);
    const dir = fullSettings();
    const ok = await run(process.execPath, ['example.mjs'], { cwd: root, env: baseEnv({ ...ENV, LIBERTY_SETTINGS_DIR: dir }) });
    expect(ok.stdout).toBe(`key ${KID_A}: pool liberty, password of ${PLAINTEXTS[0].length} characters\ntrue\n`);
    const failed = await run(process.execPath, ['example.mjs'], { cwd: root, env: baseEnv({ LIBERTY_SETTINGS_DIR: dir }) }).then(
      () => expect.fail('the example should fail without a key'),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/^liberty: E_MASTER_KEY_NOT_SET: crypto: master key not set/);
  });

  it('a strict TypeScript program compiles against the declarations (dist/types) by package name', async () => {
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
    ];
    const result = await run(process.execPath, [tsc, ...args, 'test/fixtures/consumer/consumer.ts'], { cwd: REPO }).catch(
      (error: { stdout: string }) => error,
    );
    expect(result.stdout).toBe('');
  }, 60_000);
});
