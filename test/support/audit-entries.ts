// The audit log as an e2e test reads it: one parsed entry per line.
import { existsSync, readFileSync } from 'node:fs';

/**
 * The entries of the audit log at `path`, in order; none when the log is absent or empty (a command that
 * wrote nothing, or a writable check that only created it).
 */
export function readAuditLog<T = Record<string, any>>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}
