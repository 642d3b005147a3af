import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { LibertyError } from '../../src/core/errors.js';
import {
  findTempFiles,
  isTempFileName,
  makeTempName,
  removeStaleTempFiles,
  tempFileWriter,
  writeFileAtomic,
} from '../../src/core/fs-atomic.js';
import { bundleWorker } from '../support/esbuild-worker.js';
import { giveToUnprivileged, NOBODY, runningAsRoot, runUnprivileged, unprivilegedUserAvailable } from '../support/unprivileged.js';

// rename passes through to the real one unless a test makes it fail once
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, rename: vi.fn(real.rename), fsync: vi.fn(real.fsync) };
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

  it('refuses a symbolic link at the target: neither the link nor the file it points to changes', async () => {
    mkdirSync(join(dir, 'real'));
    const real = join(dir, 'real', 'a.toml');
    writeFileSync(real, 'old\n');
    symlinkSync('real/a.toml', join(dir, 'link.toml'));
    await expectIoError(writeFileAtomic(join(dir, 'link.toml'), 'new\n'), join(dir, 'link.toml'));
    expect(lstatSync(join(dir, 'link.toml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('old\n');
    expect(readdirSync(dir).sort()).toEqual(['link.toml', 'real']);
    expect(readdirSync(join(dir, 'real'))).toEqual(['a.toml']);
  });

  it('keeps the final mode off until the rename: the temporary file is 0600 while it is written', async () => {
    const target = join(dir, 'connectors.toml');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o644);
    const seen: number[] = [];
    vi.mocked(fs.fsync).mockImplementationOnce((fd: number, callback: (error: Error | null) => void) => {
      seen.push(fs.fstatSync(fd).mode & 0o777);
      fs.fsync(fd, callback);
    });
    await writeFileAtomic(target, 'new\n');
    expect(seen).toEqual([0o600]);
    expect(mode(target)).toBe(0o644);
  });

  it.runIf(unprivilegedUserAvailable())('fails with E_IO in a read-only directory and keeps the original', async () => {
    const target = join(dir, 'app.toml');
    writeFileSync(target, 'original\n');
    giveToUnprivileged(dir, target);
    chmodSync(dir, 0o555);
    const worker = await bundleWorker('test/support/write-worker.ts');
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
    vi.mocked(fs.rename).mockImplementationOnce((_from: unknown, _to: unknown, callback: (error: Error) => void) => callback(failure));
    const error = await expectIoError(writeFileAtomic(target, 'new\n'), target);
    expect(error.message).toContain('ENOSPC');
    expect(error.message).not.toContain('new');
    expect(readFileSync(target, 'utf8')).toBe('original\n');
    expect(readdirSync(dir)).toEqual(['app.toml']);
  });
});

describe('writeFileAtomic with the file as it was read', () => {
  const identity = (path: string) => {
    const info = statSync(path);
    return { dev: info.dev, ino: info.ino };
  };

  it('writes when the target is still the file that was read', async () => {
    const target = join(dir, 'a.toml');
    writeFileSync(target, 'old\n');
    await writeFileAtomic(target, 'new\n', { expected: { root: dir, identity: identity(target) } });
    expect(readFileSync(target, 'utf8')).toBe('new\n');
  });

  it('refuses a target replaced by another file since it was read', async () => {
    const target = join(dir, 'a.toml');
    writeFileSync(target, 'old\n');
    const read = identity(target);
    renameSync(target, join(dir, 'moved.toml'));
    writeFileSync(target, 'planted\n');
    await expectIoError(writeFileAtomic(target, 'new\n', { expected: { root: dir, identity: read } }), target);
    expect(readFileSync(target, 'utf8')).toBe('planted\n');
    expect(readdirSync(dir).sort()).toEqual(['a.toml', 'moved.toml']);
  });

  it('refuses a target swapped for a link to a file outside: the outside file is unchanged', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'lc-outside-'));
    try {
      const victim = join(outside, 'victim');
      writeFileSync(victim, 'root only\n');
      const target = join(dir, 'a.toml');
      writeFileSync(target, 'old\n');
      const read = identity(target);
      renameSync(target, join(dir, 'moved.toml'));
      symlinkSync(victim, target);
      const error = await expectIoError(writeFileAtomic(target, 'new\n', { expected: { root: dir, identity: read } }), target);
      expect(error.message).toContain('symbolic link');
      expect(readFileSync(victim, 'utf8')).toBe('root only\n');
      expect(readdirSync(outside)).toEqual(['victim']);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a target whose folder was swapped for a link since it was read, even to the same file', async () => {
    mkdirSync(join(dir, 'sub'));
    const target = join(dir, 'sub', 'a.toml');
    writeFileSync(target, 'old\n');
    const read = identity(target);
    renameSync(join(dir, 'sub'), join(dir, 'sub.orig'));
    symlinkSync(join(dir, 'sub.orig'), join(dir, 'sub'));
    await expectIoError(writeFileAtomic(target, 'new\n', { expected: { root: dir, identity: read } }), target);
    expect(readFileSync(join(dir, 'sub.orig', 'a.toml'), 'utf8')).toBe('old\n');
    expect(readdirSync(join(dir, 'sub.orig'))).toEqual(['a.toml']);
  });

  it('refuses a folder that resolves outside the settings directory', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'lc-outside-'));
    try {
      const target = join(outside, 'a.toml');
      writeFileSync(target, 'old\n');
      await expectIoError(writeFileAtomic(target, 'new\n', { expected: { root: dir, identity: identity(target) } }), target);
      expect(readFileSync(target, 'utf8')).toBe('old\n');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it.each([
    ['a file', (target: string) => writeFileSync(target, 'planted\n')],
    ['a link', (target: string) => symlinkSync('/etc/passwd', target)],
    ['a dangling link', (target: string) => symlinkSync(join(dir, 'nowhere'), target)],
  ])('refuses to create a file that was missing when read when %s has appeared there', async (_what, plant) => {
    const target = join(dir, 'app.toml');
    plant(target);
    await expectIoError(writeFileAtomic(target, 'new\n', { expected: { root: dir } }), target);
    expect(readdirSync(dir)).toEqual(['app.toml']);
  });

  it('refuses a target replaced between the first check and the rename, and removes its temporary file', async () => {
    const target = join(dir, 'a.toml');
    writeFileSync(target, 'old\n');
    const read = identity(target);
    // the swap lands while the temporary file is being written
    vi.mocked(fs.fsync).mockImplementationOnce((fd: number, callback: (error: Error | null) => void) => {
      renameSync(target, join(dir, 'moved.toml'));
      symlinkSync('moved.toml', target);
      fs.fsync(fd, callback);
    });
    await expectIoError(writeFileAtomic(target, 'new\n', { expected: { root: dir, identity: read } }), target);
    expect(readFileSync(join(dir, 'moved.toml'), 'utf8')).toBe('old\n');
    expect(readdirSync(dir).sort()).toEqual(['a.toml', 'moved.toml']);
  });

  it.runIf(runningAsRoot())('keeps the owner of the file it replaces, unless told not to', async () => {
    const kept = join(dir, 'kept.toml');
    const mine = join(dir, 'mine.toml');
    for (const path of [kept, mine]) {
      writeFileSync(path, 'old\n');
      chownSync(path, NOBODY, NOBODY);
    }
    await writeFileAtomic(kept, 'new\n');
    await writeFileAtomic(mine, 'new\n', { keepOwner: false });
    expect([statSync(kept).uid, statSync(kept).gid]).toEqual([NOBODY, NOBODY]);
    expect([statSync(mine).uid, statSync(mine).gid]).toEqual([process.getuid!(), process.getgid!()]);
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

describe('findTempFiles', () => {
  it('lists temporary files recursively, relative, skipping hidden folders and links', async () => {
    mkdirSync(join(dir, 'sub'));
    mkdirSync(join(dir, '.hidden'));
    for (const rel of ['app.toml', '.app.toml.lc-tmp-11-aa', 'sub/.a.toml.lc-tmp-12-bb', '.hidden/.c.toml.lc-tmp-1-ab'])
      writeFileSync(join(dir, rel), 'x');
    symlinkSync('/etc/passwd', join(dir, '.x.toml.lc-tmp-13-cc'));
    expect(findTempFiles(dir).sort()).toEqual(['.app.toml.lc-tmp-11-aa', 'sub/.a.toml.lc-tmp-12-bb']);
    expect(tempFileWriter('.app.toml.lc-tmp-11-aa')).toBe(11);
    expect(tempFileWriter('app.toml')).toBeUndefined();
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
