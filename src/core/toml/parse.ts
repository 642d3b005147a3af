/**
 * Decoding and parsing a settings file, and turning the parsers' errors into our own. Valid TOML means
 * both toml-eslint-parser (TOML 1.0.0) and smol-toml accept the text; each alone lets some invalid
 * documents through. toml-eslint-parser gives the source ranges, smol-toml the data. A parser's message
 * is never copied as it is: it may quote source lines, secrets included.
 */
import { parse as parseData, TomlError } from 'smol-toml';
import { createRequire } from 'node:module';
import type { AST } from 'toml-eslint-parser';
import { LibertyError } from '../errors.js';
import { BOM, type TomlDocument } from './document.js';
import { LONE_SURROGATE } from './keys.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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

export type SyntaxParser = typeof import('toml-eslint-parser');
let syntaxParser: SyntaxParser | undefined;

/** toml-eslint-parser, loaded on first use (synchronously: Node 20.19+ can require an ES module). */
export function loadSyntaxParser(): SyntaxParser {
  syntaxParser ??= createRequire(import.meta.url)('toml-eslint-parser') as SyntaxParser;
  return syntaxParser;
}

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
    const lead = bytes[i];
    const size =
      lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
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

export function parseSyntax(file: string, text: string): AST.TOMLProgram {
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

export function parseValues(file: string, text: string): Record<string, unknown> {
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
  'Unterminated string constant',
  'Unterminated table-key',
  'Unterminated array',
  'Unterminated inline table',
  'Empty bare keys are not allowed',
  'Must be a newline',
  'Expected equal (=) token',
  'Unspecified values are invalid',
  'Expected comma (,) token',
  'Defining a key multiple times is invalid',
  'Unexpected character',
  'Unexpected token',
  'Control characters (codes < 0x1f and 0x7f) are not allowed',
  'The key, equals sign, and value must be on the same line',
  'No newlines are allowed between the curly braces unless they are valid within a value',
  'Underscores are allowed between digits',
  'Unexpected spaces',
  'Three or more quotes are not permitted',
  'Unexpected invalid date',
  'Unexpected invalid time',
  'Leading zeros are not allowed',
  'Trailing comma is not permitted in an inline table',
  'Invalid character in escape sequence',
  'Consecutive dots are not permitted in keys',
  'Keys cannot end with a dot',
  'Keys cannot start with a dot',
]);

function describeSyntaxError(message: string): string {
  if (message.startsWith('Invalid code point')) {
    return message.endsWith('within comments') ? 'invalid code point within a comment' : 'invalid code point';
  }
  return SYNTAX_REASONS.has(message) ? lowerFirst(message) : 'syntax error';
}

/** smol-toml's fixed reasons; its message also carries a code block of source lines, never copied. */
const DATA_REASONS = new Set([
  'control characters are not allowed in comments',
  'control characters are not allowed in strings',
  'document contains an unsafe property',
  'document contains excessively nested structures. aborting.',
  'each key-value declaration must be followed by an end-of-line',
  'expected comma or end of structure',
  'expected end of table array declaration',
  'illegal character in key',
  'illegal empty bare key',
  'illegal leading zero',
  'illegal quoted key: multiline strings are not allowed',
  'illegal underscore',
  'incomplete key-value: cannot find end of key',
  'integer value cannot be represented losslessly',
  'invalid date',
  'invalid date-time: date part is malformed',
  'invalid date-time: time part is malformed',
  'invalid escape: only line-ending whitespace may be escaped',
  'invalid non-hex character in unicode escape',
  'invalid unicode escape',
  'invalid value',
  'trying to redefine an already defined value',
  'trying to redefine an already defined table or value',
  'unexpected end of key',
  'unfinished array',
  'unfinished numeric value',
  'unfinished string',
  'unfinished table',
  'unrecognised escape sequence',
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
