/**
 * The CLI entry, bundled with @oclif/core into dist/ so start-up reads a few files instead of hundreds.
 * `--version` and the commands of the manifest start without oclif's Config.load (cli/fast-path.ts);
 * everything else (help, completion, unknown commands) runs through oclif as before, loaded only then.
 * A command writes its own errors (BaseCommand.catch). What fails outside one, an unknown command
 * (src/hooks/command-not-found.ts) or `help` for one, is written here the same way: the error and hint
 * lines, or the error object on stdout under --json. oclif's own handler is left only an explicit exit.
 */
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFast } from './cli/fast-path.js';
import type { ThrownError } from './cli/error-output.js';

export async function execute(options: { dir: string }): Promise<void> {
  const argv = process.argv.slice(2);
  ensureShellKnown();
  try {
    // no process.exit, so Node writes out stdout before it ends (oclif's flush() would wait for a 'drain'
    // that never comes once the reader has gone, as with `| head`)
    if (await runFast(argv, packageRoot(options.dir))) return;
    const { run } = await import('./cli/oclif-main.js');
    await run(argv, options.dir);
  } catch (error) {
    const thrown = error as ThrownError;
    if (thrown.code === 'EEXIT') {
      const { handle } = await import('./cli/oclif-main.js');
      return handle(thrown as Error);
    }
    const { jsonRequested, toLibertyError, writeFailure } = await import('./cli/error-output.js');
    const failure = (await helpForUnknownCommand(thrown, argv, options.dir).catch(() => undefined)) ?? toLibertyError(thrown);
    process.exitCode = writeFailure(failure, { json: jsonRequested(argv), stack: thrown.stack });
  }
}

/** The package root of the entry `dir` (bin/run.js, as a file URL or a path): the folder above bin/. */
function packageRoot(dir: string): string {
  return dirname(dirname(dir.startsWith('file:') ? fileURLToPath(dir) : dir));
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
  const [{ knownCommands }, { unknownCommandError }, { Config }] = await Promise.all([
    import('./cli/known-commands.js'),
    import('./cli/usage-errors.js'),
    import('./cli/oclif-main.js'),
  ]);
  const words = argv.filter((arg) => arg !== 'help' && arg !== '--help');
  return unknownCommandError(words, knownCommands(await Config.load(dir.startsWith('file:') ? fileURLToPath(dir) : dir)), { forHelp: argv.includes('help') || undefined });
}
