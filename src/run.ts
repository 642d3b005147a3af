/**
 * The CLI entry, bundled with @oclif/core into dist/ so start-up reads a few files instead of hundreds.
 * `--version` and the commands of the manifest start without oclif's Config.load (cli/fast-path.ts);
 * everything else (help, completion, unknown commands) runs through oclif as before, loaded only then.
 * A command writes its own errors (BaseCommand.catch). What fails outside one, an unknown command
 * (src/hooks/command-not-found.ts) or `help` for one, is written here the same way: the error and hint
 * lines, or the error object on stdout under --json. oclif's own handler is left only an explicit exit.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mayRunCommand } from './cli/command-argv.js';
import { runFast, type CommandLoader } from './cli/fast-path.js';
import { ensureShellKnown } from './cli/login-shell.js';
import { loadCommandBundle } from './command-bundle.js';
import type { ThrownError } from './cli/error-output.js';

export { COMMAND_BUNDLE, cacheFileFor, cacheFileName, compileCommandBundle } from './command-bundle.js';

/**
 * `dir`: the entry (bin/run.js), as a file URL. `bundleTried`: src/launch.ts has offered `argv` to the
 * command bundle already, which did not run it.
 */
export async function execute(options: { dir: string; bundleTried?: boolean }): Promise<void> {
  const argv = process.argv.slice(2);
  ensureShellKnown();
  const root = packageRoot(options.dir);
  try {
    // no process.exit, so Node writes out stdout before it ends (oclif's flush() would wait for a 'drain'
    // that never comes once the reader has gone, as with `| head`)
    const bundle = mayRunCommand(argv) && !options.bundleTried ? loadCommandBundle(root, argv[0]) : undefined;
    if (bundle ? await bundle.executeFast(argv, root, options.dir) : await runFast(argv, root)) return;
    const { run } = await import('./cli/oclif-main.js');
    // the package root, not the entry: oclif looks for the root package.json upwards from what it is given,
    // and bin/ has a package.json of its own (it makes bin/run.js CommonJS)
    await run(argv, root);
  } catch (error) {
    await fail(error, argv, options.dir);
  }
}

/**
 * The fast path with execute()'s error output, for the command bundle (below): whether `argv` was run.
 * Whatever the bundle's fast path throws is written by the bundle's own copy of the error code, so that
 * its error classes are the ones it checks against.
 */
export async function executeFast(argv: string[], root: string, dir: string, loadCommand?: CommandLoader): Promise<boolean> {
  try {
    return await runFast(argv, root, loadCommand);
  } catch (error) {
    await fail(error, argv, dir);
    return true;
  }
}

async function fail(error: unknown, argv: string[], dir: string): Promise<void> {
  const thrown = error as ThrownError;
  if (thrown.code === 'EEXIT') {
    const { handle } = await import('./cli/oclif-main.js');
    return handle(thrown as Error);
  }
  const { jsonRequested, toLibertyError, writeFailure } = await import('./cli/error-output.js');
  const failure = (await helpForUnknownCommand(thrown, argv, dir).catch(() => undefined)) ?? toLibertyError(thrown);
  process.exitCode = writeFailure(failure, { json: jsonRequested(argv), stack: thrown.stack });
}

/** The package root of the entry `dir` (bin/run.js, as a file URL or a path): the folder above bin/. */
function packageRoot(dir: string): string {
  return dirname(dirname(dir.startsWith('file:') ? fileURLToPath(dir) : dir));
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
  return unknownCommandError(words, knownCommands(await Config.load(packageRoot(dir))), {
    forHelp: argv.includes('help') || undefined,
  });
}
