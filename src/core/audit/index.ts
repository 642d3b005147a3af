/**
 * The audit log: append-only JSON Lines, one event a line, hash-chained. Each line holds `prev`, the
 * SHA-256 (hex) of the previous line's UTF-8 bytes without its newline (64 zeros on line 1), and `seq`,
 * its 1-based line number; so an edited, deleted, reordered or inserted line breaks the chain at the next
 * line. The chain cannot show a rewrite of the whole tail: record `head` (the hash of the last line)
 * elsewhere, and later check that it is still a line of the log (`verifyAuditLog` with `head`).
 *
 * Appending fails closed: the line is written and fsynced before `appendAuditEvent` returns, and any
 * failure is E_AUDIT_LOG. Writers in separate processes serialise through the lock file `<log>.lock`.
 * The log is a file a local user may have planted: it is opened only as a regular file, never through a
 * link in its last component (O_NOFOLLOW), never waiting on a FIFO (O_NONBLOCK), and read in bounded pieces.
 * Events are typed and hold no secrets: a `details` string that looks like a blob (`ENC:`) or a key
 * (64 hex digits) is refused with E_INTERNAL.
 *
 *   appendAuditEvent(logPath, event, options): Promise<AuditEntry>            throws E_AUDIT_LOG, E_INTERNAL
 *   appendAuditEvents(logPath, events, options): Promise<AuditEntry[]>        one lock, one write, one fsync
 *   checkAuditLogWritable(logPath, within?): Promise<void>                     throws E_AUDIT_LOG
 *   readAuditLog(logPath): Promise<AuditListing>                               entries, bad lines, chain break
 *   filterAuditEntries(entries, filter?): AuditEntry[]                         newest first
 *   parseEventFilter(text), parseTimeBound(text, now)                          throw E_USAGE
 *   verifyAuditLog(logPath, options?): Promise<AuditVerifyReport>
 *   hashLine(line): string                                                     SHA-256 hex of a line
 *   resolveAuditLogPath(dir, configured, fromEnv, appFile), auditLogBoundary(dir, fromEnv)   where the log is
 *
 * The rooms: entry.ts (the types, names and checks of an event, the one parser of a line), lines.ts (the
 * lines read in bounded pieces, the scan behind both listing and verification, the log's errors),
 * append.ts, query.ts, verify.ts, location.ts (where the log may be). Code outside this folder imports
 * this file only.
 */
export {
  AUDIT_EVENT_NAMES,
  AUDIT_LOG_VERSION,
  AUDIT_OUTCOMES,
  type AuditDetails,
  type AuditDetailValue,
  type AuditEntry,
  type AuditEvent,
  type AuditEventName,
  type AuditIdentity,
  type AuditLineProblem,
  type AuditOutcome,
  GENESIS_PREV,
  hashLine,
} from './entry.js';
export { MAX_AUDIT_LINE_BYTES, MAX_AUDIT_LOG_BYTES } from './lines.js';
export { type AppendAuditOptions, appendAuditEvent, appendAuditEvents, checkAuditLogWritable } from './append.js';
export {
  AUDIT_EVENT_FILTERS,
  type AuditFilter,
  type AuditListing,
  filterAuditEntries,
  MAX_LISTED_BAD_LINES,
  parseEventFilter,
  parseTimeBound,
  readAuditLog,
} from './query.js';
export { type AuditVerifyOptions, type AuditVerifyReport, verifyAuditLog } from './verify.js';
export { auditLogBoundary, DEFAULT_AUDIT_FILE, resolveAuditLogPath } from './location.js';
