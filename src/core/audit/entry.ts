/**
 * What a line of the audit log is: the event a caller records, the entry written for it, the names and
 * outcomes an event may have, the chain's first `prev` and a line's hash; the one parser of a line
 * (`readEntry`) and its place in the chain (`chainProblem`); the checks that keep secrets out of an event.
 */
import { hash } from 'node:crypto';

import { LibertyError } from '../errors.js';

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

/** A line of the log that is not an entry (left out of a listing), or where the chain breaks. */
export interface AuditLineProblem {
  /** 1-based */
  line: number;
  reason: string;
}

const LOOKS_LIKE_KEY = /^[0-9a-fA-F]{64}$/;
export const HASH = /^[0-9a-f]{64}$/;

/** SHA-256 hex of a line's bytes (without its newline). */
export function hashLine(line: Buffer | string): string {
  return hash('sha256', line, 'hex'); // one-shot: no Hash object per line (a batch hashes a thousand)
}

/** A line of the log read as an entry, or why it is not one. */
export type ReadLine = { entry: AuditEntry; problem?: undefined } | { entry?: undefined; problem: string };

/**
 * The one parser of a log line: an entry when it is a JSON object with v = 1 and every field of the type
 * liberty-crypto writes (so a listing can filter and show it), else why not. Its place in the chain is
 * `chainProblem`'s.
 */
export function readEntry(line: Buffer): ReadLine {
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
export function chainProblem(entry: AuditEntry, lineNo: number, expectedPrev: string): string | undefined {
  if (entry.seq !== lineNo) return `seq is not ${lineNo}`;
  if (entry.prev !== expectedPrev)
    return lineNo === 1 ? 'prev is not the genesis hash' : `prev does not match the hash of line ${lineNo - 1}`;
  return undefined;
}

export function tryParseJson(line: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(line));
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkEvent(event: AuditEvent): void {
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
  const text = value;
  if (text.startsWith('ENC:')) internal(`audit event ${name} looks like an encrypted blob`);
  // trimmed: a key pasted with a stray space is still a key
  if (name !== 'field' && LOOKS_LIKE_KEY.test(text.trim())) internal(`audit event ${name} looks like a key`);
}

export function checkIdentity(identity: AuditIdentity): void {
  for (const key of ['operator', 'osUser', 'host'] as const) {
    if (typeof identity[key] !== 'string' || identity[key] === '') internal(`audit identity ${key} is empty`);
  }
  if (!Number.isSafeInteger(identity.pid) || identity.pid <= 0) internal('audit identity pid is not a process id');
}

function internal(message: string): never {
  throw new LibertyError('E_INTERNAL', message);
}
