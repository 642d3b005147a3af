/**
 * What a settings directory holds after a fault, read with the library rather than the CLI under test:
 * every file parsed by smol-toml, every blob opened with the keys app.toml configures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { isBlobText, parseBlob } from '../../src/core/blob.js';
import { TEMP_MARKER } from '../../src/core/fs-atomic.js';
import { openBlob, type Keyring } from '../../src/core/keyring.js';
import { loadSettings, settingsKeyring } from '../../src/core/settings.js';

export interface OpenedFiles {
  /** file -> its parsed data, each blob replaced by its plaintext */
  plain: Record<string, unknown>;
  /** key id of each v2 blob ('legacy-format' for the old format) -> how many */
  kids: Record<string, number>;
}

/** Parses `files` and opens every blob in them; throws naming the file when one does not parse or open. */
export async function openFiles(dir: string, files: readonly string[], env: Record<string, string>): Promise<OpenedFiles> {
  const keyring = settingsKeyring(await loadSettings(dir), env);
  const result: OpenedFiles = { plain: {}, kids: {} };
  for (const file of files) {
    try {
      result.plain[file] = await openTree(parse(readFileSync(join(dir, file), 'utf8')), keyring, result.kids);
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  return result;
}

async function openTree(value: unknown, keyring: Keyring, kids: Record<string, number>): Promise<unknown> {
  if (typeof value === 'string' && isBlobText(value)) {
    const blob = parseBlob(value);
    const kid = blob.format === 'v2' ? blob.kid : 'legacy-format';
    kids[kid] = (kids[kid] ?? 0) + 1;
    return (await openBlob(keyring, value)).plaintext;
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => openTree(item, keyring, kids)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = await openTree(item, keyring, kids);
    return out;
  }
  return value;
}

/**
 * Temporary files of fs-atomic, lock files (the settings lock, the audit log's) and their claim files
 * anywhere under `dir`; matched loosely on purpose, so that a leftover the cleaner would miss is caught too.
 */
export function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.includes(TEMP_MARKER) || path.endsWith('.lock'))
    .sort();
}
