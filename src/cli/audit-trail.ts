/**
 * The mechanism of the audit log on the CLI side: who is running (operator, OS user, host, pid), where
 * the log is, the append (one line or a batch) and the write-ahead hooks. Which event is written when is
 * decided in audit-events.ts, the one place that builds events.
 */
import {
  appendAuditEvent,
  appendAuditEvents,
  auditLogBoundary,
  checkAuditLogWritable,
  type AuditEntry,
  type AuditEvent,
} from '../core/audit/index.js';
import { isEnvName } from '../core/crypto-config.js';
import { resolveOperator } from '../core/permissions.js';
import { auditLogPath, type Settings } from '../core/settings.js';
import type { WriteHooks } from '../core/write-ahead.js';
import { currentEnvironment, currentHost, invokingOsUser, systemClock, type Identity } from './context.js';
import { checkAuditLogPlace } from './file-authority.js';

export function currentIdentity(): Identity {
  const user = invokingOsUser(); // not whom the command acts as after dropping root
  return { operator: resolveOperator(currentEnvironment(), user.name, user.uid), osUser: user.name, host: currentHost(), pid: process.pid };
}

/** Appends one event, fsynced; throws E_AUDIT_LOG (exit 6) when the log cannot be written. */
export function recordAudit(settings: Settings, event: AuditEvent): Promise<AuditEntry> {
  const { path, within } = auditLogOf(settings);
  return appendAuditEvent(path, event, { clock: systemClock, identity: currentIdentity(), within });
}

/** Appends several events as one batch: consecutive lines, one lock, one fsync; E_AUDIT_LOG (exit 6) on failure. */
export function recordAuditBatch(settings: Settings, events: readonly AuditEvent[]): Promise<AuditEntry[]> {
  const { path, within } = auditLogOf(settings);
  return appendAuditEvents(path, events, { clock: systemClock, identity: currentIdentity(), within });
}

/**
 * Write-ahead auditing of a change, for the core writers: the lines of one file write (outcome ok, one per
 * subject) are appended together and fsynced once, just before the file changes, so a failed append
 * (exit 6) leaves the file as it was; when the change then fails, a `failed` line per subject follows, best
 * effort (again one batch), and the change's own error is thrown.
 */
export function auditWrites<T>(settings: Settings, describe: (subject: T) => Omit<AuditEvent, 'outcome'>): WriteHooks<T> {
  const batch = (subjects: readonly T[], outcome: AuditEvent['outcome']) =>
    recordAuditBatch(
      settings,
      subjects.map((subject) => ({ ...describe(subject), outcome })),
    );
  return {
    before: (subjects) => batch(subjects, 'ok'),
    failed: (subjects) => batch(subjects, 'failed').catch(() => undefined),
  };
}

/**
 * Before an audited change takes the lock: fails fast when the log cannot be opened. It cannot promise the
 * append will succeed (a full disk passes it); `auditWrites` is what keeps a change from losing its line.
 */
export function checkAuditWritable(settings: Settings): Promise<void> {
  const { path, within } = auditLogOf(settings);
  return checkAuditLogWritable(path, within);
}

/**
 * The audit log and the boundary it must stay in, its place checked (as root) before each use: app.toml
 * may name it, so it is known only now.
 */
function auditLogOf(settings: Settings): { path: string; within: ReturnType<typeof auditLogBoundary> } {
  const env = currentEnvironment();
  const path = auditLogPath(settings, env);
  checkAuditLogPlace(path);
  return { path, within: auditLogBoundary(settings.dir, env.LIBERTY_AUDIT_LOG) };
}

/**
 * `{ [key]: name }` for the details of an event, when the NAME argument is a variable that is set (or one
 * of `known`, names app.toml already holds); `{}` otherwise. NAME was checked (checkEnvName), but a name
 * that is set nowhere may still be a passphrase typed in the wrong place, and the log keeps no secrets.
 */
export function envNameDetail(key: string, name: string, known: readonly string[] = []): Record<string, string> {
  const named = isEnvName(name) && (known.includes(name) || currentEnvironment()[name] !== undefined);
  return named ? { [key]: name } : {};
}
