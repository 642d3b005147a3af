/**
 * How a failure reaches the operator, for a command (BaseCommand.catch) and for anything that fails
 * before or outside one (an unknown command, `help` for an unknown command: src/run.ts): age-style
 * `liberty-crypto: error:` and `liberty-crypto: hint:` lines on stderr, or under --json the
 * `{"error": {"code", "message", "hint"}}` object on stdout. Every error carries a hint: the one it was
 * made with, else the general advice for its code below. Control characters are escaped (see
 * core/terminal-text.ts): messages name files and fields a local user chose.
 */
import { EXIT, LibertyError, isLibertyError, type ErrorCode } from '../core/errors.js';
import { escapeControlChars, escapeJsonControlChars } from '../core/terminal-text.js';
import { helpHint, parserUsageError, type ParserError } from './usage-errors.js';

/** The advice for an error made without a hint of its own. */
const GENERAL_HINTS: Readonly<Record<Exclude<ErrorCode, 'E_USAGE'>, string>> = {
  E_MASTER_KEY_NOT_SET: 'export the variable app.toml [crypto] master_key names, then run the command again',
  E_KEY_NOT_SET: 'export the variable with the key, then run the command again',
  E_KEY_FILE_UNSAFE: 'keep a key file readable by its owner alone (chmod 600) and make it a regular file',
  E_KEY_MALFORMED: 'a key is 64 hex characters, as liberty-crypto genkey prints one (v1 also takes a passphrase)',
  E_MASTER_KEY_MALFORMED: 'a master key is 64 hex characters, as liberty-crypto genkey prints one',
  E_NO_MATCHING_KEY: 'export the key that sealed it and add it with liberty-crypto keys add-legacy NAME',
  E_FINGERPRINT_MISMATCH: 'load the key app.toml was set up with; liberty-crypto fingerprint shows both',
  E_KEY_ON_DISK: 'write the key in app.toml as ${NAME} and export NAME',
  E_KEY_PUBLISHED: 'rotate to a generated key: liberty-crypto genkey, then liberty-crypto keys rotate --to NAME',
  E_AUTH_FAILED: 'the blob was edited or its key is not loaded: re-encrypt the value from its source',
  E_INVALID_TOML: 'fix the file at that line and column, then run the command again',
  E_MALFORMED_BLOB: 're-encrypt the value from its source with liberty-crypto encrypt FILE:KEY',
  E_NOT_ENCRYPTED: 'encrypt it first: liberty-crypto encrypt FILE:KEY --existing',
  E_FIELD_NOT_FOUND: 'FILE is relative to the settings directory (--settings), KEY a TOML dotted key such as pools.main.password',
  E_BAD_FIELD_REF: 'name a field as FILE:KEY, such as connectors.toml:pools.main.password',
  E_BAD_SETTINGS: 'fix the value named above, then run the command again',
  E_IO: 'check the path and its permissions, then run the command again',
  E_LOCK_HELD: 'wait for the other command to finish, then run this one again',
  E_AUDIT_LOG: 'check the audit log path (app.toml [audit] path, or LIBERTY_AUDIT_LOG) and its permissions',
  E_NOT_CONFIRMED: 'nothing was changed; run the command again to retry',
  E_WRONG_FINGERPRINT: 'liberty-crypto fingerprint prints the fingerprint of the loaded master key',
  E_NO_TERMINAL: 'run it on a terminal, or pass --yes where the command takes it',
  E_PERMISSION_DENIED: 'grant the permission in app.toml [permissions], or run as the owner of the settings directory',
  E_FIELD_LOCKED: 'locked fields are set in app.toml [crypto.fields] locked',
  E_FIELD_EXISTS: 'leave out --no-replace to replace it',
  E_ALREADY_INITIALIZED: 'the directory is set up already: liberty-crypto status shows it',
  E_NOT_SETTINGS_DIR: 'pass --settings with the directory that holds app.toml, or run liberty-crypto init there first',
  E_INTERNAL: 'set LIBERTY_DEBUG=1 to see the stack trace; please report it',
  E_EDITOR_FAILED: 'nothing was written; fix the editor command ($VISUAL, else $EDITOR) or run edit again',
  E_INTERRUPTED: 'nothing was written; run the command again',
  E_TERMINATED: 'nothing was written; run the command again',
  E_HANGUP: 'nothing was written; run the command again (under tmux or screen a dropped connection does not end it)',
};

/** What oclif and Node errors carry that tells them apart. */
export type ThrownError = Error & ParserError & { oclif?: { exit?: number }; code?: unknown };

/** Maps anything thrown to a LibertyError: parser errors are usage errors, the rest internal. */
export function toLibertyError(error: ThrownError, commandId?: string): LibertyError {
  if (isLibertyError(error)) return error;
  if (error.parse !== undefined || error.oclif?.exit === EXIT.USAGE) return parserUsageError(error, commandId);
  if (error.code === 'EPIPE')
    return new LibertyError('E_IO', 'output closed early (broken pipe)', {
      hint: 'the reader of the output stopped early; nothing more was printed',
    });
  // an unexpected error: its message could quote data, so only its type is shown
  return new LibertyError('E_INTERNAL', `internal error (${error.name})`, { hint: GENERAL_HINTS.E_INTERNAL });
}

/** The hint shown with `failure`: its own, else the general one for its code (usage: the command's help). */
export function hintFor(failure: LibertyError, commandId?: string): string {
  if (failure.hint) return failure.hint;
  return failure.code === 'E_USAGE' ? helpHint(commandId) : GENERAL_HINTS[failure.code];
}

/** Writes `failure` for the operator (stderr) or, under --json, as the error object on stdout; returns the exit code. */
export function writeFailure(failure: LibertyError, options: { json: boolean; commandId?: string; stack?: string }): number {
  const hint = hintFor(failure, options.commandId);
  if (options.json) {
    process.stdout.write(`${escapeJsonControlChars(JSON.stringify({ error: { ...failure.toJSON(), hint } }))}\n`);
    return failure.exitCode;
  }
  process.stderr.write(`liberty-crypto: error: ${escapeControlChars(failure.message)}\n`);
  process.stderr.write(`liberty-crypto: hint: ${escapeControlChars(hint)}\n`);
  if (failure.code === 'E_INTERNAL' && process.env.LIBERTY_DEBUG && options.stack) {
    process.stderr.write(`${options.stack.split('\n').map(escapeControlChars).join('\n')}\n`);
  }
  return failure.exitCode;
}

/** True when `argv` asks for --json (before a `--`), as oclif decides it for a command. */
export function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
