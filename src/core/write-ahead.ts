/**
 * Write-ahead hooks for an audited change: core calls them around the one step that changes a file, and
 * the caller (the CLI) appends audit lines there. Core knows nothing of the log.
 *
 * The hooks take every subject of one file write at once (a batch): the caller appends their lines
 * together, with one fsync, instead of one append per subject. The promise is the same as per line:
 * every line is on disk before the file changes, and a failed change adds a `failed` line per subject.
 */

export interface WriteHooks<T> {
  /**
   * Runs once every check has passed and the new bytes are ready, just before the file is changed, with
   * every subject of that write, in order. When it throws, nothing is written and its error is the
   * change's error.
   */
  before(subjects: readonly T[]): Promise<unknown>;
  /** Runs when the change fails after `before` succeeded, with the same subjects; best effort: its own failure is ignored. */
  failed(subjects: readonly T[]): Promise<unknown>;
}

export const NO_WRITE_HOOKS: WriteHooks<unknown> = {
  before: async () => undefined,
  failed: async () => undefined,
};

/**
 * `hooks.before` with all the subjects (one batch), then `write`. When the write fails after `before`
 * succeeded, `hooks.failed` runs with the same subjects, and the original error is rethrown. When
 * `before` itself fails, nothing was announced: its error is thrown and `write` never runs.
 */
export async function writeAhead<T>(hooks: WriteHooks<T>, subjects: readonly T[], write: () => Promise<void>): Promise<void> {
  if (subjects.length > 0) await hooks.before(subjects);
  try {
    await write();
  } catch (error) {
    if (subjects.length > 0) {
      try {
        await hooks.failed(subjects);
      } catch {
        // best effort: the caller sees the change's own error
      }
    }
    throw error;
  }
}
