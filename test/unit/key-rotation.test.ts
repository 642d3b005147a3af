// The rules of key rotation (key-rotation.ts), one row each: what keys rotate, add-legacy and drop-legacy
// refuse, what they write into app.toml [crypto], and the write-ahead order around that write. The
// environment is a plain object; the write hooks are fakes that record the file's bytes at each call.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addLegacyKey, dropLegacyKey, findLegacyKeyUsage, rotateMasterKey } from '../../src/core/key-rotation.js';
import { loadKeyring, type Environment } from '../../src/core/keyring.js';
import { loadSettings, type Settings } from '../../src/core/settings.js';
import type { WriteHooks } from '../../src/core/write-ahead.js';
import { KEY_A, KEY_A_FP, KEY_B, KEY_B_FP, LEGACY_PASSPHRASE } from '../support/cli.js';
import { rejection } from '../support/errors.js';
import { appToml, seal, settingsPerTest } from '../support/settings.js';
import { recordingHooks, swapFile } from '../support/write-hooks.js';

const KEY_C = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
const PASSPHRASE = 'made-up-old-passphrase-of-a-test';
const makeSettings = settingsPerTest();

type Operation = (settings: Settings, env: Environment, hooks: WriteHooks<never>) => Promise<unknown>;
const rotate =
  (to: string): Operation =>
  (settings, env, hooks) =>
    rotateMasterKey(settings, env, to, hooks);
const addLegacy =
  (name: string): Operation =>
  (settings, env, hooks) =>
    addLegacyKey(settings, env, name, hooks);
const dropLegacy =
  (name: string): Operation =>
  (settings, _env, hooks) =>
    dropLegacyKey(settings, name, hooks);

async function directory(app: string): Promise<{ settings: Settings; appPath: string }> {
  const made = makeSettings({ 'app.toml': app });
  return { settings: await loadSettings(made.dir), appPath: join(made.dir, 'app.toml') };
}

describe('refusals: nothing written, no hook called', () => {
  it.each<[string, string, Environment, Operation, string]>([
    [
      'rotate to a name that is no variable name (a key pasted as NAME)',
      appToml(),
      { LIBERTY_MASTER_KEY: KEY_A },
      rotate(KEY_B),
      'E_USAGE',
    ],
    ['rotate to a variable that is unset', appToml(), { LIBERTY_MASTER_KEY: KEY_A }, rotate('NEW'), 'E_KEY_NOT_SET'],
    ['rotate to a variable that is empty', appToml(), { LIBERTY_MASTER_KEY: KEY_A, NEW: '' }, rotate('NEW'), 'E_KEY_NOT_SET'],
    [
      'rotate to a passphrase: a master must be 64 hex',
      appToml(),
      { LIBERTY_MASTER_KEY: KEY_A, NEW: PASSPHRASE },
      rotate('NEW'),
      'E_KEY_MALFORMED',
    ],
    [
      'under v1, rotate to a hex key with upper-case letters',
      appToml({ format: 'v1' }),
      { LIBERTY_MASTER_KEY: KEY_A, NEW: KEY_B.toUpperCase() },
      rotate('NEW'),
      'E_KEY_MALFORMED',
    ],
    ['rotate to the name of the master itself', appToml(), { LIBERTY_MASTER_KEY: KEY_A }, rotate('LIBERTY_MASTER_KEY'), 'E_USAGE'],
    ['rotate to another name holding the same key', appToml(), { LIBERTY_MASTER_KEY: KEY_A, NEW: KEY_A }, rotate('NEW'), 'E_USAGE'],
    [
      'rotate to the key the stored fingerprint names, with the master unset',
      appToml({ fingerprint: KEY_A_FP }),
      { NEW: KEY_A },
      rotate('NEW'),
      'E_USAGE',
    ],
    ['add-legacy of a name that is no variable name', appToml(), { LIBERTY_MASTER_KEY: KEY_A }, addLegacy('not a name'), 'E_USAGE'],
    ['add-legacy of the master', appToml(), { LIBERTY_MASTER_KEY: KEY_A }, addLegacy('LIBERTY_MASTER_KEY'), 'E_USAGE'],
    [
      'add-legacy of a name already in legacy_keys',
      appToml({ legacy: ['OLD'] }),
      { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B },
      addLegacy('OLD'),
      'E_USAGE',
    ],
    ['add-legacy of a variable that is unset', appToml(), { LIBERTY_MASTER_KEY: KEY_A }, addLegacy('OLD'), 'E_KEY_NOT_SET'],
  ])('%s', async (_rule, app, env, operation, code) => {
    const { settings, appPath } = await directory(app);
    const hooks = recordingHooks<never>(appPath);
    expect((await rejection(operation(settings, env, hooks))).code).toBe(code);
    expect(readFileSync(appPath, 'utf8')).toBe(app);
    expect(hooks.calls).toEqual([]);
  });
});

describe('what each operation writes into app.toml [crypto]', () => {
  it.each<[string, string, Environment, Operation, { master: string; legacy: string[]; fingerprint?: string; result: unknown }]>([
    [
      'rotate: the new key becomes the master, the old master the first legacy key, the new fingerprint is stored',
      appToml({ fingerprint: KEY_A_FP }),
      { LIBERTY_MASTER_KEY: KEY_A, NEW: KEY_B },
      rotate('NEW'),
      {
        master: '${NEW}',
        legacy: ['${LIBERTY_MASTER_KEY}'],
        fingerprint: KEY_B_FP,
        result: {
          from: 'LIBERTY_MASTER_KEY',
          to: 'NEW',
          keyId: KEY_B_FP.slice(0, 8),
          fingerprint: KEY_B_FP,
          legacy: ['LIBERTY_MASTER_KEY'],
        },
      },
    ],
    [
      'rotate: the legacy keys already there follow the old master, in their order',
      appToml({ legacy: ['OLD1', 'OLD2'] }),
      { LIBERTY_MASTER_KEY: KEY_A, NEW: KEY_B },
      rotate('NEW'),
      {
        master: '${NEW}',
        legacy: ['${LIBERTY_MASTER_KEY}', '${OLD1}', '${OLD2}'],
        fingerprint: KEY_B_FP,
        result: expect.objectContaining({ legacy: ['LIBERTY_MASTER_KEY', 'OLD1', 'OLD2'] }),
      },
    ],
    [
      'rotate back to a legacy key: it leaves legacy_keys (never master and legacy at once)',
      appToml({ legacy: ['OLD'] }),
      { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B },
      rotate('OLD'),
      {
        master: '${OLD}',
        legacy: ['${LIBERTY_MASTER_KEY}'],
        fingerprint: KEY_B_FP,
        result: expect.objectContaining({ legacy: ['LIBERTY_MASTER_KEY'] }),
      },
    ],
    [
      'rotate with the master unset: allowed, the old name still becomes legacy',
      appToml(),
      { NEW: KEY_C },
      rotate('NEW'),
      {
        master: '${NEW}',
        legacy: ['${LIBERTY_MASTER_KEY}'],
        fingerprint: expect.any(String),
        result: expect.objectContaining({ from: 'LIBERTY_MASTER_KEY' }),
      },
    ],
    [
      'add-legacy appends ${NAME} after the legacy keys already there',
      appToml({ legacy: ['OLD1'] }),
      { LIBERTY_MASTER_KEY: KEY_A, OLD2: PASSPHRASE },
      addLegacy('OLD2'),
      { master: '${LIBERTY_MASTER_KEY}', legacy: ['${OLD1}', '${OLD2}'], result: ['OLD1', 'OLD2'] },
    ],
    [
      'drop-legacy removes that entry and keeps the others',
      appToml({ legacy: ['OLD1', 'OLD2'] }),
      { LIBERTY_MASTER_KEY: KEY_A },
      dropLegacy('OLD1'),
      { master: '${LIBERTY_MASTER_KEY}', legacy: ['${OLD2}'], result: ['OLD2'] },
    ],
  ])('%s', async (_rule, app, env, operation, expected) => {
    const { settings, appPath } = await directory(app);
    const result = await operation(settings, env, recordingHooks(appPath));
    expect(result).toEqual(expected.result);
    const crypto = (await loadSettings(settings.dir)).crypto;
    const written = readFileSync(appPath, 'utf8');
    expect(written).toContain(`master_key = "${expected.master}"`);
    expect(crypto.legacyEnvs.map((name) => `\${${name}}`)).toEqual(expected.legacy);
    if (expected.fingerprint) expect(crypto.storedFingerprint).toEqual(expected.fingerprint);
    // app.toml names variables; no key's value is ever written there
    for (const value of Object.values(env)) if (value) expect(written).not.toContain(value);
  });

  it('an edit of legacy_keys keeps the other entries as written (a ${NAME:-...} entry, comments) byte for byte', async () => {
    const app = `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nformat = "v2"\nlegacy_keys = [\n  # the 2019 install\n  '\${OLD1:-}',\n  "\${OLD2}",\n]\n`;
    const { settings, appPath } = await directory(app);
    await dropLegacyKey(settings, 'OLD2');
    expect(readFileSync(appPath, 'utf8')).toBe(
      `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nformat = "v2"\nlegacy_keys = [\n  # the 2019 install\n  '\${OLD1:-}',\n]\n`,
    );
  });
});

describe('which blobs still need a legacy key (the check before drop-legacy)', () => {
  const ENV: Environment = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B, PASS: PASSPHRASE };
  it.each<[string, Record<string, string>, string, number | string]>([
    ['a v2 blob sealed under the legacy key needs it', { 'db.toml': `password = "${seal(KEY_B, 's')}"\n` }, 'OLD', 1],
    ['a v1 blob that opens with the legacy key needs it', { 'db.toml': `password = "${seal(PASSPHRASE, 's', 'v1')}"\n` }, 'PASS', 1],
    ['a blob under the master does not need a legacy key', { 'db.toml': `password = "${seal(KEY_A, 's')}"\n` }, 'OLD', 0],
    ['a blob embedded in a URL counts', { 'db.toml': `url = "postgres://u:${seal(KEY_B, 'pw')}@h/db"\n` }, 'OLD', 1],
    ['a name that is not in legacy_keys is refused', {}, 'NOPE', 'E_USAGE'],
    ['a legacy key that is unset cannot be checked: refused', {}, 'UNSET', 'E_KEY_NOT_SET'],
  ])('%s', async (_rule, files, name, expected) => {
    const made = makeSettings({ 'app.toml': appToml({ legacy: ['OLD', 'PASS', 'UNSET'] }), ...files });
    const settings = await loadSettings(made.dir);
    const usage = findLegacyKeyUsage(settings, loadKeyring(settings.crypto, ENV), name);
    if (typeof expected === 'string') expect((await rejection(usage)).code).toBe(expected);
    else expect((await usage).total).toBe(expected);
  });
});

describe('the write-ahead order around the app.toml write', () => {
  const operations: Array<[string, string, Environment, Operation]> = [
    ['keys rotate', appToml(), { LIBERTY_MASTER_KEY: KEY_A, NEW: KEY_B }, rotate('NEW')],
    ['keys add-legacy', appToml(), { LIBERTY_MASTER_KEY: KEY_A, OLD: LEGACY_PASSPHRASE }, addLegacy('OLD')],
    ['keys drop-legacy', appToml({ legacy: ['OLD'] }), { LIBERTY_MASTER_KEY: KEY_A }, dropLegacy('OLD')],
  ];

  it.each(operations)('%s: `before` gets the result once, while app.toml is unchanged; no `failed`', async (_name, app, env, operation) => {
    const { settings, appPath } = await directory(app);
    const hooks = recordingHooks<never>(appPath);
    const result = await operation(settings, env, hooks);
    expect(hooks.calls).toEqual([{ hook: 'before', subjects: [result], bytes: app }]);
    expect(readFileSync(appPath, 'utf8')).not.toBe(app);
  });

  it.each(operations)('%s: a failing `before` is the error, and app.toml stays as it was', async (_name, app, env, operation) => {
    const { settings, appPath } = await directory(app);
    const refusal = new Error('audit log full');
    const hooks = recordingHooks<never>(appPath, { failBefore: refusal });
    await expect(operation(settings, env, hooks)).rejects.toBe(refusal);
    expect(hooks.calls.map((call) => call.hook)).toEqual(['before']);
    expect(readFileSync(appPath, 'utf8')).toBe(app);
  });

  it.each(operations)('%s: a write refused after `before` calls `failed` with the same subjects', async (_name, app, env, operation) => {
    const { settings, appPath } = await directory(app);
    // app.toml is swapped for another file after it was read: the write must refuse it (E_IO)
    const swapped = `${app}# swapped\n`;
    const hooks = recordingHooks<never>(appPath, {
      afterBefore: () => swapFile(appPath, swapped),
    });
    expect((await rejection(operation(settings, env, hooks))).code).toBe('E_IO');
    expect(hooks.calls.map((call) => call.hook)).toEqual(['before', 'failed']);
    expect(hooks.calls[1].subjects).toEqual(hooks.calls[0].subjects);
    expect(readFileSync(appPath, 'utf8')).toBe(swapped);
  });
});
