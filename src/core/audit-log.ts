/**
 * The audit log: append-only JSON Lines, one event a line, hash-chained. Each line holds `prev`, the
 * SHA-256 (hex) of the previous line's UTF-8 bytes without its newline (64 zeros on line 1), and `seq`,
 * its 1-based line number; so an edited, deleted, reordered or inserted line breaks the chain at the next
 * line. The chain cannot show a rewrite of the whole tail: record `head` (the hash of the last line)
 * elsewhere to detect that.
 *
 * Appending fails closed: the line is written and fsynced before `appendAuditEvent` returns, and any
 * failure is E_AUDIT_LOG. Writers in separate processes serialise through the lock file `<log>.lock`.
 * Events are typed and hold no secrets: a `details` string that looks like a blob (`ENC:`) or a key
 * (64 hex digits) is refused with E_INTERNAL.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { LibertyError } from './errors.js';
import { acquireLockFile } from './settings-lock.js';

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
  ok: boolean;
  /** lines in the file (a last line without newline counts) */
  entries: number;
  /** 1-based number of the first broken line, null when ok */
  firstBadLine: number | null;
  /** SHA-256 hex of the last line, null for an empty or missing log */
  head: string | null;
  reason?: string;
}

const LOCK_SUFFIX = '.lock';
const TAIL_CHUNK = 4096;
const LOOKS_LIKE_KEY = /^[0-9a-fA-F]{64}$/;
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const DURATION_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * Appends one event and returns the entry written. The line is on disk (fsynced) when this returns;
 * any failure is E_AUDIT_LOG naming the log. A missing log (and its directory, mode 0o700) is created
 * with mode 0o600. A log whose last line is broken is still appended to: its bytes are chained as they
 * are, and a last line without newline is ended first, so `verifyAuditLog` points at it.
 */
export async function appendAuditEvent(
  logPath: string,
  event: AuditEvent,
  options: AppendAuditOptions,
): Promise<AuditEntry> {
  checkEvent(event);
  checkIdentity(options.identity);
  try {
    await mkdir(dirname(logPath), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw auditError('create the directory of', logPath, error);
  }
  let lock;
  try {
    lock = await acquireLockFile(`${logPath}${LOCK_SUFFIX}`, {
      holder: {
        pid: options.identity.pid,
        host: options.identity.host,
        user: options.identity.osUser,
        command: `audit ${event.event}`,
      },
      waitMs: options.lockWaitMs ?? 5000,
      pollMs: 10,
      clock: options.clock,
    });
  } catch (error) {
    throw auditError('lock', logPath, error);
  }
  try {
    return await appendLocked(logPath, event, options.identity, options.clock);
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * Checks, before an audited change is made, that the log can be appended to (creating it if need be),
 * so that a change is not left without its line because the log was unwritable. E_AUDIT_LOG otherwise.
 */
export async function checkAuditLogWritable(logPath: string): Promise<void> {
  try {
    await mkdir(dirname(logPath), { recursive: true, mode: 0o700 });
    const handle = await open(logPath, 'a', 0o600);
    await handle.close();
  } catch (error) {
    throw auditError('open', logPath, error);
  }
}

/** Every entry, in file order; [] for a missing log. E_AUDIT_LOG names a line that is not valid JSON. */
export async function readAuditLog(logPath: string): Promise<AuditEntry[]> {
  const bytes = await readLogBytes(logPath);
  if (bytes === undefined) return [];
  return splitLines(bytes).map((line, index) => {
    const value = tryParseJson(line);
    if (!isRecord(value)) {
      throw new LibertyError('E_AUDIT_LOG', `audit log line ${index + 1} is not a json object: ${logPath}`, {
        hint: 'run `liberty-crypto audit verify` to check the whole log',
      });
    }
    return value as unknown as AuditEntry;
  });
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
 * Checks the whole log: every line is a JSON object with v = 1, seq = its line number and `prev` = the
 * hash of the line before. Reports the first broken line. A missing log is an empty, valid log.
 */
export async function verifyAuditLog(logPath: string): Promise<AuditVerifyReport> {
  const bytes = await readLogBytes(logPath);
  const lines = bytes === undefined ? [] : splitLines(bytes);
  let prev = GENESIS_PREV;
  let failure: { line: number; reason: string } | undefined;
  for (let i = 0; i < lines.length && failure === undefined; i += 1) {
    const reason = checkLine(lines[i]!, i + 1, prev);
    if (reason !== undefined) failure = { line: i + 1, reason: `line ${i + 1}: ${reason}` };
    prev = hashLine(lines[i]!);
  }
  const head = lines.length === 0 ? null : hashLine(lines[lines.length - 1]!);
  if (failure) return { ok: false, entries: lines.length, firstBadLine: failure.line, head, reason: failure.reason };
  return { ok: true, entries: lines.length, firstBadLine: null, head };
}

/** SHA-256 hex of a line's bytes (without its newline). */
export function hashLine(line: Buffer | string): string {
  return createHash('sha256').update(line).digest('hex');
}

async function appendLocked(
  logPath: string,
  event: AuditEvent,
  identity: AuditIdentity,
  clock: () => Date,
): Promise<AuditEntry> {
  let handle;
  try {
    handle = await open(logPath, 'a', 0o600);
  } catch (error) {
    throw auditError('open', logPath, error);
  }
  try {
    const tail = await readLastLine(logPath);
    const ts = clock().toISOString(); // read under the lock, so ts follows seq
    const entry = makeEntry(event, identity, ts, tail.seq + 1, tail.line === undefined ? GENESIS_PREV : hashLine(tail.line));
    const text = `${tail.endsWithNewline ? '' : '\n'}${JSON.stringify(entry)}\n`;
    const buffer = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
      written += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    if (tail.size === 0) await syncDirectory(dirname(logPath));
    return entry;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw auditError('append to', logPath, error);
  }
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

interface LogTail {
  /** the last line's bytes, undefined for an empty log */
  line?: Buffer;
  /** seq of the last line: its own when it parses, else its line number */
  seq: number;
  endsWithNewline: boolean;
  size: number;
}

/** The last line of the log, reading only the tail of the file (a chunk that doubles until a newline shows). */
async function readLastLine(logPath: string): Promise<LogTail> {
  const handle = await open(logPath, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return { seq: 0, endsWithNewline: true, size };
    let chunk = TAIL_CHUNK;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buffer = Buffer.alloc(size - start);
      await readFully(handle, buffer, start);
      const endsWithNewline = buffer[buffer.length - 1] === 0x0a;
      const body = endsWithNewline ? buffer.subarray(0, buffer.length - 1) : buffer;
      const cut = body.lastIndexOf(0x0a);
      if (cut >= 0 || start === 0) {
        const line = Buffer.from(body.subarray(cut + 1));
        const parsed = tryParseJson(line);
        const ownSeq = isRecord(parsed) && Number.isSafeInteger(parsed.seq) && (parsed.seq as number) > 0 ? (parsed.seq as number) : undefined;
        const seq = ownSeq ?? (await countLines(logPath));
        return { line, seq, endsWithNewline, size };
      }
      chunk *= 4;
    }
  } finally {
    await handle.close();
  }
}

async function readFully(handle: import('node:fs/promises').FileHandle, buffer: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, position + offset);
    if (bytesRead === 0) throw new Error('unexpected end of file');
    offset += bytesRead;
  }
}

/** Lines as `verifyAuditLog` counts them; only for a log whose last line is broken. */
async function countLines(logPath: string): Promise<number> {
  const bytes = await readFile(logPath);
  return splitLines(bytes).length;
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP' && code !== 'EPERM') throw error;
  }
}

async function readLogBytes(logPath: string): Promise<Buffer | undefined> {
  try {
    return await readFile(logPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw auditError('read', logPath, error);
  }
}

/** Splits at `\n`; a final newline ends the last line rather than starting an empty one. */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) {
      lines.push(bytes.subarray(start));
      break;
    }
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

/** Why line `lineNo` is broken, or undefined when it is fine. */
function checkLine(line: Buffer, lineNo: number, expectedPrev: string): string | undefined {
  if (line.length === 0) return 'blank line';
  const value = tryParseJson(line);
  if (!isRecord(value)) return 'not a json object';
  if (value.v !== AUDIT_LOG_VERSION) return 'v is not 1';
  if (value.seq !== lineNo) return `seq is not ${lineNo}`;
  if (value.prev !== expectedPrev) return lineNo === 1 ? 'prev is not the genesis hash' : `prev does not match the hash of line ${lineNo - 1}`;
  if (typeof value.ts !== 'string' || Number.isNaN(Date.parse(value.ts))) return 'ts is not a time';
  for (const key of ['event', 'outcome', 'operator', 'osUser', 'host'] as const) {
    if (typeof value[key] !== 'string') return `${key} is not a string`;
  }
  if (!Number.isSafeInteger(value.pid)) return 'pid is not an integer';
  return undefined;
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
  if (name !== 'field' && LOOKS_LIKE_KEY.test(text)) internal(`audit event ${name} looks like a key`);
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

function auditError(action: string, logPath: string, error: unknown): LibertyError {
  if (error instanceof LibertyError && error.code === 'E_AUDIT_LOG') return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? ` (${code})` : error instanceof LibertyError ? ` (${error.code})` : '';
  const hint =
    error instanceof LibertyError && error.code === 'E_LOCK_HELD'
      ? `another process holds ${logPath}${LOCK_SUFFIX}; remove it if that process is gone`
      : 'check the path, the owner and mode of the log and its directory, and free space';
  return new LibertyError('E_AUDIT_LOG', `cannot ${action} the audit log ${logPath}${reason}`, { hint, cause: error });
}
