/**
 * Reading the audit log for `audit`: the entries and the lines that are not, filtered by time, event,
 * operator and field; the parsers of the --event, --since and --until flags.
 */
import { LibertyError } from '../errors.js';
import { AUDIT_EVENT_NAMES, type AuditEntry, type AuditLineProblem } from './entry.js';
import { scanEntries } from './lines.js';

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

const DURATION = /^(\d+)(s|m|h|d|w)$/;
const DURATION_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;

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
    const entry = entries[i];
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
  const back = duration ? Number(duration[1]) * DURATION_MS[duration[2]] : NaN;
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

function matchesField(entryField: string | undefined, wanted: string): boolean {
  if (entryField === undefined) return false;
  if (entryField === wanted) return true;
  return !wanted.includes(':') && entryField.startsWith(`${wanted}:`);
}

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
