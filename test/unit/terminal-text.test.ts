// What reaches a terminal has its control characters shown, not acted on: C0 (newline and tab too),
// DEL and C1, each as a visible escape; escaping twice changes nothing; --json stays the same data.
import { describe, expect, it } from 'vitest';
import { escapeControlChars, escapeJsonControlChars, hasControlChars } from '../../src/core/terminal-text.js';

describe('escapeControlChars', () => {
  it.each([
    ['plain ascii', 'connectors.toml:pools.main.password', 'connectors.toml:pools.main.password'],
    ['empty', '', ''],
    ['ESC (a window title, then clear screen)', '\x1b]0;PWNED\x07\x1b[2Jx.toml', '\\x1b]0;PWNED\\x07\\x1b[2Jx.toml'],
    ['NUL', 'a\x00b', 'a\\x00b'],
    ['newline, carriage return and tab', 'a\nb\rc\td', 'a\\x0ab\\x0dc\\x09d'],
    ['DEL', 'a\x7fb', 'a\\x7fb'],
    ['C1 CSI', 'a\u009b2Jb', 'a\\u009b2Jb'],
    ['first and last C1', '\u0080\u009f', '\\u0080\\u009f'],
    ['U+00A0 and later are left alone', '\u00a0é設定🔑', '\u00a0é設定🔑'],
    ['a backslash is kept', 'a\\x1b', 'a\\x1b'],
  ])('%s', (_name, text, shown) => {
    expect(escapeControlChars(text)).toBe(shown);
  });

  it('escapes every C0, DEL and C1 character, and nothing else below U+0100', () => {
    for (let code = 0; code < 0x100; code += 1) {
      const char = String.fromCharCode(code);
      const control = code < 0x20 || (code >= 0x7f && code < 0xa0);
      expect(escapeControlChars(char) !== char).toBe(control);
      expect(hasControlChars(char)).toBe(control);
      expect(escapeControlChars(char)).toMatch(control ? /^\\(x[0-9a-f]{2}|u00[89][0-9a-f])$/ : /^[^]$/);
    }
  });

  it('is idempotent: a table cell escaped again in its line is not doubled', () => {
    const once = escapeControlChars('\x1b[31mred\u009b\n');
    expect(escapeControlChars(once)).toBe(once);
    expect(hasControlChars(once)).toBe(false);
  });
});

describe('escapeJsonControlChars', () => {
  it.each([
    ['DEL and C1 in a string', { operator: 'a\x7fb\u009bc\u0085' }],
    ['ESC, which JSON.stringify escapes already', { operator: '\x1b]0;x\x07' }],
    ['nested, pretty printed', { entries: [{ field: '\u009b2J.toml:x', n: 1 }] }],
  ])('%s: valid JSON, the same data, no raw control character', (_name, value) => {
    const json = escapeJsonControlChars(JSON.stringify(value, null, 2));
    expect(JSON.parse(json)).toEqual(value);
    expect(hasControlChars(json.replaceAll('\n', ''))).toBe(false);
  });

  it('writes DEL and C1 as \\u escapes', () => {
    expect(escapeJsonControlChars(JSON.stringify('\x7f\u009b'))).toBe('"\\u007f\\u009b"');
  });
});
