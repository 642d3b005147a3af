/**
 * The CLI side of auditing and permissions: who is running (operator, OS user, host, pid), where the
 * log is, and the rule that a denial is logged before it is reported.
 */
import { appendAuditEvent, checkAuditLogWritable, type AuditEntry, type AuditEvent } from '../core/audit-log.js';
import { LibertyError } from '../core/errors.js';
import { checkPermission, resolveOperator, type Permission } from '../core/permissions.js';
import { auditLogPath, permissionsTable, type Settings } from '../core/settings.js';
import { currentEnvironment, currentHost, currentOsUser, systemClock, type Identity } from './context.js';

export function currentIdentity(): Identity {
  const user = currentOsUser();
  return { operator: resolveOperator(currentEnvironment(), user.name, user.uid), osUser: user.name, host: currentHost(), pid: process.pid };
}

/** Appends one event, fsynced; throws E_AUDIT_LOG (exit 6) when the log cannot be written. */
export function recordAudit(settings: Settings, event: AuditEvent): Promise<AuditEntry> {
  return appendAuditEvent(auditLogPath(settings, currentEnvironment()), event, { clock: systemClock, identity: currentIdentity() });
}

/** Before an audited change: the log must be writable, so the change cannot end up without its line. */
export function checkAuditWritable(settings: Settings): Promise<void> {
  return checkAuditLogWritable(auditLogPath(settings, currentEnvironment()));
}

/** Checks a permission; a denial is audit-logged (as `event`, outcome denied) before it is thrown. */
export async function requirePermission(settings: Settings, permission: Permission, event: Omit<AuditEvent, 'outcome'>): Promise<void> {
  try {
    checkPermission(permissionsTable(settings), currentIdentity().operator, permission);
  } catch (error) {
    if (error instanceof LibertyError && error.code === 'E_PERMISSION_DENIED') {
      await recordAudit(settings, { ...event, outcome: 'denied', details: { ...event.details, permission } });
    }
    throw error;
  }
}
