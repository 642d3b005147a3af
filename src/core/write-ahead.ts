/**
 * Write-ahead hooks for an audited change: core calls them around the one step that changes a file, and
 * the caller (the CLI) appends audit lines there. Core knows nothing of the log.
 */

export interface WriteHooks<T> {
  /**
   * Runs once every check has passed and the new bytes are ready, just before the file is changed. When
   * it throws, nothing is written and its error is the change's error.
   */
  before(subject: T): Promise<unknown>;
  /** Runs when the change fails after `before` succeeded; best effort: its own failure is ignored. */
  failed(subject: T): Promise<unknown>;
}

export const NO_WRITE_HOOKS: WriteHooks<unknown> = {
  before: async () => undefined,
  failed: async () => undefined,
};

/**
 * `hooks.before` for each subject in order, then `write`. When a `before` or the write fails, `hooks.failed`
 * runs for each subject whose `before` succeeded, and the original error is rethrown.
 */
export async function writeAhead<T>(hooks: WriteHooks<T>, subjects: readonly T[], write: () => Promise<void>): Promise<void> {
  const announced: T[] = [];
  try {
    for (const subject of subjects) {
      await hooks.before(subject);
      announced.push(subject);
    }
    await write();
  } catch (error) {
    for (const subject of announced) {
      try {
        await hooks.failed(subject);
      } catch {
        // best effort: the caller sees the change's own error
      }
    }
    throw error;
  }
}
