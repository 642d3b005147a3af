// core/edit-session.ts without the CLI: what the operator's text becomes, and core/private-temp.ts's choice of place.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffFields, openForEdit, planEditedWrite, type PlanContext } from '../../src/core/edit-session.js';
import { loadKeyring, openValue } from '../../src/core/keyring.js';
import { createPrivateTempFile, privateTempBase } from '../../src/core/private-temp.js';
import { readFieldRules } from '../../src/core/secret-fields.js';
import { parseTomlDocument } from '../../src/core/toml/index.js';
import { KEY_A } from '../support/cli.js';
import { cryptoConfig, seal } from '../support/settings.js';

const keyring = loadKeyring(cryptoConfig({ masterEnv: 'K', legacyEnvs: [], format: 'v2' }), { K: KEY_A });
const ctx: PlanContext = { keyring, rules: readFieldRules(undefined), isAppFile: false };
const BLOB = seal(KEY_A, 's3cret');
const URL_BLOB = seal(KEY_A, 'url-pw');
const ORIGINAL = [
  `[pools.main]`,
  `password = "${BLOB}" # kept`,
  `url = 'postgresql://svc:${URL_BLOB}@db:5432/app'`,
  `host = "db"`,
  '',
].join('\n');

async function plan(edit: (text: string) => string) {
  const document = parseTomlDocument('c.toml', ORIGINAL);
  const opening = await openForEdit(document, keyring);
  return { opening, result: await planEditedWrite(ctx, document, opening, Buffer.from(edit(opening.text))) };
}

const valueOf = (text: string, path: string[]) => path.reduce<any>((table, key) => table[key], parseTomlDocument('c.toml', text).data);

describe('edit session', () => {
  it('opens every blob in place, quoting kept', async () => {
    const { opening } = await plan((text) => text);
    expect(opening.text).toBe(
      ['[pools.main]', 'password = "s3cret" # kept', "url = 'postgresql://svc:url-pw@db:5432/app'", 'host = "db"', ''].join('\n'),
    );
    expect(opening.opened.map((entry) => entry.field)).toEqual(['c.toml:pools.main.password', 'c.toml:pools.main.url']);
  });

  it.each([
    ['nothing changed', (t: string) => t, []],
    ['only a plain value', (t: string) => t.replace('host = "db"', 'host = "db2"'), [['pools.main.host', 'changed', false]]],
    ['the password', (t: string) => t.replace('"s3cret"', '"n3w"'), [['pools.main.password', 'changed', true]]],
    ['the URL host keeps the blob', (t: string) => t.replace('@db:5432', '@db2:5433'), [['pools.main.url', 'changed', false]]],
    ['the URL password', (t: string) => t.replace(':url-pw@', ':n3w-pw@'), [['pools.main.url', 'changed', true]]],
    ['host and password of the URL', (t: string) => t.replace(':url-pw@db:', ':n3w-pw@db2:'), [['pools.main.url', 'changed', true]]],
    [
      'an added secret, a reference, an empty one',
      (t: string) => `${t}api_key = "k"\nauth_token = "\${TOKEN}"\nclient_secret = ""\n`,
      [
        ['pools.main.api_key', 'added', true],
        ['pools.main.auth_token', 'added', false],
        ['pools.main.client_secret', 'added', false],
      ],
    ],
    [
      'an encrypted value turned into a ${NAME} reference is not sealed',
      (t: string) => t.replace('"s3cret"', '"${DB_PASSWORD}"'),
      [['pools.main.password', 'changed', false]],
    ],
    ['an encrypted value emptied is not sealed', (t: string) => t.replace('"s3cret"', '""'), [['pools.main.password', 'changed', false]]],
    [
      'a secret moved to another key stays sealed',
      (t: string) => t.replace('password = "s3cret" # kept', 'pw = "s3cret"'),
      [
        ['pools.main.pw', 'added', true],
        ['pools.main.password', 'removed', false],
      ],
    ],
  ] as const)('%s', async (_label, edit, expected) => {
    const { result } = await plan(edit);
    expect(result.changed).toBe(expected.length > 0);
    expect(result.changes.map((c) => [c.field.slice('c.toml:'.length), c.change, c.sealed])).toEqual(expected);
    if (!result.changed) return;
    expect(result.text).not.toMatch(/s3cret|n3w|"k"/);
    // every line the operator did not touch is byte for byte the original
    const kept = ORIGINAL.split('\n').filter((line) => result.text.split('\n').includes(line));
    expect(kept.length).toBeGreaterThanOrEqual(ORIGINAL.split('\n').length - 3);
    for (const change of result.changes.filter((c) => c.sealed)) {
      const path = change.field.slice('c.toml:'.length).split('.');
      expect((await openValue(keyring, valueOf(result.text, path))).text).toBe(
        valueOf(edit(ORIGINAL.replace(BLOB, 's3cret').replace(URL_BLOB, 'url-pw')), path),
      );
    }
  });

  it('refuses invalid TOML with E_INVALID_TOML naming the file, never the text', async () => {
    await expect(plan((text) => `${text}[broken\n`)).rejects.toMatchObject({
      code: 'E_INVALID_TOML',
      message: expect.stringMatching(/^c\.toml: invalid toml at line \d+, column \d+: [^"]*$/),
    });
  });

  it('diffFields tells types apart and lists removed fields last', () => {
    expect(diffFields({ a: { b: 1n, c: 'x' } }, { a: { b: '1', d: [] } })).toEqual([
      { path: ['a', 'b'], change: 'changed' },
      { path: ['a', 'd'], change: 'added' },
      { path: ['a', 'c'], change: 'removed' },
    ]);
  });
});

describe('private temporary file', () => {
  const root = mkdtempSync(join(tmpdir(), 'lc-private-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prefers $XDG_RUNTIME_DIR when it is ours and closed to others, else /dev/shm or the temporary directory', () => {
    const runtime = join(root, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    chmodSync(runtime, 0o700);
    const fallback = privateTempBase({}, '/tmp-fallback');
    expect(['/dev/shm', '/tmp-fallback']).toContain(fallback);
    expect(privateTempBase({ XDG_RUNTIME_DIR: runtime }, '/tmp-fallback')).toBe(runtime);
    chmodSync(runtime, 0o755);
    expect(privateTempBase({ XDG_RUNTIME_DIR: runtime }, '/tmp-fallback')).toBe(fallback);
    chmodSync(runtime, 0o700);
    symlinkSync(runtime, join(root, 'link'));
    expect(privateTempBase({ XDG_RUNTIME_DIR: join(root, 'link') }, '/tmp-fallback')).toBe(fallback);
    expect(privateTempBase({ XDG_RUNTIME_DIR: 'relative' }, '/tmp-fallback')).toBe(fallback);
  });

  it('0600 in a 0700 folder; wiping removes the editor files too; an abandoned folder is wiped by the next one', () => {
    const base = join(root, 'base');
    mkdirSync(base);
    const file = createPrivateTempFile(base, 'sub/x.toml', Buffer.from('pw = "plain"\n'));
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(statSync(file.folder).mode & 0o777).toBe(0o700);
    expect(readFileSync(file.path, 'utf8')).toBe('pw = "plain"\n');
    mkdirSync(join(base, 'liberty-crypto-edit-999999999-abc123'), { mode: 0o700 }); // no such process
    const other = createPrivateTempFile(base, 'y.toml', Buffer.from('x'));
    expect(readdirSync(base).sort()).toEqual([file.folder, other.folder].map((f) => f.slice(base.length + 1)).sort());
    file.wipe();
    file.wipe();
    other.wipe();
    expect(readdirSync(base)).toEqual([]);
  });
});
