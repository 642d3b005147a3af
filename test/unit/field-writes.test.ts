// The rules of field writes (field-writes.ts), one row each: what encrypt FILE:KEY, encrypt --existing,
// encrypt --all and decrypt --to-plain refuse, what they write (and leave byte for byte), and the
// write-ahead hooks around each file write. The environment is a plain object; the hooks are fakes that
// record the files' bytes at each call. Nothing here depends on the time: no clock to fake.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFieldRef } from '../../src/core/field-ref.js';
import {
  encryptAllSecretFields,
  encryptExistingField,
  encryptIntoField,
  writeFieldPlain,
  type FieldWrite,
  type WriteContext,
} from '../../src/core/field-writes.js';
import { loadKeyring, openValue, type Environment } from '../../src/core/keyring.js';
import { loadSettings } from '../../src/core/settings.js';
import { parseTomlDocument, valueAt } from '../../src/core/toml/index.js';
import type { WriteHooks } from '../../src/core/write-ahead.js';
import { KEY_A, KEY_A_FP } from '../support/cli.js';
import { rejection } from '../support/errors.js';
import { appToml, seal, settingsPerTest } from '../support/settings.js';
import { recordingHooks, swapFile } from '../support/write-hooks.js';

const ENV: Environment = { LIBERTY_MASTER_KEY: KEY_A };
const KID = KEY_A_FP.slice(0, 8);
const makeSettings = settingsPerTest();

type Write = (ctx: WriteContext, hooks: WriteHooks<FieldWrite>) => Promise<unknown>;
const encryptInto =
  (ref: string, plaintext: string, noReplace = false): Write =>
  (ctx, hooks) =>
    encryptIntoField(ctx, parseFieldRef(ref), plaintext, hooks, { noReplace });
const encryptExisting =
  (ref: string): Write =>
  (ctx, hooks) =>
    encryptExistingField(ctx, parseFieldRef(ref), hooks);
const toPlain =
  (ref: string): Write =>
  (ctx, hooks) =>
    writeFieldPlain(ctx, parseFieldRef(ref), hooks);
const encryptAll = (): Write => (ctx, hooks) => encryptAllSecretFields(ctx, hooks);

interface Directory {
  ctx: WriteContext;
  path: (file: string) => string;
  read: (file: string) => string;
}

async function directory(files: Record<string, string>, env: Environment = ENV): Promise<Directory> {
  const made = makeSettings({ 'app.toml': appToml({ fingerprint: KEY_A_FP }), ...files });
  const settings = await loadSettings(made.dir);
  const path = (file: string) => join(made.dir, file);
  return { ctx: { settings, keyring: loadKeyring(settings.crypto, env) }, path, read: (file) => readFileSync(path(file), 'utf8') };
}

/** The string at `key` (dotted) in a file's text. */
function valueIn(text: string, key: string): string {
  return valueAt(parseTomlDocument('f.toml', text).data, key.split('.')) as string;
}

const DB = '# pools\n[db]\nhost = "db.local" # primary\npassword = "hunter2" # rotated 2024\nempty_password = ""\n';

describe('refusals: nothing written, no hook called', () => {
  it.each<[string, Record<string, string>, Write, string, Environment?]>([
    [
      'encrypt --existing refuses a ${NAME} reference: it points into the environment',
      { 'db.toml': '[db]\npassword = "${DB_PW}"\n' },
      encryptExisting('db.toml:db.password'),
      'E_USAGE',
    ],
    ['encrypt refuses app.toml [crypto]: it configures the keys', {}, encryptInto('app.toml:crypto.master_key', 's'), 'E_USAGE'],
    ['encrypt --existing refuses app.toml [crypto]', {}, encryptExisting('app.toml:crypto.master_key'), 'E_USAGE'],
    [
      'encrypt --no-replace refuses a field that holds a value',
      { 'db.toml': DB },
      encryptInto('db.toml:db.password', 'new', true),
      'E_FIELD_EXISTS',
    ],
    [
      'encrypt --no-replace refuses a field that holds a blob',
      { 'db.toml': `[db]\npassword = "${seal(KEY_A, 'old')}"\n` },
      encryptInto('db.toml:db.password', 'new', true),
      'E_FIELD_EXISTS',
    ],
    [
      'encrypt refuses a field that holds no string',
      { 'db.toml': '[db]\npassword = 123\n' },
      encryptInto('db.toml:db.password', 's'),
      'E_BAD_SETTINGS',
    ],
    ['encrypt --existing refuses a field that is not there', { 'db.toml': DB }, encryptExisting('db.toml:db.nope'), 'E_FIELD_NOT_FOUND'],
    ['encrypt without a master key', { 'db.toml': DB }, encryptInto('db.toml:db.password', 's'), 'E_MASTER_KEY_NOT_SET', {}],
    ['encrypt --all without a master key', { 'db.toml': DB }, encryptAll(), 'E_MASTER_KEY_NOT_SET', {}],
    [
      'decrypt --to-plain refuses a locked field',
      { 'a.toml': `[oidc]\nclient_secret = "${seal(KEY_A, 's')}"\n` },
      toPlain('a.toml:oidc.client_secret'),
      'E_FIELD_LOCKED',
    ],
    [
      'encrypt --all refuses when any file is not TOML, before writing any',
      { 'a.toml': DB, 'b.toml': 'x = \n' },
      encryptAll(),
      'E_INVALID_TOML',
    ],
  ])('%s', async (_rule, files, write, code, env) => {
    const dir = await directory(files, env);
    const names = ['app.toml', ...Object.keys(files)];
    const before = names.map(dir.read);
    const hooks = recordingHooks<FieldWrite>(names.map(dir.path));
    expect((await rejection(write(dir.ctx, hooks))).code).toBe(code);
    expect(names.map(dir.read)).toEqual(before);
    expect(hooks.calls).toEqual([]);
  });
});

describe('what a write changes, and what it leaves', () => {
  it.each<[string, Record<string, string>, Write, { file: string; key: string; plaintext?: string; result: unknown }]>([
    [
      'encrypt seals a new value into an existing field and says it replaced one',
      { 'db.toml': DB },
      encryptInto('db.toml:db.password', 'n3w'),
      {
        file: 'db.toml',
        key: 'db.password',
        plaintext: 'n3w',
        result: { field: 'db.toml:db.password', keyId: KID, written: true, replaced: true, storedFingerprint: false },
      },
    ],
    [
      'encrypt --no-replace fills an empty field',
      { 'db.toml': DB },
      encryptInto('db.toml:db.empty_password', 'n3w', true),
      { file: 'db.toml', key: 'db.empty_password', plaintext: 'n3w', result: expect.objectContaining({ written: true, replaced: false }) },
    ],
    [
      'encrypt --existing seals the plaintext already there',
      { 'db.toml': DB },
      encryptExisting('db.toml:db.password'),
      { file: 'db.toml', key: 'db.password', plaintext: 'hunter2', result: expect.objectContaining({ written: true, replaced: false }) },
    ],
    [
      'encrypt --existing on a blob writes nothing (the toggle is idempotent)',
      { 'db.toml': `[db]\npassword = "${seal(KEY_A, 'x')}"\n` },
      encryptExisting('db.toml:db.password'),
      { file: 'db.toml', key: 'db.password', result: expect.objectContaining({ written: false }) },
    ],
    [
      'decrypt --to-plain writes the plaintext back',
      { 'db.toml': DB.replace('"hunter2"', `"${seal(KEY_A, 'hunter2')}"`) },
      toPlain('db.toml:db.password'),
      { file: 'db.toml', key: 'db.password', result: { field: 'db.toml:db.password', keyId: KID } },
    ],
    [
      'decrypt --to-plain opens a blob inside a URL and keeps the rest of the URL',
      { 'db.toml': `[db]\nurl = "postgres://app:${seal(KEY_A, 'pw')}@db/app"\n` },
      toPlain('db.toml:db.url'),
      { file: 'db.toml', key: 'db.url', result: { field: 'db.toml:db.url', keyId: KID } },
    ],
    [
      'decrypt --to-plain on plaintext writes nothing',
      { 'db.toml': DB },
      toPlain('db.toml:db.password'),
      { file: 'db.toml', key: 'db.password', result: undefined },
    ],
  ])('%s', async (_rule, files, write, expected) => {
    const dir = await directory(files);
    const original = dir.read(expected.file);
    const hooks = recordingHooks<FieldWrite>(dir.path(expected.file));
    const result = await write(dir.ctx, hooks);
    expect(result).toEqual(expected.result);
    const text = dir.read(expected.file);
    const before = valueIn(original, expected.key);
    const after = valueIn(text, expected.key);
    if (expected.plaintext !== undefined) expect((await openValue(dir.ctx.keyring, after)).text).toBe(expected.plaintext);
    if (expected.plaintext === undefined && result === undefined) expect(text).toBe(original);
    if (after.startsWith('postgres:')) expect(after).toBe('postgres://app:pw@db/app');
    // every byte outside the field's value is as it was
    const name = expected.key.split('.').pop()!;
    expect(text).toBe(original.replace(`${name} = "${before}"`, `${name} = "${after}"`));
    // the hooks ran once per written file, before it changed; never for a write that did not happen
    const wrote = text !== original;
    expect(hooks.calls.map((call) => [call.hook, call.bytes])).toEqual(wrote ? [['before', original]] : []);
  });

  it.each<[string, string, boolean]>([
    ['the first blob stores the master fingerprint in app.toml', appToml(), true],
    ['a stored fingerprint is left as it is', appToml({ fingerprint: KEY_A_FP }), false],
  ])('%s', async (_rule, app, stored) => {
    const made = makeSettings({ 'app.toml': app, 'db.toml': DB });
    const settings = await loadSettings(made.dir);
    const result = await encryptIntoField(
      { settings, keyring: loadKeyring(settings.crypto, ENV) },
      parseFieldRef('db.toml:db.password'),
      's',
    );
    expect(result.storedFingerprint).toBe(stored);
    expect((await loadSettings(made.dir)).crypto.storedFingerprint).toBe(KEY_A_FP);
    if (!stored) expect(readFileSync(join(made.dir, 'app.toml'), 'utf8')).toBe(app);
  });

  it('a field of app.toml itself and the fingerprint go in one write', async () => {
    const made = makeSettings({ 'app.toml': `${appToml()}[smtp]\npassword = "p"\n` });
    const settings = await loadSettings(made.dir);
    const hooks = recordingHooks<FieldWrite>(join(made.dir, 'app.toml'));
    await encryptExistingField({ settings, keyring: loadKeyring(settings.crypto, ENV) }, parseFieldRef('app.toml:smtp.password'), hooks);
    expect(hooks.calls.map((call) => call.hook)).toEqual(['before']);
    // two writes of one file would fail: the second finds the file it read replaced
    const after = await loadSettings(made.dir);
    expect(after.crypto.storedFingerprint).toBe(KEY_A_FP);
    expect(
      (await openValue(loadKeyring(after.crypto, ENV), valueIn(readFileSync(join(made.dir, 'app.toml'), 'utf8'), 'smtp.password'))).text,
    ).toBe('p');
  });
});

describe('encrypt --all: one hook batch per file, before that file changes', () => {
  const FILES = {
    'a.toml': '[db]\npassword = "pa"\nauth_token = "ta"\nhost = "h"\n',
    'b.toml': '[db]\npassword = ""\napi_key = "${API_KEY}"\n',
    'c.toml': '[svc]\nclient_secret = "sc"\n',
  };

  it('seals every plaintext secret, skips empty values and ${NAME} references, and calls `before` once per written file with all its fields', async () => {
    const dir = await directory(FILES);
    const names = Object.keys(FILES);
    const hooks = recordingHooks<FieldWrite>(names.map(dir.path));
    const result = await encryptAllSecretFields(dir.ctx, hooks);
    expect(result).toEqual({
      encrypted: [
        { field: 'a.toml:db.password', keyId: KID },
        { field: 'a.toml:db.auth_token', keyId: KID },
        { field: 'c.toml:svc.client_secret', keyId: KID },
      ],
      skippedEmpty: ['b.toml:db.password'],
      skippedReferences: ['b.toml:db.api_key'],
      storedFingerprint: false,
    });
    expect(hooks.calls.map((call) => [call.hook, call.subjects.map((s) => s.field)])).toEqual([
      ['before', ['a.toml:db.password', 'a.toml:db.auth_token']],
      ['before', ['c.toml:svc.client_secret']],
    ]);
    // a.toml's batch ran while no file had changed; c.toml's while a.toml was written and c.toml not yet
    expect(hooks.calls[0].bytes).toBe(names.map((name) => FILES[name as keyof typeof FILES]).join('\0'));
    expect(hooks.calls[1].bytes.split('\0')[0]).toBe(dir.read('a.toml'));
    expect(hooks.calls[1].bytes.split('\0')[2]).toBe(FILES['c.toml']);
    expect(dir.read('b.toml')).toBe(FILES['b.toml']);
  });

  it("a write refused after its `before` calls `failed` with that file's fields; earlier files stay written, later ones untouched", async () => {
    const files = { ...FILES, 'b.toml': '[db]\npassword = "pb"\n' };
    const dir = await directory(files);
    const hooks = recordingHooks<FieldWrite>(dir.path('a.toml'), {
      afterBefore: (subjects) => {
        if (subjects[0].field.startsWith('b.toml:')) swapFile(dir.path('b.toml'), '# swapped\n');
      },
    });
    expect((await rejection(encryptAllSecretFields(dir.ctx, hooks))).code).toBe('E_IO');
    expect(hooks.calls.map((call) => [call.hook, call.subjects.map((s) => s.field)])).toEqual([
      ['before', ['a.toml:db.password', 'a.toml:db.auth_token']],
      ['before', ['b.toml:db.password']],
      ['failed', ['b.toml:db.password']],
    ]);
    expect(dir.read('a.toml')).not.toBe(files['a.toml']);
    expect(dir.read('b.toml')).toBe('# swapped\n');
    expect(dir.read('c.toml')).toBe(files['c.toml']);
  });

  it('a failing `before` stops the run: its error, and that file and the later ones unchanged', async () => {
    const dir = await directory(FILES);
    const refusal = new Error('audit log full');
    const hooks = recordingHooks<FieldWrite>(dir.path('a.toml'), { failBefore: refusal });
    await expect(encryptAllSecretFields(dir.ctx, hooks)).rejects.toBe(refusal);
    expect(hooks.calls.map((call) => call.hook)).toEqual(['before']);
    for (const [name, text] of Object.entries(FILES)) expect(dir.read(name)).toBe(text);
  });
});
