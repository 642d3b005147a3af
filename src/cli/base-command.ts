/**
 * The base of every command: the --json envelope, the mapping from errors to exit codes, and the
 * common flags. Commands parse, call core, render, and return the value that --json prints.
 */
import { Command, Flags } from './oclif.js';
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

  /** Writes a line of human output to stdout, but never under --json. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) process.stdout.write(`${line}\n`);
  }

  /** Notes for the operator go to stderr, so stdout carries only the requested data. */
  protected note(line: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${line}\n`);
  }

  override async catch(error: Error & { oclif?: { exit?: number }; parse?: unknown }): Promise<void> {
    const failure = toLibertyError(error);
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({ error: failure.toJSON() })}\n`);
      return;
    }
    process.stderr.write(`liberty-crypto: error: ${failure.message}\n`);
    if (failure.hint) process.stderr.write(`liberty-crypto: hint: ${failure.hint}\n`);
    if (failure.code === 'E_INTERNAL' && process.env.LIBERTY_DEBUG && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
  }
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
