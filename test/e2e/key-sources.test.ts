/**
 * Keys from systemd credentials and secret files (issue 15): `${NAME}` is the variable NAME when set; else
 * the file NAME in $CREDENTIALS_DIRECTORY (systemd LoadCredential=); else the file NAME_FILE names (the
 * Docker and Kubernetes convention, links followed). A file holds the key and at most one newline; one
 * that others may read is refused (exit 3). status says where each key came from.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, KEY_B_FP, parseJson, runCli, type RunResult } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';

const made: TempSettings[] = [];
afterEach(() => {
  for (const settings of made.splice(0)) settings.cleanup();
});

const BLOB_A = seal(KEY_A, 'opened with the master');
const BLOB_B = seal(KEY_B, 'opened with the legacy key');

function setup(): TempSettings & { credentials: string } {
  const settings = makeSettings({
    'app.toml': appToml({ legacy: ['LIBERTY_MASTER_KEY_OLD'] }),
    'c.toml': `[db]\npassword = "${BLOB_A}"\n[cache]\npassword = "${BLOB_B}"\n`,
  });
  made.push(settings);
  const credentials = join(settings.root, 'credentials');
  mkdirSync(credentials, { mode: 0o500 });
  chmodSync(credentials, 0o700); // writable while the test fills it
  return { ...settings, credentials };
}

function writeKey(path: string, text: string, mode = 0o400): string {
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** The error code of a failed --json run. */
function errorCode(result: RunResult): string {
  return parseJson(result).error.code;
}

function expectNoKey(result: RunResult): void {
  for (const key of [KEY_A, KEY_B]) {
    expect(result.stdout).not.toContain(key);
    expect(result.stderr).not.toContain(key);
  }
}

describe('where a key comes from', () => {
  it('$CREDENTIALS_DIRECTORY/NAME when NAME is unset: the blobs open, status says credential', async () => {
    const settings = setup();
    writeKey(join(settings.credentials, 'LIBERTY_MASTER_KEY'), `${KEY_A}\n`);
    writeKey(join(settings.credentials, 'LIBERTY_MASTER_KEY_OLD'), KEY_B);
    const env = { CREDENTIALS_DIRECTORY: settings.credentials };
    const status = await runCli(['status', '-s', settings.dir, '--json'], { env });
    const { keys, unreadable, problems } = parseJson(status);
    expect(problems.map((problem: { code: string }) => problem.code)).toEqual(['LEGACY_KEY_BLOBS']); // the one blob on the legacy key
    expect(keys.master).toMatchObject({ env: 'LIBERTY_MASTER_KEY', set: true, fingerprint: KEY_A_FP, source: 'credential' });
    expect(keys.legacy[0]).toMatchObject({ set: true, fingerprint: KEY_B_FP, source: 'credential' });
    expect(unreadable).toEqual([]);
    const decrypted = await runCli(['decrypt', '-s', settings.dir, 'c.toml:cache.password'], { env });
    expect(decrypted.stdout).toBe('opened with the legacy key');
    const text = await runCli(['status', '-s', settings.dir], { env });
    expect(text.stdout.split('\n')[0]).toMatch(/\bsource$/);
    expect(text.stdout.split('\n')[1]).toMatch(/^master\s+LIBERTY_MASTER_KEY\s+439d87b0\s+set\s+credential$/);
    expectNoKey(text);
  });

  it('the variable wins over a credential, a credential over NAME_FILE', async () => {
    const settings = setup();
    writeKey(join(settings.credentials, 'LIBERTY_MASTER_KEY'), KEY_B);
    const file = writeKey(join(settings.root, 'master.key'), KEY_A, 0o600);
    const fromEnv = parseJson(
      await runCli(['status', '-s', settings.dir, '--json'], {
        env: { LIBERTY_MASTER_KEY: KEY_A, CREDENTIALS_DIRECTORY: settings.credentials },
      }),
    );
    expect(fromEnv.keys.master).toMatchObject({ fingerprint: KEY_A_FP, source: 'env' });
    const fromCredential = parseJson(
      await runCli(['status', '-s', settings.dir, '--json'], {
        env: { CREDENTIALS_DIRECTORY: settings.credentials, LIBERTY_MASTER_KEY_FILE: file },
      }),
    );
    expect(fromCredential.keys.master).toMatchObject({ fingerprint: KEY_B_FP, source: 'credential' });
    const fromFile = parseJson(await runCli(['status', '-s', settings.dir, '--json'], { env: { LIBERTY_MASTER_KEY_FILE: file } }));
    expect(fromFile.keys.master).toMatchObject({ fingerprint: KEY_A_FP, source: 'file' });
  });

  it("NAME_FILE through a Kubernetes secret mount's ..data links: followed, the file at the end is used", async () => {
    const settings = setup();
    const mount = join(settings.root, 'secrets');
    mkdirSync(join(mount, '..2026_11_30_10_00_00.123'), { recursive: true });
    writeKey(join(mount, '..2026_11_30_10_00_00.123', 'master-key'), `${KEY_A}\n`);
    symlinkSync('..2026_11_30_10_00_00.123', join(mount, '..data'));
    symlinkSync('..data/master-key', join(mount, 'master-key'));
    const env = { LIBERTY_MASTER_KEY_FILE: join(mount, 'master-key'), LIBERTY_MASTER_KEY_OLD: KEY_B };
    const decrypted = await runCli(['decrypt', '-s', settings.dir, 'c.toml:db.password'], { env });
    expect(decrypted.code, decrypted.stderr).toBe(0);
    expect(decrypted.stdout).toBe('opened with the master');
    expect(parseJson(await runCli(['fingerprint', '-s', settings.dir, '--json'], { env })).master.source).toBe('file');
  });

  it('keys rotate --to NEW reads NEW from NEW_FILE too', async () => {
    const settings = setup();
    const file = writeKey(join(settings.root, 'new.key'), `${KEY_B}\n`, 0o600);
    const rotated = await runCli(['keys', 'rotate', '-s', settings.dir, '--to', 'LIBERTY_MASTER_KEY_NEW', '--json'], {
      env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_MASTER_KEY_NEW_FILE: file },
    });
    expect(rotated.code, rotated.stdout + rotated.stderr).toBe(0);
    expect(parseJson(rotated).fingerprint).toBe(KEY_B_FP);
  });
});

describe('a key file is refused, naming the file and never the key', () => {
  it('readable by group or others (exit 3, E_KEY_FILE_UNSAFE), like ssh with a private key', async () => {
    const settings = setup();
    const file = writeKey(join(settings.root, 'master.key'), KEY_A, 0o640);
    const result = await runCli(['status', '-s', settings.dir], { env: { LIBERTY_MASTER_KEY_FILE: file } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('LIBERTY_MASTER_KEY');
    expectNoKey(result);
    expect(errorCode(await runCli(['status', '-s', settings.dir, '--json'], { env: { LIBERTY_MASTER_KEY_FILE: file } }))).toBe(
      'E_KEY_FILE_UNSAFE',
    );
    chmodSync(file, 0o604);
    expect((await runCli(['status', '-s', settings.dir], { env: { LIBERTY_MASTER_KEY_FILE: file } })).code).toBe(3);
  });

  it('a credential readable by others is refused; group read (the mask of the ACL systemd gives a service user) is not', async () => {
    const settings = setup();
    const path = writeKey(join(settings.credentials, 'LIBERTY_MASTER_KEY'), KEY_A, 0o404);
    const env = { CREDENTIALS_DIRECTORY: settings.credentials, LIBERTY_MASTER_KEY_OLD: KEY_B };
    const refused = await runCli(['status', '-s', settings.dir, '--json'], { env });
    expect(refused.code).toBe(3);
    expect(errorCode(refused)).toBe('E_KEY_FILE_UNSAFE');
    chmodSync(path, 0o440);
    const accepted = await runCli(['status', '-s', settings.dir, '--json'], { env });
    expect(accepted.code, accepted.stdout).toBe(1); // LEGACY_KEY_BLOBS only: the keys loaded
    expect(parseJson(accepted).keys.master).toMatchObject({ source: 'credential', fingerprint: KEY_A_FP });
  });

  it.each([
    ['two trailing newlines', `${KEY_A}\n\n`],
    ['a CRLF line end', `${KEY_A}\r\n`],
    ['a leading space', ` ${KEY_A}`],
    ['two lines', `${KEY_A}\n${KEY_B}\n`],
    ['nothing', '\n'],
  ])('%s: E_KEY_MALFORMED (exit 3) naming the file, never trimmed', async (_label, text) => {
    const settings = setup();
    const file = writeKey(join(settings.root, 'master.key'), text, 0o600);
    const result = await runCli(['status', '-s', settings.dir, '--json'], { env: { LIBERTY_MASTER_KEY_FILE: file } });
    expect(result.code).toBe(3);
    expect(errorCode(result)).toBe('E_KEY_MALFORMED');
    expect(parseJson(result).error.message).toContain(file);
    expectNoKey(result);
  });

  it('NAME_FILE naming a missing file: E_KEY_NOT_SET (exit 3); a FIFO or a directory: refused at once', async () => {
    const settings = setup();
    const missing = await runCli(['status', '-s', settings.dir, '--json'], {
      env: { LIBERTY_MASTER_KEY_FILE: join(settings.root, 'nope') },
    });
    expect(missing.code).toBe(3);
    expect(errorCode(missing)).toBe('E_KEY_NOT_SET');
    const fifo = join(settings.root, 'fifo');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    const piped = await runCli(['status', '-s', settings.dir, '--json'], { env: { LIBERTY_MASTER_KEY_FILE: fifo } });
    expect(piped.code).toBe(3);
    expect(errorCode(piped)).toBe('E_KEY_FILE_UNSAFE');
    const folder = await runCli(['status', '-s', settings.dir, '--json'], { env: { LIBERTY_MASTER_KEY_FILE: settings.credentials } });
    expect(folder.code).toBe(3);
  });

  it('a link in $CREDENTIALS_DIRECTORY is not followed (systemd writes real files there)', async () => {
    const settings = setup();
    const elsewhere = writeKey(join(settings.root, 'elsewhere.key'), KEY_A, 0o600);
    symlinkSync(elsewhere, join(settings.credentials, 'LIBERTY_MASTER_KEY'));
    const result = await runCli(['status', '-s', settings.dir, '--json'], { env: { CREDENTIALS_DIRECTORY: settings.credentials } });
    expect(result.code).toBe(3);
    expect(errorCode(result)).toBe('E_KEY_FILE_UNSAFE');
    expect(readFileSync(elsewhere, 'utf8')).toBe(KEY_A);
  });
});
