/**
 * The settings lock: a mutating command holds `.liberty-crypto.lock` in the settings directory.
 *
 * The lock file is created with O_EXCL and holds JSON about its holder plus a random token. A lock whose
 * holder ran on this host and is gone (`kill(pid, 0)` fails with ESRCH) is taken over at once. The
 * takeover is race-free: to remove a stale lock with token T a contender must first create the claim file
 * `<lock>.lc-tmp-T` with O_EXCL; holding the claim it re-reads the lock and removes it only if it still
 * carries T, then drops the claim and competes for the lock like anybody else. While the lock carries T
 * only the one claim holder can remove it, so two contenders never both win. A claim left by a contender
 * that died is itself broken the same way (claims have tokens too).
 *
 * The lock file appears complete (written to a temporary file, then linked into place). A lock file
 * that cannot be parsed anyway (garbage, or one made on a file system without hard links by a holder
 * killed between create and write) is treated as held until its mtime is UNREADABLE_STALE_MS old, then as stale. A holder on another
 * host is never judged stale: we cannot see its processes. A dead holder's pid reused by a new process
 * looks alive: the wait then ends in E_LOCK_HELD, whose hint says to remove the file.
 *
 * A local user may plant something at the lock's place. Creating never follows a link (link(2) and O_EXCL
 * fail on any existing name, a dangling link included); reading opens with O_NOFOLLOW and O_NONBLOCK and
 * takes only a small regular file, so a link, FIFO or device there is refused at once (E_LOCK_HELD: nobody
 * can take the lock until it is removed), never followed, waited on or read without end.
 */
// synchronous calls on small local files: node:fs/promises would load 11 modules (~2 ms) for them
import { closeSync, fsyncSync, linkSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { ioError, LibertyError } from './errors.js';
import { makeTempName, TEMP_MARKER } from './fs-atomic.js';
import { readRegularFile } from './safe-fs.js';

export const LOCK_FILE_NAME = '.liberty-crypto.lock';
export const DEFAULT_LOCK_WAIT_MS = 5000;
/** An unparseable lock file younger than this is taken as held (its writer may be mid-write). */
export const UNREADABLE_STALE_MS = 30_000;
/** A lock record is a line of JSON; anything larger at the lock's place is not one. */
export const MAX_LOCK_FILE_BYTES = 4096;

export interface LockHolder {
  pid: number;
  host: string;
  user: string;
  command: string;
}

/** What the lock file holds. */
export interface LockRecord extends LockHolder {
  /** ISO 8601 time the lock was taken */
  since: string;
  /** random, `<pid>-<hex>`: tells our lock from a later one and names its claim file */
  token: string;
}

export interface HeldLock {
  /** the lock file */
  readonly path: string;
  /** removes the lock file if it still carries our token; safe to call twice */
  release(): Promise<void>;
}

/**
 * What the lock reads of the world besides its files: the time (waits and the age of an unreadable lock
 * file), pauses between attempts, and whether a holder's process still runs. Injected so that tests drive
 * waits and staleness without the wall clock or real processes.
 */
export interface LockWorld {
  /** milliseconds since the epoch, the scale of a file's mtimeMs */
  now(): number;
  sleep(ms: number): Promise<void>;
  isAlive(pid: number): boolean;
}

export const realWorld: LockWorld = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  isAlive: (pid) => isProcessAlive(pid),
};

export interface AcquireLockOptions {
  holder: LockHolder;
  /** how long to wait for a live holder before E_LOCK_HELD (default 5000) */
  waitMs?: number;
  /** mean pause between attempts (default 75) */
  pollMs?: number;
  /** told once, when a live holder makes this call wait (its record, when the lock file can be read) */
  onWait?: (holder: LockRecord | undefined) => void;
  /** the time written into the record (`since`) */
  clock?: () => Date;
  world?: LockWorld;
}

/** Takes the settings lock of `dir` (see the module comment); E_LOCK_HELD after `waitMs`. */
export async function acquireSettingsLock(dir: string, options: AcquireLockOptions): Promise<HeldLock> {
  try {
    const info = statSync(dir);
    if (!info.isDirectory()) {
      throw new LibertyError('E_IO', `settings path is not a directory: ${dir}`);
    }
  } catch (error) {
    if (error instanceof LibertyError) throw error;
    throw ioError('lock the settings directory', dir, error);
  }
  return acquireLockFile(join(dir, LOCK_FILE_NAME), options);
}

/**
 * Takes the lock file `lockPath` (any lock of this shape, the audit log's too). Throws E_LOCK_HELD when a
 * live holder keeps it past `waitMs`, E_IO when the file system fails.
 */
export async function acquireLockFile(lockPath: string, options: AcquireLockOptions): Promise<HeldLock> {
  const clock = options.clock ?? (() => new Date());
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const pollMs = options.pollMs ?? 75;
  const world = options.world ?? realWorld;
  const started = world.now();
  let told = false;
  const record: LockRecord = {
    ...pickHolder(options.holder),
    since: clock().toISOString(),
    token: makeToken(options.holder.pid),
  };
  for (;;) {
    if (tryCreate(lockPath, record)) return makeHeldLock(lockPath, record.token);
    const current = readLockFile(lockPath);
    if (current === undefined) continue; // released between our create and our read
    if (isStale(current, options.holder.host, world)) {
      if (breakStale(lockPath, current, options.holder, clock, world)) continue;
      // another live contender is breaking it: give it a moment
      if (world.now() - started >= waitMs) throw lockHeldError(lockPath, current);
      await world.sleep(5 + Math.random() * 10);
      continue;
    }
    if (world.now() - started >= waitMs) throw lockHeldError(lockPath, current);
    if (!told) options.onWait?.(current.record);
    told = true;
    await world.sleep(pollMs / 2 + Math.random() * pollMs);
  }
}

/** What was read from a lock file: its record, or only its identity when it cannot be parsed. */
interface LockState {
  record?: LockRecord;
  /** the record's token, or a made-up one from the inode for an unparseable file */
  token: string;
  mtimeMs: number;
}

function pickHolder(holder: LockHolder): LockHolder {
  return { pid: holder.pid, host: holder.host, user: holder.user, command: holder.command };
}

function makeToken(pid: number): string {
  return `${pid}-${randomBytes(8).toString('hex')}`;
}

function makeHeldLock(lockPath: string, token: string): HeldLock {
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      // something planted in place of our lock is not ours to remove, and the work is done: leave it
      let current: LockState | undefined;
      try {
        current = readLockFile(lockPath);
      } catch (error) {
        if (!(error instanceof LibertyError && error.code === 'E_LOCK_HELD')) throw error;
      }
      if (current?.token === token) removeFile(lockPath);
      released = true;
    },
  };
}

/**
 * Creates the lock file, complete or not at all: the record is written and fsynced to a staged file
 * first, then link(2)ed into place, which fails with EEXIST when the lock exists. So a holder killed
 * mid-create leaves at most a temporary file (removed by the next holder), never an empty lock that
 * others must wait out. File systems without hard links fall back to O_EXCL. False when the lock exists.
 */
function tryCreate(lockPath: string, record: LockRecord): boolean {
  const staged = makeTempName(lockPath);
  writeLockRecord(staged, record);
  try {
    linkSync(staged, lockPath);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOENT: the lock's holder cleared leftover temporary files, our staged one among them: try again
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return tryCreateExclusive(lockPath, record);
    throw ioError('create the lock file', lockPath, error);
  } finally {
    removeQuietly(staged);
  }
}

/** Creates the lock file with O_EXCL, then writes it; false when it already exists. */
function tryCreateExclusive(lockPath: string, record: LockRecord): boolean {
  try {
    writeLockRecord(lockPath, record);
    return true;
  } catch (error) {
    if (error instanceof LibertyError) throw error;
    return false; // EEXIST: writeLockRecord reports every other failure as a LibertyError
  }
}

/** Writes `record` into the new file `path` (O_EXCL, mode 0600, fsynced). */
function writeLockRecord(path: string, record: LockRecord): void {
  let fd;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw error;
    throw ioError('create the lock file', path, error);
  }
  let failure: unknown;
  try {
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`);
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } catch (error) {
    failure = error;
  }
  try {
    closeSync(fd);
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined) {
    removeQuietly(path);
    throw ioError('write the lock file', path, failure);
  }
}

/**
 * Reads a lock (or claim) file; undefined when it does not exist. E_LOCK_HELD when something other than a
 * small regular file is there (see the module comment).
 */
function readLockFile(lockPath: string): LockState | undefined {
  let file;
  try {
    file = readRegularFile(lockPath, lockPath, MAX_LOCK_FILE_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof LibertyError && error.cause === undefined) throw plantedLockError(error);
    if (error instanceof LibertyError) throw error;
    throw ioError('read the lock file', lockPath, error);
  }
  const { stats } = file;
  const record = parseLockRecord(file.bytes.toString('utf8'));
  if (record) return { record, token: record.token, mtimeMs: stats.mtimeMs };
  return { token: `0-${stats.ino.toString(16)}${Math.floor(stats.mtimeMs).toString(16)}`, mtimeMs: stats.mtimeMs };
}

/** safe-fs refused the file (a link, FIFO, device, or too large); its message names the file and says why. */
function plantedLockError(refusal: LibertyError): LibertyError {
  return new LibertyError('E_LOCK_HELD', `cannot take the lock: ${refusal.message}`, { hint: refusal.hint, cause: refusal });
}

function parseLockRecord(text: string): LockRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(r.pid) &&
    (r.pid as number) > 0 &&
    typeof r.host === 'string' &&
    typeof r.user === 'string' &&
    typeof r.command === 'string' &&
    typeof r.since === 'string' &&
    typeof r.token === 'string' &&
    /^\d+-[0-9a-f]+$/.test(r.token);
  return ok ? (r as unknown as LockRecord) : undefined;
}

/** Stale: an unreadable file old enough (by the wall clock, as mtime is), or a holder here that is gone. */
function isStale(state: LockState, ourHost: string, world: LockWorld): boolean {
  if (!state.record) return world.now() - state.mtimeMs >= UNREADABLE_STALE_MS;
  if (state.record.host !== ourHost) return false;
  return !world.isAlive(state.record.pid);
}

/** `kill(pid, 0)`: ESRCH means gone; EPERM means alive under another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the stale file at `path` (a lock or a claim) if it still carries `stale.token`, under the claim
 * `<lockBase>.lc-tmp-<token>`. Returns false when another live contender holds the claim, true when the
 * caller should simply try again (the stale file, or a dead claimant's claim, is gone).
 */
function breakStale(path: string, stale: LockState, holder: LockHolder, clock: () => Date, world: LockWorld, depth = 0): boolean {
  if (depth > 8) return false; // a chain of dead claimants this long is not worth chasing; the wait times out
  const claimPath = `${path.replace(/\.lc-tmp-[^/]*$/, '')}${TEMP_MARKER}${stale.token}`;
  const claim: LockRecord = { ...pickHolder(holder), since: clock().toISOString(), token: makeToken(holder.pid) };
  if (!tryCreate(claimPath, claim)) {
    const other = readLockFile(claimPath);
    if (other === undefined) return true; // that claimant just finished
    if (isStale(other, holder.host, world)) return breakStale(claimPath, other, holder, clock, world, depth + 1);
    return false;
  }
  try {
    const current = readLockFile(path);
    if (current?.token === stale.token) removeFile(path);
  } finally {
    removeFile(claimPath);
  }
  return true;
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove the lock file', path, error);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or the next holder clears it with the other leftovers
  }
}

function lockHeldError(lockPath: string, state: LockState): LibertyError {
  const hint = `wait for the other command to finish, or remove ${lockPath} if that process is gone`;
  const r = state.record;
  if (!r) {
    return new LibertyError('E_LOCK_HELD', `lock file is held and unreadable: ${lockPath}`, {
      hint: `${hint} (an unreadable lock file is taken over once it is ${UNREADABLE_STALE_MS / 1000} s old)`,
    });
  }
  return new LibertyError(
    'E_LOCK_HELD',
    `lock held: ${lockPath}: pid ${r.pid} on ${r.host}, user ${r.user}, command ${JSON.stringify(r.command)}, since ${r.since}`,
    { hint },
  );
}
