/**
 * Runs a mutation of the settings directory under its lock, after clearing what a crashed run left and
 * checking that the audit log can take the line the change will need.
 */
import { removeStaleTempFiles } from '../core/fs-atomic.js';
import { acquireSettingsLock, type LockRecord } from '../core/lock-file.js';
import type { Settings } from '../core/settings.js';
import { checkAuditWritable, currentIdentity } from './audit-trail.js';
import { systemClock } from './context.js';

export interface LockWait {
  /** how long to wait for a live holder before E_LOCK_HELD (default: the lock module's few seconds) */
  waitMs?: number;
  /** told once when another command holds the lock and this one waits */
  onWait?: (holder: LockRecord | undefined) => void;
}

export async function withSettingsLock<T>(settings: Settings, command: string, work: () => Promise<T>, wait: LockWait = {}): Promise<T> {
  const identity = currentIdentity();
  // the operator is who others need to ask (under sudo the OS user is root)
  const user = identity.operator === identity.osUser ? identity.osUser : `${identity.operator} (as ${identity.osUser})`;
  const dir = settings.dir;
  await checkAuditWritable(settings);
  const lock = await acquireSettingsLock(dir, {
    holder: { pid: identity.pid, host: identity.host, user, command },
    clock: systemClock,
    ...wait,
  });
  try {
    // we hold the lock, so any temporary file in the directory is left over from a killed run
    await removeStaleTempFiles(dir);
    return await work();
  } finally {
    await lock.release();
  }
}
