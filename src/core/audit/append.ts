/**
 * Appending to the audit log: under the lock file, the tail read for the next line's prev and seq, the
 * lines written and fsynced (the directory too for a new log) before the call returns; the open that
 * refuses a planted file or a log a swapped directory put elsewhere.
 */
import { closeSync, fsyncSync, readlinkSync, type Stats, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import { LibertyError } from '../errors.js';
import { openRegularForAppend, openRegularForRead, sameFile } from '../safe-fs.js';
import { fsyncDirectory } from '../fs-atomic.js';
import { acquireLockFile } from '../lock-file.js';
import {
  AUDIT_LOG_VERSION,
  type AuditDetails,
  type AuditDetailValue,
  type AuditEntry,
  type AuditEvent,
  type AuditIdentity,
  checkEvent,
  checkIdentity,
  GENESIS_PREV,
  hashLine,
  isRecord,
  tryParseJson,
} from './entry.js';
import { auditError, type LogTail, readLogTail, tooLarge } from './lines.js';
import { isWithin } from './location.js';

export interface AppendAuditOptions {
  clock: () => Date;
  identity: AuditIdentity;
  /** how long to wait for another writer's lock (default 5000) */
  lockWaitMs?: number;
  /**
   * The real path of the directory the log must be in (the settings directory), when its path was checked
   * against one: the open then refuses a log that a directory swapped for a link has put elsewhere.
   */
  within?: string;
}

const LOCK_SUFFIX = '.lock';

/**
 * Appends one event and returns the entry written. The line is on disk (fsynced) when this returns;
 * any failure is E_AUDIT_LOG naming the log. A missing log is created with mode 0o600; its directory
 * must exist. A log whose last line is broken is still appended to: its bytes are chained as they are,
 * and a last line without newline is ended first, so `verifyAuditLog` points at it.
 */
export async function appendAuditEvent(logPath: string, event: AuditEvent, options: AppendAuditOptions): Promise<AuditEntry> {
  return (await appendAuditEvents(logPath, [event], options))[0];
}

/**
 * Appends several events as consecutive lines of the chain, with one lock, one write and one fsync: the
 * lines of a batch (every field of one file write) reach the disk together, before the file they describe
 * changes. Returns the entries written, in order; the same guarantees and errors as `appendAuditEvent`.
 * Every event is checked before anything is written, so a refused event writes no line of its batch.
 */
export async function appendAuditEvents(
  logPath: string,
  events: readonly AuditEvent[],
  options: AppendAuditOptions,
): Promise<AuditEntry[]> {
  events.forEach(checkEvent);
  checkIdentity(options.identity);
  if (events.length === 0) return [];
  let lock;
  try {
    lock = await acquireLockFile(`${logPath}${LOCK_SUFFIX}`, {
      holder: {
        pid: options.identity.pid,
        host: options.identity.host,
        user: options.identity.osUser,
        command: `audit ${events[0].event}`,
      },
      waitMs: options.lockWaitMs ?? 5000,
      pollMs: 10,
      clock: options.clock,
    });
  } catch (error) {
    throw auditError('lock', logPath, error);
  }
  try {
    return appendLocked(logPath, events, options);
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * Checks, before an audited change is made, that the log can be appended to (creating it if need be),
 * so that a change is not left without its line because the log was unwritable. E_AUDIT_LOG otherwise.
 */
export async function checkAuditLogWritable(logPath: string, within?: string): Promise<void> {
  try {
    closeSync(openForAppend(logPath, within).fd);
  } catch (error) {
    throw auditError('open', logPath, error);
  }
}

function appendLocked(logPath: string, events: readonly AuditEvent[], options: AppendAuditOptions): AuditEntry[] {
  let opened;
  try {
    opened = openForAppend(logPath, options.within);
  } catch (error) {
    throw auditError('open', logPath, error);
  }
  let tail;
  const entries: AuditEntry[] = [];
  try {
    tail = readTail(logPath, opened.stats);
    const ts = options.clock().toISOString(); // read under the lock, so ts follows seq
    // each line chains to the one before it in the batch, exactly as if they were appended one by one
    let prev = tail.hash ?? GENESIS_PREV;
    const lines: string[] = tail.endsWithNewline ? [] : [''];
    for (const [index, event] of events.entries()) {
      const entry = makeEntry(event, options.identity, ts, tail.seq + 1 + index, prev);
      const line = JSON.stringify(entry);
      prev = hashLine(line);
      lines.push(line);
      entries.push(entry);
    }
    const buffer = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    for (let written = 0; written < buffer.length;) written += writeSync(opened.fd, buffer, written, buffer.length - written);
    fsyncSync(opened.fd);
  } catch (error) {
    throw auditError('append to', logPath, error);
  } finally {
    closeSync(opened.fd);
  }
  try {
    if (tail.hash === undefined) syncDirectory(dirname(logPath)); // the first line: make the new file's name durable
  } catch (error) {
    throw auditError('append to', logPath, error);
  }
  return entries;
}

function makeEntry(event: AuditEvent, identity: AuditIdentity, ts: string, seq: number, prev: string): AuditEntry {
  return {
    v: AUDIT_LOG_VERSION,
    seq,
    ts,
    event: event.event,
    outcome: event.outcome,
    operator: identity.operator,
    osUser: identity.osUser,
    host: identity.host,
    pid: identity.pid,
    ...(event.field === undefined ? {} : { field: event.field }),
    ...(event.keyId === undefined ? {} : { keyId: event.keyId }),
    ...(event.details === undefined ? {} : { details: copyDetails(event.details) }),
    prev,
  };
}

/**
 * Opens the log for appending: a regular file, not reached through a link in its last component, no FIFO
 * (openRegularForAppend). Its directories were checked when its path was resolved; with `within`, one
 * swapped for a link since then is caught here, where /proc shows the descriptor's real place, before
 * anything is written (a file the open created there stays, empty). Without /proc, O_NOFOLLOW on the last
 * component is what holds.
 */
function openForAppend(logPath: string, within: string | undefined): { fd: number; stats: Stats } {
  const opened = openRegularForAppend(logPath, logPath);
  if (within === undefined) return opened;
  let actual: string;
  try {
    actual = readlinkSync(`/proc/self/fd/${opened.fd}`);
  } catch {
    return opened;
  }
  if (isWithin(within, actual)) return opened;
  closeSync(opened.fd);
  throw new LibertyError('E_AUDIT_LOG', `refusing the audit log ${logPath}: a link on its path leads outside the settings directory`, {
    hint: 'someone may have swapped a directory for a link: check who can write to the settings directory',
  });
}

/** The log's last line, read through a second descriptor that must be the file being appended to. */
function readTail(logPath: string, appending: Stats): LogTail {
  const { fd, stats } = openRegularForRead(logPath, logPath);
  try {
    if (!sameFile(stats, appending)) {
      throw new LibertyError('E_AUDIT_LOG', `the audit log ${logPath} was replaced while it was opened`, {
        hint: 'someone may be tampering with the log: check who can write to its directory',
      });
    }
    return readLogTail(fd, stats.size, ownSeq, () => tooLarge(logPath));
  } finally {
    closeSync(fd);
  }
}

function ownSeq(line: Buffer): number | undefined {
  const parsed = tryParseJson(line);
  return isRecord(parsed) && Number.isSafeInteger(parsed.seq) && (parsed.seq as number) > 0 ? (parsed.seq as number) : undefined;
}

function syncDirectory(dir: string): void {
  fsyncDirectory(dir, fsyncSync);
}

function copyDetails(details: AuditDetails): AuditDetails {
  const copy: Record<string, AuditDetailValue> = {};
  for (const [name, value] of Object.entries(details)) copy[name] = Array.isArray(value) ? [...(value as readonly string[])] : value;
  return copy;
}
