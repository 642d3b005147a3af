/**
 * The one error type of liberty-crypto. Every failure a user can see is a LibertyError with a stable
 * code; the code decides the exit status through EXIT_CODES, the only table of exit codes.
 * Messages are lower case, name the file and field, and never hold a value or a key.
 */

/**
 * A signal that ended edit: 128 + the signal number, as a shell reports a process a signal ended. edit
 * is the one command that waits on another process (the editor) with a plaintext file open.
 */
function signalled<C extends number>(code: C, what: string): { readonly code: C; readonly meaning: string } {
  return { code, meaning: `${what} while edit ran: its temporary file removed, the settings file untouched` };
}

/**
 * Every exit code and what it means: the one table that `EXIT`, the man pages (scripts/gen-man.mjs reads
 * the built module) and the README's check derive from.
 */
export const EXIT_STATUS = {
  OK: { code: 0, meaning: 'success' },
  CHECK_FAILED: {
    code: 1,
    meaning:
      'a check found problems: --check modes, status, audit verify, audit leaving out lines that are not entries, keys drop-legacy refusing a key blobs still need',
  },
  USAGE: { code: 2, meaning: 'usage error' },
  KEY: {
    code: 3,
    meaning:
      'key problem: master key not set or malformed, no configured key matches a blob, fingerprint mismatch, a key written literally into a settings file, a key file others can read',
  },
  AUTH: { code: 4, meaning: 'authentication failed: tag mismatch (tampered blob or wrong key)' },
  MALFORMED: { code: 5, meaning: 'malformed input: invalid TOML, malformed blob, value not encrypted, field not found' },
  IO: {
    code: 6,
    meaning: 'I/O failure (including the audit log and the settings lock), or a directory without app.toml: not a settings directory',
  },
  NOT_CONFIRMED: {
    code: 7,
    meaning:
      'not confirmed: declined, wrong fingerprint confirmation, no terminal for an interactive step, the editor of edit exited non-zero',
  },
  PERMISSION: {
    code: 8,
    meaning:
      'permission denied: the operator lacks the permission, --to-plain on a locked field, or (run as root) a settings directory, a directory on the way to it or an audit log that others can write to',
  },
  EXISTS: {
    code: 9,
    meaning: 'already there: encrypt FILE:KEY --no-replace found a value in the field, init found an app.toml; nothing written',
  },
  INTERNAL: { code: 70, meaning: 'internal error' },
  HANGUP: signalled(129, 'hung up (SIGHUP: the terminal or SSH session went away)'),
  INTERRUPTED: signalled(130, 'interrupted (SIGINT)'),
  TERMINATED: signalled(143, 'terminated (SIGTERM)'),
} as const;

type ExitName = keyof typeof EXIT_STATUS;

/** The exit codes by name (`EXIT.IO` is 6). */
export const EXIT = Object.fromEntries(Object.entries(EXIT_STATUS).map(([name, status]) => [name, status.code])) as {
  readonly [N in ExitName]: (typeof EXIT_STATUS)[N]['code'];
};

/** [code, meaning] rows, in code order, for help text and man pages. */
export const EXIT_STATUS_TABLE: ReadonlyArray<readonly [number, string]> = Object.values(EXIT_STATUS).map(
  (status) => [status.code, status.meaning] as const,
);

export const EXIT_CODES = {
  E_USAGE: EXIT.USAGE,
  E_MASTER_KEY_NOT_SET: EXIT.KEY,
  E_KEY_NOT_SET: EXIT.KEY,
  E_KEY_MALFORMED: EXIT.KEY,
  E_KEY_FILE_UNSAFE: EXIT.KEY,
  E_MASTER_KEY_MALFORMED: EXIT.KEY,
  E_NO_MATCHING_KEY: EXIT.KEY,
  E_FINGERPRINT_MISMATCH: EXIT.KEY,
  E_KEY_ON_DISK: EXIT.KEY,
  E_KEY_PUBLISHED: EXIT.KEY,
  E_AUTH_FAILED: EXIT.AUTH,
  E_INVALID_TOML: EXIT.MALFORMED,
  E_MALFORMED_BLOB: EXIT.MALFORMED,
  E_NOT_ENCRYPTED: EXIT.MALFORMED,
  E_FIELD_NOT_FOUND: EXIT.MALFORMED,
  E_BAD_FIELD_REF: EXIT.MALFORMED,
  E_BAD_SETTINGS: EXIT.MALFORMED,
  E_IO: EXIT.IO,
  E_LOCK_HELD: EXIT.IO,
  E_AUDIT_LOG: EXIT.IO,
  E_NOT_SETTINGS_DIR: EXIT.IO,
  E_NOT_CONFIRMED: EXIT.NOT_CONFIRMED,
  E_WRONG_FINGERPRINT: EXIT.NOT_CONFIRMED,
  E_NO_TERMINAL: EXIT.NOT_CONFIRMED,
  E_EDITOR_FAILED: EXIT.NOT_CONFIRMED,
  E_PERMISSION_DENIED: EXIT.PERMISSION,
  E_FIELD_LOCKED: EXIT.PERMISSION,
  E_FIELD_EXISTS: EXIT.EXISTS,
  E_ALREADY_INITIALIZED: EXIT.EXISTS,
  E_INTERNAL: EXIT.INTERNAL,
  E_INTERRUPTED: EXIT.INTERRUPTED,
  E_TERMINATED: EXIT.TERMINATED,
  E_HANGUP: EXIT.HANGUP,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export interface ErrorDetails {
  hint?: string;
  /** settings file, relative to the settings directory, when one is involved */
  file?: string;
  /** dotted key of the field, when one is involved */
  field?: string;
  cause?: unknown;
}

export class LibertyError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint?: string;
  readonly file?: string;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LibertyError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.hint = details.hint;
    this.file = details.file;
    this.field = details.field;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export function isLibertyError(error: unknown): error is LibertyError {
  return error instanceof LibertyError;
}

/** A location prefix for messages: `connectors.toml: pools.main.password: `. */
export function where(file?: string, field?: string): string {
  return [file, field]
    .filter(Boolean)
    .map((part) => `${part}: `)
    .join('');
}

/** The errno codes an operator can act on: what each means, and what to do about it. */
const IO_CAUSES: Readonly<Record<string, { meaning: string; hint: string }>> = {
  EACCES: { meaning: 'permission denied', hint: 'check the owner and mode of the file and its directory' },
  EPERM: { meaning: 'permission denied', hint: 'check the owner and mode of the file and its directory' },
  ENOSPC: { meaning: 'no space left on the device', hint: 'free space on that file system, then run the command again' },
  EDQUOT: { meaning: 'disk quota exceeded', hint: 'free space or raise the quota, then run the command again' },
  EFBIG: { meaning: 'file too large', hint: 'raise the file size limit of this shell (ulimit -f), then run the command again' },
  EROFS: { meaning: 'read-only file system', hint: 'run the command where the settings directory is writable' },
};

/** Wraps a Node fs error into E_IO, naming the path but never data; a known errno gets its meaning and a hint. */
export function ioError(action: string, path: string, error: unknown): LibertyError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? ` (${code})` : '';
  const known = code && Object.hasOwn(IO_CAUSES, code) ? IO_CAUSES[code] : undefined;
  if (known) {
    return new LibertyError('E_IO', `cannot ${action} ${path}: ${known.meaning}${reason}`, { hint: known.hint, cause: error });
  }
  return new LibertyError('E_IO', `cannot ${action} ${path}${reason}`, { cause: error });
}

/** The same error, its message prefixed with where it happened (`connectors.toml:pools.main.password`). */
export function locateError(error: unknown, location: string, file?: string, field?: string): unknown {
  if (!(error instanceof LibertyError) || error.message.startsWith(`${location}:`)) return error;
  return new LibertyError(error.code, `${location}: ${error.message}`, {
    hint: error.hint,
    file: file ?? error.file,
    field: field ?? error.field,
    cause: error.cause,
  });
}
