import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, KEY_B_FP, LEGACY_PASSPHRASE, parseJson, runCli } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { readVector } from '../support/vectors.js';

let settings: TempSettings | undefined;
afterEach(() => settings?.cleanup());

function setup(files: Record<string, string> = { 'app.toml': appToml() }) {
  settings = makeSettings(files);
  return settings;
}

describe('genkey', () => {
  it('prints 64 lower-case hex characters and nothing else', async () => {
    const result = await runCli(['genkey']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(result.stderr).toBe('');
  });

  it('--json gives the key and its fingerprint (sha256 of the key bytes)', async () => {
    const json = parseJson(await runCli(['genkey', '--json']));
    expect(json.key).toMatch(/^[0-9a-f]{64}$/);
    expect(json.fingerprint).toBe(createHash('sha256').update(Buffer.from(json.key, 'hex')).digest('hex'));
  });

  it('two keys differ', async () => {
    const [a, b] = await Promise.all([runCli(['genkey']), runCli(['genkey'])]);
    expect(a.stdout).not.toBe(b.stdout);
  });
});

describe('fingerprint', () => {
  it('reports master, legacy and the stored fingerprint as JSON', async () => {
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'], fingerprint: KEY_A_FP }) });
    const json = parseJson(await runCli(['fingerprint', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B } }));
    expect(json.master).toMatchObject({ env: 'LIBERTY_MASTER_KEY', fingerprint: KEY_A_FP, keyId: KEY_A_FP.slice(0, 8) });
    expect(json.legacy[0]).toMatchObject({ env: 'OLD', fingerprint: KEY_B_FP, keyId: KEY_B_FP.slice(0, 8) });
    expect(json.stored).toBe(KEY_A_FP);
    expect(json.matches).toBe(true);
  });

  it('reports a mismatch instead of failing; --check exits 1 on it', async () => {
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_A_FP }) });
    const env = { LIBERTY_MASTER_KEY: KEY_B };
    const plain = await runCli(['fingerprint', '-s', dir], { env });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('MISMATCH');
    expect((await runCli(['fingerprint', '-s', dir, '--check'], { env })).code).toBe(1);
    expect((await runCli(['fingerprint', '-s', dir, '--check'], { env: { LIBERTY_MASTER_KEY: KEY_A } })).code).toBe(0);
    expect((await runCli(['fingerprint', '-s', dir, '--check'], {})).code).toBe(1);
  });

  it('--check exits 1 when no fingerprint is stored', async () => {
    const { dir } = setup();
    expect((await runCli(['fingerprint', '-s', dir, '--check'], { env: { LIBERTY_MASTER_KEY: KEY_A } })).code).toBe(1);
  });

  it('names the key that opens a blob, from an argument or stdin, without the plaintext', async () => {
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'] }) });
    const blob = seal(KEY_B, 'do-not-print-me');
    const env = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };
    const fromArg = parseJson(await runCli(['fingerprint', '-s', dir, blob, '--json'], { env }));
    expect(fromArg).toMatchObject({ format: 'v2', keyId: KEY_B_FP.slice(0, 8), opensWith: 'OLD', role: 'legacy' });
    const fromStdin = await runCli(['fingerprint', '-s', dir, '-'], { env, input: `${blob}\n` });
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toContain('OLD');
    expect(fromStdin.stdout + fromStdin.stderr).not.toContain('do-not-print-me');
  });
});

describe('encrypt and decrypt', () => {
  const env = { LIBERTY_MASTER_KEY: KEY_A };

  it('round-trips a piped plaintext exactly (one trailing newline dropped)', async () => {
    const { dir } = setup();
    const encrypted = await runCli(['encrypt', '-s', dir], { env, input: 'p@ss wörd 🔐\n' });
    expect(encrypted.code).toBe(0);
    const blob = encrypted.stdout.trim();
    expect(blob).toMatch(/^ENC:v2:439d87b0:[A-Za-z0-9_-]+$/);
    const decrypted = await runCli(['decrypt', '-s', dir, blob], { env });
    expect(decrypted.code).toBe(0);
    expect(decrypted.stdout).toBe('p@ss wörd 🔐');
    const viaStdin = await runCli(['decrypt', '-s', dir], { env, input: `${blob}\n` });
    expect(viaStdin.stdout).toBe('p@ss wörd 🔐');
  });

  it('--from-env and --json', async () => {
    const { dir } = setup();
    const json = parseJson(await runCli(['encrypt', '-s', dir, '--from-env', 'SECRET', '--json'], { env: { ...env, SECRET: 'from env' } }));
    expect(json.keyId).toBe('439d87b0');
    const out = parseJson(await runCli(['decrypt', '-s', dir, json.blob, '--json'], { env }));
    expect(out).toEqual({ plaintext: 'from env' });
  });

  it('--from-env with an unset variable is a usage error', async () => {
    const { dir } = setup();
    const result = await runCli(['encrypt', '-s', dir, '--from-env', 'NOPE_NOT_SET'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('NOPE_NOT_SET');
  });

  it('decrypts a field reference FILE:KEY', async () => {
    const { dir } = setup({
      'app.toml': appToml(),
      'connectors.toml': `[pools.main]\npassword = "${seal(KEY_A, 'pool-pass')}"\nplain = "x"\n`,
    });
    const result = await runCli(['decrypt', '-s', dir, 'connectors.toml:pools.main.password'], { env });
    expect(result).toMatchObject({ code: 0, stdout: 'pool-pass' });
    const plain = await runCli(['decrypt', '-s', dir, 'connectors.toml:pools.main.plain'], { env });
    expect(plain.code).toBe(5);
    expect(plain.stderr).toContain('connectors.toml:pools.main.plain');
    const missing = await runCli(['decrypt', '-s', dir, 'connectors.toml:pools.nope'], { env });
    expect(missing.code).toBe(5);
  });

  it('exit 3: master key not set, with the documented message', async () => {
    const { dir } = setup();
    const result = await runCli(['encrypt', '-s', dir], { input: 'x' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('crypto: master key not set (LIBERTY_MASTER_KEY is empty)');
    expect(result.stderr).toContain('hint:');
  });

  it('exit 3: under v2 a passphrase master can open v1 blobs but not encrypt', async () => {
    const { dir } = setup();
    const passphrase = 'an old install passphrase 2019!';
    const result = await runCli(['encrypt', '-s', dir], { env: { LIBERTY_MASTER_KEY: passphrase }, input: 'x' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('crypto: master key malformed');
    expect(result.stderr).toContain('genkey');
    expect(result.stderr).not.toContain(passphrase);
  });

  it('under v1 (no format line) a passphrase master seals v1 blobs, as the framework does', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: null }) });
    const env = { LIBERTY_MASTER_KEY: 'an old install passphrase 2019!' };
    const sealed = await runCli(['encrypt', '-s', dir], { env, input: 'x' });
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(sealed.stdout).toMatch(/^ENC:[A-Za-z0-9+/]+={0,2}\n$/);
    expect(await runCli(['decrypt', '-s', dir, sealed.stdout.trim()], { env })).toMatchObject({ code: 0, stdout: 'x' });
  });

  it('exit 3: the published stock passphrase seals nothing, in either format, and is never echoed', async () => {
    for (const format of ['v1', 'v2'] as const) {
      const { dir } = setup({ 'app.toml': appToml({ format }) });
      const result = await runCli(['encrypt', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: LEGACY_PASSPHRASE }, input: 'x' });
      expect(result.code).toBe(3);
      expect(JSON.parse(result.stdout).error.code).toBe('E_KEY_PUBLISHED');
      expect(result.stdout + result.stderr).not.toContain(LEGACY_PASSPHRASE);
    }
  });

  it('exit 3: a key written literally into app.toml is refused without echoing it', async () => {
    const { dir } = setup({ 'app.toml': `[crypto]\nmaster_key = "${KEY_B}"\n` });
    const result = await runCli(['encrypt', '-s', dir, '--json'], { env, input: 'x' });
    expect(result.code).toBe(3);
    expect(parseJson(result).error.code).toBe('E_KEY_ON_DISK');
    expect(result.stdout + result.stderr).not.toContain(KEY_B);
  });

  it('exit 3: fingerprint mismatch stops every use of the key, showing both key ids', async () => {
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_B_FP }) });
    const result = await runCli(['decrypt', '-s', dir, seal(KEY_A, 'x')], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('crypto: master key fingerprint mismatch: wrong key for this host?');
    expect(result.stderr).toContain('439d87b0');
    expect(result.stderr).toContain('1f94eb63');
  });

  it('exit 3: no configured key matches, with the rewrap hint', async () => {
    const { dir } = setup();
    const result = await runCli(['decrypt', '-s', dir, seal(KEY_B, 'x')], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('1f94eb63');
    expect(result.stderr).toContain(
      'add the old key back as a legacy key (liberty-crypto keys add-legacy NAME), then run liberty-crypto rewrap',
    );
  });

  it('exit 4: a tampered blob, with the documented message and hint', async () => {
    const { dir } = setup();
    const blob = seal(KEY_A, 'secret');
    const tampered = blob.slice(0, -2) + (blob.at(-2) === 'A' ? 'B' : 'A') + blob.at(-1);
    const result = await runCli(['decrypt', '-s', dir, tampered], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('crypto: authentication tag mismatch');
    expect(result.stderr).toContain('never edit ciphertext by hand');
    expect(result.stdout).toBe('');
  });

  it('exit 5: malformed and not-encrypted values; --json keeps the exit code', async () => {
    const { dir } = setup();
    const malformed = await runCli(['decrypt', '-s', dir, 'ENC:v2:439d87b0:!!', '--json'], { env });
    expect(malformed.code).toBe(5);
    expect(parseJson(malformed)).toEqual({ error: { code: 'E_MALFORMED_BLOB', message: expect.any(String), hint: expect.any(String) } });
    const plain = await runCli(['decrypt', '-s', dir, 'just a password', '--json'], { env });
    expect(plain.code).toBe(5);
    expect(parseJson(plain).error.code).toBe('E_NOT_ENCRYPTED');
    expect(plain.stdout).not.toContain('just a password');
  });

  it('exit 2: usage errors, also under --json', async () => {
    const text = await runCli(['decrypt', '--bogus']);
    expect(text.code).toBe(2);
    const json = await runCli(['decrypt', '--bogus', '--json']);
    expect(json.code).toBe(2);
    expect(parseJson(json).error.code).toBe('E_USAGE');
  });

  it('exit 8: decrypt without settings:reveal-secrets, and the denial is audit-logged', async () => {
    const { dir, audit } = setup({ 'app.toml': appToml({ permissions: [] }) });
    const result = await runCli(['decrypt', '-s', dir, seal(KEY_A, 'hidden')], { env });
    expect(result.code).toBe(8);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('settings:reveal-secrets');
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([expect.objectContaining({ event: 'decrypt', outcome: 'denied' })]);
  });

  it('opens legacy-format blobs with a passphrase key', async () => {
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'] }) });
    const legacyBlob = 'ENC:sYvTMh4rhpnoh5s1O96R/z1BZiSVE8JjEezDZLcDqrO+mGmdSqWo9WuX';
    const vectors = JSON.parse(readVector('liberty-blobs.json'));
    const vector = vectors.cases.find((c: any) => c.blob.startsWith(legacyBlob));
    const result = await runCli(['decrypt', '-s', dir, vector.blob], { env: { LIBERTY_MASTER_KEY: KEY_A, OLD: LEGACY_PASSPHRASE } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(vector.plaintext);
  });
});
