import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, KEY_A, KEY_A_FP, KEY_B, KEY_B_FP, parseJson, runCli } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { readVector, VECTORS_DIR } from '../support/vectors.js';

let settings: TempSettings | undefined;
afterEach(() => settings?.cleanup());

function setup(files: Record<string, string>) {
  settings = makeSettings(files);
  return settings;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const blobsIn = (text: string) => [...text.matchAll(/ENC:v2:[0-9a-f]{8}:[A-Za-z0-9_-]+/g)].map((m) => m[0]);

/** Every file name under dir, hidden ones included: no command may leave anything behind. */
function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as any).path, entry.name).slice(dir.length + 1))
    .sort();
}

describe('the whole rotation, phase 1 to 5, through the CLI', () => {
  it('generates, rotates, rewraps, checks and drops the legacy key', async () => {
    const { dir } = setup({
      'app.toml': appToml(),
      'connectors.toml': '[pools.main]\nuser = "portal"\npassword = "pg-secret"\n\n[connectors.billing]\nauth_token = "tok-1"\n',
    });
    const oldKey = (await runCli(['genkey'])).stdout.trim();
    let env: Record<string, string> = { LIBERTY_MASTER_KEY: oldKey };
    expect((await runCli(['encrypt', '--all', '-s', dir], { env })).code).toBe(0);
    const firstBlobs = blobsIn(read(dir, 'connectors.toml'));
    expect(firstBlobs).toHaveLength(2);

    // phase 1: a new key under a fresh name
    const newKey = (await runCli(['genkey'])).stdout.trim();
    env = { ...env, LIBERTY_MASTER_KEY_NEW: newKey };
    // phase 2: the new key becomes the master, the old one a legacy key
    const rotated = await runCli(['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY_NEW', '-s', dir], { env });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('liberty-crypto rewrap');
    const app = read(dir, 'app.toml');
    expect(app).toContain('master_key = "${LIBERTY_MASTER_KEY_NEW}"');
    expect(app).toContain('legacy_keys = ["${LIBERTY_MASTER_KEY}"]');
    const newFp = createHash('sha256').update(Buffer.from(newKey, 'hex')).digest('hex');
    expect(app).toContain(`fingerprint = "${newFp}"`);
    // phase 3 (restart) is the framework's; the CLI now reads both keys
    const pending = await runCli(['rewrap', '--check', '-s', dir, '--json'], { env });
    expect(pending.code).toBe(1);
    const report = parseJson(pending);
    expect(report).toMatchObject({ rewrapped: 2, current: 0, legacy: 2, unreadable: 0 });
    // the check names each blob still on the old key, with that key's id
    expect(report.onLegacy.map((blob: { file: string; key: string }) => `${blob.file}:${blob.key}`).sort()).toEqual([
      'connectors.toml:connectors.billing.auth_token',
      'connectors.toml:pools.main.password',
    ]);
    expect(new Set(report.onLegacy.map((blob: { kid: string }) => blob.kid)).size).toBe(1);
    const listed = await runCli(['rewrap', '--check', '-s', dir], { env });
    expect(listed.stdout).toMatch(
      /^(\S+\.toml:\S+ {2}on legacy key LIBERTY_MASTER_KEY \(key id [0-9a-f]{8}\), v2\n){2}2 encrypted fields would be re-wrapped/,
    );
    expect((await runCli(['keys', 'drop-legacy', 'LIBERTY_MASTER_KEY', '-s', dir], { env })).code).toBe(1);
    // phase 4: rewrap
    const rewrap = await runCli(['rewrap', '-s', dir], { env });
    expect(rewrap.code).toBe(0);
    expect(rewrap.stdout).toContain('2 encrypted fields re-wrapped with the current master key\n0 still using legacy keys\n');
    const again = await runCli(['rewrap', '-s', dir], { env });
    expect(again.stdout).toContain('0 encrypted fields re-wrapped with the current master key');
    expect((await runCli(['rewrap', '--check', '-s', dir], { env })).code).toBe(0);
    // phase 5: drop the legacy entry, unset the old key
    expect((await runCli(['keys', 'drop-legacy', 'LIBERTY_MASTER_KEY', '-s', dir], { env })).code).toBe(0);
    expect(read(dir, 'app.toml')).toContain('legacy_keys = []');
    const onlyNew = { LIBERTY_MASTER_KEY_NEW: newKey };
    const decrypted = await runCli(['decrypt', '-s', dir, 'connectors.toml:pools.main.password'], { env: onlyNew });
    expect(decrypted).toMatchObject({ code: 0, stdout: 'pg-secret' });
    expect((await runCli(['status', '-s', dir], { env: onlyNew })).code).toBe(0);
    const verify = parseJson(await runCli(['audit', 'verify', '-s', dir, '--json']));
    expect(verify.ok).toBe(true);
    const events = parseJson(await runCli(['audit', '-s', dir, '--json'])).map((entry: any) => entry.event);
    expect(events).toEqual(expect.arrayContaining(['encrypt', 'keys.rotate', 'rewrap', 'keys.drop-legacy', 'decrypt']));
  }, 90_000); // a dozen CLI runs in a row: room for a loaded machine
});

describe('field writes keep every other byte', () => {
  const fixture = (name: string) => readFileSync(join(FIXTURES, 'toml', name));

  it.each(['nasty-crlf-bom.toml', 'nasty-lf.toml'])('encrypt --existing then --to-plain round-trips %s', async (name) => {
    const original = fixture(name);
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_A_FP }) });
    writeFileSync(join(dir, 'nasty.toml'), original);
    const env = { LIBERTY_MASTER_KEY: KEY_A };
    const field = name.startsWith('nasty-crlf') ? 'db.password' : 'table.key';
    const value = name.startsWith('nasty-crlf') ? '"dotted"' : '"value"';
    const encrypted = await runCli(['encrypt', `nasty.toml:${field}`, '--existing', '-s', dir], { env });
    expect(encrypted.code).toBe(0);
    const after = readFileSync(join(dir, 'nasty.toml'));
    const [blob] = blobsIn(after.toString('utf8'));
    const at = original.indexOf(value);
    expect(
      Buffer.compare(after, Buffer.concat([original.subarray(0, at), Buffer.from(`"${blob}"`), original.subarray(at + value.length)])),
    ).toBe(0);

    const again = await runCli(['encrypt', `nasty.toml:${field}`, '--existing', '-s', dir], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already encrypted');
    expect(readFileSync(join(dir, 'nasty.toml')).equals(after)).toBe(true);

    const plain = await runCli(['decrypt', `nasty.toml:${field}`, '--to-plain', '--yes', '-s', dir], { env });
    expect(plain.code).toBe(0);
    expect(readFileSync(join(dir, 'nasty.toml')).equals(original)).toBe(true);
    expect(listAll(dir)).toEqual(['app.toml', 'audit.jsonl', 'nasty.toml']);
  });

  it('encrypt FILE:KEY creates the key at the end of its table, or a new table at the end of the file', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': '# c\r\n[pools.main]\r\nhost = "h"\r\n\r\n[other]\r\nx = 1\r\n' });
    const env = { LIBERTY_MASTER_KEY: KEY_A, PW: 'pw-1' };
    expect((await runCli(['encrypt', 'c.toml:pools.main.password', '--from-env', 'PW', '-s', dir], { env })).code).toBe(0);
    expect((await runCli(['encrypt', 'c.toml:slack.webhook_url', '--from-env', 'PW', '-s', dir], { env })).code).toBe(0);
    const text = read(dir, 'c.toml');
    const [first, second] = blobsIn(text);
    expect(text).toBe(
      `# c\r\n[pools.main]\r\nhost = "h"\r\npassword = "${first}"\r\n\r\n[other]\r\nx = 1\r\n\r\n[slack]\r\nwebhook_url = "${second}"\r\n`,
    );
  });

  it('the first encrypt into a directory stores the master fingerprint in app.toml', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': 'password = "p"\n' });
    expect((await runCli(['encrypt', 'c.toml:password', '--existing', '-s', dir], { env: { LIBERTY_MASTER_KEY: KEY_A } })).code).toBe(0);
    expect(read(dir, 'app.toml')).toContain(`fingerprint = "${KEY_A_FP}"`);
    // from now on the wrong key is refused
    const wrong = await runCli(['encrypt', 'c.toml:other', '-s', dir], { env: { LIBERTY_MASTER_KEY: KEY_B }, input: 'x' });
    expect(wrong.code).toBe(3);
  });

  it('a file keeps its mode through a write', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': 'password = "p"\n' });
    chmodSync(join(dir, 'c.toml'), 0o640);
    await runCli(['encrypt', 'c.toml:password', '--existing', '-s', dir], { env: { LIBERTY_MASTER_KEY: KEY_A } });
    expect(statSync(join(dir, 'c.toml')).mode & 0o777).toBe(0o640);
  });

  it('encrypt --all encrypts non-empty plaintext secret fields only; locked fields refuse --to-plain (exit 8)', async () => {
    const { dir } = setup({
      'app.toml': appToml(),
      'c.toml': '[pools.cache]\npassword = ""\n[pools.main]\npassword = "pw"\nhost = "h"\n[oidc]\nclient_secret = "cs"\n',
    });
    const env = { LIBERTY_MASTER_KEY: KEY_A };
    const json = parseJson(await runCli(['encrypt', '--all', '-s', dir, '--json'], { env }));
    expect(json.encrypted.map((entry: any) => entry.field).sort()).toEqual(['c.toml:oidc.client_secret', 'c.toml:pools.main.password']);
    expect(json.skippedEmpty).toEqual(['c.toml:pools.cache.password']);
    const text = read(dir, 'c.toml');
    expect(text).toContain('password = ""');
    expect(text).toContain('host = "h"');
    const locked = await runCli(['decrypt', 'c.toml:oidc.client_secret', '--to-plain', '--yes', '-s', dir], { env });
    expect(locked.code).toBe(8);
    expect(read(dir, 'c.toml')).toBe(text);
  });

  it('[crypto.fields] replaces the default secret patterns', async () => {
    const { dir } = setup({
      'app.toml': `${appToml()}\n[crypto.fields]\nsecret = ["**.token"]\nlocked = []\n`,
      'c.toml': 'password = "not-secret-here"\n[svc]\ntoken = "t"\n',
    });
    const json = parseJson(await runCli(['encrypt', '--all', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: KEY_A } }));
    expect(json.encrypted.map((entry: any) => entry.field)).toEqual(['c.toml:svc.token']);
  });
});

describe('rewrap', () => {
  const env = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };

  it('reports unreadable blobs and broken files, re-wraps the rest, and exits with the worst code', async () => {
    const good = seal(KEY_B, 'good');
    const unknown = seal('ab'.repeat(32), 'lost');
    // a character inside the tag: the last one may carry only padding bits, which would make it malformed, not tampered
    const sealed = seal(KEY_B, 'x');
    const at = sealed.length - 10;
    const tampered = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    const { dir } = setup({
      'app.toml': appToml({ legacy: ['OLD'] }),
      'a.toml': `ok = "${good}"\nlost = "${unknown}"\n`,
      'b.toml': `bad = "${tampered}"\n`,
      'broken.toml': 'x = = 1\n',
    });
    const broken = read(dir, 'broken.toml');
    const result = await runCli(['rewrap', '-s', dir, '--json'], { env });
    const json = parseJson(result);
    expect(result.code).toBe(5);
    expect(json.rewrapped).toBe(1);
    expect(json.unreadable).toBe(2);
    expect(json.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'a.toml', key: 'lost', code: 'E_NO_MATCHING_KEY' }),
        expect.objectContaining({ file: 'b.toml', key: 'bad', code: 'E_AUTH_FAILED' }),
        expect.objectContaining({ file: 'broken.toml', code: 'E_INVALID_TOML', message: expect.stringMatching(/broken\.toml.*line 1/) }),
      ]),
    );
    expect(read(dir, 'broken.toml')).toBe(broken);
    expect(read(dir, 'b.toml')).toBe(`bad = "${tampered}"\n`);
    expect(read(dir, 'a.toml')).toContain(`lost = "${unknown}"`);
    expect(read(dir, 'a.toml')).not.toContain(good);
  });

  it('lists the problems of a file in document order, with and without --check', async () => {
    const unknown = (text: string) => seal('ab'.repeat(32), text);
    // the data nests [a.c] under [a], before [b]; the file has [b] first
    const { dir } = setup({
      'app.toml': appToml({ legacy: ['OLD'] }),
      'a.toml': `[a]\nx = "${unknown('1')}"\n[b]\ny = "${unknown('2')}"\n[a.c]\nz = "${unknown('3')}"\nok = "${seal(KEY_A, 'ok')}"\n`,
    });
    for (const args of [['rewrap', '--check'], ['rewrap']]) {
      const result = await runCli([...args, '-s', dir, '--json'], { env });
      expect(result.code).toBe(3);
      expect(parseJson(result).problems.map((problem: { key: string }) => problem.key)).toEqual(['a.x', 'b.y', 'a.c.z']);
    }
  });

  it('--check exit codes: 0 when all current, 1 when any is on a legacy key, 3/4 for unreadable ones', async () => {
    const current = makeSettings({ 'app.toml': appToml({ legacy: ['OLD'] }), 'a.toml': `x = "${seal(KEY_A, 'x')}"\n` });
    const onLegacy = makeSettings({ 'app.toml': appToml({ legacy: ['OLD'] }), 'a.toml': `x = "${seal(KEY_B, 'x')}"\n` });
    const unknownKey = makeSettings({ 'app.toml': appToml(), 'a.toml': `x = "${seal(KEY_B, 'x')}"\n` });
    try {
      expect((await runCli(['rewrap', '--check', '-s', current.dir], { env })).code).toBe(0);
      const legacy = await runCli(['rewrap', '--check', '-s', onLegacy.dir], { env });
      expect(legacy.code).toBe(1);
      expect(read(onLegacy.dir, 'a.toml')).toContain(KEY_B_FP.slice(0, 8));
      expect((await runCli(['rewrap', '--check', '-s', unknownKey.dir], { env: { LIBERTY_MASTER_KEY: KEY_A } })).code).toBe(3);
      expect(listAll(current.dir)).toEqual(['a.toml', 'app.toml']);
    } finally {
      [current, onLegacy, unknownKey].forEach((s) => s.cleanup());
    }
  });

  it('migrates legacy-format blobs to v2', async () => {
    const vectors = JSON.parse(readVector('liberty-blobs.json'));
    const legacyCases = vectors.cases.filter(
      (c: any) => c.expect === 'ok' && c.name.startsWith('legacy-ok-') && c.keys.length === 1 && c.keys[0] === 'LEGACY_STOCK',
    );
    const { dir } = setup({
      'app.toml': appToml({ legacy: ['OLD'] }),
      'old.toml': legacyCases.map((c: any, i: number) => `v${i} = "${c.blob}"`).join('\n') + '\n',
    });
    const legacyEnv = { LIBERTY_MASTER_KEY: KEY_A, OLD: vectors.keys.LEGACY_STOCK.value };
    const result = parseJson(await runCli(['rewrap', '-s', dir, '--json'], { env: legacyEnv }));
    expect(result.rewrapped).toBe(legacyCases.length);
    for (const [i, c] of legacyCases.entries()) {
      const out = await runCli(['decrypt', '-s', dir, `old.toml:v${i}`], { env: { LIBERTY_MASTER_KEY: KEY_A } });
      expect(out.stdout).toBe(c.plaintext);
    }
  });

  it('a lock held by a live process makes a writer wait, then exit 6 naming the holder; a dead holder is taken over', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'a.toml': 'password = "p"\n' });
    const holder = spawn('sleep', ['30']);
    try {
      const lock = {
        pid: holder.pid,
        host: (await import('node:os')).hostname(),
        user: 'someone',
        command: 'rewrap',
        since: new Date().toISOString(),
        token: `${holder.pid}-abc`,
      };
      writeFileSync(join(dir, '.liberty-crypto.lock'), JSON.stringify(lock));
      // how long it waits is the lock's unit test (test/unit/lock-file.test.ts, on a fake clock)
      const blocked = await runCli(['encrypt', 'a.toml:password', '--existing', '-s', dir], { env: { LIBERTY_MASTER_KEY: KEY_A } });
      expect(blocked.code).toBe(6);
      expect(blocked.stderr).toContain(String(holder.pid));
      expect(read(dir, 'a.toml')).toBe('password = "p"\n');
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((resolve) => holder.on('exit', resolve));
    const taken = await runCli(['encrypt', 'a.toml:password', '--existing', '-s', dir], { env: { LIBERTY_MASTER_KEY: KEY_A } });
    expect(taken.code).toBe(0);
    expect(existsSync(join(dir, '.liberty-crypto.lock'))).toBe(false);
  });
});

describe('status', () => {
  it('splits problems (exit 1) from warnings (exit 0)', async () => {
    const { dir } = setup({
      'app.toml': appToml({ legacy: ['OLD'], fingerprint: KEY_A_FP }),
      'c.toml': `[pools.main]\npassword = "plain-pw"\n[pools.cache]\npassword = ""\n[jwt]\nsigning_key = "s"\n[a]\nx = "${seal(KEY_A, 'x')}"\n`,
    });
    const warningsOnly = await runCli(['status', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B } });
    expect(warningsOnly.code).toBe(0);
    const json = parseJson(warningsOnly);
    expect(json.problems).toEqual([]);
    expect(json.warnings.map((w: any) => w.code).sort()).toEqual(['ENV_ONLY_SECRET', 'PLAINTEXT_SECRET', 'UNUSED_LEGACY_KEY']);
    expect(json.warnings.find((w: any) => w.code === 'ENV_ONLY_SECRET').hint).toContain('LIBERTY_JWT_SIGNING_KEY');

    writeFileSync(join(dir, 'd.toml'), `[slack]\nwebhook_url = "https://hooks"\n[b]\ny = "${seal(KEY_B, 'y')}"\n`);
    const problems = parseJson(await runCli(['status', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B } }));
    expect(problems.problems.map((p: any) => p.code).sort()).toEqual(['LEGACY_KEY_BLOBS', 'LOCKED_FIELD_PLAIN']);
    const mismatch = await runCli(['status', '-s', dir], { env: { LIBERTY_MASTER_KEY: KEY_B } });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toContain('MISMATCH');
  });
});

describe('the toml-test corpus through the CLI', () => {
  const corpus = new URL('toml-test/', VECTORS_DIR).pathname;
  const tomlFiles = (dir: string) => listAll(dir).filter((file) => file.endsWith('.toml'));
  /** A copy of part of the corpus into `to`, writable by its owner: the shared vectors may be read-only (cp keeps modes). */
  const copyCorpus = (part: string, to: string) => {
    cpSync(join(corpus, part), to, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', to]);
  };

  it('every valid file comes out of rewrap byte-identical, also with an encrypted field added', async () => {
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_A_FP }) });
    copyCorpus('valid', join(dir, 'valid'));
    const files = tomlFiles(join(dir, 'valid')).map((file) => `valid/${file}`);
    expect(files.length).toBe(210);
    const before = new Map(files.map((file) => [file, readFileSync(join(dir, file))]));
    const env = { LIBERTY_MASTER_KEY: KEY_A };
    const plain = await runCli(['rewrap', '--all', '-s', dir, '--json'], { env });
    expect(plain.code).toBe(0);
    for (const file of files) expect(readFileSync(join(dir, file)).equals(before.get(file)!), file).toBe(true);

    // one field added to every file through the library, then the CLI re-wraps every blob
    const { encryptIntoField } = await import('../../src/core/field-writes.js');
    const { loadSettings, settingsKeyring } = await import('../../src/core/settings.js');
    const loaded = await loadSettings(dir);
    for (const file of files) {
      await encryptIntoField({ settings: loaded, keyring: settingsKeyring(loaded, env) }, { file, path: ['liberty_zz', 'password'] }, 'pw');
    }
    const withField = new Map(files.map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
    const rewrapped = parseJson(await runCli(['rewrap', '--all', '-s', dir, '--json'], { env }));
    expect(rewrapped.rewrapped).toBe(210);
    for (const file of files) {
      const original = before.get(file)!;
      const now = readFileSync(join(dir, file));
      expect(now.subarray(0, original.length).equals(original), file).toBe(true);
      const [oldBlob] = blobsIn(withField.get(file)!);
      const [newBlob] = blobsIn(now.toString('utf8'));
      expect(newBlob).not.toBe(oldBlob);
      expect(now.toString('utf8')).toBe(withField.get(file)!.replace(oldBlob, newBlob));
    }
  }, 120_000);

  it('every invalid file is refused with exit 5 naming the file and line, and left untouched', async () => {
    const { dir } = setup({ 'app.toml': appToml() });
    copyCorpus('invalid', join(dir, 'invalid'));
    const files = tomlFiles(join(dir, 'invalid')).map((file) => `invalid/${file}`);
    expect(files.length).toBe(499);
    const before = new Map(files.map((file) => [file, readFileSync(join(dir, file))]));
    const result = await runCli(['rewrap', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: KEY_A } });
    expect(result.code).toBe(5);
    const problems = parseJson(result).problems;
    expect(problems.length).toBe(499);
    for (const problem of problems) {
      expect(problem.code).toBe('E_INVALID_TOML');
      expect(problem.message).toMatch(new RegExp(`^${problem.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*line \\d+`));
    }
    for (const file of files) expect(readFileSync(join(dir, file)).equals(before.get(file)!), file).toBe(true);
  }, 120_000);
});

describe('more of the settings engine', () => {
  const env = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };

  it('rewrap --files touches only the named files', async () => {
    const { dir } = setup({
      'app.toml': appToml({ legacy: ['OLD'] }),
      'a.toml': `x = "${seal(KEY_B, 'a')}"\n`,
      'b.toml': `x = "${seal(KEY_B, 'b')}"\n`,
    });
    const b = read(dir, 'b.toml');
    const json = parseJson(await runCli(['rewrap', '--files', 'a.toml', '-s', dir, '--json'], { env }));
    expect(json.files).toEqual([{ file: 'a.toml', rewrapped: 1 }]);
    expect(read(dir, 'a.toml')).toContain('439d87b0');
    expect(read(dir, 'b.toml')).toBe(b);
    expect((await runCli(['rewrap', '--files', 'nope.toml', '-s', dir], { env })).code).toBe(2);
  });

  it('keys drop-legacy --force needs --yes off a terminal, then drops a key still in use', async () => {
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'] }), 'a.toml': `x = "${seal(KEY_B, 'a')}"\n` });
    const refused = await runCli(['keys', 'drop-legacy', 'OLD', '--force', '-s', dir], { env });
    expect(refused.code).toBe(7);
    expect(read(dir, 'app.toml')).toContain('legacy_keys = ["${OLD}"]');
    const forced = await runCli(['keys', 'drop-legacy', 'OLD', '--force', '--yes', '-s', dir, '--json'], { env });
    expect(forced.code).toBe(0);
    expect(parseJson(forced)).toMatchObject({ dropped: true, forced: true, usage: { total: 1 } });
    expect(read(dir, 'app.toml')).toContain('legacy_keys = []');
  });

  it('a blob inside an inline array is counted, keeps its legacy key needed, and is re-wrapped in place', async () => {
    const tokens = `tokens = ["${seal(KEY_B, 'first')}", 'plain', ["${seal(KEY_B, 'nested')}"]]  # keep\n`;
    const { dir } = setup({ 'app.toml': appToml({ legacy: ['OLD'] }), 'a.toml': tokens });
    const status = parseJson(await runCli(['status', '-s', dir, '--json'], { env }));
    expect(status.blobs.total).toBe(2);
    const refused = await runCli(['keys', 'drop-legacy', 'OLD', '-s', dir, '--json'], { env });
    expect(refused.code).toBe(1);
    expect(parseJson(refused)).toMatchObject({ dropped: false, usage: { total: 2 } });
    const rewrap = await runCli(['rewrap', '-s', dir, '--json'], { env });
    expect(parseJson(rewrap)).toMatchObject({ rewrapped: 2, legacy: 0 });
    const after = read(dir, 'a.toml');
    expect(after).toMatch(/^tokens = \["ENC:v2:439d87b0:[^"]+", 'plain', \["ENC:v2:439d87b0:[^"]+"\]\] {2}# keep\n$/);
    const opened = await runCli(['decrypt', '-s', dir, 'a.toml:tokens.2.0'], { env });
    expect(opened.stdout).toBe('nested');
    expect((await runCli(['keys', 'drop-legacy', 'OLD', '-s', dir], { env })).code).toBe(0);
  });

  it('keys rotate refuses a new key that is unset or malformed (exit 3) and needs settings:framework (exit 8)', async () => {
    const { dir } = setup({ 'app.toml': appToml() });
    const app = read(dir, 'app.toml');
    expect((await runCli(['keys', 'rotate', '--to', 'NEW_KEY', '-s', dir], { env })).code).toBe(3);
    expect((await runCli(['keys', 'rotate', '--to', 'NEW_KEY', '-s', dir], { env: { ...env, NEW_KEY: 'short' } })).code).toBe(3);
    expect(read(dir, 'app.toml')).toBe(app);
    const noPermission = makeSettings({ 'app.toml': appToml({ permissions: ['settings:reveal-secrets'] }) });
    try {
      const denied = await runCli(['keys', 'rotate', '--to', 'NEW_KEY', '-s', noPermission.dir], { env: { ...env, NEW_KEY: KEY_B } });
      expect(denied.code).toBe(8);
      expect(denied.stderr).toContain('settings:framework');
    } finally {
      noPermission.cleanup();
    }
  });

  it('fingerprint --write stores the fingerprint of the loaded master key', async () => {
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_B_FP }) });
    expect((await runCli(['fingerprint', '--check', '-s', dir], { env })).code).toBe(1);
    const written = await runCli(['fingerprint', '--write', '-s', dir, '--json'], { env });
    expect(written.code).toBe(0);
    expect(parseJson(written)).toMatchObject({ stored: KEY_A_FP, matches: true });
    expect(read(dir, 'app.toml')).toContain(`fingerprint = "${KEY_A_FP}"`);
    expect((await runCli(['fingerprint', '--check', '-s', dir], { env })).code).toBe(0);
  });
});
