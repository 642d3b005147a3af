/**
 * SIGINT, SIGTERM and SIGHUP while a command holds plaintext in a temporary file: instead of dying on the
 * spot (which would leave the file behind), the command hears of it through an AbortSignal, stops its
 * editor, wipes the file, releases the lock and exits 130, 143 or 129 (128 + the signal's number, as a
 * shell reports it). SIGHUP is the SSH session or the terminal going away: the commonest way an edit ends
 * unplanned, and the one that would otherwise leave a plaintext on tmpfs.
 */
import { shellCommand } from '../core/shell-quote.js';
import { LibertyError } from '../core/errors.js';

export interface SignalTrap {
  /** aborts, with E_INTERRUPTED or E_TERMINATED as its reason, at the first signal */
  readonly signal: AbortSignal;
  /** throws that reason once a signal came */
  throwIfReceived(): void;
  /** restores the default handling */
  release(): void;
}

export function trapSignals(shown: string): SignalTrap {
  const controller = new AbortController();
  const hint = `the settings file is as it was and the edit was discarded: run ${shellCommand('liberty-crypto', 'edit', shown)} again`;
  const handlers = {
    SIGINT: () =>
      abort(
        new LibertyError('E_INTERRUPTED', `${shown}: interrupted (SIGINT); the temporary file was wiped and nothing was written`, {
          file: shown,
          hint,
        }),
      ),
    SIGTERM: () =>
      abort(
        new LibertyError('E_TERMINATED', `${shown}: terminated (SIGTERM); the temporary file was wiped and nothing was written`, {
          file: shown,
          hint,
        }),
      ),
    SIGHUP: () =>
      abort(
        new LibertyError(
          'E_HANGUP',
          `${shown}: hung up (SIGHUP: the terminal went away); the temporary file was wiped and nothing was written`,
          { file: shown, hint },
        ),
      ),
  };
  const abort = (reason: LibertyError) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  process.on('SIGHUP', handlers.SIGHUP);
  return {
    signal: controller.signal,
    throwIfReceived: () => controller.signal.throwIfAborted(),
    release: () => {
      process.off('SIGINT', handlers.SIGINT);
      process.off('SIGTERM', handlers.SIGTERM);
      process.off('SIGHUP', handlers.SIGHUP);
    },
  };
}
