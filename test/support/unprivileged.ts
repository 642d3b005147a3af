/**
 * Root ignores file and directory modes, so a test of "read-only" failures run as root proves nothing.
 * As root, such tests run their body in a child process dropped to an unprivileged user with setpriv.
 * That user runs the copy of the built CLI test/global-setup.ts made under the run's temporary folder:
 * the checkout itself may be under a folder only root can traverse.
 */
import { spawnSync } from 'node:child_process';
import { chownSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type RunOptions, type RunResult } from './cli.js';
import { startCli, type CliProcess } from './cli-process.js';
import { requires } from './requires.js';

export const NOBODY = 65534;
const SETPRIV = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The command prefix that drops to uid/gid 65534 as root; empty when not root (modes apply already). */
function unprivilegedWrapper(): string[] {
  return runningAsRoot() ? SETPRIV : [];
}

/** The copy of the build uid 65534 runs (made by test/global-setup.ts as root). */
function unprivilegedCli(): string {
  const dir = process.env.LC_TEST_UNPRIVILEGED_CLI;
  if (!dir) throw new Error('LC_TEST_UNPRIVILEGED_CLI is not set: test/global-setup.ts makes the copy of the build as root');
  return dir;
}

/** Why uid 65534 cannot run node on the copied build here, or undefined when it can. */
function whyNoUnprivilegedUser(): string | undefined {
  const bin = join(unprivilegedCli(), 'bin/run.js');
  const check = 'test -x "$1" || exit 3; test -r "$2" || exit 4';
  const probe = spawnSync(SETPRIV[0], [...SETPRIV.slice(1), 'sh', '-c', check, 'sh', process.execPath, bin], { encoding: 'utf8' });
  if (probe.error) return `setpriv cannot be run (${(probe.error as NodeJS.ErrnoException).code})`;
  if (probe.status === 3) return `uid ${NOBODY} cannot run ${process.execPath} (a folder above it is not world-traversable)`;
  if (probe.status === 4) return `uid ${NOBODY} cannot read ${bin} (a folder above it is not world-traversable: set TMPDIR to one that is)`;
  if (probe.status !== 0) return `setpriv failed (${probe.status}): ${probe.stderr.trim()}`;
  return undefined;
}

/**
 * Whether tests that need an unprivileged user run here: always when not root (this user is one), as root
 * when setpriv works and uid 65534 can run node on the copied build. Call it while tests are collected.
 */
export function unprivilegedUserAvailable(): boolean {
  const why = runningAsRoot() ? whyNoUnprivilegedUser() : undefined;
  return requires(why === undefined, `tests of file modes (run as uid ${NOBODY} under setpriv, as root): ${why}`);
}

/** Runs the built CLI as uid 65534 when root (its copy of the build), else as this user, like runCli. */
export function runCliUnprivileged(args: string[], options: RunOptions = {}): Promise<RunResult> {
  if (!runningAsRoot()) return runCli(args, options);
  const dir = unprivilegedCli();
  // the copy is an installation without typescript: NODE_ENV=test (set by vitest) would have oclif look for it
  const env = { NODE_ENV: undefined, ...options.env };
  return startCli(args, { cwd: dir, ...options, env, wrapper: unprivilegedWrapper(), bin: join(dir, 'bin/run.js') }).done;
}

/** Runs `node script args...` as uid/gid 65534 (or as this user when not root); returns its JSON stdout. */
export function runUnprivileged(script: string, args: string[]): unknown {
  const command = [...unprivilegedWrapper(), process.execPath, script, ...args];
  const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`worker failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Hands paths to the unprivileged user when running as root, so its modes apply to that user. */
export function giveToUnprivileged(...paths: string[]): void {
  if (runningAsRoot()) for (const path of paths) chownSync(path, NOBODY, NOBODY);
}

/**
 * Starts the world-readable copy of the build as this user. A root run that drops to the settings
 * directory's owner must still reach its own code as that owner, and the checkout may sit under a folder
 * only root can traverse (a clone under `mktemp -d`).
 */
export function startReadableCli(args: string[], options: RunOptions = {}): CliProcess {
  const dir = unprivilegedCli();
  return startCli(args, { cwd: dir, ...options, env: { NODE_ENV: undefined, ...options.env }, bin: join(dir, 'bin/run.js') });
}
