/**
 * The CLI entry, bundled with @oclif/core into dist/ so start-up reads a few files instead of hundreds.
 * `--version` and the commands of the manifest start without oclif's Config.load (cli/fast-path.ts);
 * everything else (help, completion, unknown commands) runs through oclif as before, loaded only then.
 * A command writes its own errors (BaseCommand.catch). What fails outside one, an unknown command
 * (src/hooks/command-not-found.ts) or `help` for one, is written here the same way: the error and hint
 * lines, or the error object on stdout under --json. oclif's own handler is left only an explicit exit.
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { mayRunCommand, runFast, type CommandLoader } from './cli/fast-path.js';
import type { ThrownError } from './cli/error-output.js';

export async function execute(options: { dir: string }): Promise<void> {
  const argv = process.argv.slice(2);
  ensureShellKnown();
  const root = packageRoot(options.dir);
  try {
    // no process.exit, so Node writes out stdout before it ends (oclif's flush() would wait for a 'drain'
    // that never comes once the reader has gone, as with `| head`)
    const bundle = mayRunCommand(argv) ? loadCommandBundle(root) : undefined;
    if (bundle ? await bundle.executeFast(argv, root, options.dir) : await runFast(argv, root)) return;
    const { run } = await import('./cli/oclif-main.js');
    await run(argv, options.dir);
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

/**
 * Start-up of a command: Node 20 keeps no compiled code between runs of an ES module (no compile cache
 * before Node 22), and compiling the ~450 KB a command loads (oclif's runtime most of it) is the largest
 * single cost of `status`. So the build also writes every command, the fast path and its error output as
 * one CommonJS file, dist/command-bundle.cjs, and V8's code cache of it after loading every command once,
 * dist/command-bundle.cjs.cache (scripts/build.mjs). It is compiled here with that cache: V8 checks the
 * cache against the source and its own version and flags, and compiles the source as usual when the
 * cache does not fit (`cachedDataRejected`), so a stale or damaged cache costs time, never correctness. A
 * missing or failing bundle leaves the ES modules' fast path. The bundle is only for commands: a process
 * that runs it never loads the ES modules' copies of the same classes, and what it does not run (help,
 * unknown words) goes to oclif as before.
 */
export const COMMAND_BUNDLE = 'dist/command-bundle.cjs';
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'] as const;

export interface CommandBundle {
  executeFast(argv: string[], root: string, dir: string): Promise<boolean>;
  commands: Record<string, () => Promise<unknown>>;
}

/** Compiles and evaluates the command bundle (with `cachedData` when given); the build makes the cache with it. */
export function compileCommandBundle(root: string, cachedData?: Buffer): { script: Script; bundle: CommandBundle } {
  const file = join(root, COMMAND_BUNDLE);
  const script = new Script(WRAPPER[0] + sourceText(readFileSync(file)) + WRAPPER[1], { filename: file, cachedData });
  const module = { exports: {} as CommandBundle };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return { script, bundle: module.exports };
}

/**
 * The build writes the bundle in ASCII, which reads the same as Latin-1: a plain copy, where Node 20's
 * UTF-8 decoding of its 1.2 MB costs ~20-30 ms of every start. Anything else is decoded as UTF-8.
 */
function sourceText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

function loadCommandBundle(root: string): CommandBundle | undefined {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(root, `${COMMAND_BUNDLE}.cache`));
  } catch {
    // no cache: the bundle is compiled without one
  }
  try {
    return compileCommandBundle(root, cachedData).bundle;
  } catch {
    return undefined;
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
  return unknownCommandError(words, knownCommands(await Config.load(dir.startsWith('file:') ? fileURLToPath(dir) : dir)), {
    forHelp: argv.includes('help') || undefined,
  });
}
