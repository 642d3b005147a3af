/**
 * Words quoted for a POSIX shell, for the commands that hints show: a file named `$(touch x).toml` must
 * not run anything when the operator pastes the hint. Quoting only when needed keeps ordinary hints as
 * they were (`connectors.toml:pools.main.password` stays bare).
 */

// what needs no quoting in any POSIX shell (the set Python's shlex.quote leaves bare)
const BARE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * `word` as one shell word: bare when safe, else in single quotes (a `'` inside written `'\''`). A word
 * holding a control character is written `$'...'` with its bytes as three-digit octal escapes instead
 * (bash, zsh, ksh and POSIX.1-2024 sh read it; three digits end each escape whatever follows), so the
 * hint is both printable as it is and the exact name when pasted.
 */
export function shellQuote(word: string): string {
  if (BARE_WORD.test(word)) return word;
  if (CONTROL_CHAR.test(word)) return dollarQuote(word);
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** A command line from words, each quoted as needed: `shellCommand('liberty-crypto', 'encrypt', ref)`. */
export function shellCommand(...words: string[]): string {
  return words.map(shellQuote).join(' ');
}

function dollarQuote(word: string): string {
  let quoted = '';
  for (const char of word) {
    if (char === '\\' || char === "'") quoted += `\\${char}`;
    else if (CONTROL_CHAR.test(char))
      quoted += [...Buffer.from(char, 'utf8')].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('');
    else quoted += char;
  }
  return `$'${quoted}'`;
}
