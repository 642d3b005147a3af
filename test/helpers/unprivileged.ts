/**
 * Root ignores file and directory modes, so a test of "read-only" failures run as root proves nothing.
 * As root, such tests run their body in a child process dropped to an unprivileged user with setpriv.
 */
import { spawnSync } from 'node:child_process';
import { chownSync } from 'node:fs';

export const NOBODY = 65534;

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The command prefix that drops to uid/gid 65534 as root; empty when not root (modes apply already). */
export function unprivilegedWrapper(): string[] {
  return runningAsRoot() ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : [];
}

/** Runs `node script args...` as uid/gid 65534 (or as this user when not root); returns its JSON stdout. */
export function runUnprivileged(script: string, args: string[]): unknown {
  const command = [...unprivilegedWrapper(), process.execPath, script, ...args];
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`worker failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Hands paths to the unprivileged user when running as root, so its modes apply to that user. */
export function giveToUnprivileged(...paths: string[]): void {
  if (runningAsRoot()) for (const path of paths) chownSync(path, NOBODY, NOBODY);
}
