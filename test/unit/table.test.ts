// Tables are measured in terminal columns, so they stay aligned with long and with wide (CJK, emoji)
// or combining characters in a cell.
import { describe, expect, it } from 'vitest';
import { displayWidth, renderTable } from '../../src/cli/table.js';

/** The terminal column where `needle` starts in `line`. */
const columnOf = (line: string, needle: string) => displayWidth(line.slice(0, line.indexOf(needle)));

describe('displayWidth', () => {
  it.each([
    ['ascii', 'connectors.toml', 15],
    ['empty', '', 0],
    ['latin with a precomposed accent', 'café', 4],
    ['latin with a combining accent', 'cafe\u0301', 4],
    ['CJK', '設定.toml', 9],
    ['hangul', '설정', 4],
    ['fullwidth latin', 'ＡＢ', 4],
    ['emoji (a surrogate pair)', '🔑key', 5],
    ['a zero-width joiner and a variation selector', 'a\u200db\ufe0f', 2],
    ['control characters', 'a\tb\u001b', 2],
  ])('%s', (_name, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('renderTable', () => {
  const long = `${'very-long-settings-file-name-'.repeat(3)}x.toml:db.password`;

  it.each([
    ['a 60+ character file name', long],
    ['CJK file names', '設定/接続先.toml:db.password'],
    ['an emoji', '🔑/keys.toml:api_key'],
    ['a combining accent', 're\u0301seau.toml:db.password'],
  ])('keeps the columns aligned with %s', (_name, field) => {
    expect(field.length).toBeGreaterThan(0);
    const lines = renderTable(
      ['seq', 'field', 'outcome'],
      [
        ['1', 'a.toml:x', 'ok'],
        ['2', field, 'failed'],
        ['10', 'short.toml:y', 'ok'],
      ],
    );
    const outcomeColumn = columnOf(lines[0], 'outcome');
    expect(outcomeColumn).toBe(3 + 2 + displayWidth(field) + 2);
    expect(columnOf(lines[1], 'ok')).toBe(outcomeColumn);
    expect(columnOf(lines[2], 'failed')).toBe(outcomeColumn);
    expect(columnOf(lines[3], 'ok')).toBe(outcomeColumn);
  });

  it('pads no last column and leaves no trailing space', () => {
    const lines = renderTable(
      ['a', 'b'],
      [
        ['x', ''],
        ['yyyy', 'z'],
      ],
    );
    expect(lines).toEqual(['a     b', 'x', 'yyyy  z']);
  });

  it('a long file name is kept whole, not cut', () => {
    expect(long.length).toBeGreaterThan(60);
    expect(renderTable(['field'], [[long]])[1]).toBe(long);
  });
});

describe('renderTable with control characters', () => {
  it('escapes them in every cell and keeps the columns aligned on what is shown', () => {
    const hostile = '\x1b]0;PWNED\x07\x1b[2Jx.toml:svc.password';
    const lines = renderTable(
      ['operator', 'field', 'outcome'],
      [
        ['\u009b2Jmallory', hostile, 'ok'],
        ['root', 'a.toml:x', 'ok'],
      ],
    );
    expect(lines.join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(lines[1]).toContain('\\u009b2Jmallory');
    expect(lines[1]).toContain('\\x1b]0;PWNED\\x07\\x1b[2Jx.toml:svc.password');
    expect(columnOf(lines[1], 'ok')).toBe(columnOf(lines[2], 'ok'));
    expect(columnOf(lines[0], 'outcome')).toBe(columnOf(lines[2], 'ok'));
  });
});
