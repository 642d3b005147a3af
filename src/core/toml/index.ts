/**
 * A byte-preserving TOML editor: locate a value's source range, splice a new token in, verify.
 * Pure functions; no I/O.
 *
 *   parseTomlDocument(file: string, bytes: Uint8Array | string): TomlDocument      throws E_INVALID_TOML
 *   listStringValues(doc: TomlDocument): StringValue[]
 *   findStringValues(doc: TomlDocument, accept): FoundString[] | undefined      from the data alone, unordered
 *   locateStringTokens(doc: TomlDocument, values): number[] | undefined       where each value's one quoted token starts
 *   readStringValue(doc: TomlDocument, path: KeyPath): StringValue            throws E_FIELD_NOT_FOUND
 *   applyEdits(doc: TomlDocument, edits: readonly FieldEdit[]): string        the new text, BOM included
 *   (from keys.ts) KeyPath, parseKeyPath, formatKeyPath, encodeTomlString
 *
 * Valid TOML means both toml-eslint-parser (TOML 1.0.0) and smol-toml accept the text; each alone
 * lets some invalid documents through. toml-eslint-parser gives the source ranges, smol-toml the data.
 *
 * An edit sets a field to a string. An existing string value has exactly its token replaced by
 * encodeTomlString(value); every other byte stays as it was (comments, blank lines, key order, CRLF,
 * the BOM, trailing whitespace). A missing field is created:
 *   - in its table, as a `key = "value"` line right after the table's last key/value line (root keys
 *     at the start of the file when the root has none), with the file's line ending and the
 *     indentation of that line; missing intermediate tables under an array-of-tables element or a
 *     table defined by dotted keys become a dotted key (`tls.cert = "..."`) in the owning table;
 *   - inside an inline table, as `, key = "value"` after its last entry;
 *   - when its table is missing (or exists only implicitly through deeper headers), as a new
 *     `[table]` header with the key line, appended at the end of the file after a blank line.
 * Edits are refused with E_BAD_SETTINGS when the field or its parent exists but has the wrong type,
 * or when the place to create it is ambiguous (a table implicit under an array of tables).
 * The result is parsed again and compared with the original data: anything but the edited fields
 * changing is E_INTERNAL, and the text is never returned.
 *
 * The rooms: parse.ts (decoding, both parsers, their messages cleaned), key-index.ts (every key path from
 * the syntax tree), fast-path.ts (the shortcuts without the syntax tree), splice-planner.ts and
 * token-style.ts (an edit batch as splices, strings keeping their style), verify.ts. Code outside this
 * folder imports this file only.
 */
export type { FieldEdit, FoundString, StringValue, TomlDocument } from './document.js';
export { encodeTomlString, formatKeyPath, hasLoneSurrogate, isTable, parseKeyPath, valueAt, type KeyPath } from './keys.js';
export { parseTomlDocument } from './parse.js';
export { listStringValues, readStringValue } from './key-index.js';
/** Whether the strict syntax tree of a document has been built: which path a shortcut took (for tests). */
export { hasIndex as hasSyntaxTree } from './key-index.js';
export { findStringValues, locateStringTokens } from './fast-path.js';

import { BOM, type FieldEdit, type TomlDocument } from './document.js';
import { swapTokensInPlace } from './fast-path.js';
import { hasIndex, indexOf } from './key-index.js';
import { checkEdits, SplicePlanner } from './splice-planner.js';
import { verifyEdits } from './verify.js';

/**
 * Sets each field to its new string value in one pass and returns the whole new text, BOM
 * included. Zero edits return the original text unchanged.
 */
export function applyEdits(doc: TomlDocument, edits: readonly FieldEdit[]): string {
  const prefix = doc.bom ? BOM : '';
  if (edits.length === 0) return prefix + doc.text;
  checkEdits(doc.file, edits);
  // with the syntax tree already built (encrypt --all lists its fields from it), the ranges are known: the
  // token search would cost a scan of the text per edit (quadratic for a file of a thousand secrets)
  const swapped = hasIndex(doc) ? undefined : swapTokensInPlace(doc, edits);
  if (swapped !== undefined) return prefix + swapped;
  const index = indexOf(doc);
  const planner = new SplicePlanner(doc, index);
  for (const edit of edits) planner.add(edit);
  const text = planner.render();
  verifyEdits(doc, edits, text, planner.insertsText());
  return prefix + text;
}
