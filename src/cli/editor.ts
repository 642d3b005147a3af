/**
 * The operator's editor, as git runs it: `$VISUAL`, else `$EDITOR`, else `vi`. The value may hold
 * arguments or shell syntax (`code --wait`, `emacs -nw`), so it is run as `sh -c '<editor> "$@"' <editor>
 * FILE`: the shell splits it, and the file name is passed as an argument, never pasted into the command.
 * The editor shares our terminal (stdin, stdout and stderr are inherited).
 */
import { spawn } from 'node:child_process';
import { LibertyError } from '../core/errors.js';
import type { Environment } from '../core/keyring.js';

/** How long an editor told to stop (SIGTERM) may take before it is killed. */
const STOP_GRACE_MS = 3000;

export interface EditorChoice {
  command: string;
  /** true when neither VISUAL nor EDITOR is set (vi is the guess) */
  fallback: boolean;
}

export function chooseEditor(env: Environment): EditorChoice {
  for (const name of ['VISUAL', 'EDITOR'] as const) {
    const value = env[name]?.trim();
    if (value) return { command: value, fallback: false };
  }
  return { command: 'vi', fallback: true };
}

/**
 * Runs the editor on `path` and resolves when it exits with status 0. A non-zero status or a death by
 * signal is E_EDITOR_FAILED (`:cq` in vim is how an operator says "discard this"). When `abort` fires (our
 * own SIGINT or SIGTERM) the editor is told to stop, and the promise rejects with the abort's reason once
 * it has exited, so nothing reads or wipes the file while the editor may still write it.
 */
export function runEditor(editor: string, path: string, shown: string, abort: AbortSignal): Promise<void> {
  if (abort.aborted) return Promise.reject(abort.reason);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${editor} "$@"`, editor, path], { stdio: 'inherit' });
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    };
    abort.addEventListener('abort', stop, { once: true });
    const settle = () => {
      abort.removeEventListener('abort', stop);
      if (killer) clearTimeout(killer);
    };
    child.on('error', (error) => {
      settle();
      reject(
        new LibertyError('E_EDITOR_FAILED', `${shown}: the editor could not be started (${(error as NodeJS.ErrnoException).code ?? error.name}); nothing was written`, {
          hint: 'set VISUAL or EDITOR to an editor command that waits until the file is closed (code --wait, not code)',
        }),
      );
    });
    child.on('exit', (code, signal) => {
      settle();
      if (abort.aborted) return reject(abort.reason);
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(
        new LibertyError('E_EDITOR_FAILED', `${shown}: the editor (${editor}) ${how}; nothing was written`, {
          hint: 'the settings file is as it was and your changes were discarded; run liberty-crypto edit again',
        }),
      );
    });
  });
}
