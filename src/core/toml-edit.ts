/**
 * A byte-preserving TOML editor: locate a value's source range, splice a new token in, verify.
 * Pure functions; no I/O.
 *
 *   parseTomlDocument(file: string, bytes: Uint8Array | string): TomlDocument      throws E_INVALID_TOML
 *   listStringValues(doc: TomlDocument): StringValue[]
 *   findStringValues(doc: TomlDocument, accept): FoundString[] | undefined      from the data alone, unordered
 *   readStringValue(doc: TomlDocument, path: KeyPath): StringValue            throws E_FIELD_NOT_FOUND
 *   applyEdits(doc: TomlDocument, edits: readonly FieldEdit[]): string        the new text, BOM included
 *   (re-exported from toml-keys) KeyPath, parseKeyPath, formatKeyPath, encodeTomlString
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
 */
import { parse as parseData, TomlError } from 'smol-toml';
import { createRequire } from 'node:module';
import type { AST } from 'toml-eslint-parser';
import { LibertyError, where } from './errors.js';
import { encodeTomlString, formatKeyPath, type KeyPath } from './toml-keys.js';

export { encodeTomlString, formatKeyPath, parseKeyPath, type KeyPath } from './toml-keys.js';

export interface TomlDocument {
  /** the file name used in messages, relative to the settings directory */
  readonly file: string;
  /** the text without the BOM; source ranges index into it */
  readonly text: string;
  /** whether the file starts with a UTF-8 BOM (kept on output) */
  readonly bom: boolean;
  /** the parsed data (smol-toml values, integers as bigint); treat as read-only */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface StringValue {
  readonly path: KeyPath;
  readonly value: string;
  /** 1-based line of the value's first character */
  readonly line: number;
}

export interface FieldEdit {
  readonly path: KeyPath;
  /** the new value: a string, or an array of strings (app.toml [crypto] legacy_keys) */
  readonly value: string | readonly string[];
}

const BOM = '\uFEFF';
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Decodes, strips the BOM and parses the values. Throws E_INVALID_TOML naming file and line.
 * The strict TOML 1.0 syntax tree (toml-eslint-parser) is built on first need: listing, reading or
 * editing fields checks it, so every command that lists or writes fields refuses what either parser
 * refuses, while a command that only reads app.toml does not pay for loading the second parser.
 */
export function parseTomlDocument(file: string, bytes: Uint8Array | string): TomlDocument {
  const decoded = decodeText(file, bytes);
  const bom = decoded.startsWith(BOM);
  const text = bom ? decoded.slice(1) : decoded;
  const data = parseValues(file, text);
  return { file, text, bom, data };
}

type SyntaxParser = typeof import('toml-eslint-parser');
let syntaxParser: SyntaxParser | undefined;

/** toml-eslint-parser, loaded on first use (synchronously: Node 20.19+ can require an ES module). */
function loadSyntaxParser(): SyntaxParser {
  syntaxParser ??= createRequire(import.meta.url)('toml-eslint-parser') as SyntaxParser;
  return syntaxParser;
}

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

export interface FoundString {
  readonly path: KeyPath;
  readonly value: string;
}

/**
 * The string values `accept` takes, with the same paths as listStringValues gives, read from the parsed
 * data without building the strict syntax tree; not in document order. Undefined when the data alone
 * cannot answer, so the caller uses listStringValues:
 *   - the listing needs the syntax: an array holds a table (`[[servers]]` elements are listed by index,
 *     inline tables inside a plain array are not, and the data does not tell them apart);
 *   - smol-toml may have accepted what the strict TOML 1.0 parser refuses. smol-toml follows TOML 1.1,
 *     a superset of 1.0 whose additions all show in the text or the data: inline tables over several
 *     lines or with a trailing comma (any `{` but `${`), the escapes `\x` and `\e` (any backslash before x or e),
 *     optional seconds (any date or time value); it also lets through a BOM past the start (any U+FEFF)
 *     and impossible dates such as February 30 (any date value). With none of these in a file, smol-toml's
 *     acceptance stands for both parsers (toml-test's invalid documents and a differential property test
 *     hold this), and the file is valid without the strict parse.
 */
export function findStringValues(doc: TomlDocument, accept: (value: string) => boolean): FoundString[] | undefined {
  const { text } = doc;
  if (INLINE_TABLE_OPENER.test(text) || text.includes(BOM) || ESCAPE_NOT_IN_TOML_1_0.test(text)) return undefined;
  const found: FoundString[] = [];
  return collectStrings(doc.data, [], accept, found) ? found : undefined;
}

/**
 * A `{` that may open an inline table. One right after `$` cannot: a `$` outside a string or comment is
 * an error in TOML, so in a document smol-toml accepted `${` only occurs inside one (the `${VAR}`
 * references of app.toml).
 */
const INLINE_TABLE_OPENER = /(?:^|[^$])\{/;

/** A backslash before x or e: the TOML 1.1 escapes \xHH and \e (or text that merely looks like one). */
const ESCAPE_NOT_IN_TOML_1_0 = /\\[xe]/;

/** Walks tables; false when a value needs the syntax tree (a date or time, a table inside an array). */
function collectStrings(table: Readonly<Record<string, unknown>>, path: KeyPath, accept: (value: string) => boolean, found: FoundString[]): boolean {
  const keys = Object.keys(table); // faster than for-in over smol-toml's prototype-less tables
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i]!;
    const value = table[key];
    if (typeof value === 'string') {
      if (accept(value)) found.push({ path: [...path, key], value });
    } else if (typeof value === 'object' && value !== null) {
      if (value instanceof Date) return false;
      if (Array.isArray(value)) {
        if (!isPlainArray(value)) return false;
        collectArrayStrings(value, [...path, key], accept, found);
      } else if (!collectStrings(value as Record<string, unknown>, [...path, key], accept, found)) {
        return false;
      }
    }
  }
  return true;
}

/** The strings of a plain array and its nested arrays, each element's index a path part. */
function collectArrayStrings(items: readonly unknown[], path: KeyPath, accept: (value: string) => boolean, found: FoundString[]): void {
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    if (typeof item === 'string') {
      if (accept(item)) found.push({ path: [...path, String(i)], value: item });
    } else if (Array.isArray(item)) {
      collectArrayStrings(item, [...path, String(i)], accept, found);
    }
  }
}

/** An array of scalars and arrays of scalars, no table and no date anywhere inside. */
function isPlainArray(items: readonly unknown[]): boolean {
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    if (!Array.isArray(item) || !isPlainArray(item)) return false;
  }
  return true;
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

// ---------------------------------------------------------------------------------------------
// decoding and parsing

function decodeText(file: string, bytes: Uint8Array | string): string {
  if (typeof bytes === 'string') {
    const bad = bytes.search(LONE_SURROGATE);
    if (bad !== -1) throw invalidToml(file, ...lineAndColumn(bytes, bad), 'invalid unicode');
    return bytes;
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    const bad = findInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i += 1) {
      if (bytes[i] === 0x0a) {
        line += 1;
        lineStart = i + 1;
      }
    }
    throw invalidToml(file, line, bad - lineStart + 1, 'invalid utf-8');
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence. */
function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const size = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (size === 0) return i;
    // the second byte's range excludes overlong forms, surrogates and code points above U+10FFFF
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < size; k += 1) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += size;
  }
  return bytes.length;
}

function parseSyntax(file: string, text: string): AST.TOMLProgram {
  const { parseTOML, ParseError } = loadSyntaxParser();
  try {
    return parseTOML(text, { tomlVersion: '1.0.0' });
  } catch (error) {
    if (error instanceof ParseError) {
      throw invalidToml(file, error.lineNumber, error.column + 1, describeSyntaxError(error.message));
    }
    throw invalidToml(file, 1, 1, 'the document could not be parsed');
  }
}

function parseValues(file: string, text: string): Record<string, unknown> {
  try {
    return parseData(text, { integersAsBigInt: true });
  } catch (error) {
    if (error instanceof TomlError) {
      throw invalidToml(file, error.line, error.column, describeDataError(error.message));
    }
    throw invalidToml(file, 1, 1, 'the document could not be parsed');
  }
}

/** The parser's own error is not kept as the cause: its message may quote source lines, secrets included. */
function invalidToml(file: string, line: number, column: number, reason: string): LibertyError {
  return new LibertyError('E_INVALID_TOML', `${file}: invalid toml at line ${line}, column ${column}: ${reason}`, { file });
}

/** toml-eslint-parser's fixed messages; two others embed a code point, and anything else is generic. */
const SYNTAX_REASONS = new Set([
  'Unterminated string constant', 'Unterminated table-key', 'Unterminated array', 'Unterminated inline table',
  'Empty bare keys are not allowed', 'Must be a newline', 'Expected equal (=) token', 'Unspecified values are invalid',
  'Expected comma (,) token', 'Defining a key multiple times is invalid', 'Unexpected character', 'Unexpected token',
  'Control characters (codes < 0x1f and 0x7f) are not allowed',
  'The key, equals sign, and value must be on the same line',
  'No newlines are allowed between the curly braces unless they are valid within a value',
  'Underscores are allowed between digits', 'Unexpected spaces', 'Three or more quotes are not permitted',
  'Unexpected invalid date', 'Unexpected invalid time', 'Leading zeros are not allowed',
  'Trailing comma is not permitted in an inline table', 'Invalid character in escape sequence',
  'Consecutive dots are not permitted in keys', 'Keys cannot end with a dot', 'Keys cannot start with a dot',
]);

function describeSyntaxError(message: string): string {
  if (message.startsWith('Invalid code point')) {
    return message.endsWith('within comments') ? 'invalid code point within a comment' : 'invalid code point';
  }
  return SYNTAX_REASONS.has(message) ? lowerFirst(message) : 'syntax error';
}

/** smol-toml's fixed reasons; its message also carries a code block of source lines, never copied. */
const DATA_REASONS = new Set([
  'control characters are not allowed in comments', 'control characters are not allowed in strings',
  'document contains an unsafe property', 'document contains excessively nested structures. aborting.',
  'each key-value declaration must be followed by an end-of-line', 'expected comma or end of structure',
  'expected end of table array declaration', 'illegal character in key', 'illegal empty bare key',
  'illegal leading zero', 'illegal quoted key: multiline strings are not allowed', 'illegal underscore',
  'incomplete key-value: cannot find end of key', 'integer value cannot be represented losslessly', 'invalid date',
  'invalid date-time: date part is malformed', 'invalid date-time: time part is malformed',
  'invalid escape: only line-ending whitespace may be escaped', 'invalid non-hex character in unicode escape',
  'invalid unicode escape', 'invalid value', 'trying to redefine an already defined value',
  'trying to redefine an already defined table or value', 'unexpected end of key', 'unfinished array',
  'unfinished numeric value', 'unfinished string', 'unfinished table', 'unrecognised escape sequence',
  'illegal character in numeric literal',
]);

function describeDataError(message: string): string {
  const reason = message.replace(/^Invalid TOML document: /, '').split('\n\n')[0] ?? '';
  return DATA_REASONS.has(reason) ? reason.replace(/\. aborting\.$/, '') : 'syntax error';
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function lineAndColumn(text: string, offset: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return [line, offset - lineStart + 1];
}

// ---------------------------------------------------------------------------------------------
// the index: every key path of the document and how it is defined

/** Where new key/value lines can go: a table's block of lines, or an inline table. */
type Owner =
  | { kind: 'block'; path: KeyPath; lastKv: AST.TOMLKeyValue | undefined; header: AST.TOMLTable | undefined }
  | { kind: 'inline'; path: KeyPath; node: AST.TOMLInlineTable };

type TableHow = 'root' | 'header' | 'element' | 'implicit' | 'dotted' | 'inline';

type Entry =
  | { kind: 'value'; path: KeyPath; node: AST.TOMLContentNode }
  | { kind: 'array-of-tables' }
  | { kind: 'table'; how: TableHow; owner: Owner | undefined };

type Index = Map<string, Entry>;

interface Parsed {
  text: string;
  ast: AST.TOMLProgram;
  index: Index | undefined;
}

/** The syntax tree and index of each parsed document, so an edit batch parses the file only once. */
const PARSED = new WeakMap<TomlDocument, Parsed>();

function indexOf(doc: TomlDocument): Index {
  let parsed = PARSED.get(doc);
  if (parsed === undefined || parsed.text !== doc.text) {
    parsed = { text: doc.text, ast: parseSyntax(doc.file, doc.text), index: undefined };
    PARSED.set(doc, parsed);
  }
  parsed.index ??= buildIndex(parsed.ast);
  return parsed.index;
}

/** Whether the syntax tree and index of `doc` are built already (for its current text). */
function hasIndex(doc: TomlDocument): boolean {
  const parsed = PARSED.get(doc);
  return parsed !== undefined && parsed.text === doc.text && parsed.index !== undefined;
}

function keyOf(path: KeyPath): string {
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

function isStringNode(node: AST.TOMLContentNode): node is AST.TOMLStringValue {
  return node.type === 'TOMLValue' && node.kind === 'string';
}

function describeValue(doc: TomlDocument, entry: Extract<Entry, { kind: 'value' }>): StringValue {
  // the value comes from smol-toml, the data of record (the parsers differ on CRLF in multi-line strings)
  const value = readIn(doc.data, entry.path);
  if (typeof value !== 'string') {
    throw new LibertyError('E_INTERNAL', `${where(doc.file, formatKeyPath(entry.path))}the toml parsers disagree on this field`);
  }
  return { path: entry.path, value, line: entry.node.loc.start.line };
}

function notAString(file: string, field: string): LibertyError {
  return new LibertyError('E_BAD_SETTINGS', `${where(file, field)}is not a string`, { file, field });
}

// ---------------------------------------------------------------------------------------------
// planning the splices

function checkEdits(file: string, edits: readonly FieldEdit[]): void {
  const targets = new Set<string>();
  const parents = new Set<string>();
  for (const { path, value } of edits) {
    if (path.length === 0) throw new LibertyError('E_BAD_FIELD_REF', `${file}: empty field reference`, { file });
    if (path.some((part) => LONE_SURROGATE.test(part))) {
      throw new LibertyError('E_BAD_FIELD_REF', `${file}: a field name is not valid unicode`, { file });
    }
    const refuse = (code: 'E_BAD_FIELD_REF' | 'E_BAD_SETTINGS', reason: string): never => {
      const field = formatKeyPath(path);
      throw new LibertyError(code, `${where(file, field)}${reason}`, { file, field });
    };
    if ((typeof value === 'string' ? [value] : value).some((item) => LONE_SURROGATE.test(item))) {
      refuse('E_BAD_SETTINGS', 'the new value is not valid unicode');
    }
    const key = keyOf(path);
    if (targets.has(key) || parents.has(key)) refuse('E_BAD_FIELD_REF', 'edited twice, or also edited as a table');
    for (let depth = 1; depth < path.length; depth += 1) {
      const parent = keyOf(path.slice(0, depth));
      if (targets.has(parent)) refuse('E_BAD_FIELD_REF', 'its parent is also edited as a string');
      parents.add(parent);
    }
    targets.add(key);
  }
}

interface Splice {
  start: number;
  end: number;
  text: string;
  /** insertions that must begin on a new line (block lines, appended headers) */
  atLineStart: boolean;
  order: number;
}

interface LineGroup {
  at: number;
  indent: string;
  lines: string[];
  order: number;
}

interface InlineGroup {
  node: AST.TOMLInlineTable;
  entries: string[];
  order: number;
}

class SplicePlanner {
  private readonly replacements: Splice[] = [];
  private readonly lineGroups = new Map<number, LineGroup>();
  private readonly inlineGroups = new Map<AST.TOMLInlineTable, InlineGroup>();
  /** appended `[table]` headers, by header text, in the order of the edits */
  private readonly headerGroups = new Map<string, string[]>();
  private readonly eol: string;
  private order = 0;

  constructor(
    private readonly doc: TomlDocument,
    private readonly index: Index,
  ) {
    const firstNewline = doc.text.indexOf('\n');
    this.eol = firstNewline > 0 && doc.text[firstNewline - 1] === '\r' ? '\r\n' : '\n';
  }

  add({ path, value }: FieldEdit): void {
    const token = typeof value === 'string' ? encodeTomlString(value) : `[${value.map(encodeTomlString).join(', ')}]`;
    const entry = this.index.get(keyOf(path));
    if (entry !== undefined) {
      if (entry.kind !== 'value') throw notAString(this.doc.file, formatKeyPath(path));
      const sameKind = typeof value === 'string' ? isStringNode(entry.node) : entry.node.type === 'TOMLArray';
      if (!sameKind) throw notAString(this.doc.file, formatKeyPath(path));
      const [start, end] = entry.node.range;
      const raw = this.doc.text.slice(start, end);
      const text =
        typeof value === 'string'
          ? restyleToken(raw, entry.node as AST.TOMLStringValue, value)
          : editArrayToken(raw, entry.node as AST.TOMLArray, value, this.eol) ?? token;
      this.replacements.push({ start, end, text, atLineStart: false, order: this.order++ });
      return;
    }
    this.planCreation(path, token);
  }

  private planCreation(path: KeyPath, token: string): void {
    const parent = path.slice(0, -1);
    let depth = parent.length;
    while (depth > 0 && !this.index.has(keyOf(parent.slice(0, depth)))) depth -= 1;
    const existing = parent.slice(0, depth);
    const entry = this.index.get(keyOf(existing))!;
    if (entry.kind !== 'table') {
      const what =
        entry.kind === 'array-of-tables' ? 'an array of tables' : entry.node.type === 'TOMLArray' ? 'an inline array' : 'not a table';
      this.refuse(path, `${formatKeyPath(existing)} is ${what}`);
    }
    const missingTables = depth < parent.length;
    const crossesArray = this.crossesArrayOfTables(existing);
    switch (entry.how) {
      case 'root':
      case 'header':
        if (missingTables && !crossesArray) return this.appendHeader(parent, path.at(-1)!, token);
        return this.insertInto(entry.owner!, path, token);
      case 'implicit':
        if (crossesArray) this.refuse(path, `${formatKeyPath(existing)} is only implied by deeper table headers`);
        return this.appendHeader(parent, path.at(-1)!, token);
      case 'element':
      case 'dotted':
      case 'inline':
        return this.insertInto(entry.owner!, path, token);
    }
  }

  private crossesArrayOfTables(path: KeyPath): boolean {
    for (let depth = 1; depth < path.length; depth += 1) {
      if (this.index.get(keyOf(path.slice(0, depth)))?.kind === 'array-of-tables') return true;
    }
    return false;
  }

  private refuse(path: KeyPath, reason: string): never {
    const field = formatKeyPath(path);
    throw new LibertyError('E_BAD_SETTINGS', `${where(this.doc.file, field)}cannot create the field: ${reason}`, {
      file: this.doc.file,
      field,
      hint: 'add the field to the file by hand, then run the command again',
    });
  }

  private insertInto(owner: Owner, path: KeyPath, token: string): void {
    const entry = `${formatKeyPath(path.slice(owner.path.length))} = ${token}`;
    if (owner.kind === 'inline') {
      const group = this.inlineGroups.get(owner.node) ?? { node: owner.node, entries: [], order: this.order++ };
      group.entries.push(entry);
      this.inlineGroups.set(owner.node, group);
      return;
    }
    const text = this.doc.text;
    let at = 0;
    let indent = '';
    const anchor = owner.lastKv ?? owner.header;
    if (anchor !== undefined) {
      const from = owner.lastKv ? owner.lastKv.range[1] : owner.header!.key.range[1];
      const newline = text.indexOf('\n', from);
      at = newline === -1 ? text.length : newline + 1;
      if (owner.lastKv) {
        const lineStart = text.lastIndexOf('\n', owner.lastKv.range[0] - 1) + 1;
        const lead = text.slice(lineStart, owner.lastKv.range[0]);
        if (/^[ \t]*$/.test(lead)) indent = lead;
      }
    }
    const group = this.lineGroups.get(at) ?? { at, indent, lines: [], order: this.order++ };
    group.lines.push(entry);
    this.lineGroups.set(at, group);
  }

  private appendHeader(table: KeyPath, key: string, token: string): void {
    const header = `[${formatKeyPath(table)}]`;
    const lines = this.headerGroups.get(header) ?? [];
    lines.push(`${formatKeyPath([key])} = ${token}`);
    this.headerGroups.set(header, lines);
  }

  /** Builds the new text front to back from the sorted splices: linear in the file size. */
  /** True when the plan adds lines, entries or headers, not only value tokens swapped in place. */
  insertsText(): boolean {
    return this.lineGroups.size > 0 || this.inlineGroups.size > 0 || this.headerGroups.size > 0;
  }

  render(): string {
    const { text } = this.doc;
    const eol = this.eol;
    const splices = [...this.replacements];
    for (const group of this.lineGroups.values()) {
      const body = group.lines.map((line) => group.indent + line + eol).join('');
      splices.push({ start: group.at, end: group.at, text: body, atLineStart: true, order: group.order });
    }
    for (const group of this.inlineGroups.values()) {
      const { node } = group;
      if (node.body.length > 0) {
        const at = node.body.at(-1)!.range[1];
        splices.push({ start: at, end: at, text: group.entries.map((e) => `, ${e}`).join(''), atLineStart: false, order: group.order });
      } else {
        const at = node.range[0] + 1;
        const closes = text[at] === '}';
        const body = ` ${group.entries.join(', ')}${closes ? ' ' : ''}`;
        splices.push({ start: at, end: at, text: body, atLineStart: false, order: group.order });
      }
    }
    if (this.headerGroups.size > 0) {
      let appended = '';
      const linesAtEnd = this.lineGroups.has(text.length);
      let endsWithBlankLine = !linesAtEnd && (text.length === 0 || /(^|\n)[ \t]*\r?\n$/.test(text));
      for (const [header, lines] of this.headerGroups) {
        if (!endsWithBlankLine) appended += eol;
        appended += header + eol + lines.map((line) => line + eol).join('');
        endsWithBlankLine = false;
      }
      splices.push({ start: text.length, end: text.length, text: appended, atLineStart: true, order: Number.MAX_SAFE_INTEGER });
    }
    splices.sort((a, b) => a.start - b.start || a.order - b.order);

    const parts: string[] = [];
    let cursor = 0;
    let newlineAdded = false;
    const missingFinalNewline = text.length > 0 && !text.endsWith('\n');
    for (const splice of splices) {
      parts.push(text.slice(cursor, splice.start));
      if (splice.atLineStart && splice.start === text.length && missingFinalNewline && !newlineAdded) {
        parts.push(eol);
        newlineAdded = true;
      }
      parts.push(splice.text);
      cursor = splice.end;
    }
    parts.push(text.slice(cursor));
    return parts.join('');
  }
}

/**
 * The common edit, a string value replaced by another (rewrap), without the strict syntax tree: when
 * findStringValues can answer for the document (smol-toml's acceptance stands for both parsers), each old
 * value occurs exactly once in the text, right between a pair of single quote characters (`"..."` or
 * `'...'`, not a multi-line string), that token is the candidate. The result must then parse to the old
 * data with exactly the edited fields changed; a candidate that was not the field's own token (the text of
 * a comment or of another string) changes some other data or leaves the field as it was, and fails that.
 * Undefined whenever any of this does not hold: applyEdits then takes the ranges from the syntax tree.
 */
function swapTokensInPlace(doc: TomlDocument, edits: readonly FieldEdit[]): string | undefined {
  if (findStringValues(doc, () => false) === undefined) return undefined;
  const { text } = doc;
  const splices: Array<{ start: number; end: number; token: string }> = [];
  for (const { path, value } of edits) {
    const old = readIn(doc.data, path);
    if (typeof value !== 'string' || typeof old !== 'string' || old === '') return undefined;
    const at = text.indexOf(old);
    if (at < 1 || text.indexOf(old, at + 1) !== -1) return undefined;
    const end = at + old.length;
    const quote = text[at - 1];
    if ((quote !== '"' && quote !== "'") || text[end] !== quote || text[at - 2] === quote || text[end + 1] === quote) return undefined;
    // a literal string stays literal when the new value can be one
    const token = quote === "'" && fitsLiteral(value) ? `'${value}'` : encodeTomlString(value);
    splices.push({ start: at - 1, end: end + 1, token });
  }
  splices.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let cursor = 0;
  for (const splice of splices) {
    if (splice.start < cursor) return undefined;
    parts.push(text.slice(cursor, splice.start), splice.token);
    cursor = splice.end;
  }
  parts.push(text.slice(cursor));
  const result = parts.join('');
  let actual: Record<string, unknown>;
  try {
    actual = parseData(result, { integersAsBigInt: true });
  } catch {
    return undefined;
  }
  return isDeepEqual(writeAll(doc.data, edits), actual) ? result : undefined;
}

// ---------------------------------------------------------------------------------------------
// keeping a string's style when its value changes

/** Control characters no TOML string holds raw (tab is allowed everywhere, newlines in multi-line ones). */
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const RAW_CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\r(?!\n)/;

function fitsLiteral(value: string): boolean {
  return !value.includes("'") && !RAW_CONTROL.test(value);
}

/**
 * The token for a string value that replaces `node` (whose source text is `raw`), in the node's own style:
 * literal stays literal, multi-line stays multi-line, basic stays basic. First the smallest change: the
 * part of the value that differs (a re-sealed blob inside a URL) swapped inside the old token, so every
 * other byte stays; else the value encoded in the same style; else a basic string. Each candidate must
 * parse back to the value, so a style that cannot hold it falls through to the next.
 */
function restyleToken(raw: string, node: AST.TOMLStringValue, value: string): string {
  const candidates = [swapInsideToken(raw, node.value, value), encodeInStyle(raw, node, value)];
  for (const candidate of candidates) {
    if (candidate !== undefined && tokenHolds(candidate, value)) return candidate;
  }
  return encodeTomlString(value);
}

/** The old token with the changed middle of the value replaced, when that middle is plain text in it. */
function swapInsideToken(raw: string, old: string, value: string): string | undefined {
  let prefix = 0;
  while (prefix < old.length && prefix < value.length && old[prefix] === value[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < old.length - prefix && suffix < value.length - prefix && old[old.length - 1 - suffix] === value[value.length - 1 - suffix]) suffix += 1;
  const oldPart = old.slice(prefix, old.length - suffix);
  const newPart = value.slice(prefix, value.length - suffix);
  // only text that reads the same in every string style: what blobs are made of
  if (oldPart === '' || !/^[A-Za-z0-9+/=:_.-]*$/.test(oldPart) || !/^[A-Za-z0-9+/=:_.-]*$/.test(newPart)) return undefined;
  const at = raw.indexOf(oldPart);
  if (at === -1 || raw.indexOf(oldPart, at + 1) !== -1 || old.indexOf(oldPart) !== old.lastIndexOf(oldPart)) return undefined;
  return raw.slice(0, at) + newPart + raw.slice(at + oldPart.length);
}

function encodeInStyle(raw: string, node: AST.TOMLStringValue, value: string): string | undefined {
  if (!node.multiline) return node.style === 'literal' && fitsLiteral(value) ? `'${value}'` : undefined;
  const opening = node.style === 'literal' ? "'''" : '"""';
  // a newline right after the opening delimiter is trimmed by TOML: keep it, as the file had it
  // a value that itself starts with a newline needs one there too, or TOML would trim the value's own
  const lead = /^.{3}(\r?\n)/.exec(raw)?.[1] ?? (/^\r?\n/.test(value) ? '\n' : '');
  const fitsMultilineLiteral = !value.includes("'''") && !value.endsWith("'") && !RAW_CONTROL_MULTILINE.test(value);
  if (node.style === 'literal' && fitsMultilineLiteral) return `${opening}${lead}${value}${opening}`;
  // a multi-line string stays multi-line: basic when a literal one cannot hold the value
  const body = value.replace(/[\\"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\r(?!\n)/g, (char) => encodeTomlString(char).slice(1, -1));
  return `"""${lead}${body}"""`;
}

/**
 * The array token with one run of entries added at its end or its start, or some entries removed, every
 * other byte (comments, line breaks, quoting of the entries kept) as it was: `keys add-legacy` appends one
 * key reference, `keys drop-legacy` removes one. Undefined when the change is not of that shape, or the
 * result does not parse back to `value`: the caller then writes the whole array anew.
 */
function editArrayToken(raw: string, node: AST.TOMLArray, value: readonly string[], eol: string): string | undefined {
  const base = node.range[0];
  const elements = node.elements.map((element) => ({ start: element.range[0] - base, end: element.range[1] - base }));
  const old = node.elements.map((element) => (isStringNode(element) ? element.value : undefined));
  if (old.some((item) => item === undefined)) return undefined;
  const multiline = elements.length > 0 && raw.slice(0, elements[0]!.start).includes('\n');
  const indentOf = (at: number) => /^[ \t]*/.exec(raw.slice(raw.lastIndexOf('\n', at) + 1))![0];
  const tokens = (items: readonly string[]) => items.map(encodeTomlString);
  let candidate: string | undefined;
  if (elements.length === 0) {
    candidate = `[${tokens(value).join(', ')}]`;
  } else if (value.length > old.length && old.every((item, i) => item === value[i])) {
    const added = tokens(value.slice(old.length));
    const last = elements.at(-1)!;
    const comma = /^[ \t]*,/.exec(raw.slice(last.end));
    const lineEnd = raw.indexOf('\n', last.end);
    if (!multiline || lineEnd === -1) {
      candidate = `${raw.slice(0, last.end)}${added.map((t) => `, ${t}`).join('')}${raw.slice(last.end)}`;
    } else {
      const at = raw[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
      const indent = indentOf(last.start);
      const lines = added.map((t) => `${eol}${indent}${t}${comma ? ',' : ''}`).join('');
      const head = comma ? raw.slice(0, at) : `${raw.slice(0, last.end)},${raw.slice(last.end, at)}`;
      candidate = `${head}${lines}${raw.slice(at)}`;
    }
  } else if (value.length > old.length && old.every((item, i) => item === value[value.length - old.length + i])) {
    const added = tokens(value.slice(0, value.length - old.length));
    const first = elements[0]!;
    const separator = multiline ? `,${eol}${indentOf(first.start)}` : ', ';
    candidate = `${raw.slice(0, first.start)}${added.map((t) => `${t}${separator}`).join('')}${raw.slice(first.start)}`;
  } else if (value.length === old.length - 1) {
    const gone = old.findIndex((item, i) => item !== value[i]);
    if (gone === -1 || old.slice(gone + 1).some((item, i) => item !== value[gone + i])) return undefined;
    const element = elements[gone]!;
    if (elements.length === 1) candidate = '[]';
    else if (gone < elements.length - 1) candidate = raw.slice(0, element.start) + raw.slice(elements[gone + 1]!.start);
    else candidate = raw.slice(0, elements[gone - 1]!.end) + raw.slice(element.end);
  }
  if (candidate === undefined) return undefined;
  try {
    const parsed = parseData(`v = ${candidate}`).v as unknown[];
    return parsed.length === value.length && parsed.every((item, i) => item === value[i]) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

function tokenHolds(token: string, value: string): boolean {
  try {
    return parseData(`v = ${token}`).v === value;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// verification: the new text must parse to the old data with exactly the edited fields changed

/**
 * `checkSyntax`: also run the strict TOML 1.0 parser. Needed when lines or headers were added; a value
 * token swapped for a freshly encoded one at the exact source range of a value cannot change the
 * syntax around it, and smol-toml's parse below still proves the data (this halves the cost of rewrap).
 */
function verifyEdits(doc: TomlDocument, edits: readonly FieldEdit[], text: string, checkSyntax: boolean): void {
  let actual: Record<string, unknown>;
  try {
    if (checkSyntax) loadSyntaxParser().parseTOML(text, { tomlVersion: '1.0.0' });
    actual = parseData(text, { integersAsBigInt: true });
  } catch {
    throw failedVerification(doc.file, 'the edited text is not valid toml');
  }
  const expected = writeAll(doc.data, edits);
  if (!isDeepEqual(expected, actual)) throw failedVerification(doc.file, 'the edited text does not hold the expected data');
}

function failedVerification(file: string, reason: string): LibertyError {
  return new LibertyError('E_INTERNAL', `${file}: edit refused: ${reason}`, {
    file,
    hint: 'the file was not changed; please report this with the structure of the file (not its values)',
  });
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

/** A copy of `data` with every edit applied; containers along the paths are copied once. */
function writeAll(data: Readonly<Record<string, unknown>>, edits: readonly FieldEdit[]): Container {
  const fresh = new WeakSet<object>();
  const own = (container: unknown): Container => {
    if (isContainer(container) && fresh.has(container)) return container;
    const copy: Container = Array.isArray(container)
      ? [...(container as unknown[])]
      : Object.assign(Object.create(null) as Record<string, unknown>, isContainer(container) ? container : {});
    fresh.add(copy);
    return copy;
  };
  const root = own(data);
  for (const { path, value } of edits) {
    let container = root;
    for (const key of path.slice(0, -1)) {
      const child = own(readOwn(container, key));
      (container as Record<string, unknown>)[key] = child;
      container = child;
    }
    (container as Record<string, unknown>)[path.at(-1)!] = value;
  }
  return root;
}

function readOwn(container: unknown, key: string): unknown {
  return isContainer(container) && Object.prototype.hasOwnProperty.call(container, key)
    ? (container as Record<string, unknown>)[key]
    : undefined;
}

function readIn(data: unknown, path: KeyPath): unknown {
  let value = data;
  for (const key of path) value = readOwn(value, key);
  return value;
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) return isSameDate(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => isDeepEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && isDeepEqual(readOwn(a, key), readOwn(b, key)));
}

function isSameDate(a: object, b: object): boolean {
  if (!(a instanceof Date) || !(b instanceof Date) || a.constructor !== b.constructor) return false;
  if (!Object.is(a.getTime(), b.getTime())) return false;
  return Number.isNaN(a.getTime()) || a.toISOString() === b.toISOString();
}
