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
import {
  findStringValues,
  listStringValues,
  locateStringTokens,
  type FoundString,
  type KeyPath,
  type StringValue,
  type TomlDocument,
} from './toml/index.js';

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

export type ScannedFile<Field = ScannedField> =
  { file: string; ok: true; document: SettingsDocument; fields: Field[] } | { file: string; ok: false; error: LibertyError };

/** Every string field of the document, in document order, classified. */
export function scanDocument(document: TomlDocument, rules: FieldRules): ScannedField[] {
  return listStringValues(document).map((entry) => scannedField(entry, rules));
}

/** A field encrypt --all may seal: a plain value in a secret or locked field (the line is not needed there). */
export type PlainSecret = Omit<ScannedField, 'line'>;

/**
 * The fields encrypt --all works on: plain values (no blob) in secret or locked fields, in document order.
 * For a file of a thousand secrets the strict syntax tree is most of the command's work, so they are read
 * from the parsed data when it can answer (findStringValues: smol-toml's acceptance then stands for both
 * parsers) and put in order by where each value's one quoted occurrence is (locateStringTokens). An empty
 * value cannot be located, but it is only ever listed as skipped, apart from the others: one is fine.
 * Otherwise (two fields with the same value, two empty ones, ...) they come from the syntax tree.
 */
export function scanPlainSecrets(document: TomlDocument, rules: FieldRules): PlainSecret[] {
  const isPlainSecret = (field: PlainSecret) => !field.encrypted && field.fieldClass !== 'other';
  const candidates = findStringValues(document, () => true)
    ?.map((entry) => classified(entry, rules))
    .filter(isPlainSecret);
  const empty = candidates?.filter((field) => field.value === '') ?? [];
  const located = candidates?.filter((field) => field.value !== '') ?? [];
  const starts =
    candidates && empty.length <= 1
      ? locateStringTokens(
          document,
          located.map((field) => field.value),
        )
      : undefined;
  if (!starts) return scanDocument(document, rules).filter(isPlainSecret);
  const order = located.map((_, index) => index).sort((a, b) => starts[a] - starts[b]);
  return [...order.map((index) => located[index]), ...empty];
}

function scannedField(entry: StringValue, rules: FieldRules): ScannedField {
  return { ...classified(entry, rules), line: entry.line };
}

function classified(entry: FoundString, rules: FieldRules): PlainSecret {
  const blobs = findBlobs(entry.value);
  const reference = parseEnvReference(entry.value);
  return {
    path: entry.path,
    value: entry.value,
    blobs,
    encrypted: blobs.length > 0,
    ...(reference ? { reference } : {}),
    fieldClass: classifyField(rules, entry.path),
  };
}

export function scanFile(dir: string, file: string, rules: FieldRules): Promise<ScannedFile> {
  return scanFileWith(dir, file, rules, scanDocument);
}

/** scanFile with another listing of the fields (scanPlainSecrets). */
export async function scanFileWith<Field>(
  dir: string,
  file: string,
  rules: FieldRules,
  list: (document: TomlDocument, rules: FieldRules) => Field[],
): Promise<ScannedFile<Field>> {
  try {
    const document = await readSettingsFile(dir, file);
    return { file, ok: true, document, fields: list(document, rules) };
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
