/**
 * Secret hygiene through the CLI. After a whole scenario (two generated keys, encrypt, rotate, rewrap,
 * drop-legacy, reveal on a terminal, decrypt, --to-plain) no key (hex in either case, or its raw bytes)
 * and no plaintext is in any file the CLI could have written: the settings directory (hidden files
 * included), the audit log and a temporary directory of its own (TMPDIR). The one exception is the
 * plaintext deliberately switched to plain, in its own file. Then a set of provoked errors, in text and
 * --json, none of which prints a key or a plaintext.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, LEGACY_PASSPHRASE, parseJson, runCli, type RunResult } from '../support/cli.js';
import { spawnCliPty, type PtySession } from '../support/pty.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';

let root: string | undefined;
let settings: TempSettings | undefined;
let session: PtySession | undefined;
afterEach(() => {
  session?.dispose();
  session = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
  settings?.cleanup();
  settings = undefined;
});

/** Every regular file under dir, hidden ones included, with its bytes. */
function allFiles(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as { path?: string }).path!, entry.name))
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

/** The ways a key could leak: its hex in lower and upper case, and its raw bytes. */
function keyNeedles(name: string, hex: string): Array<[string, Buffer]> {
  return [
    [`${name} hex`, Buffer.from(hex.toLowerCase())],
    [`${name} HEX`, Buffer.from(hex.toUpperCase())],
    [`${name} raw bytes`, Buffer.from(hex, 'hex')],
  ];
}

const PLAINTEXTS = {
  pool: 'hyg-Pool-Pässwörd-🔐-7Qx',
  billing: 'hyg-billing-token-Zk29fW',
  webhook: 'https://hooks.example/hyg-wh-Tq81',
  cache: 'hyg-cache-pw-to-plain-M4',
} as const;

describe('after a whole scenario through the CLI', () => {
  it('no key and no plaintext is left in the settings directory, the audit log or the temporary directory', async () => {
    root = mkdtempSync(join(tmpdir(), 'lc-hygiene-'));
    const dir = join(root, 'config');
    const tmp = join(root, 'tmp');
    mkdirSync(dir);
    mkdirSync(tmp);
    writeFileSync(join(dir, 'app.toml'), appToml());
    writeFileSync(
      join(dir, 'connectors.toml'),
      '# connectors\n[pools.main]\nhost = "db.internal"\n\n[pools.cache]\nhost = "cache"\n\n[connectors.billing]\nurl = "https://billing"\n',
    );
    writeFileSync(join(dir, 'services.toml'), '[slack]\nchannel = "#ops"\n');
    const tmpEnv = { TMPDIR: tmp, TMP: tmp, TEMP: tmp };
    const outputs: Array<{ step: string; result: RunResult }> = [];
    const run = async (step: string, args: string[], env: Record<string, string>, input?: string) => {
      const result = await runCli([...args, '-s', dir], { env: { ...tmpEnv, ...env }, ...(input === undefined ? {} : { input }) });
      expect(result.code, `${step}: ${result.stdout}${result.stderr}`).toBe(0);
      outputs.push({ step, result });
      return result;
    };

    // two keys, captured from stdout and passed on only through the environment
    const oldKey = (await runCli(['genkey'], { env: tmpEnv })).stdout.trim();
    const newKey = parseJson(await runCli(['genkey', '--json'], { env: tmpEnv })).key as string;
    expect(oldKey).toMatch(/^[0-9a-f]{64}$/);
    expect(newKey).toMatch(/^[0-9a-f]{64}$/);
    const both = { LIBERTY_MASTER_KEY: oldKey, LIBERTY_MASTER_KEY_NEW: newKey };

    await run('encrypt pool', ['encrypt', 'connectors.toml:pools.main.password'], both, `${PLAINTEXTS.pool}\n`);
    await run('encrypt billing', ['encrypt', 'connectors.toml:connectors.billing.auth_token'], both, PLAINTEXTS.billing);
    await run('encrypt webhook', ['encrypt', 'services.toml:slack.webhook_url'], both, `${PLAINTEXTS.webhook}\n`);
    await run('encrypt cache', ['encrypt', 'connectors.toml:pools.cache.password'], both, `${PLAINTEXTS.cache}\n`);
    await run('rotate', ['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY_NEW'], both);
    await run('rewrap', ['rewrap'], both);
    await run('drop-legacy', ['keys', 'drop-legacy', 'LIBERTY_MASTER_KEY'], both);
    const onlyNew = { LIBERTY_MASTER_KEY_NEW: newKey };
    await run('status', ['status'], onlyNew);

    // one reveal on a terminal, confirmed with the new master's fingerprint
    const newFp = createHash('sha256').update(Buffer.from(newKey, 'hex')).digest('hex');
    session = spawnCliPty(['reveal', 'services.toml:slack.webhook_url', '-s', dir, '--seconds', '60'], { env: { ...tmpEnv, ...onlyNew } });
    await session.waitFor('master key fingerprint');
    session.write(`${newFp}\r`);
    await session.waitFor((s) => s.activeBuffer() === 'alternate' && s.screen().includes(PLAINTEXTS.webhook));
    session.write('x');
    expect((await session.exited()).exitCode).toBe(0);
    expect(session.normalBuffer()).not.toContain(PLAINTEXTS.webhook);

    const decrypted = await run('decrypt', ['decrypt', 'connectors.toml:connectors.billing.auth_token'], onlyNew);
    expect(decrypted.stdout).toBe(PLAINTEXTS.billing);
    await run('to-plain', ['decrypt', 'connectors.toml:pools.cache.password', '--to-plain', '--yes'], onlyNew);

    // what is on disk now
    const files = [...allFiles(dir), ...allFiles(tmp)];
    const names = files.map((file) => relative(root!, file.path)).sort();
    expect(names).toEqual(
      expect.arrayContaining(['config/app.toml', 'config/audit.jsonl', 'config/connectors.toml', 'config/services.toml']),
    );
    const connectors = readFileSync(join(dir, 'connectors.toml'), 'utf8');
    expect(connectors).toContain(`password = "${PLAINTEXTS.cache}"`);
    expect(connectors.match(/ENC:v2:[0-9a-f]{8}:/g)).toHaveLength(2);
    expect(readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(9);

    const needles: Array<[string, Buffer]> = [
      ...keyNeedles('old key', oldKey),
      ...keyNeedles('new key', newKey),
      ...Object.entries(PLAINTEXTS).map(([name, text]) => [`plaintext ${name}`, Buffer.from(text, 'utf8')] as [string, Buffer]),
    ];
    for (const file of files) {
      for (const [what, needle] of needles) {
        const allowed = what === 'plaintext cache' && file.path === join(dir, 'connectors.toml');
        if (!allowed) expect(file.bytes.includes(needle), `${what} in ${relative(root, file.path)}`).toBe(false);
      }
    }

    // nor on the terminal output of the commands, but for the one decrypt to stdout
    for (const { step, result } of outputs) {
      for (const [what, needle] of needles) {
        if (step === 'decrypt' && what === 'plaintext billing') continue;
        expect(Buffer.from(result.stdout + result.stderr).includes(needle), `${what} in the output of ${step}`).toBe(false);
      }
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

const SECRET_POOL = 'err-pool-secret-Wq81';
const SECRET_TOKEN = 'err-token-secret-Lm22';
const SECRET_STDIN = 'err-stdin-plaintext-Xv07';
const SECRET_LOCKED = 'err-locked-secret-Hn55';
const SECRET_NOT_UTF8 = 'err-not-utf8-secret-Pb63';
const ALL_SECRETS = [SECRET_POOL, SECRET_TOKEN, SECRET_STDIN, SECRET_LOCKED, SECRET_NOT_UTF8];

/** A v2 blob under KEY_A whose plaintext bytes are not UTF-8 (no tool of ours writes one). */
function blobWithNonUtf8Plaintext(): string {
  const nonce = randomBytes(12);
  const kid = KEY_A_FP.slice(0, 8);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(KEY_A, 'hex'), nonce);
  cipher.setAAD(Buffer.from(`ENC:v2:${kid}:`));
  const ciphertext = Buffer.concat([
    cipher.update(Buffer.concat([Buffer.from(SECRET_NOT_UTF8), Buffer.from([0xff, 0xfe])])),
    cipher.final(),
  ]);
  return `ENC:v2:${kid}:${Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url')}`;
}

describe('errors never show a key or a plaintext', () => {
  it('in text and under --json, for every kind of failure', async () => {
    const pool = seal(KEY_A, SECRET_POOL);
    const tampered = pool.slice(0, -3) + (pool.at(-3) === 'A' ? 'B' : 'A') + pool.slice(-2);
    settings = makeSettings({
      'app.toml': appToml({ legacy: ['OLD'] }),
      'c.toml': [
        `[pools.main]\npassword = "${pool}"`,
        `[connectors.billing]\nauth_token = "${seal(KEY_B, SECRET_TOKEN)}"`,
        `[oidc]\nclient_secret = "${seal(KEY_A, SECRET_LOCKED)}"`,
        `[broken]\ntampered = "${tampered}"\nnot_utf8 = "${blobWithNonUtf8Plaintext()}"\nunknown = "${seal('ab'.repeat(32), SECRET_TOKEN)}"\nnumber = 42`,
        '',
      ].join('\n'),
    });
    const { dir, root: settingsRoot } = settings;
    const fingerprinted = join(settingsRoot, 'fp');
    mkdirSync(fingerprinted);
    writeFileSync(join(fingerprinted, 'app.toml'), appToml({ fingerprint: KEY_A_FP }));
    writeFileSync(join(fingerprinted, 'c.toml'), readFileSync(join(dir, 'c.toml')));
    const literal = join(settingsRoot, 'literal');
    mkdirSync(literal);
    writeFileSync(join(literal, 'app.toml'), `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nlegacy_keys = ["${KEY_B.toUpperCase()}"]\n`);
    const denied = join(settingsRoot, 'denied');
    mkdirSync(denied);
    writeFileSync(join(denied, 'app.toml'), appToml({ permissions: [] }));
    writeFileSync(join(denied, 'c.toml'), readFileSync(join(dir, 'c.toml')));

    const good = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };
    // [what, args, env, stdin, expected exit]
    const failures: Array<[string, string[], Record<string, string>, string | Buffer | undefined, number]> = [
      [
        'wrong master key (no key matches)',
        ['decrypt', 'c.toml:pools.main.password', '-s', dir],
        { LIBERTY_MASTER_KEY: KEY_B },
        undefined,
        3,
      ],
      [
        'a legacy key that changed (no key matches)',
        ['decrypt', 'c.toml:connectors.billing.auth_token', '-s', dir],
        { LIBERTY_MASTER_KEY: KEY_A, OLD: 'cd'.repeat(32) },
        undefined,
        3,
      ],
      ['tampered blob in a field', ['decrypt', 'c.toml:broken.tampered', '-s', dir], good, undefined, 4],
      ['tampered blob on stdin', ['decrypt', '-s', dir], good, `${tampered}\n`, 4],
      ['plaintext where a blob is expected (decrypt)', ['decrypt', '-s', dir], good, `${SECRET_STDIN}\n`, 5],
      ['plaintext where a blob is expected (fingerprint -)', ['fingerprint', '-', '-s', dir], good, `${SECRET_STDIN}\n`, 5],
      ['a blob whose plaintext is not utf-8', ['decrypt', 'c.toml:broken.not_utf8', '-s', dir], good, undefined, 5],
      [
        'stdin that is not utf-8',
        ['encrypt', 'c.toml:pools.other.password', '-s', dir],
        good,
        Buffer.concat([Buffer.from(SECRET_STDIN), Buffer.from([0xc3, 0x28])]),
        5,
      ],
      ['encrypt into a field that is not a string', ['encrypt', 'c.toml:broken.number', '-s', dir], good, `${SECRET_STDIN}\n`, 5],
      ['malformed key env holding a key-like value', ['encrypt', '-s', dir], { LIBERTY_MASTER_KEY: `${KEY_A}0` }, `${SECRET_STDIN}\n`, 3],
      [
        'keys rotate --to a malformed key-like value',
        ['keys', 'rotate', '--to', 'NEXT', '-s', dir],
        { ...good, NEXT: `${KEY_B}${KEY_B}` },
        undefined,
        3,
      ],
      ['fingerprint mismatch', ['decrypt', 'c.toml:pools.main.password', '-s', fingerprinted], { LIBERTY_MASTER_KEY: KEY_B }, undefined, 3],
      ['a key written literally into app.toml', ['status', '-s', literal], good, undefined, 3],
      ['decrypt without permission', ['decrypt', 'c.toml:pools.main.password', '-s', denied], good, undefined, 8],
      ['--to-plain on a locked field', ['decrypt', 'c.toml:oidc.client_secret', '--to-plain', '--yes', '-s', dir], good, undefined, 8],
      ['reveal off a terminal', ['reveal', 'c.toml:pools.main.password', '-s', dir], good, undefined, 7],
      ['rewrap with unreadable blobs', ['rewrap', '-s', dir], good, undefined, 5],
      ['status with unreadable blobs', ['status', '-s', dir], good, undefined, 1],
    ];
    const needles = [
      KEY_A,
      KEY_B,
      KEY_A.toUpperCase(),
      KEY_B.toUpperCase(),
      'cd'.repeat(32),
      'ab'.repeat(32),
      LEGACY_PASSPHRASE,
      ...ALL_SECRETS,
    ];
    const seen: string[] = [];
    for (const [what, args, env, input, exitCode] of failures) {
      const [text, json] = await Promise.all([
        runCli(args, { env, input: input as string | undefined }),
        runCli([...args, '--json'], { env, input: input as string | undefined }),
      ]);
      for (const [mode, result] of [
        ['text', text],
        ['json', json],
      ] as const) {
        expect(result.code, `${what} (${mode}): ${result.stdout}${result.stderr}`).toBe(exitCode);
        const output = result.stdout + result.stderr;
        for (const needle of needles) expect(output, `${what} (${mode}) shows ${needle}`).not.toContain(needle);
        seen.push(output);
      }
      if (args[0] === 'rewrap') {
        // rewrap reports each unreadable blob and goes on: problem lines, and the report under --json
        expect(text.stderr, what).toMatch(/^liberty-crypto: problem: \S/m);
        expect(parseJson(json).problems.length, what).toBe(3);
      } else if (exitCode > 1) {
        expect(text.stderr, what).toMatch(/^liberty-crypto: error: \S/);
        expect(parseJson(json).error.code, what).toMatch(/^E_[A-Z_]+$/);
      }
    }
    expect(seen).toHaveLength(failures.length * 2);
    // the rewrap above changed nothing it could not open, and wrote no plaintext
    const after = readFileSync(join(dir, 'c.toml'), 'utf8');
    for (const secret of ALL_SECRETS) expect(after).not.toContain(secret);
  }, 180_000);
});
