// What a test compares to show that a command left a directory alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/**
 * Every entry under `dir`, hidden ones included (a temporary file left behind shows too), by relative
 * path: a file's bytes (base64), `(dir)`, or `(other)` for a link, a FIFO or a socket.
 */
export function snapshotTree(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const key = path.slice(dir.length + 1);
    if (entry.isFile()) entries[key] = readFileSync(path).toString('base64');
    else entries[key] = entry.isDirectory() ? '(dir)' : '(other)';
  }
  return entries;
}

/** The bytes of the files (relative to `dir`) a case must leave alone. */
export function fileBytes(dir: string, files: string[]): Map<string, Buffer> {
  return new Map(files.map((file) => [file, readFileSync(join(dir, file))]));
}

/** Fails, naming the file and `label`, when a file of `before` (from `fileBytes`) has other bytes now. */
export function expectUnchanged(dir: string, before: Map<string, Buffer>, label = ''): void {
  for (const [file, bytes] of before) expect(readFileSync(join(dir, file)).equals(bytes), `${label}: ${file} changed`).toBe(true);
}
