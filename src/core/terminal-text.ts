/**
 * Text bound for a terminal, made harmless. File names, field names, operators, lock holders and audit
 * entries are data a local user can choose, and a C0, DEL or C1 character in them can retitle the window,
 * clear the screen or rewrite what was printed before (`ESC ] 0 ; ... BEL`, `ESC [ 2 J`, `U+009B`).
 * Each such character is shown as a visible escape: `\x1b` (C0 and DEL), `\u009b` (C1).
 *
 * The escapes are printable ASCII, so escaping twice changes nothing: a table cell and then the line
 * that carries it can both escape without doubling anything. The price: a literal `\x1b` typed into a
 * name looks like an escaped ESC (a backslash is kept as it is).
 */

// C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F)

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

const ANY_CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
// only DEL and C1: JSON.stringify already escapes C0 inside strings
const JSON_UNESCAPED_CONTROLS = /[\u007f-\u009f]/g;

/** `text` with every C0, DEL and C1 character (newline and tab included) shown as `\xNN` or `\u00NN`. */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL_CHARS, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x80 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
  });
}

/** True when `text` holds a character that escapeControlChars would change. */
export function hasControlChars(text: string): boolean {
  return ANY_CONTROL_CHAR.test(text);
}

/**
 * JSON text (from JSON.stringify) with DEL and C1 as `\u` escapes too: still valid JSON and the same
 * data, but nothing a terminal acts on. Those characters can only occur inside JSON strings, so a
 * replacement over the whole text is exact.
 */
export function escapeJsonControlChars(json: string): string {
  return json.replace(JSON_UNESCAPED_CONTROLS, (char) => `\\u${hex(char.charCodeAt(0), 4)}`);
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}
