/**
 * Operator safety (issue 13, first part): no mistake of an operator or a pipeline silently costs a secret.
 * Each case spawns the built CLI and asserts what the operator sees: the exit code, the --json fields, the
 * error code (not its wording, except the documented `ends with a newline`), the file's bytes and the audit
 * log. An empty pipe, a replaced value, a key exported with a newline, an unset key, a key reference
 * spelled the shell's way, a key pasted into a settings file, a number where a secret belongs, a hand-edited
 * blob: each is refused or reported, never silently accepted, and no key is ever echoed.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, parseJson, runCli, type RunResult } from '../support/cli.js';
import { OPERATOR, appToml, seal, settingsPerTest } from '../support/settings.js';
import { readAuditLog } from '../support/audit-entries.js';
import { expectUnchanged, fileBytes } from '../support/snapshot.js';

/** Every directory a test made: a test may need two. */
const setup = settingsPerTest();

const env = { LIBERTY_MASTER_KEY: KEY_A };
const KID_A = KEY_A_FP.slice(0, 8);
const PERMISSIONS = `\n[permissions]\n"settings:reveal-secrets" = ["${OPERATOR}"]\n"settings:framework" = ["${OPERATOR}"]\n`;

const auditLines = (audit: string) => readAuditLog<Record<string, unknown>>(audit);

/** The --json error of a failed run, after checking its exit code. */
function jsonError(result: RunResult, exitCode: number, label = ''): { code: string; message: string; hint?: string } {
  expect(result.code, `${label}\n${result.stdout}${result.stderr}`).toBe(exitCode);
  const { error } = parseJson(result);
  expect(error, label).toBeDefined();
  return error;
}

/** A v2 blob with one character of its tag changed (inside the payload, not its last character). */
function tamperTag(blob: string): string {
  const at = blob.length - 5;
  return blob.slice(0, at) + (blob[at] === 'A' ? 'B' : 'A') + blob.slice(at + 1);
}

describe('an empty plaintext is refused unless --allow-empty', () => {
  it('encrypt FILE:KEY with an empty stdin (or a lone newline) exits 2, changes no byte and logs nothing', async () => {
    const { dir, audit } = setup({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'kept-value')}"\n` });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    for (const input of ['', '\n']) {
      const label = JSON.stringify(input);
      const result = await runCli(['encrypt', 'c.toml:db.password', '-s', dir, '--json'], { env, input });
      expect(jsonError(result, 2, label).code, label).toBe('E_USAGE');
      expectUnchanged(dir, before, label);
    }
    expect(auditLines(audit)).toEqual([]);
    expect(await runCli(['decrypt', 'c.toml:db.password', '-s', dir], { env })).toMatchObject({ code: 0, stdout: 'kept-value' });
  }, 60_000);

  it('encrypt FILE:KEY --from-env with an empty variable exits 2, changes no byte and logs nothing', async () => {
    const { dir, audit } = setup({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "plain-before"\n' });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    const result = await runCli(['encrypt', 'c.toml:db.password', '--from-env', 'EMPTY_SECRET', '-s', dir, '--json'], {
      env: { ...env, EMPTY_SECRET: '' },
    });
    expect(jsonError(result, 2).code).toBe('E_USAGE');
    expectUnchanged(dir, before);
    expect(auditLines(audit)).toEqual([]);
  });

  it('encrypt to stdout with an empty stdin exits 2 and prints no blob', async () => {
    const { dir } = setup({ 'app.toml': appToml() });
    const before = fileBytes(dir, ['app.toml']);
    const text = await runCli(['encrypt', '-s', dir], { env, input: '' });
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^liberty-crypto: error: /);
    expect(jsonError(await runCli(['encrypt', '-s', dir, '--json'], { env, input: '' }), 2).code).toBe('E_USAGE');
    expectUnchanged(dir, before);
  });

  it('with --allow-empty the empty value is sealed (exit 0) and decrypts to the empty string', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "to-be-emptied"\n' });
    const field = await runCli(['encrypt', 'c.toml:db.password', '--allow-empty', '-s', dir, '--json'], { env, input: '' });
    expect(field.code, field.stdout + field.stderr).toBe(0);
    expect(parseJson(field)).toMatchObject({ field: 'c.toml:db.password', written: true });
    expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toMatch(new RegExp(`^password = "ENC:v2:${KID_A}:[A-Za-z0-9_-]+"$`, 'm'));
    expect(parseJson(await runCli(['decrypt', 'c.toml:db.password', '-s', dir, '--json'], { env }))).toEqual({ plaintext: '' });

    const fromEnv = await runCli(['encrypt', 'c.toml:db.other', '--from-env', 'EMPTY_SECRET', '--allow-empty', '-s', dir], {
      env: { ...env, EMPTY_SECRET: '' },
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(parseJson(await runCli(['decrypt', 'c.toml:db.other', '-s', dir, '--json'], { env }))).toEqual({ plaintext: '' });

    const blob = await runCli(['encrypt', '--allow-empty', '-s', dir], { env, input: '' });
    expect(blob.code, blob.stderr).toBe(0);
    expect(blob.stdout).toMatch(new RegExp(`^ENC:v2:${KID_A}:[A-Za-z0-9_-]+\\n$`));
    expect(parseJson(await runCli(['decrypt', blob.stdout.trim(), '-s', dir, '--json'], { env }))).toEqual({ plaintext: '' });
  }, 60_000);
});

describe('replacing a value says so; --no-replace refuses it', () => {
  it('encrypt FILE:KEY into a field that holds a blob prints replaced, and --json has replaced: true', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'first-value')}"\n` });
    const text = await runCli(['encrypt', 'c.toml:db.password', '-s', dir], { env, input: 'second-value\n' });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^replaced c\.toml:db\.password /m);
    const json = await runCli(['encrypt', 'c.toml:db.password', '-s', dir, '--json'], { env, input: 'third-value\n' });
    expect(json.code, json.stderr).toBe(0);
    expect(parseJson(json)).toMatchObject({ field: 'c.toml:db.password', written: true, replaced: true });
    expect(await runCli(['decrypt', 'c.toml:db.password', '-s', dir], { env })).toMatchObject({ code: 0, stdout: 'third-value' });
  }, 60_000);

  it('encrypt FILE:KEY into a new field has replaced: false and does not print replaced', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': '[db]\nhost = "db.internal"\n' });
    const json = await runCli(['encrypt', 'c.toml:db.password', '-s', dir, '--json'], { env, input: 'new-value\n' });
    expect(json.code, json.stderr).toBe(0);
    expect(parseJson(json)).toMatchObject({ field: 'c.toml:db.password', written: true, replaced: false });
    const text = await runCli(['encrypt', 'c.toml:db.other_password', '-s', dir], { env, input: 'other-value\n' });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^encrypted c\.toml:db\.other_password /m);
    expect(text.stdout).not.toContain('replaced');
  });

  it('--no-replace on a field that holds a value (a blob or plain text) exits 9 E_FIELD_EXISTS and changes no byte', async () => {
    const { dir, audit } = setup({
      'app.toml': appToml(),
      'c.toml': `[db]\npassword = "${seal(KEY_A, 'kept-blob')}"\n[cache]\npassword = "kept-plain"\n`,
    });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    for (const field of ['c.toml:db.password', 'c.toml:cache.password']) {
      const result = await runCli(['encrypt', field, '--no-replace', '-s', dir, '--json'], { env, input: 'pipeline-value\n' });
      expect(jsonError(result, 9, field).code, field).toBe('E_FIELD_EXISTS');
      expect(result.stdout + result.stderr, field).not.toContain('pipeline-value');
      expectUnchanged(dir, before, field);
    }
    expect(auditLines(audit)).toEqual([]);
  });

  it('--no-replace on a missing field writes it (exit 0)', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': '[db]\nhost = "db.internal"\n' });
    const result = await runCli(['encrypt', 'c.toml:db.password', '--no-replace', '-s', dir, '--json'], { env, input: 'gap-value\n' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(parseJson(result)).toMatchObject({ field: 'c.toml:db.password', written: true, replaced: false });
    expect(await runCli(['decrypt', 'c.toml:db.password', '-s', dir], { env })).toMatchObject({ code: 0, stdout: 'gap-value' });
  });
});

describe('a master key with stray whitespace is named, never trimmed', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a trailing newline', `${KEY_A}\n`, /LIBERTY_MASTER_KEY ends with a newline/],
    ['surrounding spaces', ` ${KEY_A} `, /LIBERTY_MASTER_KEY/],
  ];
  const commands: Array<[string, string[]]> = [
    ['status', ['status']],
    ['encrypt', ['encrypt', 'c.toml:db.password']],
    ['decrypt', ['decrypt', 'c.toml:db.password']],
  ];

  it.each(cases)(
    'with %s: status, encrypt and decrypt FILE:KEY exit 3 E_KEY_MALFORMED, naming the variable, never the key',
    async (_, value, names) => {
      const { dir, audit } = setup({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'ws-secret')}"\n` });
      const before = fileBytes(dir, ['app.toml', 'c.toml']);
      for (const [label, args] of commands) {
        const json = await runCli([...args, '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: value }, input: 'ws-new-value\n' });
        expect(jsonError(json, 3, label).code, label).toBe('E_KEY_MALFORMED');
        const text = await runCli([...args, '-s', dir], { env: { LIBERTY_MASTER_KEY: value }, input: 'ws-new-value\n' });
        expect(text.code, label).toBe(3);
        expect(text.stderr, label).toMatch(names);
        for (const output of [json.stdout + json.stderr, text.stdout + text.stderr]) {
          expect(output, label).not.toContain(KEY_A.slice(0, 16));
          expect(output, label).not.toContain(KEY_A.slice(-16));
          expect(output, label).not.toContain('ws-secret');
        }
        expectUnchanged(dir, before, label);
      }
      expect(auditLines(audit)).toEqual([]);
    },
    60_000,
  );
});

describe('hints for an unset key name the key to export', () => {
  it('master unset while app.toml stores a fingerprint: the hint names the stored key id, not genkey', async () => {
    const { dir } = setup({
      'app.toml': appToml({ fingerprint: KEY_A_FP }),
      'c.toml': `[db]\npassword = "${seal(KEY_A, 'unset-secret')}"\n`,
    });
    const runs: Array<[string, string[]]> = [
      ['encrypt', ['encrypt']],
      ['encrypt FILE:KEY', ['encrypt', 'c.toml:db.password']],
      ['decrypt FILE:KEY', ['decrypt', 'c.toml:db.password']],
    ];
    for (const [label, args] of runs) {
      const error = jsonError(await runCli([...args, '-s', dir, '--json'], { input: 'x\n' }), 3, label);
      expect(error.code, label).toBe('E_MASTER_KEY_NOT_SET');
      expect(error.hint, label).toContain(KID_A);
      expect(error.hint, label).not.toMatch(/genkey/);
    }
    // without a stored fingerprint, a new install is possible: there genkey is the right advice
    const fresh = setup({ 'app.toml': appToml() });
    const error = jsonError(await runCli(['encrypt', '-s', fresh.dir, '--json'], { input: 'x\n' }), 3, 'no fingerprint');
    expect(error.hint).toMatch(/genkey/);
  }, 60_000);

  it('a legacy key configured but unset: decrypt of a v2 blob it sealed exits 3 E_NO_MATCHING_KEY, the hint says to export it', async () => {
    const { dir } = setup({
      'app.toml': appToml({ legacy: ['OLD_KEY'] }),
      'c.toml': `[db]\npassword = "${seal(KEY_B, 'legacy-secret')}"\n`,
    });
    for (const args of [
      ['decrypt', 'c.toml:db.password'],
      ['decrypt', seal(KEY_B, 'legacy-secret')],
    ]) {
      const result = await runCli([...args, '-s', dir, '--json'], { env });
      const error = jsonError(result, 3, args[1]);
      expect(error.code).toBe('E_NO_MATCHING_KEY');
      expect(error.hint).toMatch(/\bexport OLD_KEY\b/);
      expect(result.stdout + result.stderr).not.toContain('legacy-secret');
    }
  });
});

describe('a key reference that is not ${NAME} is refused with a fix that works', () => {
  it('legacy_keys = ["<a literal key>"]: exit 3 E_KEY_ON_DISK, a valid TOML hint naming a variable, never the value', async () => {
    const literal = 'hunter2-literal-key-value';
    const { dir } = setup({
      'app.toml': `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nformat = "v2"\nlegacy_keys = ["${literal}"]\n${PERMISSIONS}`,
    });
    for (const args of [['status'], ['encrypt']]) {
      const result = await runCli([...args, '-s', dir, '--json'], { env, input: 'x\n' });
      const error = jsonError(result, 3, args[0]);
      expect(error.code).toBe('E_KEY_ON_DISK');
      expect(error.hint).toContain('legacy_keys = ["${');
      const text = await runCli([...args, '-s', dir], { env, input: 'x\n' });
      expect(text.code).toBe(3);
      for (const output of [result.stdout + result.stderr, text.stdout + text.stderr]) expect(output).not.toContain('hunter2');
    }
    // following the hint works: its line is valid TOML and names a variable that, once exported, is a legacy key
    const { hint } = jsonError(await runCli(['status', '-s', dir, '--json'], { env }), 3);
    const line = /legacy_keys = \[.*?\]/.exec(hint!)![0];
    const name = /^legacy_keys = \["\$\{([A-Za-z_][A-Za-z0-9_]*)\}"\]$/.exec(line)?.[1];
    expect(name, line).toBeDefined();
    writeFileSync(join(dir, 'app.toml'), `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nformat = "v2"\n${line}\n${PERMISSIONS}`);
    const fixed = await runCli(['status', '-s', dir, '--json'], { env: { ...env, [name!]: KEY_B } });
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(parseJson(fixed).keys.legacy).toEqual([expect.objectContaining({ env: name, set: true })]);
  }, 60_000);

  it('legacy_keys = ["$OLD"]: exit 3 E_KEY_ON_DISK, the message says $OLD needs braces', async () => {
    const { dir } = setup({
      'app.toml': `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nformat = "v2"\nlegacy_keys = ["$OLD"]\n${PERMISSIONS}`,
    });
    const error = jsonError(await runCli(['status', '-s', dir, '--json'], { env: { ...env, OLD: KEY_B } }), 3);
    expect(error.code).toBe('E_KEY_ON_DISK');
    expect(error.message).toContain('$OLD needs braces');
  });
});

describe('status finds what should not be in a settings file', () => {
  it("a configured key's value written into a settings file is a KEY_IN_FILE problem naming the field, never the key", async () => {
    const { dir } = setup({
      'app.toml': appToml({ legacy: ['OLD_KEY'] }),
      'c.toml': `note = "${KEY_A}"\n[ops]\ncomment = "the old key was ${KEY_B.toUpperCase()}, rotated"\n`,
    });
    const keys = { LIBERTY_MASTER_KEY: KEY_A, OLD_KEY: KEY_B };
    const json = await runCli(['status', '-s', dir, '--json'], { env: keys });
    expect(json.code, json.stdout + json.stderr).toBe(1);
    const problems: Array<{ code: string; message: string }> = parseJson(json).problems;
    const inFile = problems.filter((problem) => problem.code === 'KEY_IN_FILE');
    expect(inFile.some((problem) => problem.message.includes('c.toml:note') && problem.message.includes('LIBERTY_MASTER_KEY'))).toBe(true);
    expect(inFile.some((problem) => problem.message.includes('c.toml:ops.comment') && problem.message.includes('OLD_KEY'))).toBe(true);
    const text = await runCli(['status', '-s', dir], { env: keys });
    expect(text.code).toBe(1);
    for (const output of [json.stdout + json.stderr, text.stdout + text.stderr]) {
      for (const key of [KEY_A, KEY_B]) {
        expect(output).not.toContain(key.slice(0, 16));
        expect(output.toLowerCase()).not.toContain(key.slice(-16));
      }
    }
  });

  it('a number under a secret field name: a NON_STRING_SECRET warning (exit 0); under a locked field, a problem (exit 1)', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = 123456\n' });
    const warned = await runCli(['status', '-s', dir, '--json'], { env });
    expect(warned.code, warned.stdout + warned.stderr).toBe(0);
    const report = parseJson(warned);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'NON_STRING_SECRET', message: expect.stringContaining('c.toml:db.password') }),
      ]),
    );
    expect(warned.stdout + warned.stderr).not.toContain('123456');

    writeFileSync(join(dir, 'c.toml'), '[oidc]\nclient_secret = 5\n');
    const locked = await runCli(['status', '-s', dir, '--json'], { env });
    expect(locked.code, locked.stdout + locked.stderr).toBe(1);
    expect(parseJson(locked).problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'NON_STRING_SECRET', message: expect.stringContaining('c.toml:oidc.client_secret') }),
      ]),
    );
  });

  it("a blob under the master's key id with a changed tag is reported as tampered, with a hint", async () => {
    const blob = seal(KEY_A, 'tamper-secret');
    const tampered = tamperTag(blob);
    expect(tampered).not.toBe(blob);
    expect(tampered.startsWith(`ENC:v2:${KID_A}:`)).toBe(true);
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${tampered}"\n` });
    const result = await runCli(['status', '-s', dir, '--json'], { env });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const problems: Array<{ code: string; message: string; hint?: string }> = parseJson(result).problems;
    const problem = problems.find((entry) => entry.code === 'E_AUTH_FAILED');
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.message).toContain('c.toml:db.password');
    expect(problem!.message).toContain('tampered');
    expect(problem!.hint).toEqual(expect.any(String));
    expect(problem!.hint!.length).toBeGreaterThan(0);
    expect(result.stdout + result.stderr).not.toContain('tamper-secret');
  });
});

describe('idempotent toggles and counts', () => {
  it('decrypt FILE:KEY --to-plain --yes on a field already plain: exit 0, written: false, no byte changed, no audit line', async () => {
    const { dir, audit } = setup({ 'app.toml': appToml(), 'c.toml': '# plain\n[db]\npassword = "already-plain"\n' });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    const result = await runCli(['decrypt', 'c.toml:db.password', '--to-plain', '--yes', '-s', dir, '--json'], { env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(parseJson(result)).toMatchObject({ field: 'c.toml:db.password', written: false });
    expectUnchanged(dir, before);
    expect(auditLines(audit)).toEqual([]);
  });

  it('one field is counted in the singular: encrypt --all and rewrap', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "plural-plain"\n' });
    const all = await runCli(['encrypt', '--all', '-s', dir], { env });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^1 secret field encrypted with key ${KID_A}$`, 'm'));

    const legacy = setup({
      'app.toml': appToml({ legacy: ['OLD_KEY'] }),
      'c.toml': `[db]\npassword = "${seal(KEY_B, 'plural-legacy')}"\n`,
    });
    const rewrap = await runCli(['rewrap', '-s', legacy.dir], { env: { ...env, OLD_KEY: KEY_B } });
    expect(rewrap.code, rewrap.stderr).toBe(0);
    expect(rewrap.stdout).toMatch(/^1 encrypted field re-wrapped with the current master key$/m);
  });
});

describe('keys rotate --to a variable that holds the current master key', () => {
  it('is refused (exit 2, E_USAGE), app.toml unchanged, the key never echoed', async () => {
    const { dir } = setup({ 'app.toml': appToml({ fingerprint: KEY_A_FP }) });
    const before = fileBytes(dir, ['app.toml']);
    const result = await runCli(['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY_NEW', '-s', dir, '--json'], {
      env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_MASTER_KEY_NEW: KEY_A },
    });
    expect(jsonError(result, 2).code).toBe('E_USAGE');
    expect(result.stdout + result.stderr).not.toContain(KEY_A);
    expectUnchanged(dir, before);
    const rotated = await runCli(['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY_NEW', '-s', dir, '--json'], {
      env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_MASTER_KEY_NEW: KEY_B },
    });
    expect(rotated.code, rotated.stdout).toBe(0);
  });
});

describe('fingerprint --write with a key that opens none of the blobs of the stored master', () => {
  it.each([
    ['v2', KEY_B],
    ['v1', KEY_B],
  ] as const)('under %s: refused (exit 3) with the count, unless --force', async (format, wrongKey) => {
    const blobs = [seal(KEY_A, 'one', format), seal(KEY_A, 'two', format)];
    const { dir } = setup({
      'app.toml': appToml({ fingerprint: KEY_A_FP, format }),
      'c.toml': `[db]\npassword = "${blobs[0]}"\n[cache]\npassword = "${blobs[1]}"\n`,
    });
    const before = fileBytes(dir, ['app.toml', 'c.toml']);
    const refused = await runCli(['fingerprint', '--write', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: wrongKey } });
    const error = jsonError(refused, 3, format);
    expect(error.code).toBe('E_FINGERPRINT_MISMATCH');
    expect(error.message).toContain('2 blobs');
    expectUnchanged(dir, before, format);
    const forced = await runCli(['fingerprint', '--write', '--force', '-s', dir], { env: { LIBERTY_MASTER_KEY: wrongKey } });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(dir, 'app.toml'), 'utf8')).not.toContain(KEY_A_FP);
  });

  it('the right key, or a directory without blobs, writes as before', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: null }), 'c.toml': `password = "${seal(KEY_A, 'x', 'v1')}"\n` });
    const written = await runCli(['fingerprint', '--write', '-s', dir], { env });
    expect(written.code, written.stderr).toBe(0);
    expect(readFileSync(join(dir, 'app.toml'), 'utf8')).toContain(KEY_A_FP);
  });
});

describe('a read-only settings file (mode 0444)', () => {
  it('is not replaced: encrypt exits 8 naming it, with a chmod u+w hint, the file byte-identical', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "plain-pw"\n' });
    chmodSync(join(dir, 'c.toml'), 0o444);
    const before = fileBytes(dir, ['c.toml']);
    const result = await runCli(['encrypt', 'c.toml:db.password', '--existing', '-s', dir, '--json'], { env });
    const error = jsonError(result, 8);
    expect(error.code).toBe('E_PERMISSION_DENIED');
    expect(error.message).toContain('c.toml');
    expect(error.hint).toContain('chmod u+w');
    expectUnchanged(dir, before);
  });
});
