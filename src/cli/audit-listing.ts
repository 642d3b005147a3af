/**
 * `audit`: the filter its flags name, the table of entries, and what it says about lines that are not
 * entries and a broken hash chain (audit verify checks the chain; a listing only warns). Pure.
 */
import { parseEventFilter, parseTimeBound, type AuditEntry, type AuditFilter, type AuditListing } from '../core/audit/index.js';
import { plural } from '../core/plural.js';
import { renderTable } from './table.js';

export interface AuditFilterFlags {
  since?: string;
  until?: string;
  event?: string;
  operator?: string;
  field?: string;
  limit?: number;
}

/** The filter of the flags; --since and --until relative to `now`. */
export function auditFilter(flags: AuditFilterFlags, now: Date): AuditFilter {
  return {
    since: flags.since ? parseTimeBound(flags.since, now) : undefined,
    until: flags.until ? parseTimeBound(flags.until, now) : undefined,
    event: flags.event === undefined ? undefined : parseEventFilter(flags.event),
    operator: flags.operator,
    field: flags.field,
    limit: flags.limit,
  };
}

/** The entries as a table (no lines for none). */
export function auditTableLines(entries: readonly AuditEntry[]): string[] {
  const rows = entries.map((entry) => [String(entry.seq), entry.ts, entry.operator, entry.event, entry.field ?? '-', entry.outcome]);
  return rows.length > 0 ? renderTable(['seq', 'time', 'operator', 'event', 'field', 'outcome'], rows) : [];
}

/** For stderr: each line left out (the first few by number, then a count), and where the chain breaks. */
export function listingProblems(listing: AuditListing): string[] {
  const notes = listing.badLines.map(
    (bad) => `liberty-crypto: problem: audit log line ${bad.line} is not an entry (${bad.reason}): left out`,
  );
  const unnamed = listing.badLineCount - listing.badLines.length;
  if (unnamed > 0) notes.push(`liberty-crypto: problem: ${plural(unnamed, 'more audit log line')} left out: not entries either`);
  const broken = listing.chainBreak;
  // a line left out breaks the chain where it is: its reason was just given
  const why = broken && broken.line !== listing.badLines[0]?.line ? ` (${broken.reason})` : '';
  if (broken)
    notes.push(`liberty-crypto: warning: the audit log's hash chain breaks at line ${broken.line}${why}: run liberty-crypto audit verify`);
  return notes;
}
