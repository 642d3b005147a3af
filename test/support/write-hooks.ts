// Fake write-ahead hooks for unit tests: they record each call with the bytes the watched file held at
// that moment, so a test can check that `before` saw the subjects while the file was still unchanged and
// that `failed` followed a write that did not happen.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { WriteHooks } from '../../src/core/write-ahead.js';

export interface HookCall<T> {
  hook: 'before' | 'failed';
  subjects: T[];
  /** the watched file's bytes when the hook ran (with several files watched: their bytes joined by a NUL) */
  bytes: string;
}

export interface RecordingHooks<T> extends WriteHooks<T> {
  calls: Array<HookCall<T>>;
}

export interface RecordingOptions<T> {
  /** `before` throws this after recording its call: the change must then not happen */
  failBefore?: Error;
  /** runs at the end of `before` (e.g. swaps the file so that the write is refused) */
  afterBefore?: (subjects: readonly T[]) => void;
}

/** Hooks that record every call with the bytes of `watched` (one file, or several) at that moment. */
export function recordingHooks<T>(watched: string | readonly string[], options: RecordingOptions<T> = {}): RecordingHooks<T> {
  const calls: Array<HookCall<T>> = [];
  const paths = typeof watched === 'string' ? [watched] : watched;
  const record = (hook: HookCall<T>['hook'], subjects: readonly T[]) =>
    calls.push({ hook, subjects: [...subjects], bytes: paths.map((path) => readFileSync(path, 'utf8')).join('\0') });
  return {
    calls,
    before: async (subjects) => {
      record('before', subjects);
      if (options.failBefore) throw options.failBefore;
      options.afterBefore?.(subjects);
    },
    failed: async (subjects) => {
      record('failed', subjects);
    },
  };
}

/** Replaces `path` by a new file holding `text` (another inode): a write that checks what it read must refuse it. */
export function swapFile(path: string, text: string): void {
  writeFileSync(`${path}.swap`, text);
  renameSync(`${path}.swap`, path);
}
