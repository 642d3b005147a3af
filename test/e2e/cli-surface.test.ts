import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_STATUS_TABLE } from '../../src/core/errors.js';
import { KEY_A, KEY_B, REPO, parseJson, runCli } from '../support/cli.js';
import { appToml, makeSettings, type TempSettings } from '../support/settings.js';

const manifest = JSON.parse(readFileSync(join(REPO, 'oclif.manifest.json'), 'utf8'));
const commandIds: string[] = Object.keys(manifest.commands).sort();
const EXIT_CODES = EXIT_STATUS_TABLE.map(([code]) => String(code));

let settings: TempSettings | undefined;
afterEach(() => settings?.cleanup());

describe('command surface', () => {
  it('has the commands of the product', () => {
    expect(commandIds).toEqual(
      expect.arrayContaining([
        'audit',
        'audit:verify',
        'decrypt',
        'edit',
        'encrypt',
        'fingerprint',
        'genkey',
        'keys:drop-legacy',
        'keys:rotate',
        'reveal',
        'rewrap',
        'status',
      ]),
    );
  });

  it.each(commandIds)('%s has a summary, a description, examples and --json', (id) => {
    const command = manifest.commands[id];
    expect(command.summary).toBeTruthy();
    expect(command.description).toBeTruthy();
    expect(command.examples?.length).toBeGreaterThan(0);
    expect(command.flags.json).toBeDefined();
  });

  it('the man pages list every exit code', () => {
    const pages = ['liberty-crypto.1', ...commandIds.map((id) => `liberty-crypto-${id.replace(/:/g, '-')}.1`)];
    for (const page of pages) {
      const text = readFileSync(join(REPO, 'man', page), 'utf8');
      const section = text.slice(text.indexOf('.SH EXIT STATUS'));
      expect(section.length, page).toBeGreaterThan(20);
      for (const code of EXIT_CODES) expect(section, `${page} exit ${code}`).toContain(`.B ${code}\n`);
    }
  });
});

describe('settings directory errors (exit 6)', () => {
  it('a named directory that is missing, or is a file', async () => {
    settings = makeSettings({ 'app.toml': appToml() });
    const missing = await runCli(['status', '-s', join(settings.root, 'nope')], { env: { LIBERTY_MASTER_KEY: KEY_A } });
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain('settings directory not found');
    const file = join(settings.root, 'file');
    writeFileSync(file, '');
    const notDir = await runCli(['rewrap', '-s', file, '--json'], { env: { LIBERTY_MASTER_KEY: KEY_A } });
    expect(notDir.code).toBe(6);
    expect(parseJson(notDir).error.message).toContain('not a directory');
    const viaEnv = await runCli(['decrypt', 'c.toml:x'], {
      env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_SETTINGS_DIR: join(settings.root, 'nope') },
    });
    expect(viaEnv.code).toBe(6);
  });

  it('an invalid app.toml is exit 5 naming the file and line', async () => {
    settings = makeSettings({ 'app.toml': '[crypto]\nmaster_key = \n' });
    const result = await runCli(['fingerprint', '-s', settings.dir], { env: { LIBERTY_MASTER_KEY: KEY_A } });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/app\.toml: invalid toml at line [23]/);
  });
});

describe('field references stay inside the settings directory', () => {
  it('refuses a FILE that climbs out with .. (exit 2) and writes nothing outside', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'sub/c.toml': 'a = "x"\n' });
    writeFileSync(join(settings.root, 'outside.toml'), 'a = "x"\n');
    const result = await runCli(['encrypt', '-s', settings.dir, '../outside.toml:a', '--existing'], { env: { LIBERTY_MASTER_KEY: KEY_A } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('outside the settings directory');
    expect(readFileSync(join(settings.root, 'outside.toml'), 'utf8')).toBe('a = "x"\n');
  });
});

describe('usage errors', () => {
  const env = { LIBERTY_MASTER_KEY: KEY_A };
  /** The error and hint lines on stderr, age-style; nothing on stdout. */
  function errorLines(result: { code: number | null; stdout: string; stderr: string }): { error: string; hint: string } {
    expect(result.stdout).toBe('');
    const error = /^liberty-crypto: error: (.*)$/m.exec(result.stderr)?.[1];
    const hint = /^liberty-crypto: hint: (.*)$/m.exec(result.stderr)?.[1];
    expect(error, result.stderr).toBeDefined();
    expect(hint, result.stderr).toBeDefined();
    return { error: error!, hint: hint! };
  }

  it.each([
    [['stauts'], 'unknown command stauts', 'did you mean liberty-crypto status?'],
    [['dercypt', 'ENC:v1:AAAA'], 'unknown command dercypt', 'did you mean liberty-crypto decrypt?'],
    [['keys', 'rotat', '--to', 'NEW'], 'unknown command keys rotat', 'did you mean liberty-crypto keys rotate?'],
    [['keys:rotat'], 'unknown command keys rotat', 'did you mean liberty-crypto keys rotate?'],
    [['key', 'rotate', '--to', 'NEW'], 'unknown command key', 'did you mean liberty-crypto keys rotate?'],
    [['audit', 'verfiy'], 'unknown command audit verfiy', 'did you mean liberty-crypto audit verify?'],
    [['help', 'stauts'], 'unknown command stauts', 'did you mean liberty-crypto help status?'],
    [['keys', 'drop-legcy', '--help'], 'unknown command keys drop-legcy', 'did you mean liberty-crypto keys drop-legacy?'],
  ])('a mistyped command %j: exit 2, did you mean, named with spaces', async (argv, error, hint) => {
    const result = await runCli(argv, { env });
    expect(result.code).toBe(2);
    const lines = errorLines(result);
    expect(lines.error).toBe(error);
    expect(lines.hint).toContain(hint);
    // the argument after a mistyped command (a blob here) is not repeated
    expect(result.stderr).not.toContain('ENC:v1');
  });

  it('a command that is nothing like one: no guess, the list of commands', async () => {
    const result = await runCli(['frobnicate'], { env });
    expect(result.code).toBe(2);
    expect(errorLines(result)).toEqual({ error: 'unknown command frobnicate', hint: 'liberty-crypto help lists the commands' });
  });

  it.each([
    [['status', '--settingz', 'x'], 'unknown flag --settingz', 'did you mean --settings? (see liberty-crypto status --help)'],
    [['keys', 'rotate', '--to', 'X', '--jsn'], 'unknown flag --jsn', 'did you mean --json? (see liberty-crypto keys rotate --help)'],
    [['rewrap', '--chekc'], 'unknown flag --chekc', 'did you mean --check? (see liberty-crypto rewrap --help)'],
    [['keys', 'rotate'], 'missing required flag --to', 'see liberty-crypto keys rotate --help'],
    [['keys', 'add-legacy'], 'missing argument NAME', 'see liberty-crypto keys add-legacy --help'],
    [['keys', 'drop-legacy'], 'missing argument NAME', 'see liberty-crypto keys drop-legacy --help'],
    [['audit', 'verify', 'extra'], 'unexpected argument: extra', 'see liberty-crypto audit verify --help'],
    [['genkey', 'extra'], 'unexpected argument: extra', 'see liberty-crypto genkey --help'],
    [
      ['-s', 'dir', 'status'],
      'a flag before the command: -s',
      'the command comes first, then its flags (liberty-crypto status -s DIR); liberty-crypto help lists the commands',
    ],
  ])('%j: the flag or argument as typed, the command with spaces in the hint', async (argv, error, hint) => {
    const result = await runCli(argv, { env });
    expect(result.code).toBe(2);
    expect(errorLines(result)).toEqual({ error, hint });
    expect(result.stderr).not.toMatch(/keys:|audit:/);
  });

  it.each([
    ['an unknown command', ['stauts', '--json'], 'did you mean liberty-crypto status?'],
    ['an unknown command under help', ['help', 'keys', 'rotat', '--json'], 'liberty-crypto help'],
    ['an unknown flag', ['status', '--settingz', 'x', '--json'], 'did you mean --settings?'],
    ['a missing flag', ['keys', 'rotate', '--json'], 'see liberty-crypto keys rotate --help'],
    ['a missing argument', ['keys', 'add-legacy', '--json'], 'see liberty-crypto keys add-legacy --help'],
  ])('under --json, %s is the error object on stdout, with its hint', async (_name, argv, hint) => {
    const result = await runCli(argv, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const { error } = parseJson(result);
    expect(error).toMatchObject({ code: 'E_USAGE', message: expect.any(String) });
    expect(error.hint).toContain(hint);
  });
});

describe('every error carries a hint', () => {
  const env = { LIBERTY_MASTER_KEY: KEY_A };
  it.each([
    ['a field that does not exist', ['decrypt', 'c.toml:db.nope'], 5],
    ['a file that is not valid toml', ['decrypt', 'bad.toml:x'], 5],
    ['--existing without FILE:KEY', ['encrypt', '--existing'], 2],
    ['rotating to the master key itself', ['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY'], 2],
    ['a legacy key that is already one', ['keys', 'add-legacy', 'LIBERTY_OLD'], 2],
  ])('%s: a hint line, and a hint in --json', async (_name, argv, code) => {
    settings = makeSettings({ 'app.toml': appToml({ legacy: ['LIBERTY_OLD'] }), 'c.toml': '[db]\nhost = "h"\n', 'bad.toml': 'x = \n' });
    const withKeys = { ...env, LIBERTY_OLD: KEY_B };
    const text = await runCli([...argv, '-s', settings.dir], { env: withKeys });
    expect(text.code, text.stderr).toBe(code);
    expect(text.stderr).toMatch(/^liberty-crypto: error: .+\nliberty-crypto: hint: .+\n$/);
    const json = await runCli([...argv, '-s', settings.dir, '--json'], { env: withKeys });
    expect(json.code).toBe(code);
    expect(parseJson(json).error.hint).toMatch(/\S/);
  });
});
