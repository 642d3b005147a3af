/**
 * What a command may touch, and as whom: sshd's StrictModes and logrotate's `su`, for a tool that root
 * runs (under sudo) on a settings directory another user may own. Run as root, before any file work:
 * - a settings directory, a directory on the way to it, or an audit log that another local user could
 *   write to is refused (exit 8; see core/strict-modes.ts);
 * - when the directory belongs to another user, the process drops to that user for good, so whatever link
 *   that user plants reaches only what the user could reach anyway. Who ran the command is fixed first
 *   (context.ts), so the operator and the permission checks stay those of the invoker.
 * Run as any other user, nothing here applies: the OS already bounds what a planted link reaches by that
 * user's own rights, and sharing a group-writable directory is then the user's own choice.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LibertyError } from '../core/errors.js';
import type { Environment } from '../core/keyring.js';
import { checkAuditLogModes, checkSettingsDirModes, type Ownership } from '../core/strict-modes.js';
import { invokingOsUser } from './context.js';

const ROOT = 0;

/** Evaluated at start-up, before any drop: the rules are root's, also once the process acts as the owner. */
const STARTED_AS_ROOT = process.geteuid?.() === ROOT;

/**
 * Checks the settings directory (and LIBERTY_AUDIT_LOG, when set) and, when the directory belongs to
 * another user, becomes that user. Nothing happens unless the command was started as root; a second call
 * (after the drop) does nothing either.
 */
export function actAsSettingsOwner(dir: string, env: Environment): void {
  if (!STARTED_AS_ROOT || process.geteuid?.() !== ROOT) return;
  const owner = checkSettingsDirModes(dir); // undefined: no directory, the loader says what is wrong
  if (env.LIBERTY_AUDIT_LOG) checkAuditLogModes(resolve(env.LIBERTY_AUDIT_LOG), owner?.uid ?? ROOT);
  if (owner === undefined || owner.uid === ROOT) return;
  invokingOsUser(); // the operator is who ran the command, not the user it now acts as
  dropTo(owner.uid, groupToActAs(owner, dir));
  checkOwnerReaches(dir, owner.uid);
}

/** The audit log's place, checked by the rules above when the command was started as root. */
export function checkAuditLogPlace(path: string): void {
  if (STARTED_AS_ROOT) checkAuditLogModes(path, process.geteuid?.() ?? ROOT);
}

/** The owner's primary group as /etc/passwd lists it, else the directory's group; never root's. */
function groupToActAs({ uid, gid: dirGid }: Ownership, dir: string): number {
  const gid = primaryGroupOf(uid) ?? dirGid;
  if (gid === ROOT) {
    throw new LibertyError('E_PERMISSION_DENIED', `${dir} belongs to uid ${uid}, and the group to act as would be root's`, {
      hint: `chgrp the settings directory to the group of uid ${uid}, or run liberty-crypto as that user`,
    });
  }
  return gid;
}

function primaryGroupOf(uid: number): number | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 4 && fields[2] === String(uid) && /^\d+$/.test(fields[3])) return Number(fields[3]);
  }
  return undefined;
}

/**
 * Once acting as the owner: a directory on the way closed to that user would fail every read as EACCES, and
 * so would the modules loaded on first need (a copy installed under root's home, say).
 */
function checkOwnerReaches(dir: string, uid: number): void {
  const reachable = (path: string): boolean => {
    try {
      accessSync(path, constants.R_OK | constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (!reachable(dir)) {
    throw new LibertyError('E_PERMISSION_DENIED', `${dir}: its owner (uid ${uid}), as whom liberty-crypto works on it, cannot reach it`, {
      hint: `let uid ${uid} search the directories on the way (chmod o+x), or move the settings directory`,
    });
  }
  const code = fileURLToPath(new URL('.', import.meta.url));
  if (!reachable(code)) {
    throw new LibertyError(
      'E_PERMISSION_DENIED',
      `liberty-crypto's own files (${code}) are closed to uid ${uid}, as whom it works on ${dir}`,
      {
        hint: 'install liberty-crypto where every user can read it (npm install -g --prefix /usr/local), or run it as that user',
      },
    );
  }
}

/** setgroups, setgid, setuid, in that order (after setuid nothing else may be changed), then checked. */
function dropTo(uid: number, gid: number): void {
  try {
    process.setgroups!([]);
    process.setgid!(gid);
    process.setuid!(uid);
  } catch (error) {
    throw new LibertyError('E_PERMISSION_DENIED', `cannot act as the owner of the settings directory (uid ${uid}, gid ${gid})`, {
      hint: 'run liberty-crypto as that user',
      cause: error,
    });
  }
  if (process.getuid?.() !== uid || process.geteuid?.() !== uid || process.getegid?.() !== gid) {
    throw new LibertyError('E_PERMISSION_DENIED', `cannot act as the owner of the settings directory (uid ${uid}, gid ${gid})`, {
      hint: 'run liberty-crypto as that user',
    });
  }
}
