// readRegularFileAt: a settings file read without resolving its path first, only when the kernel names the
// opened file by that very path; anything else is left to the careful path (undefined, or the refusal).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRegularFile, readRegularFileAt } from '../../src/core/safe-fs.js';

let root: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'lc-safe-fs-')));
  mkdirSync(join(root, 'group'));
  writeFileSync(join(root, 'group', 'a.toml'), 'a = "1"\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const text = (bytes: Buffer) => bytes.toString();

describe('readRegularFileAt', () => {
  it('reads a file that is where its real path says', () => {
    expect(readRegularFileAt(join(root, 'group', 'a.toml'), 'group/a.toml', text)?.value).toBe('a = "1"\n');
  });

  it('hands each file its own bytes in the reused buffer, and wipes them after use', () => {
    writeFileSync(join(root, 'long.toml'), `long = "${'x'.repeat(70_000)}"\n`);
    let kept: Buffer | undefined;
    expect(readRegularFileAt(join(root, 'long.toml'), 'long.toml', text)?.value).toHaveLength(70_010);
    const short = readRegularFileAt(join(root, 'group', 'a.toml'), 'group/a.toml', (bytes) => {
      kept = bytes;
      return text(bytes);
    });
    expect(short?.value).toBe('a = "1"\n');
    expect([...kept!]).toEqual(new Array(8).fill(0));
  });

  it('gives undefined for a path through a linked directory (the opened file has another name)', () => {
    symlinkSync(join(root, 'group'), join(root, 'linked'));
    expect(readRegularFileAt(join(root, 'linked', 'a.toml'), 'linked/a.toml', text)).toBeUndefined();
  });

  it('refuses a link as the file itself, as readRegularFile does', () => {
    symlinkSync(join(root, 'group', 'a.toml'), join(root, 'b.toml'));
    expect(() => readRegularFileAt(join(root, 'b.toml'), 'b.toml', text)).toThrow(/symbolic link/);
  });

  it('refuses a FIFO at its real path, without hanging', () => {
    execFileSync('mkfifo', [join(root, 'group', 'f.toml')]);
    expect(() => readRegularFileAt(join(root, 'group', 'f.toml'), 'group/f.toml', text)).toThrow(/FIFO/);
  });
});

describe('readRegularFile', () => {
  it('refuses a file with more bytes than fstat gave it (it grew, or procfs says 0) instead of reading part of it', () => {
    // /proc files are regular files whose fstat size is 0 whatever they hold: a stand-in for a file that grew
    expect(() => readRegularFile('/proc/self/status', 'status')).toThrow(/status changed while it was read/);
  });
});
