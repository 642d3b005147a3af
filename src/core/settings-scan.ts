/**
 * One pass over settings files: parse each, list its string fields, and classify them (blob or plain,
 * secret class). rewrap, status, encrypt --all, keys drop-legacy and reveal all start here.
 */
import { findBlobs, type BlobSpan } from './blob.js';
import { canonicalSettingsPath, crawlSettings } from './crawl.js';
import { parseEnvReference, type EnvReference } from './env-reference.js';
import { LibertyError } from './errors.js';
import { classifyField, type FieldClass, type FieldRules } from './secret-fields.js';
import { readSettingsFile, type SettingsDocument } from './settings.js';
import { listStringValues, type KeyPath, type TomlDocument } from './toml/index.js';

export interface ScannedField {
  path: KeyPath;
  value: string;
  line: number;
  /** the blobs of the value: the whole value, or embedded in it (a URL's password) */
  blobs: BlobSpan[];
  /** whether the value holds a blob, whole or embedded */
  encrypted: boolean;
  /** set when the whole value is a `${NAME}` or `${NAME:-default}` reference, which the framework expands */
  reference?: EnvReference;
  fieldClass: FieldClass;
}

export type ScannedFile =
  { file: string; ok: true; document: SettingsDocument; fields: ScannedField[] } | { file: string; ok: false; error: LibertyError };

export function scanDocument(document: TomlDocument, rules: FieldRules): ScannedField[] {
  return listStringValues(document).map((entry) => {
    const blobs = findBlobs(entry.value);
    const reference = parseEnvReference(entry.value);
    return {
      path: entry.path,
      value: entry.value,
      line: entry.line,
      blobs,
      encrypted: blobs.length > 0,
      ...(reference ? { reference } : {}),
      fieldClass: classifyField(rules, entry.path),
    };
  });
}

export async function scanFile(dir: string, file: string, rules: FieldRules): Promise<ScannedFile> {
  try {
    const document = await readSettingsFile(dir, file);
    return { file, ok: true, document, fields: scanDocument(document, rules) };
  } catch (error) {
    if (error instanceof LibertyError) return { file, ok: false, error };
    throw error;
  }
}

/**
 * The files to work on: the whole crawl, or the given subset (each in its canonical spelling, see
 * `canonicalSettingsPath`, and checked to be a settings file the crawl finds).
 */
export async function selectFiles(dir: string, only?: readonly string[]): Promise<string[]> {
  const all = await crawlSettings(dir);
  if (!only || only.length === 0) return all;
  const wanted = [...new Set(only.map(canonicalSettingsPath))];
  const missing = wanted.filter((file) => !all.includes(file));
  if (missing.length > 0) {
    throw new LibertyError('E_USAGE', `not a settings file in the directory: ${missing.join(', ')}`, {
      hint: 'name .toml files relative to the settings directory',
    });
  }
  return wanted;
}

/**
 * Runs `task` over items with at most `limit` in flight, keeping results in order. After a failure no
 * new item starts; the first error is thrown once the items in flight have settled.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await task(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
