/**
 * A plaintext as it is drawn on a terminal (reveal's screen, decrypt to a terminal): its line breaks
 * kept, every other control character (escape sequences included, which could retitle the window,
 * rewrite what is on the screen or leave reveal's alternate screen) shown as `\xNN` in reverse video,
 * so an escaped character stands out from the same four characters typed as text. Only for a
 * terminal: piped output stays byte-exact.
 */

const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/g;

/** `secret` with its control characters shown, its lines joined by `lineBreak` (`\r\n` in raw mode). */
export function printableSecret(secret: string, lineBreak = '\n'): string {
  return secret
    .split(/\r?\n/)
    .map((line) => line.replace(CONTROL_CHARS, (char) => `\x1b[7m\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}\x1b[27m`))
    .join(lineBreak);
}
