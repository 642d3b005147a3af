/**
 * Malformed environment and settings through the CLI: each case gets its exit code and a message that
 * names the variable, file or field but never the value, and nothing is written (file bytes, audit log).
 * Cases already in cli-surface.test.ts and encrypt-decrypt.test.ts (unset master key, a passphrase master,
 * a literal master_key, a missing settings directory for status/rewrap/decrypt) are not repeated.
 *
 * Keys in the environment are taken exactly as they are: nothing is trimmed. A key with surrounding
 * whitespace (a trailing newline from echo or a file) is named as such by every command (exit 3,
 * E_KEY_MALFORMED) rather than read as another key.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, parseJson, runCli, type RunResult } from '../support/cli.js';
import { OPERATOR, appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { giveToUnprivileged, runCliUnprivileged as runCliAsNobody, unprivilegedUserAvailable } from '../support/unprivileged.js';
import { expectUnchanged, fileBytes } from '../support/snapshot.js';

let settings: TempSettings | undefined;
/** Paths a test made unreadable: their modes are given back before cleanup. */
const madeUnreadable: string[] = [];
afterEach(() => {
  for (const path of madeUnreadable.splice(0)) if (existsSync(path)) chmodSync(path, 0o700);
  settings?.cleanup();
  settings = undefined;
});

const STACK_LINE = /^\s+at .+[(:]\d+/m;

function setup(files: Record<string, string>): TempSettings {
  settings = makeSettings(files);
  return settings;
}

/** What a user sees on an error: one error line (and a hint) on stderr, or the JSON error on stdout; never a stack. */
function expectError(result: RunResult, exitCode: number, label = ''): { code: string; message: string; hint?: string } {
  expect(result.code, `${label}\n${result.stdout}${result.stderr}`).toBe(exitCode);
  expect(result.stdout + result.stderr, label).not.toMatch(STACK_LINE);
  if (result.stdout.startsWith('{"error"')) return parseJson(result).error;
  expect(result.stderr, label).toMatch(/^liberty-crypto: error: \S/);
  const message = /^liberty-crypto: error: (.*)$/m.exec(result.stderr)![1];
  const hint = /^liberty-crypto: hint: (.*)$/m.exec(result.stderr)?.[1];
  return { code: '', message, ...(hint ? { hint } : {}) };
}

/** Runs the CLI as an unprivileged user when the tests run as root (root ignores file modes). */
function runCliUnprivileged(args: string[], env: Record<string, string>): Promise<RunResult> {
  return runCliAsNobody(args, { env: { ...env, HOME: settings!.root } });
}

const HEX63 = KEY_A.slice(0, 63);
const HEX65 = `${KEY_A}0`;
const NOT_HEX = `g${KEY_A.slice(1)}`;

describe('malformed keys in the environment (exit 3, never echoed, nothing written)', () => {
  const values: Array<[string, string, string]> = [
    ['empty', '', 'E_MASTER_KEY_NOT_SET'],
    ['whitespace only', '   \t', 'E_KEY_MALFORMED'],
    ['short hex', KEY_A.slice(0, 32), 'E_MASTER_KEY_MALFORMED'],
    ['63 hex characters', HEX63, 'E_MASTER_KEY_MALFORMED'],
    ['65 hex characters', HEX65, 'E_MASTER_KEY_MALFORMED'],
    ['128 hex characters', KEY_A + KEY_B, 'E_MASTER_KEY_MALFORMED'],
    ['64 characters, not hex', NOT_HEX, 'E_MASTER_KEY_MALFORMED'],
    ['a key with surrounding spaces', ` ${KEY_A} `, 'E_KEY_MALFORMED'],
    ['a key with a trailing newline', `${KEY_A}\n`, 'E_KEY_MALFORMED'],
    ['a key with a leading tab', `\t${KEY_A}`, 'E_KEY_MALFORMED'],
  ];

  it('encrypt FILE:KEY --existing refuses each value, names the variable, writes nothing', async () => {
    const { dir, audit } = setup({ 'app.toml': appToml(), 'c.toml': '# c\r\n[db]\r\npassword = "plain-pw-123"\r\n' });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    for (const [label, value, code] of values) {
      const result = await runCli(['encrypt', 'c.toml:db.password', '--existing', '-s', dir, '--json'], {
        env: { LIBERTY_MASTER_KEY: value },
      });
      const error = expectError(result, 3, label);
      expect(error.code, label).toBe(code);
      expect(`${error.message} ${error.hint}`, label).toContain('LIBERTY_MASTER_KEY');
      if (value.trim().length >= 8) {
        expect(result.stdout + result.stderr, label).not.toContain(value.trim());
        expect(result.stdout + result.stderr, label).not.toContain(value.trim().slice(0, 16));
      }
      expect(result.stdout + result.stderr, label).not.toContain('plain-pw-123');
      expectUnchanged(dir, before, label);
      expect(existsSync(audit), `${label}: audit log written`).toBe(false);
    }
  }, 60_000);

  it('a key with surrounding whitespace: every command exits 3 naming it (E_KEY_MALFORMED), nothing written or logged', async () => {
    const blob = seal(KEY_A, 'field-secret-1');
    const { dir, audit } = setup({
      'app.toml': appToml({ legacy: ['OLD'] }),
      'c.toml': `[db]\npassword = "${blob}"\nold = "${seal(KEY_B, 'old-secret-2')}"\n`,
    });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    const outputs: string[] = [];
    for (const [value, what] of [
      [` ${KEY_A} `, 'starts with whitespace'],
      [`${KEY_A}\n`, 'ends with a newline'],
    ] as const) {
      const env = { LIBERTY_MASTER_KEY: value, OLD: KEY_B };
      const runs = [
        await runCli(['rewrap', '-s', dir, '--json'], { env }),
        await runCli(['encrypt', '-s', dir, '--json'], { env, input: 'new-secret-3\n' }),
        await runCli(['decrypt', '-s', dir, 'c.toml:db.password', '--json'], { env }),
        await runCli(['status', '-s', dir, '--json'], { env }),
        await runCli(['fingerprint', '-s', dir, '--json'], { env }),
      ];
      for (const run of runs) {
        const error = expectError(run, 3, what);
        expect(error.code).toBe('E_KEY_MALFORMED');
        expect(error.message).toContain(`LIBERTY_MASTER_KEY ${what}`);
        outputs.push(run.stdout + run.stderr);
      }
    }
    for (const output of outputs) {
      for (const secret of [KEY_A, KEY_B, 'field-secret-1', 'old-secret-2', 'new-secret-3']) expect(output).not.toContain(secret);
    }
    expectUnchanged(dir, before);
    expect(existsSync(audit) ? readFileSync(audit, 'utf8') : '').toBe('');
  }, 60_000);

  it('an upper-case hex key is the same key', async () => {
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_A_FP }), 'c.toml': `password = "${seal(KEY_A, 'same-key')}"\n` });
    const result = await runCli(['decrypt', '-s', dir, 'c.toml:password'], { env: { LIBERTY_MASTER_KEY: KEY_A.toUpperCase() } });
    expect(result).toMatchObject({ code: 0, stdout: 'same-key' });
  });

  it('a malformed fingerprint-checked key: the mismatch is exit 3 for every command that uses the key', async () => {
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_A_FP }), 'c.toml': `password = "${seal(KEY_A, 'fp-secret')}"\n` });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    const env = { LIBERTY_MASTER_KEY: `X${KEY_A.slice(1)}` }; // one character off: a passphrase with another fingerprint
    for (const args of [
      ['decrypt', 'c.toml:password', '--to-plain', '--yes'],
      ['rewrap', '--all'],
      ['encrypt', 'c.toml:other', '--from-env', 'V'],
    ]) {
      const result = await runCli([...args, '-s', dir, '--json'], { env: { ...env, V: 'fp-new-value' } });
      expect(expectError(result, 3, args[0]).code, args[0]).toBe('E_FINGERPRINT_MISMATCH');
      expect(result.stdout).not.toContain('fp-secret');
    }
    expectUnchanged(dir, before);
  }, 60_000);

  it('keys rotate --to a variable with surrounding whitespace or 64 non-hex characters: exit 3 naming it, app.toml unchanged', async () => {
    const { dir } = setup({ 'app.toml': appToml() });
    const before = fileBytes(dir, ['app.toml']);
    for (const value of [` ${KEY_B}`, NOT_HEX]) {
      const result = await runCli(['keys', 'rotate', '--to', 'LIBERTY_NEXT_KEY', '-s', dir, '--json'], {
        env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_NEXT_KEY: value },
      });
      const error = expectError(result, 3, value);
      expect(error.code).toBe('E_KEY_MALFORMED');
      expect(error.message).toContain('LIBERTY_NEXT_KEY');
      expect(result.stdout).not.toContain(value.trim());
      expectUnchanged(dir, before);
    }
  });
});

describe('malformed [crypto] in app.toml (nothing written, the value never echoed)', () => {
  // [label, the [crypto] lines, exit code, error code, text the message names, a value that must not be echoed]
  const cases: Array<[string, string, number, string, string, string | null]> = [
    ['${}', 'master_key = "${}"', 3, 'E_KEY_ON_DISK', 'crypto.master_key', null],
    ['a name with a hyphen', 'master_key = "${lower-case-name}"', 3, 'E_KEY_ON_DISK', 'crypto.master_key', 'lower-case-name'],
    ['$NAME without braces', 'master_key = "$LIBERTY_MASTER_KEY"', 3, 'E_KEY_ON_DISK', 'crypto.master_key', '$LIBERTY_MASTER_KEY"'],
    ['an unclosed ${NAME', 'master_key = "${LIBERTY_MASTER_KEY"', 3, 'E_KEY_ON_DISK', 'crypto.master_key', '${LIBERTY_MASTER_KEY"'],
    [
      'spaces around the reference',
      'master_key = " ${LIBERTY_MASTER_KEY} "',
      3,
      'E_KEY_ON_DISK',
      'crypto.master_key',
      ' ${LIBERTY_MASTER_KEY} ',
    ],
    ['literal text', 'master_key = "hunter2-literal-text"', 3, 'E_KEY_ON_DISK', 'crypto.master_key', 'hunter2-literal-text'],
    ['a number', 'master_key = 4242424242', 3, 'E_KEY_ON_DISK', 'crypto.master_key', '4242424242'],
    ['an array', 'master_key = ["${LIBERTY_MASTER_KEY}"]', 3, 'E_KEY_ON_DISK', 'crypto.master_key', null],
    ['a table', 'master_key = { env = "LIBERTY_MASTER_KEY" }', 3, 'E_KEY_ON_DISK', 'crypto.master_key', null],
    ['legacy_keys a string', 'legacy_keys = "${OLD}"', 5, 'E_BAD_SETTINGS', 'crypto.legacy_keys', null],
    ['legacy_keys holding a number', 'legacy_keys = ["${OLD}", 4242424242]', 3, 'E_KEY_ON_DISK', 'crypto.legacy_keys[1]', '4242424242'],
    ['legacy_keys holding an array', 'legacy_keys = [["${OLD}"]]', 3, 'E_KEY_ON_DISK', 'crypto.legacy_keys[0]', null],
    ['a literal key in legacy_keys', `legacy_keys = ["${KEY_B}"]`, 3, 'E_KEY_ON_DISK', 'crypto.legacy_keys[0]', KEY_B],
    ['a literal key in a multi-line string', `master_key = """\n${KEY_B}"""`, 3, 'E_KEY_ON_DISK', 'crypto.master_key', KEY_B],
    [
      'an upper-case fingerprint',
      `fingerprint = "${KEY_A_FP.toUpperCase()}"`,
      5,
      'E_BAD_SETTINGS',
      'crypto.fingerprint',
      KEY_A_FP.toUpperCase(),
    ],
    ['a short fingerprint', 'fingerprint = "439d87b0"', 5, 'E_BAD_SETTINGS', 'crypto.fingerprint', null],
  ];
  const commands = [
    ['status'],
    ['rewrap'],
    ['encrypt', 'c.toml:password', '--existing'],
    ['decrypt', 'c.toml:blob'],
    ['fingerprint'],
    ['decrypt', 'c.toml:blob', '--to-plain', '--yes'],
  ];

  // each case runs one command, the commands taking turns; every other case under --json
  it.each(cases.map((c, i) => [...c, commands[i % commands.length], i % 2 === 1] as const))(
    '%s (%s): exit %i',
    async (label, crypto, exitCode, code, field, value, command, json) => {
      const { dir, audit } = setup({
        'app.toml': `# app\n[crypto]\n${crypto}\n\n[permissions]\n"settings:reveal-secrets" = ["${OPERATOR}"]\n`,
        'c.toml': `password = "plain-value-77"\nblob = "${seal(KEY_A, 'sealed-value-88')}"\n`,
      });
      const before = fileBytes(dir, ['app.toml', 'c.toml']);
      const env = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };
      const result = await runCli([...command, '-s', dir, ...(json ? ['--json'] : [])], { env });
      const error = expectError(result, exitCode, `${label} ${command.join(' ')}`);
      if (json) expect(error.code).toBe(code);
      expect(error.message).toContain(`app.toml: ${field}`);
      const output = result.stdout + result.stderr;
      for (const secret of [KEY_A, KEY_B, 'plain-value-77', 'sealed-value-88', ...(value ? [value] : [])])
        expect(output, label).not.toContain(secret);
      expectUnchanged(dir, before, label);
      expect(existsSync(audit), `${label}: audit log written`).toBe(false);
    },
    30_000,
  );

  it('encrypt into app.toml [crypto] is refused (exit 2): the key configuration is not a secret, and stays readable', async () => {
    const { dir, audit } = setup({
      'app.toml': appToml({ legacy: ['OLD'], fingerprint: KEY_A_FP }),
      'c.toml': `password = "${seal(KEY_A, 'still-readable')}"\n`,
    });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    const env = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B, V: 'crypto-value' };
    for (const args of [
      ['app.toml:crypto.master_key', '--existing'],
      ['./app.toml:crypto.fingerprint', '--existing'],
      ['sub/../app.toml:crypto.legacy_keys', '--from-env', 'V'],
      ['app.toml:crypto.fields.extra', '--from-env', 'V'],
    ]) {
      const result = await runCli(['encrypt', ...args, '-s', dir, '--json'], { env });
      const error = expectError(result, 2, args[0]);
      expect(error.message).toContain('app.toml [crypto]');
      expect(result.stdout).not.toContain('crypto-value');
    }
    expectUnchanged(dir, before);
    expect(existsSync(audit) ? readFileSync(audit, 'utf8') : '').toBe('');
    const still = await runCli(['decrypt', 'c.toml:password', '-s', dir], { env });
    expect(still).toMatchObject({ code: 0, stdout: 'still-readable' });
  }, 60_000);

  it('a lower-case variable name is a valid reference', async () => {
    const { dir } = setup({ 'app.toml': '[crypto]\nmaster_key = "${liberty_lower_key}"\nformat = "v2"\n', 'c.toml': 'password = "p"\n' });
    const result = await runCli(['encrypt', 'c.toml:password', '--existing', '-s', dir], { env: { liberty_lower_key: KEY_A } });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toMatch(/^password = "ENC:v2:439d87b0:/);
  });
});

describe('flags that do not go together or do not parse (exit 2)', () => {
  it('the message gives the reason, not only a header line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['encrypt', '--all', '--existing'], /--existing.*--all|--all.*--existing/],
      [['encrypt', '--all', '--from-env', 'V', '--json'], /--from-env.*--all/],
      [['audit', '--limit', 'abc'], /--limit.*integer/i],
    ];
    for (const [args, reason] of cases) {
      const result = await runCli(args, { env: { LIBERTY_MASTER_KEY: KEY_A } });
      const error = expectError(result, 2, args.join(' '));
      expect(error.message, args.join(' ')).toMatch(reason);
      expect(error.message).not.toMatch(/following errors? occurred|see more help/i);
    }
  });
});

describe('the settings directory', () => {
  it('missing or a file: encrypt FILE:KEY and fingerprint with an explicit -s exit 6 naming the path', async () => {
    const { root } = setup({ 'app.toml': appToml() });
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    for (const [args, path] of [
      [['encrypt', 'c.toml:password', '--from-env', 'V', '-s', join(root, 'missing-dir')], 'missing-dir'],
      [['fingerprint', '-s', join(root, 'missing-dir')], 'missing-dir'],
      [['fingerprint', '-s', file, '--json'], 'plain-file'],
      [['encrypt', 'c.toml:password', '--from-env', 'V', '-s', file], 'plain-file'],
    ] as const) {
      const result = await runCli([...args], { env: { LIBERTY_MASTER_KEY: KEY_A, V: 'dir-secret' } });
      const error = expectError(result, 6, args.join(' '));
      expect(error.message).toContain(path);
      expect(result.stdout + result.stderr).not.toContain('dir-secret');
    }
    expect(existsSync(join(root, 'missing-dir'))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('x');
  }, 30_000);

  describe('symbolic links leading outside are never read or written', () => {
    function linked() {
      const s = setup({ 'app.toml': appToml({ legacy: ['OLD'] }), 'inside.toml': `[db]\npassword = "${seal(KEY_B, 'inside-secret')}"\n` });
      // outside the settings directory: a file and a directory, each with a blob on the legacy key and a plaintext secret
      const outsideFile = join(s.root, 'outside.toml');
      const outsideDir = join(s.root, 'outside-dir');
      mkdirSync(outsideDir);
      const outsideText = `[db]\npassword = "${seal(KEY_B, 'outside-secret')}"\n[pools.main]\npassword = "outside-plain"\n`;
      writeFileSync(outsideFile, outsideText);
      writeFileSync(join(outsideDir, 'x.toml'), outsideText);
      symlinkSync(outsideFile, join(s.dir, 'link.toml'));
      symlinkSync('../outside-dir', join(s.dir, 'linkdir'));
      return { ...s, outsideFile, outsideX: join(outsideDir, 'x.toml'), outsideText };
    }
    const env = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };

    it('rewrap, status and encrypt --all skip them and leave the targets untouched', async () => {
      const { dir, outsideFile, outsideX, outsideText } = linked();
      const rewrap = parseJson(await runCli(['rewrap', '-s', dir, '--json'], { env }));
      expect(rewrap).toMatchObject({ rewrapped: 1, unreadable: 0, problems: [] });
      expect(rewrap.files.map((f: { file: string }) => f.file)).toEqual(['inside.toml']);
      const status = await runCli(['status', '-s', dir, '--json'], { env });
      const report = parseJson(status);
      expect(JSON.stringify(report)).not.toMatch(/link|outside/);
      const all = await runCli(['encrypt', '--all', '-s', dir, '--json'], { env });
      expect(all.code).toBe(0);
      expect(parseJson(all).encrypted).toEqual([]);
      for (const path of [outsideFile, outsideX]) expect(readFileSync(path, 'utf8')).toBe(outsideText);
    }, 30_000);

    it('naming them in FILE:KEY is refused (exit 5) for encrypt, decrypt, --to-plain and rewrap --files', async () => {
      const { dir, outsideFile, outsideX, outsideText, audit } = linked();
      const attempts = [
        ['encrypt', 'link.toml:pools.main.password', '--existing'],
        ['encrypt', 'linkdir/x.toml:pools.main.password', '--existing'],
        ['encrypt', 'linkdir/new.toml:db.password', '--from-env', 'V'],
        ['decrypt', 'link.toml:db.password'],
        ['decrypt', 'linkdir/x.toml:db.password', '--to-plain', '--yes'],
        ['rewrap', '--files', 'link.toml'],
      ];
      for (const args of attempts) {
        const result = await runCli([...args, '-s', dir], { env: { ...env, V: 'new-outside-value' } });
        const label = args.join(' ');
        expect([2, 5], `${label}: ${result.stderr}`).toContain(result.code);
        expectError(result, result.code!, label);
        expect(result.stderr, label).toMatch(/link/);
        expect(result.stdout + result.stderr, label).not.toMatch(/outside-secret|outside-plain|new-outside-value/);
      }
      for (const path of [outsideFile, outsideX]) expect(readFileSync(path, 'utf8')).toBe(outsideText);
      expect(existsSync(join(dir, '..', 'outside-dir', 'new.toml'))).toBe(false);
      // (encrypt may create the log before it fails: an empty file, no line)
      const lines = existsSync(audit)
        ? readFileSync(audit, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : [];
      expect(lines.filter((line) => line.outcome === 'ok')).toEqual([]);
    }, 60_000);

    it('an app.toml that links outside is refused by every command (exit 5)', async () => {
      const { dir, root } = setup({ 'c.toml': `password = "${seal(KEY_A, 'c-secret')}"\n` });
      writeFileSync(join(root, 'evil-app.toml'), appToml());
      symlinkSync(join(root, 'evil-app.toml'), join(dir, 'app.toml'));
      for (const args of [['status'], ['decrypt', 'c.toml:password'], ['fingerprint']]) {
        const result = await runCli([...args, '-s', dir], { env });
        expect(expectError(result, 5, args[0]).message).toContain('app.toml');
        expect(result.stdout).not.toContain('c-secret');
      }
      expect(readFileSync(join(root, 'evil-app.toml'), 'utf8')).toBe(appToml());
    }, 30_000);
  });

  describe.runIf(unprivilegedUserAvailable())('unreadable files (mode 000; as root the CLI runs as an unprivileged user)', () => {
    function locked() {
      const s = setup({
        // the operator is whoever runs the CLI: this user, or nobody under setpriv
        'app.toml': `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nlegacy_keys = ["\${OLD}"]\n\n[permissions]\n"settings:reveal-secrets" = ["${OPERATOR}", "nobody"]\n`,
        'a.toml': `[db]\npassword = "${seal(KEY_B, 'locked-secret')}"\n`,
        'b.toml': `[db]\npassword = "${seal(KEY_B, 'open-secret')}"\n`,
        'sub/c.toml': 'x = 1\n',
      });
      giveToUnprivileged(s.root, s.dir, join(s.dir, 'sub'), ...['app.toml', 'a.toml', 'b.toml', 'sub/c.toml'].map((f) => join(s.dir, f)));
      chmodSync(s.root, 0o755);
      chmodSync(join(s.dir, 'a.toml'), 0o000);
      madeUnreadable.push(join(s.dir, 'a.toml'));
      return s;
    }
    const env = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B };

    it('rewrap reports the unreadable file (exit 6) and re-wraps the others; status exits 1 naming it', async () => {
      const { dir } = locked();
      const b = readFileSync(join(dir, 'b.toml'), 'utf8');
      const rewrap = await runCliUnprivileged(['rewrap', '-s', dir, '--json'], env);
      expect(rewrap.code, rewrap.stdout + rewrap.stderr).toBe(6);
      const report = parseJson(rewrap);
      expect(report.problems).toEqual([
        expect.objectContaining({ file: 'a.toml', code: 'E_IO', message: expect.stringContaining('permission denied') }),
      ]);
      expect(report.rewrapped).toBe(1);
      expect(readFileSync(join(dir, 'b.toml'), 'utf8')).not.toBe(b);
      const status = await runCliUnprivileged(['status', '-s', dir, '--json'], env);
      expect(status.code).toBe(1);
      expect(JSON.stringify(parseJson(status).problems)).toContain('a.toml');
      chmodSync(join(dir, 'a.toml'), 0o600);
      expect(readFileSync(join(dir, 'a.toml'), 'utf8')).toContain('ENC:v2:1f94eb63:');
    }, 30_000);

    it('decrypt and encrypt on the unreadable file exit 6 naming it and write nothing', async () => {
      const { dir } = locked();
      for (const args of [
        ['decrypt', 'a.toml:db.password'],
        ['encrypt', 'a.toml:db.other', '--from-env', 'V'],
        ['decrypt', 'a.toml:db.password', '--to-plain', '--yes'],
      ]) {
        const result = await runCliUnprivileged([...args, '-s', dir], { ...env, V: 'unreadable-new' });
        const error = expectError(result, 6, args.join(' '));
        expect(error.message).toContain('a.toml');
        expect(result.stdout + result.stderr).not.toMatch(/locked-secret|unreadable-new/);
      }
      chmodSync(join(dir, 'a.toml'), 0o600);
      expect(readFileSync(join(dir, 'a.toml'), 'utf8')).toContain('ENC:v2:1f94eb63:');
      expect(readFileSync(join(dir, 'a.toml'), 'utf8')).not.toContain('unreadable-new');
    }, 30_000);

    it('an unreadable app.toml or sub-directory stops every command with exit 6', async () => {
      const { dir } = locked();
      chmodSync(join(dir, 'a.toml'), 0o644);
      chmodSync(join(dir, 'sub'), 0o000);
      madeUnreadable.push(join(dir, 'sub'));
      const rewrap = await runCliUnprivileged(['rewrap', '-s', dir], env);
      expect(expectError(rewrap, 6, 'rewrap with an unreadable sub-directory').message).toContain('sub');
      chmodSync(join(dir, 'sub'), 0o755);
      chmodSync(join(dir, 'app.toml'), 0o000);
      madeUnreadable.push(join(dir, 'app.toml'));
      for (const args of [['status'], ['fingerprint'], ['encrypt', 'b.toml:db.x', '--from-env', 'V']]) {
        const result = await runCliUnprivileged([...args, '-s', dir], { ...env, V: 'v' });
        expect(expectError(result, 6, args[0]).message).toContain('app.toml');
      }
    }, 30_000);
  });
});
