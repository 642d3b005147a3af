// Hints that show a command quote each word for the shell, only when needed: pasting a hint that names a
// file like `$(touch x).toml` runs nothing and passes the exact name.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../src/core/shell-quote.js';

const WORDS: Array<[string, string, string]> = [
  ['a plain field reference', 'connectors.toml:pools.main.password', 'connectors.toml:pools.main.password'],
  ['a path with a dash, @, %, + and =', 'sub/a-b@c%d+e=f,g.toml', 'sub/a-b@c%d+e=f,g.toml'],
  ['an option', '--existing', '--existing'],
  ['empty', '', "''"],
  ['a command substitution', '$(touch x).toml:svc.password', "'$(touch x).toml:svc.password'"],
  ['backquotes', '`id`.toml', "'`id`.toml'"],
  ['a space', 'my settings.toml:x', "'my settings.toml:x'"],
  ['a single quote', "it's.toml:x", "'it'\\''s.toml:x'"],
  ['a glob and a tilde', '~/*.toml', "'~/*.toml'"],
  ['a semicolon and a pipe', 'a;b|c&d', "'a;b|c&d'"],
  ['non-ascii', '設定.toml:db.password', "'設定.toml:db.password'"],
  ['ESC and BEL', '\x1b]0;PWNED\x07x.toml', "$'\\033]0;PWNED\\007x.toml'"],
  ['a newline', 'a\nb', "$'a\\012b'"],
  ['a C1 character (its utf-8 bytes)', 'a\u009bb', "$'a\\302\\233b'"],
  ['a control character with a quote and a backslash', "\x1b'\\", "$'\\033\\'\\\\'"],
];

describe('shellQuote', () => {
  it.each(WORDS)('%s', (_name, word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  // the real test of a quoting: a shell reads the quoted word back as exactly the word, running nothing
  it.each(WORDS)('bash reads %s back unchanged', (_name, word) => {
    const result = spawnSync('bash', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'buffer' });
    expect(result.status).toBe(0);
    expect(result.stdout.toString('utf8')).toBe(word);
  });

  it('joins a command line, quoting only the words that need it', () => {
    expect(shellCommand('liberty-crypto', 'encrypt', '$(touch x).toml:svc.password', '--existing')).toBe(
      "liberty-crypto encrypt '$(touch x).toml:svc.password' --existing",
    );
  });
});
