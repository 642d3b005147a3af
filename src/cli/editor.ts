/**
 * The operator's editor, as git runs it: `$VISUAL`, else `$EDITOR`, else `vi`. The value may hold
 * arguments or shell syntax (`code --wait`, `emacs -nw`), so it is run as `sh -c '<editor> "$@"' <editor>
 * FILE`: the shell splits it, and the file name is passed as an argument, never pasted into the command.
 * The editor shares our terminal (stdin, stdout and stderr are inherited).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { LibertyError } from '../core/errors.js';
import { shellCommand } from '../core/shell-quote.js';
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
  if (abort.aborted) return Promise.reject(abort.reason as Error); // our own abort's reason: an Error
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${editor} "$@"`, editor, path], { stdio: 'inherit' });
    let killer: NodeJS.Timeout | undefined;
    // the shell may run the editor as its child rather than exec it: the whole tree is told to stop
    const signalTree = (signal: NodeJS.Signals) => {
      for (const pid of [...descendantsOf(child.pid), child.pid]) {
        try {
          if (pid !== undefined) process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    };
    const stop = () => {
      signalTree('SIGTERM');
      killer = setTimeout(() => signalTree('SIGKILL'), STOP_GRACE_MS);
    };
    abort.addEventListener('abort', stop, { once: true });
    const settle = () => {
      abort.removeEventListener('abort', stop);
      if (killer) clearTimeout(killer);
    };
    child.on('error', (error) => {
      settle();
      reject(
        new LibertyError(
          'E_EDITOR_FAILED',
          `${shown}: the editor could not be started (${(error as NodeJS.ErrnoException).code ?? error.name}); nothing was written`,
          {
            hint: 'set VISUAL or EDITOR to an editor command that waits until the file is closed (code --wait, not code)',
          },
        ),
      );
    });
    child.on('exit', (code, signal) => {
      settle();
      if (abort.aborted) return reject(abort.reason as Error);
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(
        new LibertyError('E_EDITOR_FAILED', `${shown}: the editor (${editor}) ${how}; nothing was written`, {
          hint: `the settings file is as it was and the edit was discarded: run ${shellCommand('liberty-crypto', 'edit', shown)} again`,
        }),
      );
    });
  });
}

/** The processes below `pid` (children, their children, ...), from /proc; none where there is no /proc. */
function descendantsOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    try {
      // the parent pid is the second field after the command name, which is in parentheses and may hold spaces
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parentOf) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}
