// Reading a settings file and writing it back (src/core/settings.ts): the read goes to the real path
// inside the directory and only to a regular file of bounded size; the write goes only to the file read.
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { rejection } from '../support/errors.js';
import { readAppDocument, readSettingsFile, writeSettingsFile, type Settings } from '../../src/core/settings.js';
import { MAX_SETTINGS_FILE_BYTES } from '../../src/core/safe-fs.js';

let base: string;
let dir: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'lc-settings-file-'));
  dir = join(base, 'config');
  mkdirSync(dir);
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.toml'), 'x = 1\n');
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

const settingsOf = (): Settings => ({ dir, crypto: {} as Settings['crypto'], fields: {} as Settings['fields'] });

describe('readSettingsFile', () => {
  it('names the file canonically and remembers the real path and identity it read', async () => {
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'a.toml'), 'a = "1"\n');
    symlinkSync('real/a.toml', join(dir, 'alias.toml'));
    const document = await readSettingsFile(dir, './sub/../alias.toml');
    const real = realpathSync(join(dir, 'real', 'a.toml'));
    expect(document.file).toBe('alias.toml');
    expect(document.data).toEqual({ a: '1' });
    expect(document.origin).toEqual({
      file: 'alias.toml',
      root: realpathSync(dir),
      path: real,
      identity: { dev: statSync(real).dev, ino: statSync(real).ino },
    });
  });

  it.each([
    ['a FIFO', () => execFileSync('mkfifo', [join(dir, 'evil.toml')])],
    ['a directory', () => mkdirSync(join(dir, 'evil.toml'))],
    [
      'a file over the size bound',
      () => {
        writeFileSync(join(dir, 'evil.toml'), '');
        truncateSync(join(dir, 'evil.toml'), MAX_SETTINGS_FILE_BYTES + 1);
      },
    ],
  ])('refuses %s with E_IO naming the file, without hanging', async (_what, plant) => {
    plant();
    const error = await rejection(readSettingsFile(dir, 'evil.toml'));
    expect(error.code).toBe('E_IO');
    expect(error.message).toContain('evil.toml');
  });

  it('refuses a link leading outside (E_BAD_SETTINGS) and an absolute path (E_USAGE)', async () => {
    symlinkSync(join(base, 'outside', 'secret.toml'), join(dir, 'escape.toml'));
    writeFileSync(join(dir, 'app.toml'), '');
    expect((await rejection(readSettingsFile(dir, 'escape.toml'))).code).toBe('E_BAD_SETTINGS');
    expect((await rejection(readSettingsFile(dir, join(dir, 'app.toml')))).code).toBe('E_USAGE');
  });

  it('reports a missing file as E_FIELD_NOT_FOUND', async () => {
    expect((await rejection(readSettingsFile(dir, 'nope.toml'))).code).toBe('E_FIELD_NOT_FOUND');
  });
});

describe('writeSettingsFile', () => {
  it('writes the file a link inside points to, and keeps the link', async () => {
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'a.toml'), 'a = "1"\n');
    symlinkSync('real/a.toml', join(dir, 'alias.toml'));
    const document = await readSettingsFile(dir, 'alias.toml');
    await writeSettingsFile(document, 'a = "2"\n');
    expect(lstatSync(join(dir, 'alias.toml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real', 'a.toml'), 'utf8')).toBe('a = "2"\n');
  });

  it('refuses a file replaced since it was read', async () => {
    writeFileSync(join(dir, 'a.toml'), 'a = "1"\n');
    const document = await readSettingsFile(dir, 'a.toml');
    renameSync(join(dir, 'a.toml'), join(dir, 'a.bak'));
    symlinkSync(join(base, 'outside', 'secret.toml'), join(dir, 'a.toml'));
    expect((await rejection(writeSettingsFile(document, 'a = "2"\n'))).code).toBe('E_IO');
    expect(readFileSync(join(base, 'outside', 'secret.toml'), 'utf8')).toBe('x = 1\n');
  });

  it('creates app.toml when there was none, and refuses when a link has been planted there since', async () => {
    const created = await readAppDocument(settingsOf());
    expect(created.origin.identity).toBeUndefined();
    await writeSettingsFile(created, 'a = "1"\n');
    expect(readFileSync(join(dir, 'app.toml'), 'utf8')).toBe('a = "1"\n');

    unlinkSync(join(dir, 'app.toml'));
    const missing = await readAppDocument(settingsOf());
    symlinkSync(join(base, 'outside', 'new.toml'), join(dir, 'app.toml'));
    expect((await rejection(writeSettingsFile(missing, 'a = "2"\n'))).code).toBe('E_IO');
    expect(() => statSync(join(base, 'outside', 'new.toml'))).toThrow();
  });
});
