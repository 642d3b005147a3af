/**
 * The index of a document: every key path and how it is defined (a value, a table by header, by dotted
 * keys, inline, implied by deeper headers, an array of tables), from the strict syntax tree. Listing,
 * reading and planning edits all go through it; it is built once per document and text.
 */
import type { AST } from 'toml-eslint-parser';
import { LibertyError, where } from '../errors.js';
import type { StringValue, TomlDocument } from './document.js';
import { formatKeyPath, valueAt, type KeyPath } from './keys.js';
import { parseSyntax } from './parse.js';

/**
 * Every string value whose path is a key path: in tables, under dotted keys, in inline tables and in
 * array-of-tables elements and inline arrays (an element's index is a path part: ['servers', '0',
 * 'password'], ['hosts', '1']). Document order.
 */
export function listStringValues(doc: TomlDocument): StringValue[] {
  const values: StringValue[] = [];
  for (const entry of indexOf(doc).values()) {
    if (entry.kind === 'value' && isStringNode(entry.node)) values.push(describeValue(doc, entry));
  }
  return values;
}

/** The string at `path`. E_FIELD_NOT_FOUND when missing, E_BAD_SETTINGS when not a string. */
export function readStringValue(doc: TomlDocument, path: KeyPath): StringValue {
  const entry = indexOf(doc).get(keyOf(path));
  const field = formatKeyPath(path);
  if (entry === undefined) {
    throw new LibertyError('E_FIELD_NOT_FOUND', `${where(doc.file, field)}field not found`, { file: doc.file, field });
  }
  if (entry.kind !== 'value' || !isStringNode(entry.node)) throw notAString(doc.file, field);
  return describeValue(doc, entry);
}

/** Where new key/value lines can go: a table's block of lines, or an inline table. */
export type Owner =
  | { kind: 'block'; path: KeyPath; lastKv: AST.TOMLKeyValue | undefined; header: AST.TOMLTable | undefined }
  | { kind: 'inline'; path: KeyPath; node: AST.TOMLInlineTable };

type TableHow = 'root' | 'header' | 'element' | 'implicit' | 'dotted' | 'inline';

export type Entry =
  | { kind: 'value'; path: KeyPath; node: AST.TOMLContentNode }
  | { kind: 'array-of-tables' }
  | { kind: 'table'; how: TableHow; owner: Owner | undefined };

export type Index = Map<string, Entry>;

interface Parsed {
  text: string;
  ast: AST.TOMLProgram;
  index: Index | undefined;
}

/** The syntax tree and index of each parsed document, so an edit batch parses the file only once. */
const PARSED = new WeakMap<TomlDocument, Parsed>();

export function indexOf(doc: TomlDocument): Index {
  let parsed = PARSED.get(doc);
  if (parsed === undefined || parsed.text !== doc.text) {
    parsed = { text: doc.text, ast: parseSyntax(doc.file, doc.text), index: undefined };
    PARSED.set(doc, parsed);
  }
  parsed.index ??= buildIndex(parsed.ast);
  return parsed.index;
}

/** Whether the syntax tree and index of `doc` are built already (for its current text). */
export function hasIndex(doc: TomlDocument): boolean {
  const parsed = PARSED.get(doc);
  return parsed !== undefined && parsed.text === doc.text && parsed.index !== undefined;
}

export function keyOf(path: KeyPath): string {
  return JSON.stringify(path);
}

function buildIndex(ast: AST.TOMLProgram): Index {
  const index: Index = new Map();
  const top = ast.body[0];
  const rootKvs = top.body.filter((item): item is AST.TOMLKeyValue => item.type === 'TOMLKeyValue');
  const root: Owner = { kind: 'block', path: [], lastKv: rootKvs.at(-1), header: undefined };
  index.set(keyOf([]), { kind: 'table', how: 'root', owner: root });
  for (const kv of rootKvs) indexKeyValue(index, kv, root);
  for (const item of top.body) {
    if (item.type !== 'TOMLTable') continue;
    const path = item.resolvedKey.map(String);
    for (let depth = 1; depth < path.length; depth += 1) {
      const prefix = keyOf(path.slice(0, depth));
      if (item.kind === 'array' && depth === path.length - 1) index.set(prefix, { kind: 'array-of-tables' });
      else if (!index.has(prefix)) index.set(prefix, { kind: 'table', how: 'implicit', owner: undefined });
    }
    const owner: Owner = { kind: 'block', path, lastKv: item.body.at(-1), header: item };
    index.set(keyOf(path), { kind: 'table', how: item.kind === 'array' ? 'element' : 'header', owner });
    for (const kv of item.body) indexKeyValue(index, kv, owner);
  }
  return index;
}

function indexKeyValue(index: Index, kv: AST.TOMLKeyValue, owner: Owner): void {
  let path = owner.path;
  const keys = kv.key.keys.map((key) => (key.type === 'TOMLBare' ? key.name : key.value));
  for (const key of keys.slice(0, -1)) {
    path = [...path, key];
    if (!index.has(keyOf(path))) index.set(keyOf(path), { kind: 'table', how: 'dotted', owner });
  }
  path = [...path, keys.at(-1)!];
  if (kv.value.type === 'TOMLInlineTable') {
    const inline: Owner = { kind: 'inline', path, node: kv.value };
    index.set(keyOf(path), { kind: 'table', how: 'inline', owner: inline });
    for (const inner of kv.value.body) indexKeyValue(index, inner, inline);
  } else {
    index.set(keyOf(path), { kind: 'value', path, node: kv.value });
    if (kv.value.type === 'TOMLArray') indexArrayElements(index, path, kv.value);
  }
}

/**
 * The elements of an inline array, addressed by index as array-of-tables elements are (`hosts.1`), so a
 * blob inside an array is listed, re-wrapped and counted like any other. An inline table element is a
 * table whose own keys are indexed too.
 */
function indexArrayElements(index: Index, path: KeyPath, array: AST.TOMLArray): void {
  array.elements.forEach((element, position) => {
    const elementPath = [...path, String(position)];
    if (element.type === 'TOMLInlineTable') {
      const inline: Owner = { kind: 'inline', path: elementPath, node: element };
      index.set(keyOf(elementPath), { kind: 'table', how: 'inline', owner: inline });
      for (const inner of element.body) indexKeyValue(index, inner, inline);
      return;
    }
    index.set(keyOf(elementPath), { kind: 'value', path: elementPath, node: element });
    if (element.type === 'TOMLArray') indexArrayElements(index, elementPath, element);
  });
}

export function isStringNode(node: AST.TOMLContentNode): node is AST.TOMLStringValue {
  return node.type === 'TOMLValue' && node.kind === 'string';
}

function describeValue(doc: TomlDocument, entry: Extract<Entry, { kind: 'value' }>): StringValue {
  // the value comes from smol-toml, the data of record (the parsers differ on CRLF in multi-line strings)
  const value = valueAt(doc.data, entry.path);
  if (typeof value !== 'string') {
    throw new LibertyError('E_INTERNAL', `${where(doc.file, formatKeyPath(entry.path))}the toml parsers disagree on this field`);
  }
  return { path: entry.path, value, line: entry.node.loc.start.line };
}

export function notAString(file: string, field: string): LibertyError {
  return new LibertyError('E_BAD_SETTINGS', `${where(file, field)}is not a string`, { file, field });
}
