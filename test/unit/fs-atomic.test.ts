import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { LibertyError } from '../../src/core/errors.js';
import { isTempFileName, makeTempName, removeStaleTempFiles, writeFileAtomic } from '../../src/core/fs-atomic.js';
import { bundleWorker } from '../helpers/esbuild-worker.js';
import { giveToUnprivileged, runUnprivileged, unprivilegedUserAvailable } from '../helpers/unprivileged.js';

// rename passes through to the real one unless a test makes it fail once
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, rename: vi.fn(real.rename) };
});
const fs = await import('node:fs');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lc-atomic-'));
});
afterEach(() => {
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

async function expectIoError(promise: Promise<unknown>, path: string): Promise<LibertyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibertyError);
  expect((error as LibertyError).code).toBe('E_IO');
  expect((error as LibertyError).exitCode).toBe(6);
  expect((error as LibertyError).message).toContain(path);
  return error as LibertyError;
}

describe('writeFileAtomic', () => {
  it('writes a new file with mode 0o600 and leaves no temporary file', async () => {
    const target = join(dir, 'app.toml');
    await writeFileAtomic(target, 'a = 1\n');
    expect(readFileSync(target, 'utf8')).toBe('a = 1\n');
    expect(mode(target)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['app.toml']);
  });

  it('gives a new file the requested mode, whatever the umask', async () => {
    const target = join(dir, 'shared.toml');
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(target, Buffer.from('x = 2\n'), { mode: 0o640 });
    } finally {
      process.umask(old);
    }
    expect(mode(target)).toBe(0o640);
  });

  it.each([0o644, 0o600, 0o755, 0o640])('keeps the mode %o of an existing file', async (original) => {
    const target = join(dir, 'connectors.toml');
    writeFileSync(target, 'old\n');
    chmodSync(target, original);
    await writeFileAtomic(target, 'new\n', { mode: 0o600 });
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(mode(target)).toBe(original);
    expect(readdirSync(dir)).toEqual(['connectors.toml']);
  });

  it('replaces the file a symbolic link points to and keeps the link', async () => {
    mkdirSync(join(dir, 'real'));
    const real = join(dir, 'real', 'a.toml');
    writeFileSync(real, 'old\n');
    symlinkSync('real/a.toml', join(dir, 'link.toml'));
    await writeFileAtomic(join(dir, 'link.toml'), 'new\n');
    expect(lstatSync(join(dir, 'link.toml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('new\n');
    expect(readdirSync(join(dir, 'real'))).toEqual(['a.toml']);
  });

  it.runIf(unprivilegedUserAvailable())('fails with E_IO in a read-only directory and keeps the original', async () => {
    const target = join(dir, 'app.toml');
    writeFileSync(target, 'original\n');
    giveToUnprivileged(dir, target);
    chmodSync(dir, 0o555);
    const worker = await bundleWorker('test/helpers/write-worker.ts');
    chmodSync(dirname(worker), 0o755);
    const result = runUnprivileged(worker, ['atomic', target]) as { ok: boolean; code: string; message: string };
    expect(result).toMatchObject({ ok: false, code: 'E_IO' });
    expect(result.message).toContain(target);
    expect(readFileSync(target, 'utf8')).toBe('original\n');
    expect(readdirSync(dir)).toEqual(['app.toml']);
  });

  it('fails with E_IO when the target is a non-empty directory and removes its temporary file', async () => {
    const target = join(dir, 'taken.toml');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'keep\n');
    await expectIoError(writeFileAtomic(target, 'new\n'), target);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('keep\n');
    expect(readdirSync(dir)).toEqual(['taken.toml']);
  });

  it('fails with E_IO when the directory is missing', async () => {
    const target = join(dir, 'gone', 'app.toml');
    await expectIoError(writeFileAtomic(target, 'new\n'), target);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the original bytes and removes the temporary file when the rename fails', async () => {
    const target = join(dir, 'app.toml');
    writeFileSync(target, 'original\n');
    const failure = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    vi.mocked(fs.rename).mockImplementationOnce(((_from: unknown, _to: unknown, callback: (error: Error) => void) =>
      callback(failure)) as unknown as typeof fs.rename);
    const error = await expectIoError(writeFileAtomic(target, 'new\n'), target);
    expect(error.message).toContain('ENOSPC');
    expect(error.message).not.toContain('new');
    expect(readFileSync(target, 'utf8')).toBe('original\n');
    expect(readdirSync(dir)).toEqual(['app.toml']);
  });
});

describe('temporary names', () => {
  it('makes hidden names beside the target that it recognises', () => {
    const name = makeTempName(join(dir, 'app.toml')).slice(dir.length + 1);
    expect(name.startsWith('.app.toml.lc-tmp-')).toBe(true);
    expect(isTempFileName(name)).toBe(true);
    expect(makeTempName(join(dir, 'a.toml'))).not.toBe(makeTempName(join(dir, 'a.toml')));
  });

  it.each([
    ['.app.toml.lc-tmp-123-abc0', true],
    ['.x.lc-tmp-1-ff', true],
    ['app.toml.lc-tmp-123-abc0', false],
    ['.app.toml', false],
    ['.app.toml.lc-tmp-abc', false],
    ['.app.toml.lc-tmp-12-xyz', false],
  ])('isTempFileName(%s) is %s', (name, expected) => {
    expect(isTempFileName(name)).toBe(expected);
  });
});

describe('removeStaleTempFiles', () => {
  it('removes temporary files recursively and nothing else', async () => {
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(dir, '.hidden'));
    const keep = ['app.toml', '.liberty-crypto.lock', 'sub/a.toml', 'sub/deeper/b.toml', '.hidden/.c.toml.lc-tmp-1-ab'];
    const stale = ['.app.toml.lc-tmp-11-aa', 'sub/.a.toml.lc-tmp-12-bb', 'sub/deeper/.b.toml.lc-tmp-13-cc'];
    for (const rel of [...keep, ...stale]) writeFileSync(join(dir, rel), 'x');
    expect(await removeStaleTempFiles(dir)).toBe(3);
    for (const rel of keep) expect(() => statSync(join(dir, rel))).not.toThrow();
    for (const rel of stale) expect(() => statSync(join(dir, rel))).toThrow();
    expect(await removeStaleTempFiles(dir)).toBe(0);
  });

  it('does not follow a symbolic link to a directory', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'lc-outside-'));
    try {
      writeFileSync(join(outside, '.x.toml.lc-tmp-1-aa'), 'x');
      symlinkSync(outside, join(dir, 'linked'));
      expect(await removeStaleTempFiles(dir)).toBe(0);
      expect(readdirSync(outside)).toEqual(['.x.toml.lc-tmp-1-aa']);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('fails with E_IO for a missing directory', async () => {
    await expectIoError(removeStaleTempFiles(join(dir, 'nope')), join(dir, 'nope'));
  });
});
