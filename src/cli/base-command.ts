/**
 * The base of every command: the --json envelope, the mapping from errors to exit codes, and the
 * common flags. Commands parse, call core, render, and return the value that --json prints.
 *
 * It is also the terminal boundary: every line a command says or notes, every error and hint, and the
 * --json text pass through here, and their control characters are escaped (file names, operators and
 * lock holders are data a local user chose; see core/terminal-text.ts). decrypt's plaintext on stdout
 * is the one thing written around it: it must stay byte-exact when piped (on a terminal, decrypt shows
 * its control characters with cli/secret-text.ts).
 */
import { Command, Flags } from './oclif.js';
import { Painted } from './colors.js';
import { escapeControlChars, escapeJsonControlChars } from '../core/terminal-text.js';
import { toLibertyError, writeFailure, type ThrownError } from './error-output.js';
import { EXIT } from '../core/errors.js';
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

/**
 * How a workflow module (src/cli) speaks for its command: `say` to stdout, `note` to stderr, both silent
 * under --json. A command passes itself.
 */
export interface CommandOutput {
  say(...parts: LinePart[]): void;
  sayLines(lines: ReadonlyArray<readonly LinePart[]>): void;
  note(...parts: LinePart[]): void;
}

export abstract class BaseCommand extends Command implements CommandOutput {
  static override enableJsonFlag = true;

  constructor(...args: ConstructorParameters<typeof Command>) {
    super(...args);
    // oclif's debug lines show only under DEBUG; without it, its logger (the debug package, which loads
    // tty) need not be loaded by the line init() writes on every run
    if (!process.env.DEBUG) this.debug = () => {};
  }

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
  say(...parts: LinePart[]): void {
    if (!this.jsonEnabled()) process.stdout.write(`${terminalLine(parts)}\n`);
  }

  /** Like say for each line, written at once: a command listing a thousand fields makes one write, not a thousand. */
  sayLines(lines: ReadonlyArray<readonly LinePart[]>): void {
    if (!this.jsonEnabled() && lines.length > 0) process.stdout.write(lines.map((parts) => `${terminalLine(parts)}\n`).join(''));
  }

  /** Notes for the operator go to stderr, so stdout carries only the requested data (one line, as say). */
  note(...parts: LinePart[]): void {
    if (!this.jsonEnabled()) process.stderr.write(`${terminalLine(parts)}\n`);
  }

  /** The --json output (oclif calls it with the value run() returns): JSON with DEL and C1 escaped too. */
  protected override logJson(json: unknown): void {
    process.stdout.write(`${terminalJson(json, 2)}\n`);
  }

  override async catch(error: ThrownError): Promise<void> {
    // a parse that failed was still a parse: no "did not parse its arguments" warning (NODE_ENV=development)
    if (error.parse !== undefined || error.oclif?.exit === EXIT.USAGE) this.parsed = true;
    const failure = toLibertyError(error, this.id);
    process.exitCode = writeFailure(failure, { json: this.jsonEnabled(), commandId: this.id, stack: error.stack });
  }
}

function terminalLine(parts: readonly LinePart[]): string {
  return parts.map((part) => (part instanceof Painted ? part.terminalText : escapeControlChars(part))).join('');
}

function terminalJson(value: unknown, indent?: number): string {
  return escapeJsonControlChars(JSON.stringify(value, null, indent));
}
