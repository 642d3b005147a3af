/**
 * When an audit line is written: the one place that says it. Every line the CLI appends is built here;
 * commands and workflows call these helpers and build no event of their own. The mechanism (the append,
 * its lock and fsync, the write-ahead hooks) is audit-trail.ts.
 *
 * The rule: a line is on disk (fsynced) before what it records can happen or be seen. A change is
 * announced just before its file changes (write-ahead, outcome ok; exit 6 and nothing written when the
 * line cannot be appended), and a change that then fails adds a `failed` line, best effort. A plaintext
 * is logged before any of it leaves the process. A permission denial is logged before it is reported.
 * Reading (status, fingerprint, audit, rewrap --check) writes no line.
 *
 *   event              command                   outcome ok written ...                            other outcomes
 *   init               init                      before app.toml is written                        failed after a failed write
 *   encrypt            encrypt FILE:KEY, --all   before each file write, one line per field        failed after a failed write
 *   to-plain           decrypt --to-plain        before the field is written plain                 denied; failed after a failed write
 *   decrypt            decrypt                   before the plaintext is printed                   denied; failed when no key opens it
 *   reveal             reveal                    before the plaintext is shown                     denied; wrong-fingerprint per miss;
 *                                                                                                   failed when no key opens it
 *   edit.reveal        edit                      per opened field, before its plaintext is written denied; failed when no key opens one
 *   edit.change        edit                      before the file is written, one line per field    failed after a failed write
 *   rewrap             rewrap                    after the run, a summary, when any blob changed   failed (the summary) when any blob had a problem
 *   keys.rotate        keys rotate               before app.toml is written                        denied; failed after a failed write
 *   keys.add-legacy    keys add-legacy           before app.toml is written                        denied; failed after a failed write
 *   keys.drop-legacy   keys drop-legacy          before app.toml is written                        denied; failed after a failed write
 *   fingerprint.write  fingerprint --write       before app.toml is written                        denied; failed after a failed write
 *
 * rewrap is the one summary after the fact: it reveals nothing and leaves the key setup alone (every blob
 * opens as before), it is idempotent, and a line per file of a concurrent crawl would flood the log.
 */
import type { AuditEntry, AuditEvent } from '../core/audit/index.js';
import type { EditChange } from '../core/edit-session.js';
import { LibertyError, locateError } from '../core/errors.js';
import type { FieldWrite, StoredFingerprint } from '../core/field-writes.js';
import type { RotationResult } from '../core/key-rotation.js';
import { openValue, type Keyring } from '../core/keyring.js';
import { checkPermission, type Permission } from '../core/permissions.js';
import type { RewrapReport } from '../core/rewrap.js';
import { permissionsTable, type Settings } from '../core/settings.js';
import type { InitResult } from '../core/settings-init.js';
import type { WriteHooks } from '../core/write-ahead.js';
import { auditWrites, currentIdentity, recordAudit } from './audit-trail.js';

// ---- write-ahead: before a file changes (and `failed` after a failed change) ----

/** init: the first line of a new log, before app.toml is written. */
export const auditInit = (settings: Settings): WriteHooks<InitResult> =>
  auditWrites(settings, (result) => ({
    event: 'init',
    ...(result.keyId ? { keyId: result.keyId } : {}),
    details: { env: result.masterEnv, format: result.format },
  }));

/** encrypt: one line per field sealed, before the file holding it is written. */
export const auditEncrypts = (settings: Settings): WriteHooks<FieldWrite> =>
  auditWrites(settings, (write) => ({ event: 'encrypt', field: write.field, keyId: write.keyId }));

/** decrypt --to-plain: before the plaintext is written into the field. */
export const auditToPlain = (settings: Settings, field: string): WriteHooks<unknown> =>
  auditWrites(settings, () => ({ event: 'to-plain', field }));

/** edit: one line per changed field, before the file is written. */
export const auditEditChanges = (settings: Settings): WriteHooks<EditChange> =>
  auditWrites(settings, (change) => ({
    event: 'edit.change',
    field: change.field,
    ...(change.keyId ? { keyId: change.keyId } : {}),
    details: { change: change.change, sealed: change.sealed },
  }));

/** keys rotate: before app.toml names the new master. */
export const auditRotation = (settings: Settings): WriteHooks<RotationResult> =>
  auditWrites(settings, (rotation) => ({
    event: 'keys.rotate',
    keyId: rotation.keyId,
    details: { from: rotation.from, to: rotation.to, legacy: rotation.legacy },
  }));

/** keys add-legacy: before app.toml lists the new legacy key. */
export const auditAddLegacy = (settings: Settings, env: string): WriteHooks<string[]> =>
  auditWrites(settings, (legacy) => ({ event: 'keys.add-legacy', details: { env, legacy } }));

/** keys drop-legacy: before app.toml loses the key; stillNeededBy is -1 when its use could not be checked. */
export const auditDropLegacy = (settings: Settings, drop: { env: string; forced: boolean; stillNeededBy: number }): WriteHooks<unknown> =>
  auditWrites(settings, () => ({ event: 'keys.drop-legacy', details: drop }));

/** fingerprint --write: before app.toml stores the fingerprint. */
export const auditFingerprintWrite = (settings: Settings): WriteHooks<StoredFingerprint> =>
  auditWrites(settings, (stored) => ({ event: 'fingerprint.write', keyId: stored.keyId, details: { env: stored.env } }));

// ---- ahead of plaintext output ----

/** decrypt, reveal: fail closed, the line is on disk before any plaintext leaves. */
export const recordPlaintextShown = (
  settings: Settings,
  event: 'decrypt' | 'reveal',
  field: string | undefined,
  keyId: string,
): Promise<AuditEntry> => recordAudit(settings, { event, outcome: 'ok', field, keyId });

/** edit: a field opened for the editor, before the temporary file holds its plaintext. */
export const recordEditReveal = (settings: Settings, field: string, keyId: string): Promise<AuditEntry> =>
  recordAudit(settings, { event: 'edit.reveal', outcome: 'ok', field, keyId });

// ---- denials and failures that reveal nothing ----

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

/**
 * "Open and audit the failure": opens the value of a field (or a blob given as such) for an operator; a
 * value that does not open is audit-logged as `failed` before the error goes on, named after the field.
 * The caller logs the success itself (recordPlaintextShown), before any plaintext leaves.
 */
export async function openAudited(
  settings: Settings,
  keyring: Keyring,
  value: string,
  event: { event: 'decrypt' | 'reveal'; field?: string },
): ReturnType<typeof openValue> {
  try {
    return await openValue(keyring, value);
  } catch (error) {
    await recordOpenFailed(settings, event.event, event.field);
    throw event.field ? locateError(error, event.field) : error;
  }
}

/** reveal: each wrong fingerprint typed, before the operator is told. */
export const recordWrongFingerprint = (settings: Settings, field: string): Promise<AuditEntry> =>
  recordAudit(settings, { event: 'reveal', outcome: 'wrong-fingerprint', field });

/** A value that did not open for decrypt, reveal or edit: best effort, the opening's own error is what the operator sees. */
export const recordOpenFailed = (
  settings: Settings,
  event: 'decrypt' | 'reveal' | 'edit.reveal',
  field: string | undefined,
): Promise<void> =>
  recordAudit(settings, { event, outcome: 'failed', field }).then(
    () => undefined,
    () => undefined,
  );

// ---- after the fact ----

/** rewrap: a summary once the run is over, only when a blob was re-wrapped; `failed` when any blob had a problem. */
export async function recordRewrapSummary(settings: Settings, report: RewrapReport, keyId: string | undefined): Promise<void> {
  if (report.check || report.rewrapped === 0) return;
  const event: AuditEvent = {
    event: 'rewrap',
    outcome: report.problems.length > 0 ? 'failed' : 'ok',
    keyId,
    details: {
      rewrapped: report.rewrapped,
      current: report.current,
      legacy: report.legacy,
      unreadable: report.unreadable,
      files: report.files.length,
    },
  };
  await recordAudit(settings, event);
}
