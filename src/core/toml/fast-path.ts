/**
 * The two shortcuts that skip the strict syntax tree, and the one argument both rest on: smol-toml
 * follows TOML 1.1, a superset of 1.0 whose additions all show in the text or the data (see
 * findStringValues). Where none of them shows, smol-toml's acceptance stands for both parsers, so the
 * string values can be read from its data, and a value can be swapped for another by its token.
 */
import { parse as parseData } from 'smol-toml';
import { BOM, type FieldEdit, type FoundString, type StringValue, type TomlDocument } from './document.js';
import { encodeTomlString, valueAt, type KeyPath } from './keys.js';
import { fitsLiteral } from './token-style.js';
import { dataWithEdits, isDeepEqual } from './verify.js';

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
  const known = knownAnswer(ANSWERS, doc);
  if (known === false || (known === undefined && !passesTextTests(doc.text))) {
    remember(ANSWERS, doc, false);
    return undefined;
  }
  const found: FoundString[] = [];
  return remember(ANSWERS, doc, collectStrings(doc.data, [], accept, found)) ? found : undefined;
}

/** The text shows nothing of TOML 1.1 (see findStringValues). */
function passesTextTests(text: string): boolean {
  return !INLINE_TABLE_OPENER.test(text) && !text.includes(BOM) && !ESCAPE_NOT_IN_TOML_1_0.test(text);
}

/**
 * Whether findStringValues answers for a document, asked once per document: encrypt --all asks three
 * times of the same one (the listing, the locating, the token swap).
 */
function dataCanAnswer(doc: TomlDocument): boolean {
  return knownAnswer(ANSWERS, doc) ?? findStringValues(doc, () => false) !== undefined;
}

const ANSWERS = new WeakMap<TomlDocument, { text: string; value: boolean }>();
const QUOTED = new WeakMap<TomlDocument, { text: string; value: QuotedOccurrences }>();

/** What was remembered of `doc`, while its text is the same. */
function knownAnswer<T>(memo: WeakMap<TomlDocument, { text: string; value: T }>, doc: TomlDocument): T | undefined {
  const kept = memo.get(doc);
  return kept !== undefined && kept.text === doc.text ? kept.value : undefined;
}

/** The document's QuotedOccurrences, made once: encrypt --all locates and then swaps in the same text. */
function quotedOccurrencesOf(doc: TomlDocument): QuotedOccurrences {
  return knownAnswer(QUOTED, doc) ?? remember(QUOTED, doc, new QuotedOccurrences(doc.text));
}

function remember<T>(memo: WeakMap<TomlDocument, { text: string; value: T }>, doc: TomlDocument, value: T): T {
  memo.set(doc, { text: doc.text, value });
  return value;
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
function collectStrings(
  table: Readonly<Record<string, unknown>>,
  path: KeyPath,
  accept: (value: string) => boolean,
  found: FoundString[],
): boolean {
  const keys = Object.keys(table); // faster than for-in over smol-toml's prototype-less tables
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i];
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

/**
 * The common edit, a string value replaced by another (rewrap, encrypt --all), without the strict syntax
 * tree: when findStringValues can answer for the document (smol-toml's acceptance stands for both
 * parsers) and each old value, quoted (`"..."` or `'...'`, not part of a multi-line string's quotes),
 * occurs exactly once in the text, that occurrence is the candidate token. The result must then parse to
 * the old data with exactly the edited fields changed; a candidate that was not the field's own token (the
 * text of a comment or of another string) changes some other data or leaves the field as it was, and
 * fails that. Undefined whenever any of this does not hold: applyEdits then takes the ranges from the
 * syntax tree.
 */
export function swapTokensInPlace(doc: TomlDocument, edits: readonly FieldEdit[]): string | undefined {
  if (!dataCanAnswer(doc)) return undefined;
  const { text } = doc;
  const quoted = quotedOccurrencesOf(doc);
  const splices: Array<{ start: number; end: number; token: string }> = [];
  for (const { path, value } of edits) {
    const old = valueAt(doc.data, path);
    if (typeof value !== 'string' || typeof old !== 'string') return undefined;
    const start = quoted.uniqueStart(old);
    if (start === -1) return undefined;
    const quote = text[start];
    // a literal string stays literal when the new value can be one
    const token = quote === "'" && fitsLiteral(value) ? `'${value}'` : encodeTomlString(value);
    splices.push({ start, end: start + old.length + 2, token });
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
  return isDeepEqual(dataWithEdits(doc.data, edits), actual) ? result : undefined;
}

/**
 * Where the token of each value starts (its opening quote), for a document findStringValues answers for,
 * by swapTokensInPlace's rule: the value, quoted, occurs exactly once. Undefined when one does not, and for
 * a text with a backslash or a multi-line string's quotes. Without those every string token is `"value"` or
 * `'value'` as it is, so a field's token is an occurrence of its quoted value, and the only one is it: the
 * offsets are the tokens', and sorting by them gives the document order without the syntax tree.
 */
export function locateStringTokens(doc: TomlDocument, values: readonly string[]): number[] | undefined {
  const { text } = doc;
  if (text.includes('\\') || text.includes('"""') || text.includes("'''")) return undefined;
  const quoted = quotedOccurrencesOf(doc);
  const starts: number[] = [];
  for (const value of values) {
    const start = quoted.uniqueStart(value);
    if (start === -1) return undefined;
    starts.push(start);
  }
  return starts;
}

/**
 * listStringValues without the syntax tree, when the text can answer for every value: findStringValues
 * answers for the document and locateStringTokens finds each value's token (no value is empty, repeated or
 * escaped). The same list then: paths, values, the line of each token, in document order. Undefined
 * otherwise; the caller builds the tree.
 */
export function listStringValuesByTokens(doc: TomlDocument): StringValue[] | undefined {
  const found = findStringValues(doc, () => true);
  const starts =
    found &&
    locateStringTokens(
      doc,
      found.map((entry) => entry.value),
    );
  if (!found || !starts) return undefined;
  const order = found.map((_, index) => index).sort((a, b) => starts[a] - starts[b]);
  const lines = lineNumbersAt(
    doc.text,
    order.map((index) => starts[index]),
  );
  return order.map((index, rank) => ({ path: found[index].path, value: found[index].value, line: lines[rank] }));
}

/** 1-based line numbers of ascending offsets, in one pass (TOML's newline is LF, CRLF included). */
function lineNumbersAt(text: string, ascendingOffsets: readonly number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let newline = text.indexOf('\n');
  for (const offset of ascendingOffsets) {
    while (newline !== -1 && newline < offset) {
      line += 1;
      newline = text.indexOf('\n', newline + 1);
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Where `"value"` and `'value'` occur in a text. A value without the quote character occurs quoted only
 * between two consecutive quote characters, so one pass over the text's quotes finds every such
 * occurrence; looking each value up is then a map access, not a search of the whole text (a file of a
 * thousand secrets would otherwise be searched thousands of times).
 */
class QuotedOccurrences {
  private readonly between = new Map<string, number[]>();

  constructor(private readonly text: string) {
    for (const quote of ['"', "'"]) {
      for (
        let open = text.indexOf(quote), close = text.indexOf(quote, open + 1);
        close !== -1;
        open = close, close = text.indexOf(quote, open + 1)
      ) {
        const token = text.slice(open, close + 1);
        const starts = this.between.get(token);
        if (starts) starts.push(open);
        else this.between.set(token, [open]);
      }
    }
  }

  /** The offset of `"value"` or `'value'` when exactly one of them occurs, once, and not as part of `"""`/`'''`; else -1. */
  uniqueStart(value: string): number {
    if (value === '') return -1; // "" occurs wherever any string is empty: it cannot be told apart
    const double = this.occurrences(`"${value}"`);
    const single = this.occurrences(`'${value}'`);
    if (double.length + single.length !== 1) return -1;
    const start = double.length === 1 ? double[0] : single[0];
    const quote = this.text[start];
    // a quote right before or after: the start or end of a multi-line string, whose text is not the value's encoding
    return this.text[start - 1] === quote || this.text[start + value.length + 2] === quote ? -1 : start;
  }

  /** Up to two offsets of `token` (quote, text, the same quote). */
  private occurrences(token: string): number[] {
    const quote = token[0];
    if (!token.slice(1, -1).includes(quote)) return this.between.get(token) ?? [];
    const first = this.text.indexOf(token);
    if (first === -1) return [];
    const second = this.text.indexOf(token, first + 1);
    return second === -1 ? [first] : [first, second];
  }
}
