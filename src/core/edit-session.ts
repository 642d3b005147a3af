/**
 * `edit FILE`, the pure part: the settings file with every blob opened in place (what the operator edits),
 * and from the text the editor leaves, the settings file to write back. No I/O, no terminal.
 *
 * What goes back is the operator's text, except that secret values become blobs:
 *   - a value that was encrypted and is shown unchanged gets its exact old value back (blob and all), so
 *     a `git diff` shows only what the operator changed;
 *   - a value that was encrypted and changed is sealed under the master: a whole-value blob as a whole,
 *     a blob inside a longer value (a pool URL's password) in place, the text around it as typed;
 *   - a value changed or added in a secret field (the patterns `encrypt --all` uses), or equal to a
 *     plaintext the file held encrypted (a secret moved to another key), is sealed whole;
 *   - a `${NAME}` reference, an empty value, a value already holding a blob, and anything in app.toml
 *     [crypto] (the key configuration) are never sealed.
 * The blobs are swapped in with toml-edit's token edits, so the quoting the operator chose is kept.
 */
import { findBlobs, holdsBlob, type BlobSpan } from './blob.js';
import { parseEnvReference } from './env-reference.js';
import { LibertyError } from './errors.js';
import { createOpener, requireSealingKey, sealVerified, type Keyring, type OpenedBlob } from './keyring.js';
import type { Key } from './keys.js';
import { classifyField, type FieldRules } from './secret-fields.js';
import {
  applyEdits,
  formatKeyPath,
  isTable,
  listStringValues,
  parseTomlDocument,
  type FieldEdit,
  type KeyPath,
  type TomlDocument,
} from './toml/index.js';

/** One encrypted value of the file, opened. */
export interface OpenedField {
  path: KeyPath;
  /** `FILE:KEY` */
  field: string;
  /** the value on disk, blobs in it */
  value: string;
  /** the value with every blob opened: what the operator sees */
  shown: string;
  spans: BlobSpan[];
  plaintexts: string[];
  /** the key that opened its (first) blob */
  keyId: string;
}

export interface EditOpening {
  /** the file's text with every blob opened in place (BOM kept) */
  text: string;
  opened: OpenedField[];
}

/** A field whose value differs between the file as it was and as it is written. */
export interface EditChange {
  /** `FILE:KEY` */
  field: string;
  change: 'changed' | 'added' | 'removed';
  /** a new blob was sealed for it */
  sealed: boolean;
  /** the key it was sealed under */
  keyId?: string;
}

export interface EditPlan {
  /** the text to write; equal to the original text when nothing changed */
  text: string;
  /** false: the text is the file as it was, nothing to write */
  changed: boolean;
  changes: EditChange[];
}

/** A field named in messages and the audit log: `connectors.toml:pools.main.password`. */
function fieldName(file: string, path: KeyPath): string {
  return `${file}:${formatKeyPath(path)}`;
}

/**
 * Opens every blob of `document` (whole values and blobs inside values). The first blob that does not open
 * throws EditOpenError, naming the field, with the keyring's error as its reason.
 */
export async function openForEdit(document: TomlDocument, keyring: Keyring): Promise<EditOpening> {
  const encrypted = listStringValues(document).filter((entry) => holdsBlob(entry.value));
  const opened: OpenedField[] = [];
  const opener = createOpener(keyring); // one for the file: it learns which key opens its v1 blobs
  for (const entry of encrypted) {
    const field = fieldName(document.file, entry.path);
    const spans = findBlobs(entry.value);
    let result: { text: string; opened: OpenedBlob[] };
    try {
      result = await opener.openValue(entry.value);
    } catch (error) {
      throw new EditOpenError(field, error);
    }
    opened.push({
      path: entry.path,
      field,
      value: entry.value,
      shown: result.text,
      spans,
      plaintexts: result.opened.map((blob) => blob.plaintext),
      keyId: result.opened[0].slot.key.kid,
    });
  }
  const text = applyEdits(
    document,
    opened.map((entry) => ({ path: entry.path, value: entry.shown })),
  );
  return { text, opened };
}

/** A blob of the file did not open: which field, and why (the keyring's own error). */
export class EditOpenError extends Error {
  constructor(
    readonly field: string,
    readonly reason: unknown,
  ) {
    super(`${field}: the blob did not open`);
    this.name = 'EditOpenError';
  }
}

export interface PlanContext {
  keyring: Keyring;
  rules: FieldRules;
  /** true for app.toml: its [crypto] table configures the keys and is never sealed */
  isAppFile: boolean;
}

/**
 * The settings file to write from the text the editor left (`edited`, its bytes). E_INVALID_TOML (naming
 * the settings file, line and column, never the text) when the edited text is not valid TOML 1.0.
 */
export async function planEditedWrite(
  ctx: PlanContext,
  original: TomlDocument,
  opening: EditOpening,
  edited: Uint8Array,
): Promise<EditPlan> {
  const originalText = (original.bom ? '\uFEFF' : '') + original.text;
  const document = parseTomlDocument(original.file, edited);
  const values = listStringValues(document); // the strict TOML 1.0 parse: what both parsers accept
  const before = new Map(listStringValues(original).map((entry) => [pathKey(entry.path), entry.value]));
  const openedAt = new Map(opening.opened.map((entry) => [pathKey(entry.path), entry]));
  // plaintexts the file held encrypted, to their blob: a secret moved to another key stays sealed
  const secretTexts = new Map<string, string>();
  for (const entry of opening.opened) {
    if (entry.spans.length === 1 && entry.spans[0].start === 0 && entry.plaintexts[0] !== '')
      secretTexts.set(entry.plaintexts[0], entry.value);
  }

  let key: Key | undefined;
  const sealingKey = (): Key => (key ??= requireSealingKey(ctx.keyring));
  const seal = (plaintext: string) => sealVerified(ctx.keyring, sealingKey(), plaintext, original.file);
  const edits: FieldEdit[] = [];
  const sealedAt = new Set<string>();

  for (const { path, value } of values) {
    const at = pathKey(path);
    const opened = openedAt.get(at);
    if (opened) {
      if (value === opened.shown) {
        if (value !== opened.value) edits.push({ path, value: opened.value });
        continue;
      }
      const resealed = await resealInPlace(opened, value, seal);
      if (resealed !== undefined) {
        edits.push({ path, value: resealed.value });
        if (resealed.sealed) sealedAt.add(at);
        continue;
      }
    } else if (before.get(at) === value) {
      continue; // a value that was plain stays as it was
    }
    if (!mustSeal(ctx, path, value, secretTexts)) continue;
    edits.push({ path, value: await seal(value) });
    sealedAt.add(at);
  }

  const text = applyEdits(document, edits);
  if (text === originalText) return { text, changed: false, changes: [] };
  const written = parseTomlDocument(original.file, text).data;
  const changes = diffFields(original.data, written).map(({ path, change }) => {
    const sealed = sealedAt.has(pathKey(path));
    return { field: fieldName(original.file, path), change, sealed, ...(sealed ? { keyId: sealingKey().kid } : {}) };
  });
  return { text, changed: true, changes };
}

/**
 * A changed value whose old value held blobs: the new text with the changed secret sealed where the old
 * blob sat. `undefined` when the secret's place cannot be told (the caller then treats it as a new value).
 *   - The text around the blob kept as it was: what lies between is the secret (a whole value has no text around).
 *   - Else a URL with a password (`scheme://user:PASSWORD@host...`): the password is the secret; when it is
 *     one of the old plaintexts, its old blob is kept.
 */
async function resealInPlace(
  opened: OpenedField,
  value: string,
  seal: (plaintext: string) => Promise<string>,
): Promise<{ value: string; sealed: boolean } | undefined> {
  // now a reference to the environment, empty, or a blob pasted in: nothing to seal, written as typed
  if (value === '' || holdsBlob(value) || parseEnvReference(value) !== undefined) return { value, sealed: false };
  if (opened.spans.length === 1) {
    const span = opened.spans[0];
    const prefix = opened.value.slice(0, span.start);
    const suffix = opened.value.slice(span.end);
    if (value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix)) {
      const secret = value.slice(prefix.length, value.length - suffix.length);
      if (secret === opened.plaintexts[0]) return { value: prefix + span.text + suffix, sealed: false };
      if (secret === '' && (prefix !== '' || suffix !== '')) return { value, sealed: false }; // the password removed
      return { value: prefix + (await seal(secret)) + suffix, sealed: true };
    }
  }
  const url = URL_WITH_PASSWORD.exec(value);
  if (!url) return undefined;
  const [, head, password, tail] = url as unknown as [string, string, string, string];
  if (password === '' || holdsBlob(password)) return { value, sealed: false };
  const kept = opened.plaintexts.indexOf(password);
  if (kept !== -1) return { value: head + opened.spans[kept].text + tail, sealed: false };
  return { value: head + (await seal(password)) + tail, sealed: true };
}

/** `scheme://user:PASSWORD@host...`: the password runs to the last `@` (the host part holds none). */
const URL_WITH_PASSWORD = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:]*:)([\s\S]*)(@[^@]*)$/;

/** Whether a changed or added plain value is sealed (see the module comment). */
function mustSeal(ctx: PlanContext, path: KeyPath, value: string, secretTexts: ReadonlyMap<string, string>): boolean {
  if (value === '' || holdsBlob(value) || parseEnvReference(value) !== undefined) return false;
  if (ctx.isAppFile && path[0] === 'crypto') return false;
  return classifyField(ctx.rules, path) !== 'other' || secretTexts.has(value);
}

/** A path as a map key: parts cannot hold U+0000 unescaped in TOML keys we list, so it separates them. */
function pathKey(path: KeyPath): string {
  return path.join('\u0000');
}

/**
 * Every leaf (a value that is not a table or an array; an empty table or array counts as one) whose value
 * differs, appeared or disappeared between `before` and `after`, in the order of `after`, removed ones last.
 */
export function diffFields(before: unknown, after: unknown): Array<{ path: KeyPath; change: EditChange['change'] }> {
  const old = leaves(before);
  const now = leaves(after);
  const changes: Array<{ path: KeyPath; change: EditChange['change'] }> = [];
  for (const [at, leaf] of now) {
    const previous = old.get(at);
    if (previous === undefined) changes.push({ path: leaf.path, change: 'added' });
    else if (previous.text !== leaf.text) changes.push({ path: leaf.path, change: 'changed' });
  }
  for (const [at, leaf] of old) if (!now.has(at)) changes.push({ path: leaf.path, change: 'removed' });
  return changes;
}

function leaves(data: unknown): Map<string, { path: KeyPath; text: string }> {
  const found = new Map<string, { path: KeyPath; text: string }>();
  const walk = (value: unknown, path: string[]): void => {
    if (Array.isArray(value) && value.length > 0) {
      value.forEach((item, index) => walk(item, [...path, String(index)]));
    } else if (isTable(value) && Object.keys(value).length > 0) {
      for (const name of Object.keys(value)) walk(value[name], [...path, name]);
    } else if (path.length > 0) {
      found.set(pathKey(path), { path, text: leafText(value) });
    }
  };
  walk(data, []);
  return found;
}

/** A leaf as comparable text: its type and value (1 and "1" differ, as do 1 and 1.0). */
function leafText(value: unknown): string {
  if (value instanceof Date) return `date:${String(value)}:${Number.isNaN(value.getTime()) ? '' : value.toISOString()}`;
  if (Array.isArray(value)) return 'array:';
  if (isTable(value)) return 'table:';
  return `${typeof value}:${String(value)}`;
}

/** E_INVALID_TOML from planEditedWrite says where the edit broke; this says what happens to the file. */
export function isInvalidToml(error: unknown): error is LibertyError {
  return error instanceof LibertyError && error.code === 'E_INVALID_TOML';
}
