import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { canonicalSettingsPath, crawlSettings, locateSettingsFile, resolveInside } from '../../src/core/crawl.js';
import { LibertyError } from '../../src/core/errors.js';
import { thrown } from '../support/errors.js';

let base: string;
let dir: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'lc-crawl-'));
  dir = join(base, 'settings');
  outside = join(base, 'outside');
  mkdirSync(dir);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.toml'), 'x = 1\n');
  mkdirSync(join(outside, 'nested'));
  writeFileSync(join(outside, 'nested', 'n.toml'), 'x = 1\n');
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function touch(...rels: string[]): void {
  for (const rel of rels) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), '');
  }
}

async function rejected(promise: Promise<unknown>): Promise<LibertyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibertyError);
  return error as LibertyError;
}

describe('crawlSettings', () => {
  it('finds toml files recursively, relative with / separators, sorted by code unit', async () => {
    touch('b.toml', 'a.toml', 'Z.toml', 'sub/deep/c.toml', 'sub/a.toml', 'sub-x.toml');
    expect(await crawlSettings(dir)).toEqual(['Z.toml', 'a.toml', 'b.toml', 'sub-x.toml', 'sub/a.toml', 'sub/deep/c.toml']);
  });

  it('skips other extensions', async () => {
    touch('app.toml', 'notes.txt', 'app.toml.bak', 'x.TOML', 'toml', 'sub/readme.md');
    expect(await crawlSettings(dir)).toEqual(['app.toml']);
  });

  it('skips hidden files and hidden folders', async () => {
    touch('app.toml', '.hidden.toml', '.git/config.toml', 'sub/.x.toml', '.app.toml.lc-tmp-1-ab', '.liberty-crypto.lock');
    expect(await crawlSettings(dir)).toEqual(['app.toml']);
  });

  it('returns [] for an empty directory', async () => {
    expect(await crawlSettings(dir)).toEqual([]);
  });

  it('includes a file link whose target stays inside', async () => {
    touch('real/a.toml');
    symlinkSync('real/a.toml', join(dir, 'alias.toml'));
    expect(await crawlSettings(dir)).toEqual(['alias.toml', 'real/a.toml']);
  });

  it('skips a file link pointing outside, a broken link and a link to a directory', async () => {
    touch('app.toml', 'sub/b.toml');
    symlinkSync(join(outside, 'secret.toml'), join(dir, 'escape.toml'));
    symlinkSync('missing.toml', join(dir, 'broken.toml'));
    symlinkSync(outside, join(dir, 'linked-out'));
    symlinkSync('sub', join(dir, 'linked-in'));
    symlinkSync('..', join(dir, 'sub', 'loop'));
    mkdirSync(join(dir, 'dir.toml'));
    expect(await crawlSettings(dir)).toEqual(['app.toml', 'sub/b.toml']);
  });

  it('skips a FIFO, a link to a FIFO and a link to a device named *.toml', async () => {
    touch('app.toml');
    execFileSync('mkfifo', [join(dir, 'evil.toml')]);
    mkdirSync(join(dir, 'sub'));
    execFileSync('mkfifo', [join(dir, 'sub', 'pipe.toml')]);
    symlinkSync('/dev/zero', join(dir, 'zero.toml'));
    symlinkSync('evil.toml', join(dir, 'to-fifo.toml'));
    expect(await crawlSettings(dir)).toEqual(['app.toml']);
  });

  it('works when the settings directory itself is reached through a link', async () => {
    touch('app.toml');
    symlinkSync(dir, join(base, 'via-link'));
    expect(await crawlSettings(join(base, 'via-link'))).toEqual(['app.toml']);
  });

  it('fails with E_IO and a hint when the directory is missing', async () => {
    const missing = join(base, 'nope');
    const error = await rejected(crawlSettings(missing));
    expect(error.code).toBe('E_IO');
    expect(error.exitCode).toBe(6);
    expect(error.message).toBe(`settings directory not found: ${missing}`);
    expect(error.hint).toContain('--settings');
    expect(error.hint).toContain('LIBERTY_SETTINGS_DIR');
  });

  it('fails with E_IO when the path is a file', async () => {
    touch('app.toml');
    const error = await rejected(crawlSettings(join(dir, 'app.toml')));
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(`settings path is not a directory: ${join(dir, 'app.toml')}`);
  });
});

describe('resolveInside', () => {
  it.each([
    ['app.toml', 'app.toml'],
    ['sub/a.toml', 'sub/a.toml'],
    ['./sub/../app.toml', 'app.toml'],
    ['new/not-yet.toml', 'new/not-yet.toml'],
  ])('resolves %s inside the directory', (given, expected) => {
    touch('app.toml', 'sub/a.toml');
    expect(resolveInside(dir, given)).toBe(join(dir, expected));
  });

  it('rejects an absolute path with E_USAGE, even one inside the directory', () => {
    touch('app.toml');
    const error = thrown(() => resolveInside(dir, join(dir, 'app.toml')));
    expect(error.code).toBe('E_USAGE');
    expect(error.exitCode).toBe(2);
  });

  it('accepts a link that stays inside', () => {
    touch('real/a.toml');
    symlinkSync('real/a.toml', join(dir, 'alias.toml'));
    expect(resolveInside(dir, 'alias.toml')).toBe(join(dir, 'alias.toml'));
  });

  it.each(['../outside/secret.toml', 'sub/../../outside/secret.toml', '..', resolve('/etc/passwd')])('rejects %s with E_USAGE', (given) => {
    const error = thrown(() => resolveInside(dir, given));
    expect(error.code).toBe('E_USAGE');
    expect(error.exitCode).toBe(2);
  });

  it('rejects an empty path with E_USAGE', () => {
    expect(thrown(() => resolveInside(dir, '')).code).toBe('E_USAGE');
  });

  it.each([
    ['a file link', 'escape.toml', () => symlinkSync(join(outside, 'secret.toml'), join(dir, 'escape.toml'))],
    ['a directory link', 'out/secret.toml', () => symlinkSync(outside, join(dir, 'out'))],
    ['a directory link, file not there yet', 'out/new.toml', () => symlinkSync(outside, join(dir, 'out'))],
    ['a dangling link', 'dangling.toml', () => symlinkSync(join(outside, 'missing.toml'), join(dir, 'dangling.toml'))],
  ])('rejects a path through %s leading outside with E_BAD_SETTINGS', (_name, given, arrange) => {
    arrange();
    const error = thrown(() => resolveInside(dir, given));
    expect(error.code).toBe('E_BAD_SETTINGS');
    expect(error.exitCode).toBe(5);
    expect(error.message).toContain(given);
  });
});

describe('canonicalSettingsPath', () => {
  it.each([
    ['connectors.toml', 'connectors.toml'],
    ['./connectors.toml', 'connectors.toml'],
    ['sub/../connectors.toml', 'connectors.toml'],
    ['.//sub///a.toml', 'sub/a.toml'],
    ['sub\\a.toml', 'sub/a.toml'],
    ['sub/./deep/../a.toml', 'sub/a.toml'],
  ])('spells %s as %s', (given, expected) => {
    expect(canonicalSettingsPath(given)).toBe(expected);
  });

  it.each([
    '/etc/passwd.toml',
    '/tmp/config/connectors.toml',
    '\\server\\share\\a.toml',
    'C:/x.toml',
    '../x.toml',
    'sub/../../x.toml',
    '..',
    '.',
    '',
    '  ',
  ])('refuses %j with E_USAGE (exit 2)', (given) => {
    const error = thrown(() => canonicalSettingsPath(given));
    expect(error.code).toBe('E_USAGE');
    expect(error.exitCode).toBe(2);
  });
});

describe('locateSettingsFile', () => {
  it('gives the canonical name, the real directory and the real path of a file reached through an inside link', () => {
    touch('real/a.toml');
    symlinkSync('real/a.toml', join(dir, 'alias.toml'));
    symlinkSync(dir, join(base, 'via-link'));
    const real = realpathSync(dir);
    expect(locateSettingsFile(join(base, 'via-link'), './sub/../alias.toml')).toEqual({
      file: 'alias.toml',
      root: real,
      path: join(real, 'real', 'a.toml'),
    });
  });

  it('gives where a missing file would be created', () => {
    const real = realpathSync(dir);
    expect(locateSettingsFile(dir, 'app.toml')).toEqual({ file: 'app.toml', root: real, path: join(real, 'app.toml') });
  });

  it('refuses a link leading outside with E_BAD_SETTINGS naming the canonical file', () => {
    symlinkSync(join(outside, 'secret.toml'), join(dir, 'escape.toml'));
    const error = thrown(() => locateSettingsFile(dir, './escape.toml'));
    expect(error.code).toBe('E_BAD_SETTINGS');
    expect(error.message).toBe('escape.toml: a symbolic link leads outside the settings directory');
  });
});
