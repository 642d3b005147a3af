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
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readlinkSync, type Stats, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import { isWithin } from './audit-location.js';
import { forEachLogLine, type LogLine, type LogScan, type LogTail, MAX_AUDIT_LINE_BYTES, MAX_AUDIT_LOG_BYTES, readLogTail } from './audit-log-lines.js';
import { LibertyError } from './errors.js';
import { openRegularForAppend, openRegularForRead, sameFile } from './safe-fs.js';
import { acquireLockFile } from './lock-file.js';

export const AUDIT_LOG_VERSION = 1;
export const GENESIS_PREV = '0'.repeat(64);

export const AUDIT_EVENT_NAMES = [
  'reveal',
  'decrypt',
  'to-plain',
  'encrypt',
  'rewrap',
  'keys.rotate',
  'keys.drop-legacy',
  'keys.add-legacy',
  'fingerprint.write',
  'edit.reveal',
  'edit.change',
  'init',
] as const;
export type AuditEventName = (typeof AUDIT_EVENT_NAMES)[number];

export const AUDIT_OUTCOMES = ['ok', 'denied', 'wrong-fingerprint', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Counts, flags and names (env var names, file names); never a value, a blob or a key. */
export type AuditDetailValue = string | number | boolean | readonly string[];
export type AuditDetails = Readonly<Record<string, AuditDetailValue>>;

/** What a caller records. */
export interface AuditEvent {
  event: AuditEventName;
  outcome: AuditOutcome;
  /** `<file>:<dotted key>`, e.g. `connectors.toml:pools.main.password` */
  field?: string;
  /** the id of a key, never the key */
  keyId?: string;
  details?: AuditDetails;
}

export interface AuditIdentity {
  operator: string;
  osUser: string;
  host: string;
  pid: number;
}

/** One line of the log, keys in this order. */
export interface AuditEntry {
  v: 1;
  seq: number;
  ts: string;
  event: AuditEventName;
  outcome: AuditOutcome;
  operator: string;
  osUser: string;
  host: string;
  pid: number;
  field?: string;
  keyId?: string;
  details?: AuditDetails;
  prev: string;
}

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

export interface AuditFilter {
  since?: Date;
  until?: Date;
  /** exact name, or a prefix before a dot: `keys` matches `keys.rotate` */
  event?: string;
  operator?: string;
  /** exact `<file>:<key>`, or a file name alone (no `:`) matching every field of that file */
  field?: string;
  limit?: number;
}

export interface AuditVerifyReport {
  /** false when a line is broken, a head that must be in the log is not, or a log that must hold lines is missing or empty */
  ok: boolean;
  /** lines in the file (a last line without newline counts) */
  entries: number;
  /** 1-based number of the first broken line, null when every line holds */
  firstBadLine: number | null;
  /** SHA-256 hex of the last line, null for an empty or missing log */
  head: string | null;
  /** only with `head` given: that earlier head and the line that hashes to it, null when no line does */
  earlierHead?: { hash: string; line: number | null };
  reason?: string;
}

export interface AuditVerifyOptions {
  /** an earlier head (64 hex digits): exit 1 unless a line of the log still hashes to it */
  head?: string;
  /** app.toml stores a master fingerprint, so audited writes have happened: a missing or empty log is broken */
  fingerprintStored?: boolean;
}

/** A line of the log that is not an entry (left out of a listing), or where the chain breaks. */
export interface AuditLineProblem {
  /** 1-based */
  line: number;
  reason: string;
}

/** What `readAuditLog` could read. */
export interface AuditListing {
  /** the lines that are entries, in file order */
  entries: AuditEntry[];
  /** the first lines that are not entries, at most MAX_LISTED_BAD_LINES */
  badLines: AuditLineProblem[];
  /** how many lines are not entries (all of them, also those past badLines) */
  badLineCount: number;
  /** the first line where the chain breaks, as `verifyAuditLog` reports it; null when it holds */
  chainBreak: AuditLineProblem | null;
}

/** A listing names this many bad lines and counts the rest: a log of garbage must not fill memory. */
export const MAX_LISTED_BAD_LINES = 10;

/**
 * What `audit --event` takes: an event name, or the part before a dot (`keys` for `keys.rotate`,
 * `keys.drop-legacy` and `keys.add-legacy`).
 */
export const AUDIT_EVENT_FILTERS: readonly string[] = [
  ...AUDIT_EVENT_NAMES,
  ...new Set(AUDIT_EVENT_NAMES.filter((name) => name.includes('.')).map((name) => name.slice(0, name.lastIndexOf('.')))),
];

const LOCK_SUFFIX = '.lock';
const LOOKS_LIKE_KEY = /^[0-9a-fA-F]{64}$/;
const HASH = /^[0-9a-f]{64}$/;
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const DURATION_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * Appends one event and returns the entry written. The line is on disk (fsynced) when this returns;
 * any failure is E_AUDIT_LOG naming the log. A missing log is created with mode 0o600; its directory
 * must exist. A log whose last line is broken is still appended to: its bytes are chained as they are,
 * and a last line without newline is ended first, so `verifyAuditLog` points at it.
 */
export async function appendAuditEvent(logPath: string, event: AuditEvent, options: AppendAuditOptions): Promise<AuditEntry> {
  return (await appendAuditEvents(logPath, [event], options))[0]!;
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
        command: `audit ${events[0]!.event}`,
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

/**
 * The lines of the log that are entries, in file order, and the lines that are not (named, not thrown:
 * one bad line must not hide the others); with where the chain breaks. A missing log has no lines.
 */
export async function readAuditLog(logPath: string): Promise<AuditListing> {
  const listing: AuditListing = { entries: [], badLines: [], badLineCount: 0, chainBreak: null };
  const scan = scanEntries(logPath, (line, read) => {
    if (read.entry) listing.entries.push(read.entry);
    else {
      listing.badLineCount += 1;
      if (listing.badLines.length < MAX_LISTED_BAD_LINES) listing.badLines.push({ line: line.number, reason: read.problem });
    }
  });
  listing.chainBreak = scan.chainBreak ?? null;
  return listing;
}

/** The entries that pass every given filter, newest first (reverse file order), at most `limit`. */
export function filterAuditEntries(entries: readonly AuditEntry[], filter: AuditFilter = {}): AuditEntry[] {
  const since = filter.since?.getTime();
  const until = filter.until?.getTime();
  const result: AuditEntry[] = [];
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    if (filter.limit !== undefined && result.length >= filter.limit) break;
    const entry = entries[i]!;
    const time = Date.parse(entry.ts);
    if (since !== undefined && !(time >= since)) continue;
    if (until !== undefined && !(time <= until)) continue;
    if (filter.event !== undefined && entry.event !== filter.event && !entry.event.startsWith(`${filter.event}.`)) continue;
    if (filter.operator !== undefined && entry.operator !== filter.operator) continue;
    if (filter.field !== undefined && !matchesField(entry.field, filter.field)) continue;
    result.push(entry);
  }
  return result;
}

/** The name `audit --event` was given, when it is one AUDIT_EVENT_FILTERS holds; E_USAGE otherwise. */
export function parseEventFilter(text: string): string {
  if (AUDIT_EVENT_FILTERS.includes(text)) return text;
  throw new LibertyError('E_USAGE', `unknown audit event: ${JSON.stringify(text)}`, {
    hint: `use one of ${AUDIT_EVENT_FILTERS.join(', ')}`,
  });
}

/**
 * A time bound for --since/--until: an ISO date (`2024-05-01`, midnight UTC), an ISO datetime
 * (`2024-05-01T12:00`, UTC unless it carries an offset) or a duration before `now` (`45s`, `30m`,
 * `24h`, `7d`, `2w`). E_USAGE otherwise.
 */
export function parseTimeBound(text: string, now: Date): Date {
  const trimmed = text.trim();
  const duration = DURATION.exec(trimmed);
  const back = duration ? Number(duration[1]) * DURATION_MS[duration[2]!]! : NaN;
  if (duration && Number.isFinite(new Date(now.getTime() - back).getTime())) return new Date(now.getTime() - back);
  const date = ISO_DATE.exec(trimmed) ?? ISO_DATETIME.exec(trimmed);
  if (date) {
    const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = date;
    if (isRealDate(Number(y), Number(mo), Number(d)) && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60) {
      const ms = frac ? `.${frac.slice(1, 4).padEnd(3, '0')}` : '';
      const parsed = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${zone.toUpperCase()}`);
      if (!Number.isNaN(parsed)) return new Date(parsed);
    }
  }
  throw new LibertyError('E_USAGE', `invalid time: ${JSON.stringify(text)}`, {
    hint: 'use an iso date (2024-05-01), an iso datetime (2024-05-01T12:00:00Z) or a duration (30m, 24h, 7d, 2w)',
  });
}

/**
 * Checks the whole log: every line is an entry (a JSON object with v = 1 and its fields) whose seq is its
 * line number and whose `prev` is the hash of the line before. Reports the first broken line. With `head`
 * (an earlier head, E_USAGE unless 64 hex digits), the log is broken unless a line still hashes to it: with
 * the chain intact, that line is the current head or the `prev` of the line after it. A missing or empty
 * log is valid, unless `head` is given or a stored fingerprint says writes have happened.
 */
export async function verifyAuditLog(logPath: string, options: AuditVerifyOptions = {}): Promise<AuditVerifyReport> {
  const earlier = options.head === undefined ? undefined : parseHead(options.head);
  let found: number | null = null;
  const scan = scanEntries(logPath, (line, _read, hash) => {
    if (found === null && hash === earlier) found = line.number;
  });
  const report: AuditVerifyReport = {
    ok: true,
    entries: scan.lines,
    firstBadLine: scan.chainBreak?.line ?? null,
    head: scan.head ?? null,
    ...(earlier === undefined ? {} : { earlierHead: { hash: earlier, line: found } }),
  };
  const reason = verifyProblem(logPath, scan, options, found);
  return reason === undefined ? report : { ...report, ok: false, reason };
}

/** Why a verification fails, the first reason in this order: a broken line, a log without lines that must have some, a lost head. */
function verifyProblem(logPath: string, scan: EntryScan, options: AuditVerifyOptions, found: number | null): string | undefined {
  if (scan.chainBreak) return `line ${scan.chainBreak.line}: ${scan.chainBreak.reason}`;
  const wantsHead = options.head !== undefined;
  if (scan.lines === 0 && (wantsHead || options.fingerprintStored)) {
    const log = scan.exists ? `the audit log ${logPath} is empty` : `no audit log at ${logPath}`;
    return wantsHead ? `${log}: the earlier head cannot be in it` : `${log}, but app.toml stores a master fingerprint: writes have happened`;
  }
  if (wantsHead && found === null) return 'the earlier head is not in the log: lines were cut off, or the log was rewritten';
  return undefined;
}

/** SHA-256 hex of a line's bytes (without its newline). */
export function hashLine(line: Buffer | string): string {
  return createHash('sha256').update(line).digest('hex');
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
    for (let written = 0; written < buffer.length; ) written += writeSync(opened.fd, buffer, written, buffer.length - written);
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

/** A line of the log read as an entry, or why it is not one. */
type ReadLine = { entry: AuditEntry; problem?: undefined } | { entry?: undefined; problem: string };

interface EntryScan {
  exists: boolean;
  lines: number;
  /** SHA-256 hex of the last line, undefined when there is none */
  head?: string;
  chainBreak?: AuditLineProblem;
}

/**
 * Reads each line of the log as an entry and checks the chain, calling `onLine` for every line; no call
 * for a missing log. The one reader behind both the listing and the verification, so they agree.
 */
function scanEntries(logPath: string, onLine: (line: LogLine, read: ReadLine, hash: string) => void): EntryScan {
  let prev = GENESIS_PREV;
  let chainBreak: AuditLineProblem | undefined;
  const scan = scanLog(logPath, (line) => {
    const read = line.bytes === undefined ? { problem: `longer than ${MAX_AUDIT_LINE_BYTES / 1024} KiB` } : readEntry(line.bytes);
    if (chainBreak === undefined) {
      const reason = read.problem ?? chainProblem(read.entry!, line.number, prev);
      if (reason !== undefined) chainBreak = { line: line.number, reason };
    }
    prev = line.hash();
    onLine(line, read, prev);
  });
  if (scan === undefined) return { exists: false, lines: 0 };
  return { exists: true, lines: scan.lines, ...(scan.lines === 0 ? {} : { head: prev }), ...(chainBreak ? { chainBreak } : {}) };
}

/** Calls `onLine` for each line of the log; undefined (and no call) for a missing log. */
function scanLog(logPath: string, onLine: (line: LogLine) => void): LogScan | undefined {
  let opened;
  try {
    opened = openRegularForRead(logPath, logPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw auditError('read', logPath, error);
  }
  try {
    if (opened.stats.size > MAX_AUDIT_LOG_BYTES) throw tooLarge(logPath);
    return forEachLogLine(opened.fd, onLine, () => tooLarge(logPath));
  } catch (error) {
    throw auditError('read', logPath, error);
  } finally {
    closeSync(opened.fd);
  }
}

function syncDirectory(dir: string): void {
  let fd;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP' && code !== 'EPERM') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tooLarge(logPath: string): LibertyError {
  return new LibertyError('E_AUDIT_LOG', `refusing the audit log ${logPath}: larger than ${MAX_AUDIT_LOG_BYTES / 1024 ** 3} GiB`, {
    hint: 'move the log aside (and keep it): liberty-crypto starts a new one',
  });
}

/**
 * The one parser of a log line: an entry when it is a JSON object with v = 1 and every field of the type
 * liberty-crypto writes (so a listing can filter and show it), else why not. Its place in the chain is
 * `chainProblem`'s.
 */
function readEntry(line: Buffer): ReadLine {
  if (line.length === 0) return { problem: 'blank line' };
  const value = tryParseJson(line);
  if (!isRecord(value)) return { problem: 'not a json object' };
  if (value.v !== AUDIT_LOG_VERSION) return { problem: 'v is not 1' };
  if (!Number.isSafeInteger(value.seq) || (value.seq as number) < 1) return { problem: 'seq is not a line number' };
  if (typeof value.prev !== 'string' || !HASH.test(value.prev)) return { problem: 'prev is not a sha-256 hash' };
  if (typeof value.ts !== 'string' || Number.isNaN(Date.parse(value.ts))) return { problem: 'ts is not a time' };
  for (const key of ['event', 'outcome', 'operator', 'osUser', 'host'] as const) {
    if (typeof value[key] !== 'string') return { problem: `${key} is not a string` };
  }
  if (!Number.isSafeInteger(value.pid)) return { problem: 'pid is not an integer' };
  for (const key of ['field', 'keyId'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') return { problem: `${key} is not a string` };
  }
  if (value.details !== undefined && !isRecord(value.details)) return { problem: 'details is not an object' };
  return { entry: value as unknown as AuditEntry };
}

/** Why an entry on line `lineNo` does not continue the chain, or undefined when it does. */
function chainProblem(entry: AuditEntry, lineNo: number, expectedPrev: string): string | undefined {
  if (entry.seq !== lineNo) return `seq is not ${lineNo}`;
  if (entry.prev !== expectedPrev) return lineNo === 1 ? 'prev is not the genesis hash' : `prev does not match the hash of line ${lineNo - 1}`;
  return undefined;
}

/** An earlier head as given (either case): 64 hex digits, lower-cased; E_USAGE otherwise. */
function parseHead(text: string): string {
  const head = text.toLowerCase();
  if (HASH.test(head)) return head;
  throw new LibertyError('E_USAGE', 'invalid head: not a sha-256 hash (64 hex digits)', {
    hint: 'give a head that audit verify printed (the `head` of its --json output)',
  });
}

function tryParseJson(line: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(line));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matchesField(entryField: string | undefined, wanted: string): boolean {
  if (entryField === undefined) return false;
  if (entryField === wanted) return true;
  return !wanted.includes(':') && entryField.startsWith(`${wanted}:`);
}

function checkEvent(event: AuditEvent): void {
  if (!(AUDIT_EVENT_NAMES as readonly string[]).includes(event.event)) internal('audit event name is not known');
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(event.outcome)) internal('audit event outcome is not known');
  if (event.field !== undefined) checkText(event.field, 'field');
  if (event.keyId !== undefined) {
    if (typeof event.keyId !== 'string' || event.keyId.startsWith('ENC:')) internal('audit event keyId is not a key id');
  }
  if (event.details !== undefined) {
    if (!isRecord(event.details)) internal('audit event details is not an object');
    for (const [name, value] of Object.entries(event.details)) {
      if (Array.isArray(value)) {
        for (const item of value) checkText(item, `details.${name}`);
      } else if (typeof value === 'string') {
        checkText(value, `details.${name}`);
      } else if (!(typeof value === 'number' && Number.isFinite(value)) && typeof value !== 'boolean') {
        internal(`audit event details.${name} is not a count, flag or name`);
      }
    }
  }
}

/** Refuses text that looks like a blob or a raw key; the value itself never reaches the message. */
function checkText(value: unknown, name: string): void {
  if (typeof value !== 'string') internal(`audit event ${name} is not a string`);
  const text = value as string;
  if (text.startsWith('ENC:')) internal(`audit event ${name} looks like an encrypted blob`);
  // trimmed: a key pasted with a stray space is still a key
  if (name !== 'field' && LOOKS_LIKE_KEY.test(text.trim())) internal(`audit event ${name} looks like a key`);
}

function checkIdentity(identity: AuditIdentity): void {
  for (const key of ['operator', 'osUser', 'host'] as const) {
    if (typeof identity[key] !== 'string' || identity[key] === '') internal(`audit identity ${key} is empty`);
  }
  if (!Number.isSafeInteger(identity.pid) || identity.pid <= 0) internal('audit identity pid is not a process id');
}

function copyDetails(details: AuditDetails): AuditDetails {
  const copy: Record<string, AuditDetailValue> = {};
  for (const [name, value] of Object.entries(details)) copy[name] = Array.isArray(value) ? [...value] : value;
  return copy;
}

function internal(message: string): never {
  throw new LibertyError('E_INTERNAL', message);
}

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Any failure around the log as E_AUDIT_LOG (exit 6) naming it: an errno with its code, a refusal (a link,
 * a FIFO, a lock held) with its own message, which names the file and says why.
 */
function auditError(action: string, logPath: string, error: unknown): LibertyError {
  if (error instanceof LibertyError && error.code === 'E_AUDIT_LOG') return error;
  const errno = errnoCode(error);
  if (errno !== undefined || !(error instanceof LibertyError)) {
    return new LibertyError('E_AUDIT_LOG', `cannot ${action} the audit log ${logPath}${errno ? ` (${errno})` : ''}`, { hint: AUDIT_IO_HINT, cause: error });
  }
  return new LibertyError('E_AUDIT_LOG', `cannot ${action} the audit log: ${error.message}`, { hint: error.hint ?? AUDIT_IO_HINT, cause: error });
}

const AUDIT_IO_HINT = 'check the path, the owner and mode of the log and its directory, and free space';

/** The errno code of a Node error, or of the one a LibertyError wraps. */
function errnoCode(error: unknown): string | undefined {
  const own = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof own === 'string' && own.startsWith('E') && !(error instanceof LibertyError)) return own;
  const cause = error instanceof LibertyError ? error.cause : undefined;
  if (cause instanceof LibertyError) return errnoCode(cause);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
