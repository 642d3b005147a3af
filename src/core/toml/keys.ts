/**
 * TOML key paths and string tokens: the lexical pieces the TOML editor writes. No I/O.
 *
 *   type KeyPath = readonly string[]                 ['pools', 'main', 'password']
 *   parseKeyPath(ref: string): KeyPath               TOML dotted-key syntax; throws E_BAD_FIELD_REF
 *   formatKeyPath(path: KeyPath): string             canonical: bare parts where possible, else "quoted"
 *   encodeTomlString(value: string): string          a basic string token: "..." with escapes
 *   valueAt(data: unknown, path: KeyPath): unknown   the value at a key path in parsed data, own keys only
 *   isTable(value: unknown): boolean                 a table of parsed data (not an array, not a date)
 *
 * A field reference uses the dotted-key syntax of TOML 1.0: bare parts (A-Z a-z 0-9 _ -), "basic"
 * parts with escapes, 'literal' parts, spaces or tabs around the dots. Array-of-tables elements are
 * addressed by their index as a bare part: `servers.0.password`.
 */
import { LibertyError } from '../errors.js';

export type KeyPath = readonly string[];

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const BARE_CHAR = /[A-Za-z0-9_-]/;
/** With the u flag, \p{Cs} matches only unpaired surrogates: text that has no UTF-8 form. */
export const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `text` has an unpaired surrogate: UTF-8 would write U+FFFD for it, silently another value. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** A table of parsed settings data: an object that is not an array or a date. */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
/** Control characters TOML forbids inside a quoted key (tab is allowed). */
const KEY_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
};
const BASIC_UNESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  '"': '"',
  '\\': '\\',
};
/** Quote, backslash, C0 controls, DEL and C1 controls: everything written as an escape. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\u009f]/g;

/**
 * The TOML basic string token for `value`: `"` ... `"`, with `"` and `\` escaped, control characters
 * as \b \t \n \f \r or \uXXXX (DEL and the C1 range included, so nothing invisible reaches a
 * reviewer's terminal). Everything else is written as is. Throws E_BAD_SETTINGS for text that has
 * no UTF-8 form (a lone surrogate).
 */
export function encodeTomlString(value: string): string {
  if (LONE_SURROGATE.test(value)) {
    throw new LibertyError('E_BAD_SETTINGS', 'value is not valid unicode (lone surrogate); cannot write it as toml');
  }
  return `"${value.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

function escapeChar(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The canonical spelling of a key path: bare parts where TOML allows them, else basic strings. */
export function formatKeyPath(path: KeyPath): string {
  return path.map((part) => (BARE_KEY.test(part) ? part : encodeTomlString(part))).join('.');
}

/** Parses a dotted key reference (`pools.main.password`, `pools."eu west".password`). */
export function parseKeyPath(ref: string): KeyPath {
  return new KeyPathReader(ref).read();
}

class KeyPathReader {
  private pos = 0;

  constructor(private readonly ref: string) {}

  read(): KeyPath {
    const parts: string[] = [];
    if (LONE_SURROGATE.test(this.ref)) this.fail('not valid unicode');
    this.skipSpace();
    if (this.pos >= this.ref.length) this.fail('empty field reference');
    for (;;) {
      parts.push(this.readPart());
      this.skipSpace();
      if (this.pos >= this.ref.length) return parts;
      if (this.ref[this.pos] !== '.') this.fail('expected a dot');
      this.pos += 1;
      this.skipSpace();
    }
  }

  private readPart(): string {
    const char = this.ref[this.pos];
    if (char === '"') return this.readBasic();
    if (char === "'") return this.readLiteral();
    const start = this.pos;
    while (this.pos < this.ref.length && BARE_CHAR.test(this.ref[this.pos] ?? '')) this.pos += 1;
    if (this.pos === start) this.fail(char === undefined || char === '.' ? 'empty key part' : 'invalid character in key');
    return this.ref.slice(start, this.pos);
  }

  private readLiteral(): string {
    const start = this.pos + 1;
    const end = this.ref.indexOf("'", start);
    if (end === -1) this.fail('unterminated quoted key');
    const part = this.ref.slice(start, end);
    if (KEY_CONTROL.test(part)) this.fail('control character in key');
    this.pos = end + 1;
    return part;
  }

  private readBasic(): string {
    let part = '';
    this.pos += 1;
    for (;;) {
      const char = this.ref[this.pos];
      if (char === undefined) this.fail('unterminated quoted key');
      if (char === '"') break;
      if (char === '\\') {
        part += this.readEscape();
        continue;
      }
      if (KEY_CONTROL.test(char)) this.fail('control character in key');
      part += char;
      this.pos += 1;
    }
    this.pos += 1;
    return part;
  }

  private readEscape(): string {
    const kind = this.ref[this.pos + 1] ?? '';
    const simple = BASIC_UNESCAPES[kind];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    const digits = kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
    const hex = this.ref.slice(this.pos + 2, this.pos + 2 + digits);
    if (digits === 0 || !new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) this.fail('invalid escape in quoted key');
    const codePoint = Number.parseInt(hex, 16);
    if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) this.fail('invalid escape in quoted key');
    this.pos += 2 + digits;
    return String.fromCodePoint(codePoint);
  }

  private skipSpace(): void {
    while (this.ref[this.pos] === ' ' || this.ref[this.pos] === '\t') this.pos += 1;
  }

  private fail(reason: string): never {
    // the reference is printed escaped: a pasted control character must not reach the terminal
    throw new LibertyError('E_BAD_FIELD_REF', `bad field reference ${JSON.stringify(this.ref)}: ${reason} at column ${this.pos + 1}`, {
      hint: 'use dotted keys as in toml: pools.main.password, pools."eu west".password',
    });
  }
}

/**
 * The value at a key path in parsed data (array elements by their index as a path part); undefined when
 * missing. Own properties only, so `constructor` or `length` is never found on a table or an array.
 */
export function valueAt(data: unknown, path: KeyPath): unknown {
  let value = data;
  for (const key of path) value = readOwn(value, key);
  return value;
}

/** `container[key]` when the container is a table or an array that has that key of its own. */
export function readOwn(container: unknown, key: string): unknown {
  return typeof container === 'object' &&
    container !== null &&
    !(container instanceof Date) &&
    Object.prototype.hasOwnProperty.call(container, key)
    ? (container as Record<string, unknown>)[key]
    : undefined;
}
