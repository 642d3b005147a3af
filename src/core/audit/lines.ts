/**
 * The lines of the audit log, read from an open descriptor in bounded pieces. The log only grows, and a
 * local user may have planted or padded it, so memory stays small however long it is: a line longer than
 * any liberty-crypto writes is hashed as it streams past instead of being kept, and the read stops at a
 * size bound (a sparse file of a terabyte is not a log). Also the scan of the log by its path that both
 * the listing and the verification read through (`scanEntries`), and the E_AUDIT_LOG errors of the log.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';

import { LibertyError } from '../errors.js';
import { openRegularForRead } from '../safe-fs.js';
import { type AuditLineProblem, chainProblem, GENESIS_PREV, type ReadLine, readEntry } from './entry.js';

/** No line liberty-crypto writes comes near this; a longer one is hashed, never held in memory. */
export const MAX_AUDIT_LINE_BYTES = 1024 * 1024;
/** Past this the log is refused rather than read: move it aside (and keep it) long before. */
export const MAX_AUDIT_LOG_BYTES = 1024 * 1024 * 1024;

const CHUNK_BYTES = 64 * 1024;

export interface LogLine {
  /** 1-based */
  number: number;
  /** the line without its newline; undefined when longer than MAX_AUDIT_LINE_BYTES */
  bytes?: Buffer;
  /** SHA-256 hex of the line's bytes (without its newline) */
  hash(): string;
}

export interface LogScan {
  lines: number;
  /** true for an empty file too: the next line starts a line of its own */
  endsWithNewline: boolean;
}

/**
 * Calls `onLine` for each line of the file open at `fd`, from its start to its end, splitting at `\n`; a
 * last line without newline counts. Throws what `tooLarge` returns once more than `maxBytes` were read.
 */
export function forEachLogLine(
  fd: number,
  onLine: (line: LogLine) => void,
  tooLarge: () => Error,
  maxBytes = MAX_AUDIT_LOG_BYTES,
): LogScan {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  const line = new LineBuffer();
  let number = 0;
  let total = 0;
  let lastByte = 0x0a;
  for (;;) {
    const read = readSync(fd, chunk, 0, chunk.length, total);
    if (read === 0) break;
    total += read;
    if (total > maxBytes) throw tooLarge();
    const data = chunk.subarray(0, read);
    let start = 0;
    for (let end = data.indexOf(0x0a, start); end !== -1; end = data.indexOf(0x0a, start)) {
      line.take(data.subarray(start, end));
      onLine(line.finish((number += 1)));
      start = end + 1;
    }
    if (start < read) line.take(data.subarray(start));
    lastByte = data[read - 1]!;
  }
  if (lastByte !== 0x0a) onLine(line.finish((number += 1)));
  return { lines: number, endsWithNewline: lastByte === 0x0a };
}

/** The line being read: its pieces while short, only their running hash once too long. */
class LineBuffer {
  private pieces: Buffer[] = [];
  private length = 0;
  private overflow: Hash | undefined;

  take(piece: Buffer): void {
    if (this.overflow === undefined && this.length + piece.length > MAX_AUDIT_LINE_BYTES) {
      this.overflow = createHash('sha256');
      for (const kept of this.pieces) this.overflow.update(kept);
      this.pieces = [];
    }
    if (this.overflow) this.overflow.update(piece);
    else this.pieces.push(Buffer.from(piece)); // a copy: the chunk is reused for the next read
    this.length += piece.length;
  }

  finish(number: number): LogLine {
    const overflow = this.overflow;
    const bytes = overflow ? undefined : Buffer.concat(this.pieces, this.length);
    this.pieces = [];
    this.length = 0;
    this.overflow = undefined;
    if (overflow) {
      const digest = overflow.digest('hex');
      return { number, hash: () => digest };
    }
    return { number, bytes, hash: () => createHash('sha256').update(bytes!).digest('hex') };
  }
}

export interface LogTail {
  /** SHA-256 hex of the last line, undefined for an empty log */
  hash?: string;
  /** seq of the last line: its own when `seqOf` finds one, else its line number */
  seq: number;
  endsWithNewline: boolean;
}

const TAIL_CHUNK_BYTES = 4096;

/**
 * The last line of the `size` bytes open at `fd`, for the next line's prev and seq. Reads from the end in
 * chunks that grow until a newline shows; a last line too long, or without a seq of its own, is found by
 * reading the whole log (only a log someone broke is read that way).
 */
export function readLogTail(fd: number, size: number, seqOf: (line: Buffer) => number | undefined, tooLarge: () => Error): LogTail {
  if (size === 0) return { seq: 0, endsWithNewline: true };
  for (let chunk = TAIL_CHUNK_BYTES; chunk <= 4 * MAX_AUDIT_LINE_BYTES; chunk *= 4) {
    const start = Math.max(0, size - chunk);
    const buffer = readAt(fd, start, size - start);
    const endsWithNewline = buffer[buffer.length - 1] === 0x0a;
    const body = endsWithNewline ? buffer.subarray(0, buffer.length - 1) : buffer;
    const cut = body.lastIndexOf(0x0a);
    if (cut >= 0 || start === 0) {
      const line = body.subarray(cut + 1);
      const seq = seqOf(line);
      if (seq !== undefined) return { hash: createHash('sha256').update(line).digest('hex'), seq, endsWithNewline };
      break;
    }
  }
  let last: LogLine | undefined;
  const scan = forEachLogLine(fd, (line) => (last = line), tooLarge);
  return { hash: last?.hash(), seq: scan.lines, endsWithNewline: scan.endsWithNewline };
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let offset = 0; offset < length;) {
    const read = readSync(fd, buffer, offset, length - offset, position + offset);
    if (read === 0) throw new Error('the audit log shrank while it was read');
    offset += read;
  }
  return buffer;
}

export interface EntryScan {
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
export function scanEntries(logPath: string, onLine: (line: LogLine, read: ReadLine, hash: string) => void): EntryScan {
  let prev = GENESIS_PREV;
  let chainBreak: AuditLineProblem | undefined;
  const scan = scanLog(logPath, (line) => {
    const read = line.bytes === undefined ? { problem: `longer than ${MAX_AUDIT_LINE_BYTES / 1024} KiB` } : readEntry(line.bytes);
    if (chainBreak === undefined) {
      const reason = read.problem ?? chainProblem(read.entry, line.number, prev);
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

export function tooLarge(logPath: string): LibertyError {
  return new LibertyError('E_AUDIT_LOG', `refusing the audit log ${logPath}: larger than ${MAX_AUDIT_LOG_BYTES / 1024 ** 3} GiB`, {
    hint: 'move the log aside (and keep it): liberty-crypto starts a new one',
  });
}

/**
 * Any failure around the log as E_AUDIT_LOG (exit 6) naming it: an errno with its code, a refusal (a link,
 * a FIFO, a lock held) with its own message, which names the file and says why.
 */
export function auditError(action: string, logPath: string, error: unknown): LibertyError {
  if (error instanceof LibertyError && error.code === 'E_AUDIT_LOG') return error;
  const errno = errnoCode(error);
  if (errno !== undefined || !(error instanceof LibertyError)) {
    return new LibertyError('E_AUDIT_LOG', `cannot ${action} the audit log ${logPath}${errno ? ` (${errno})` : ''}`, {
      hint: AUDIT_IO_HINT,
      cause: error,
    });
  }
  return new LibertyError('E_AUDIT_LOG', `cannot ${action} the audit log: ${error.message}`, {
    hint: error.hint ?? AUDIT_IO_HINT,
    cause: error,
  });
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
