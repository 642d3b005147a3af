/**
 * Operator safety (issue 13), the settings directory: a directory without app.toml is not one. `--settings`
 * one level too high is refused by every command that reads or writes settings (exit 6), naming the app.toml
 * found below, and nothing is created there; a new install starts with `init`. An empty directory is said
 * to be empty. Each case spawns the built CLI and checks the exit code, the --json error code, the files on
 * disk and the audit log.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, parseJson, runCli, type RunResult } from '../support/cli.js';
import { appToml, seal, settingsPerTest } from '../support/settings.js';
import { readAuditLog } from '../support/audit-entries.js';

const setup = settingsPerTest();

const env = { LIBERTY_MASTER_KEY: KEY_A };
const KID_A = KEY_A_FP.slice(0, 8);
const C_TOML = '[db]\npassword = "plain-secret"\n';

/** Every name under dir, hidden ones included, as relative paths. */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = `${prefix}${entry.name}`;
    return entry.isDirectory() && !entry.isSymbolicLink() ? [rel, ...tree(join(dir, entry.name), `${rel}/`)] : [rel];
  });
}

function jsonError(result: RunResult, exitCode: number, label = ''): { code: string; message: string; hint?: string } {
  expect(result.code, `${label}\n${result.stdout}${result.stderr}`).toBe(exitCode);
  const { error } = parseJson(result);
  expect(error, label).toBeDefined();
  return error;
}

const auditLines = readAuditLog;

describe('a directory without app.toml is not a settings directory', () => {
  it('every command that needs settings refuses the parent of the real directory (exit 6), names config/app.toml, creates nothing', async () => {
    const settings = setup({ 'app.toml': appToml({ legacy: ['OLD'] }), 'c.toml': C_TOML });
    const { root } = settings;
    const before = tree(root);
    const bytes = readFileSync(join(settings.dir, 'c.toml'));
    const blob = seal(KEY_A, 'x');
    const withKeys = { ...env, OLD: KEY_B, NEXT: 'ab'.repeat(32) };
    const cases: Array<[string[], string?]> = [
      [['status']],
      [['rewrap']],
      [['rewrap', '--check']],
      [['rewrap', '--check', '--quiet']],
      [['encrypt', 'config/c.toml:db.password'], 'new-secret'],
      [['encrypt', 'c.toml:db.password'], 'new-secret'],
      [['encrypt', 'config/c.toml:db.password', '--existing']],
      [['encrypt', '--all']],
      [['decrypt', 'config/c.toml:db.password']],
      [['decrypt', blob]],
      [['decrypt', 'config/c.toml:db.password', '--to-plain', '--yes']],
      [['fingerprint', '--write']],
      [['keys', 'rotate', '--to', 'NEXT']],
      [['keys', 'add-legacy', 'OLD']],
      [['keys', 'drop-legacy', 'OLD']],
      [['audit']],
      [['audit', 'verify']],
    ];
    for (const [args, input] of cases) {
      const label = args.join(' ');
      const result = await runCli([...args, '-s', root, '--json'], { env: withKeys, ...(input === undefined ? {} : { input }) });
      const error = jsonError(result, 6, label);
      expect(error.code, label).toBe('E_NOT_SETTINGS_DIR');
      expect(error.message, label).toBe(`not a settings directory: ${root} has no app.toml`);
      expect(error.hint, label).toBe(`did you mean --settings ${root}/config? (config/app.toml)`);
    }
    // no app.toml, no audit.jsonl, no lock file: not beside the real directory, not in it
    expect(tree(root)).toEqual(before);
    expect(readFileSync(join(settings.dir, 'c.toml')).equals(bytes)).toBe(true);
  }, 300_000);

  it('named relative to the working directory, the hint is the --settings to type: ./config (text form)', async () => {
    const { root } = setup({ 'app.toml': appToml(), 'c.toml': C_TOML });
    const result = await runCli(['status', '-s', '.'], { env, cwd: root });
    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'liberty-crypto: error: not a settings directory: . has no app.toml\nliberty-crypto: hint: did you mean --settings ./config? (config/app.toml)\n',
    );
    // LIBERTY_SETTINGS_DIR is named the same way
    const viaEnv = await runCli(['rewrap', '--check'], { env: { ...env, LIBERTY_SETTINGS_DIR: '.' }, cwd: root });
    expect(viaEnv.code).toBe(6);
    expect(viaEnv.stderr).toContain('did you mean --settings ./config? (config/app.toml)');
    expect(tree(root)).toEqual(['config', 'config/app.toml', 'config/c.toml']);
  });

  it('the default ./config without app.toml is refused too, and the hint offers init when nothing is below', async () => {
    const { root, dir } = setup({ 'c.toml': C_TOML });
    const result = await runCli(['encrypt', 'c.toml:db.password', '--json'], { env, cwd: root, input: 'new-secret' });
    const error = jsonError(result, 6);
    expect(error.code).toBe('E_NOT_SETTINGS_DIR');
    expect(error.message).toBe('not a settings directory: ./config has no app.toml');
    expect(error.hint).toBe(
      'pass --settings with the directory that holds app.toml; for a new install, run liberty-crypto init --settings ./config',
    );
    expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe(C_TOML);
    expect(tree(dir)).toEqual(['c.toml']);
  });

  it('the search goes two levels down, never through a symbolic link, and lists what else it found', async () => {
    const { root } = setup({ 'app.toml': appToml() });
    mkdirSync(join(root, 'deep', 'er', 'est'), { recursive: true });
    writeFileSync(join(root, 'deep', 'er', 'est', 'app.toml'), appToml()); // three levels below root: not named
    const hint = async (dir: string) => jsonError(await runCli(['status', '-s', dir, '--json'], { env }), 6).hint;
    expect(await hint(root)).toBe(`did you mean --settings ${root}/config? (config/app.toml)`);

    mkdirSync(join(root, 'b', 'nested'), { recursive: true });
    writeFileSync(join(root, 'b', 'nested', 'app.toml'), appToml());
    expect(await hint(root)).toBe(`did you mean --settings ${root}/b/nested? (b/nested/app.toml; also config/app.toml)`);

    // a link to the settings directory is not followed: nothing found through it
    const linked = join(root, 'linked');
    mkdirSync(linked);
    symlinkSync(join(root, 'config'), join(linked, 'to-config'));
    expect(await hint(linked)).toBe(
      `pass --settings with the directory that holds app.toml; for a new install, run liberty-crypto init --settings ${linked}`,
    );
  });

  it('a directory name with control characters and spaces is escaped on the terminal and quoted in the hint', async () => {
    const { root } = setup({});
    const hostile = 'my \u001b]0;pwned\u0007 config';
    mkdirSync(join(root, hostile));
    writeFileSync(join(root, hostile, 'app.toml'), appToml());
    const result = await runCli(['status', '-s', root], { env });
    expect(result.code).toBe(6);
    expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(result.stderr).toContain('did you mean --settings $');
    const json = jsonError(await runCli(['status', '-s', root, '--json'], { env }), 6);
    expect(json.hint).toContain(`(${hostile}/app.toml)`);
  });

  it('genkey, fingerprint of a blob and encrypt to stdout need no settings directory (exit 0), and create nothing', async () => {
    const { root } = setup({ 'app.toml': appToml(), 'c.toml': C_TOML });
    const before = tree(root);
    expect((await runCli(['genkey'], { cwd: root })).code).toBe(0);
    const sealed = await runCli(['encrypt', '-s', root], { env, input: 'x' });
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(sealed.stdout).toMatch(/^ENC:/);
    const described = await runCli(['fingerprint', sealed.stdout.trim(), '-s', root, '--json'], { env });
    expect(described.code, described.stderr).toBe(0);
    expect(parseJson(described)).toMatchObject({ opensWith: 'LIBERTY_MASTER_KEY' });
    expect(tree(root)).toEqual(before);
  });
});

describe('init starts a new settings directory', () => {
  it(
    'writes a minimal app.toml with the fingerprint of the set key, and starts the audit log with an init line',
    { timeout: 120_000 },
    async () => {
      const { root } = setup({});
      const dir = join(root, 'fresh');
      const result = await runCli(['init', '-s', dir, '--json'], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(parseJson(result)).toEqual({
        dir,
        created: true,
        masterEnv: 'LIBERTY_MASTER_KEY',
        format: 'v1',
        fingerprint: KEY_A_FP,
        keyId: KID_A,
        auditLog: join(dir, 'audit.jsonl'),
      });
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(readFileSync(join(dir, 'app.toml'), 'utf8')).toBe(
        [
          '# written by liberty-crypto init: the keys live in the environment, app.toml names their variables',
          '[crypto]',
          'master_key = "${LIBERTY_MASTER_KEY}"',
          'format = "v1"',
          `fingerprint = "${KEY_A_FP}"`,
          '',
        ].join('\n'),
      );
      const lines = auditLines(join(dir, 'audit.jsonl'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        seq: 1,
        event: 'init',
        outcome: 'ok',
        keyId: KID_A,
        details: { env: 'LIBERTY_MASTER_KEY', format: 'v1' },
      });
      expect(JSON.stringify(lines)).not.toContain(KEY_A);
      expect(readdirSync(dir).sort()).toEqual(['app.toml', 'audit.jsonl']); // no lock or temporary file left

      // the new directory works at once: verify, audit --event init, status (empty), encrypt
      expect(parseJson(await runCli(['audit', 'verify', '-s', dir, '--json']))).toMatchObject({ ok: true, entries: 1 });
      const listed = await runCli(['audit', '-s', dir, '--event', 'init', '--json']);
      expect(listed.code).toBe(0);
      expect(parseJson(listed)).toHaveLength(1);
      writeFileSync(join(dir, 'c.toml'), C_TOML);
      const encrypted = await runCli(['encrypt', 'c.toml:db.password', '--existing', '-s', dir], { env });
      expect(encrypted.code, encrypted.stderr).toBe(0);
      expect(auditLines(join(dir, 'audit.jsonl')).map((line) => line.event)).toEqual(['init', 'encrypt']);
    },
  );

  it('--master NAME unset and --format v2: no fingerprint, the text form says so', async () => {
    const { dir } = setup({ 'c.toml': C_TOML }); // an existing directory of settings files without app.toml
    const result = await runCli(['init', '-s', dir, '--master', 'APP_KEY', '--format', 'v2'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        `initialized ${dir}: app.toml [crypto] master_key = "\${APP_KEY}", format = "v2"`,
        'no fingerprint stored: APP_KEY is not set; the first write stores it',
        `audit log started: ${join(dir, 'audit.jsonl')}`,
        'next: grant [permissions] in app.toml, then liberty-crypto encrypt FILE:KEY',
        '',
      ].join('\n'),
    );
    const app = readFileSync(join(dir, 'app.toml'), 'utf8');
    expect(app).toContain('master_key = "${APP_KEY}"\nformat = "v2"\n');
    expect(app).not.toContain('fingerprint');
    expect(auditLines(join(dir, 'audit.jsonl'))[0]).toMatchObject({ event: 'init', details: { env: 'APP_KEY', format: 'v2' } });
    expect(auditLines(join(dir, 'audit.jsonl'))[0]).not.toHaveProperty('keyId');
    expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe(C_TOML);
  });

  it('refuses a directory that has an app.toml (exit 9, E_ALREADY_INITIALIZED): no byte changed, no audit line', async () => {
    const app = appToml({ fingerprint: KEY_A_FP });
    const { dir, audit } = setup({ 'app.toml': app });
    for (const args of [
      ['init', '-s', dir, '--json'],
      ['init', '-s', dir, '--format', 'v2', '--master', 'OTHER', '--json'],
    ]) {
      expect(jsonError(await runCli(args, { env }), 9, args.join(' ')).code).toBe('E_ALREADY_INITIALIZED');
    }
    expect(readFileSync(join(dir, 'app.toml'), 'utf8')).toBe(app);
    expect(existsSync(audit)).toBe(false);
  });

  it('refuses the parent of an install (exit 9), naming it: its files would become settings files of the new one', async () => {
    const { root } = setup({ 'app.toml': appToml(), 'c.toml': C_TOML });
    const before = tree(root);
    const error = jsonError(await runCli(['init', '-s', '.', '--json'], { env, cwd: root }), 9);
    expect(error.code).toBe('E_ALREADY_INITIALIZED');
    expect(error.message).toContain('config/app.toml');
    expect(error.hint).toBe('did you mean --settings ./config? (config/app.toml)');
    expect(tree(root)).toEqual(before);
  });

  it('refuses a directory inside an install (exit 9), naming it: the new install would be settings files of that one', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': C_TOML });
    const before = tree(dir);
    for (const target of [join(dir, 'sub'), join(dir, 'sub', 'deeper')]) {
      const error = jsonError(await runCli(['init', '-s', target, '--json'], { env }), 9, target);
      expect(error.code).toBe('E_ALREADY_INITIALIZED');
      expect(error.hint).toBe(`to work on that install, pass --settings ${dir}; start a new one outside it`);
    }
    expect(tree(dir)).toEqual(before);
  });

  it('creates the settings directory, never its parents; refuses a key as NAME (exit 2) and a key with a newline (exit 3)', async () => {
    const { root } = setup({});
    const missingParent = join(root, 'no', 'such', 'config');
    expect(jsonError(await runCli(['init', '-s', missingParent, '--json'], { env }), 6).code).toBe('E_IO');
    expect(existsSync(join(root, 'no'))).toBe(false);

    const dir = join(root, 'fresh');
    const asName = await runCli(['init', '-s', dir, '--master', KEY_B, '--json'], { env });
    expect(jsonError(asName, 2).code).toBe('E_USAGE');
    expect(asName.stdout + asName.stderr).not.toContain(KEY_B);
    const newline = await runCli(['init', '-s', dir, '--json'], { env: { LIBERTY_MASTER_KEY: `${KEY_A}\n` } });
    expect(jsonError(newline, 3).code).toBe('E_KEY_MALFORMED');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('an empty settings directory is said to be empty', () => {
  it('status: a warning (exit 0) instead of "ok: nothing to do"; rewrap --check: on stderr, also under --quiet, and empty: true', async () => {
    const { dir } = setup({ 'app.toml': appToml() });
    const status = await runCli(['status', '-s', dir], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain('ok: nothing to do');
    expect(status.stdout).toContain('warning: empty settings directory: no settings file beside app.toml and no blob');
    const statusJson = parseJson(await runCli(['status', '-s', dir, '--json'], { env }));
    expect(statusJson.empty).toBe(true);
    expect(statusJson.warnings.map((warning: { code: string }) => warning.code)).toContain('EMPTY_SETTINGS_DIR');

    for (const args of [
      ['rewrap', '--check'],
      ['rewrap', '--check', '--quiet'],
    ]) {
      const check = await runCli([...args, '-s', dir], { env });
      expect(check.code, args.join(' ')).toBe(0);
      expect(check.stderr, args.join(' ')).toContain(
        'liberty-crypto: warning: empty settings directory: no settings file beside app.toml and no blob',
      );
    }
    expect(parseJson(await runCli(['rewrap', '--check', '-s', dir, '--json'], { env }))).toMatchObject({ empty: true, filesRead: 1 });

    // one settings file beside app.toml, or one blob in app.toml: not empty
    writeFileSync(join(dir, 'c.toml'), '[db]\nhost = "h"\n');
    expect(parseJson(await runCli(['status', '-s', dir, '--json'], { env })).empty).toBe(false);
    const check = await runCli(['rewrap', '--check', '-s', dir], { env });
    expect(check.stderr).not.toContain('empty settings directory');
    expect(parseJson(await runCli(['rewrap', '--check', '-s', dir, '--json'], { env })).empty).toBe(false);
  });

  it('rewrap --check on a directory with no settings file at all is not green', async () => {
    const { root, dir } = setup({});
    for (const target of [dir, root]) {
      const check = await runCli(['rewrap', '--check', '--quiet', '-s', target], { env });
      expect(check.code, check.stdout + check.stderr).not.toBe(0);
      expect(check.code).toBe(6);
    }
  });
});

describe('issue 13 items checked end to end', () => {
  it('status totals add up: malformed blobs have their own count', async () => {
    const { dir } = setup({
      'app.toml': appToml(),
      'c.toml': `a = "${seal(KEY_A, 'x')}"\nb = "${seal(KEY_A, 'y', 'v1')}"\nc = "ENC:v2:${KID_A}:!!"\nd = "ENC:v1:short"\n`,
    });
    const json = parseJson(await runCli(['status', '-s', dir, '--json'], { env }));
    expect(json.blobs).toEqual({ total: 4, v1: 1, v2: 1, malformed: 2 });
    const text = await runCli(['status', '-s', dir], { env });
    expect(text.stdout).toContain('4 blobs in 2 files: 1 v1, 1 v2, 2 malformed;');
  });

  it('LIBERTY_AUDIT_LOG in a directory that does not exist is refused (exit 6) and the directory is never created', async () => {
    const { dir, root } = setup({ 'app.toml': appToml(), 'c.toml': C_TOML });
    const log = join(root, 'no-such-dir', 'audit.jsonl');
    for (const args of [['encrypt', 'c.toml:db.password', '--existing'], ['audit'], ['audit', 'verify']]) {
      const result = await runCli([...args, '-s', dir, '--json'], { env: { ...env, LIBERTY_AUDIT_LOG: log } });
      expect(jsonError(result, 6, args.join(' ')).code).toBe('E_AUDIT_LOG');
    }
    expect(existsSync(join(root, 'no-such-dir'))).toBe(false);
    expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe(C_TOML);
  });

  it('a v1 blob no configured key opens: the hint offers keys add-legacy NAME and says a missing key and an edited blob look the same', async () => {
    const { dir } = setup({ 'app.toml': appToml({ format: 'v1' }), 'c.toml': `[db]\npassword = "${seal(KEY_B, 'old', 'v1')}"\n` });
    const error = jsonError(await runCli(['decrypt', 'c.toml:db.password', '-s', dir, '--json'], { env }), 4);
    expect(error.code).toBe('E_AUTH_FAILED');
    expect(error.hint).toContain('under v1 a missing key and an edited blob look the same');
    expect(error.hint).toContain('liberty-crypto keys add-legacy NAME');
  });

  it('encrypt --all says when it stored the fingerprint, and only then', async () => {
    const { dir } = setup({ 'app.toml': appToml(), 'c.toml': C_TOML });
    const first = await runCli(['encrypt', '--all', '-s', dir], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('stored the master key fingerprint in app.toml [crypto]');
    expect(readFileSync(join(dir, 'app.toml'), 'utf8')).toContain(`fingerprint = "${KEY_A_FP}"`);
    writeFileSync(join(dir, 'd.toml'), '[svc]\npassword = "p"\n');
    const second = await runCli(['encrypt', '--all', '-s', dir, '--json'], { env });
    expect(second.code).toBe(0);
    expect(parseJson(second).storedFingerprint).toBe(false);
    const third = await runCli(['encrypt', '--all', '-s', dir], { env });
    expect(third.stderr).not.toContain('stored the master key fingerprint');
  });
});
