/**
 * Plain text tables that stay aligned with long values (widths from the data, not fixed), measured in
 * terminal columns: a CJK character or an emoji takes two, a combining mark none. Cells are file names,
 * operators and fields a local user may have chosen: their control characters are escaped first, so
 * the widths are those of what is shown.
 */
import { escapeControlChars } from '../core/terminal-text.js';

export function renderTable(rawHeaders: readonly string[], rawRows: ReadonlyArray<readonly string[]>): string[] {
  const headers = rawHeaders.map(escapeControlChars);
  const rows = rawRows.map((row) => row.map(escapeControlChars));
  const widths = headers.map((header, column) => Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column] - displayWidth(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

// zero width: combining marks, zero-width space/joiners, variation selectors
// eslint-disable-next-line no-misleading-character-class -- one code point at a time: combining marks are what it looks for
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufeff\ufe00-\ufe0f]$/u;
// two columns: the East Asian Wide and Fullwidth blocks, and emoji presentation
const WIDE =
  /^[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f680}-\u{1f6ff}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]$/u;

/** The number of terminal columns a string takes (control characters count as none). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0) || ZERO_WIDTH.test(char)) continue;
    width += WIDE.test(char) ? 2 : 1;
  }
  return width;
}
