import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, REPO, parseJson, runCli } from '../support/cli.js';
import { appToml, makeSettings, type TempSettings } from '../support/settings.js';

const manifest = JSON.parse(readFileSync(join(REPO, 'oclif.manifest.json'), 'utf8'));
const commandIds: string[] = Object.keys(manifest.commands).sort();
const EXIT_CODES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '70'];

let settings: TempSettings | undefined;
afterEach(() => settings?.cleanup());

describe('command surface', () => {
  it('has the commands of the product', () => {
    expect(commandIds).toEqual(
      expect.arrayContaining(['audit', 'audit:verify', 'decrypt', 'encrypt', 'fingerprint', 'genkey', 'keys:drop-legacy', 'keys:rotate', 'reveal', 'rewrap', 'status']),
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
    const viaEnv = await runCli(['decrypt', 'c.toml:x'], { env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_SETTINGS_DIR: join(settings.root, 'nope') } });
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
