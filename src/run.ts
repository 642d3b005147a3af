/**
 * The CLI entry, bundled with @oclif/core into dist/ so start-up reads a few files instead of hundreds.
 * oclif runs the command; a command writes its own errors (BaseCommand.catch). What fails outside one,
 * an unknown command (src/hooks/command-not-found.ts) or `help` for one, is written here the same way:
 * the error and hint lines, or the error object on stdout under --json. oclif's own handler is left only
 * an explicit exit.
 */
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core/config';
import { handle } from '@oclif/core/handle';
import { run } from '@oclif/core/run';
import { jsonRequested, toLibertyError, writeFailure, type ThrownError } from './cli/error-output.js';

export async function execute(options: { dir: string }): Promise<void> {
  const argv = process.argv.slice(2);
  ensureShellKnown();
  try {
    // no process.exit, so Node writes out stdout before it ends (oclif's flush() would wait for a 'drain'
    // that never comes once the reader has gone, as with `| head`)
    await run(argv, options.dir);
  } catch (error) {
    const thrown = error as ThrownError;
    if (thrown.code === 'EEXIT') return handle(thrown as Error);
    const failure = (await helpForUnknownCommand(thrown, argv, options.dir).catch(() => undefined)) ?? toLibertyError(thrown);
    process.exitCode = writeFailure(failure, { json: jsonRequested(argv), stack: thrown.stack });
  }
}

/**
 * oclif's Config.load reads the login shell from the passwd entry when $SHELL is unset, and that lookup
 * throws for a uid without one (containers, `setpriv --reuid=N`, cron with a bare environment): every
 * command would die before it starts. Such a process gets a plain POSIX shell name instead; oclif uses
 * it only to pick an autocomplete script.
 */
function ensureShellKnown(): void {
  if (process.env.SHELL !== undefined) return;
  try {
    userInfo();
  } catch {
    process.env.SHELL = '/bin/sh';
  }
}

/** oclif's help for a command that does not exist ("Command stauts not found."), as an unknown command. */
async function helpForUnknownCommand(error: ThrownError, argv: string[], dir: string) {
  if (!/^command \S+ not found\.?$/i.test(error.message ?? '')) return undefined;
  const [{ knownCommands }, { unknownCommandError }] = await Promise.all([import('./cli/known-commands.js'), import('./cli/usage-errors.js')]);
  const words = argv.filter((arg) => arg !== 'help' && arg !== '--help');
  return unknownCommandError(words, knownCommands(await Config.load(dir.startsWith('file:') ? fileURLToPath(dir) : dir)), { forHelp: argv.includes('help') || undefined });
}
