/**
 * The base of every command: the --json envelope, the mapping from errors to exit codes, and the
 * common flags. Commands parse, call core, render, and return the value that --json prints.
 *
 * It is also the terminal boundary: every line a command says or notes, every error and hint, and the
 * --json text pass through here, and their control characters are escaped (file names, operators and
 * lock holders are data a local user chose; see core/terminal-text.ts). decrypt's plaintext on stdout
 * is the one thing written around it: it must stay byte-exact when piped.
 */
import { Command, Flags } from './oclif.js';
import { Painted } from './colors.js';
import { escapeControlChars, escapeJsonControlChars } from '../core/terminal-text.js';
import { EXIT, LibertyError, isLibertyError } from '../core/errors.js';
import { currentEnvironment, resolveSettingsDir, type SettingsLocation } from './context.js';
import { actAsSettingsOwner } from './file-authority.js';

export const settingsFlag = {
  settings: Flags.string({
    char: 's',
    summary: 'settings directory (default: $LIBERTY_SETTINGS_DIR, else ./config)',
    helpValue: 'DIR',
  }),
};

/** A piece of a line: a string (escaped when printed) or a text painted by colors.ts. */
export type LinePart = string | Painted;

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  /** Marks the result as "a check found problems": exit 1, the result is still printed. */
  protected reportProblems(): void {
    process.exitCode = EXIT.CHECK_FAILED;
  }

  /**
   * The settings directory, before any file in it is read: run as root, a directory others could write to
   * is refused here, and one owned by another user is worked on as that user (file-authority.ts).
   */
  protected settingsLocation(flag: string | undefined): SettingsLocation {
    const location = resolveSettingsDir(flag);
    actAsSettingsOwner(location.dir, currentEnvironment());
    return location;
  }

  /**
   * Writes one line of human output to stdout, but never under --json. The parts are one line: a
   * newline or any other control character in them is shown escaped; say each line on its own.
   */
  protected say(...parts: LinePart[]): void {
    if (!this.jsonEnabled()) process.stdout.write(`${terminalLine(parts)}\n`);
  }

  /** Notes for the operator go to stderr, so stdout carries only the requested data (one line, as say). */
  protected note(...parts: LinePart[]): void {
    if (!this.jsonEnabled()) process.stderr.write(`${terminalLine(parts)}\n`);
  }

  /** The --json output (oclif calls it with the value run() returns): JSON with DEL and C1 escaped too. */
  protected override logJson(json: unknown): void {
    process.stdout.write(`${terminalJson(json, 2)}\n`);
  }

  override async catch(error: Error & { oclif?: { exit?: number }; parse?: unknown }): Promise<void> {
    const failure = toLibertyError(error);
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) {
      process.stdout.write(`${terminalJson({ error: failure.toJSON() })}\n`);
      return;
    }
    process.stderr.write(`liberty-crypto: error: ${escapeControlChars(failure.message)}\n`);
    if (failure.hint) process.stderr.write(`liberty-crypto: hint: ${escapeControlChars(failure.hint)}\n`);
    if (failure.code === 'E_INTERNAL' && process.env.LIBERTY_DEBUG && error.stack) {
      process.stderr.write(`${error.stack.split('\n').map(escapeControlChars).join('\n')}\n`);
    }
  }
}

function terminalLine(parts: readonly LinePart[]): string {
  return parts.map((part) => (part instanceof Painted ? part.terminalText : escapeControlChars(part))).join('');
}

function terminalJson(value: unknown, indent?: number): string {
  return escapeJsonControlChars(JSON.stringify(value, null, indent));
}

/** Maps anything thrown to a LibertyError: parser errors are usage errors, the rest internal. */
export function toLibertyError(error: Error & { oclif?: { exit?: number }; parse?: unknown; code?: unknown }): LibertyError {
  if (isLibertyError(error)) return error;
  if (error.parse !== undefined || error.oclif?.exit === EXIT.USAGE) {
    return new LibertyError('E_USAGE', usageMessage(error.message), { hint: 'see liberty-crypto help' });
  }
  if (error.code === 'EPIPE') return new LibertyError('E_IO', 'output closed early (broken pipe)');
  // an unexpected error: its message could quote data, so only its type is shown
  return new LibertyError('E_INTERNAL', `internal error (${error.name})`, {
    hint: 'set LIBERTY_DEBUG=1 to see the stack trace; please report it',
  });
}

function usageMessage(text: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !/^see more help with --help$/i.test(part));
  // oclif puts the reason on the lines after a header ("The following error occurred:", "Parsing --limit")
  const line = lines.length > 1 ? lines.filter((part, i) => i > 0 || !part.endsWith(':')).join('; ') : (lines[0] ?? text.trim());
  return line.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase());
}
