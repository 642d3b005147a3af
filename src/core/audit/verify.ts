/**
 * Verifying the audit log for `audit verify`: the chain of every line, a log that must hold lines, and an
 * earlier head that must still be a line of it.
 */
import { LibertyError } from '../errors.js';
import { HASH } from './entry.js';
import { type EntryScan, scanEntries } from './lines.js';

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
    return wantsHead
      ? `${log}: the earlier head cannot be in it`
      : `${log}, but app.toml stores a master fingerprint: writes have happened`;
  }
  if (wantsHead && found === null) return 'the earlier head is not in the log: lines were cut off, or the log was rewritten';
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
