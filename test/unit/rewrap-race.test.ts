// rewrap writes each file right after it read it, with no audit append in between to pause at: the issue
// reproduced the race with an inotify watcher swapping the file as soon as it was read. A test cannot
// time that from outside, so here the swap runs inside the read itself: readSettingsFile is wrapped (a
// test seam only, nothing in the product) to swap the file for a link to a file outside right after the
// real read returns.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { rejection } from '../support/errors.js';
import { loadKeyring } from '../../src/core/keyring.js';
import { rewrapSettings } from '../../src/core/rewrap.js';
import * as settingsModule from '../../src/core/settings.js';
import { KEY_A, KEY_B } from '../support/cli.js';
import { cryptoConfig, seal } from '../support/settings.js';

vi.mock('../../src/core/settings.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/settings.js')>();
  return { ...real, readSettingsFile: vi.fn(real.readSettingsFile) };
});
const { readSettingsFile: realRead } = await vi.importActual<typeof import('../../src/core/settings.js')>('../../src/core/settings.js');

const VICTIM = '# root only\n';
let base: string;
let dir: string;
let victim: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'lc-rewrap-race-'));
  dir = join(base, 'config');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  victim = join(base, 'outside', 'victim.toml');
  writeFileSync(victim, VICTIM, { mode: 0o600 });
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

// a blob on the legacy key: rewrap re-seals it under the master, so it writes the file
const keyring = loadKeyring(cryptoConfig({ masterEnv: 'MASTER', legacyEnvs: ['OLD'] }), { MASTER: KEY_A, OLD: KEY_B });
const TEXT = `[pools.main]\npassword = "${seal(KEY_B, 'pg-secret')}"\n`;

/** The read of `file` runs `swap` right after it returns. */
function swapAfterRead(file: string, swap: () => void): void {
  vi.mocked(settingsModule.readSettingsFile).mockImplementation(async (readDir, readFile) => {
    const document = await realRead(readDir, readFile);
    if (readFile === file) swap();
    return document;
  });
}

describe('rewrap: the file swapped right after it was read', () => {
  it('for a link to a file outside: refused with E_IO, the outside file unchanged, nothing left behind', async () => {
    writeFileSync(join(dir, 'connectors.toml'), TEXT);
    swapAfterRead('connectors.toml', () => {
      renameSync(join(dir, 'connectors.toml'), join(dir, 'mallory.bak'));
      symlinkSync(victim, join(dir, 'connectors.toml'));
    });
    const error = await rejection(rewrapSettings(dir, keyring));
    expect(error.code).toBe('E_IO');
    expect(error.message).toContain('connectors.toml');
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    expect(readFileSync(join(dir, 'mallory.bak'), 'utf8')).toBe(TEXT);
    expect(readdirSync(dir).sort()).toEqual(['connectors.toml', 'mallory.bak', 'sub']);
    expect(readdirSync(join(base, 'outside'))).toEqual(['victim.toml']);
  });

  it('for its folder swapped for a link to a folder outside: refused with E_IO, the outside file unchanged', async () => {
    writeFileSync(join(dir, 'sub', 'connectors.toml'), TEXT);
    renameSync(victim, join(base, 'outside', 'connectors.toml'));
    swapAfterRead('sub/connectors.toml', () => {
      renameSync(join(dir, 'sub'), join(dir, 'sub.bak'));
      symlinkSync(join(base, 'outside'), join(dir, 'sub'));
    });
    const error = await rejection(rewrapSettings(dir, keyring));
    expect(error.code).toBe('E_IO');
    expect(readFileSync(join(base, 'outside', 'connectors.toml'), 'utf8')).toBe(VICTIM);
    expect(readFileSync(join(dir, 'sub.bak', 'connectors.toml'), 'utf8')).toBe(TEXT);
    expect(readdirSync(join(base, 'outside'))).toEqual(['connectors.toml']);
  });

  it('re-wraps as before when nothing is swapped', async () => {
    writeFileSync(join(dir, 'connectors.toml'), TEXT);
    vi.mocked(settingsModule.readSettingsFile).mockImplementation(realRead);
    const report = await rewrapSettings(dir, keyring);
    expect(report).toMatchObject({ rewrapped: 1, problems: [] });
    expect(readFileSync(join(dir, 'connectors.toml'), 'utf8')).not.toBe(TEXT);
  });
});
