/**
 * Where a key's text comes from. `${NAME}` in app.toml [crypto] names the key; it is read, in this order:
 * - `env`: the variable NAME, when set and non-empty (as always);
 * - `credential`: the file NAME in `$CREDENTIALS_DIRECTORY`, where systemd puts what a unit's
 *   `LoadCredential=`/`SetCredentialEncrypted=` hands the service (a tmpfs only that service can read);
 * - `file`: the file named by the variable `NAME_FILE` (the Docker and Kubernetes secrets convention).
 * A file holds the key and at most one trailing newline (what `echo` and editors add). Core reads only the
 * environment map it is given (the CLI passes the process environment), never the process environment itself.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { LibertyError } from './errors.js';
import type { Environment } from './keyring.js';
import { readRegularFile } from './safe-fs.js';

export type KeySource = 'env' | 'credential' | 'file';

export interface KeyText {
  value: string;
  source: KeySource;
  /** the file it was read from (credential and file sources): a path, never the key */
  path?: string;
}

export const CREDENTIALS_DIRECTORY = 'CREDENTIALS_DIRECTORY';
/** A key is 64 hex characters or a passphrase: anything this large is not a key file. */
const MAX_KEY_FILE_BYTES = 4096;

/** The variable that names the key file of NAME: NAME_FILE. */
export function keyFileVariable(name: string): string {
  return `${name}_FILE`;
}

/** The key NAME's text and where it came from; undefined when no source holds it. */
export function readKeyText(name: string, env: Environment): KeyText | undefined {
  const value = env[name];
  if (value) return { value, source: 'env' };
  const credentials = env[CREDENTIALS_DIRECTORY];
  if (credentials && isAbsolute(credentials)) {
    const path = join(credentials, name);
    const text = readKeyFile(name, path, 'credential');
    if (text !== undefined) return { value: text, source: 'credential', path };
  }
  const fileVariable = keyFileVariable(name);
  const named = env[fileVariable];
  if (named) {
    const path = resolve(named);
    const text = readKeyFile(name, path, 'file');
    if (text === undefined) {
      throw new LibertyError('E_KEY_NOT_SET', `crypto: ${name}: ${fileVariable} names ${path}, which does not exist`, {
        hint: `point ${fileVariable} at the file that holds the key, or unset it`,
      });
    }
    return { value: text, source: 'file', path };
  }
  return undefined;
}

/**
 * The key in a file, or undefined when there is no such file. A credential is opened without following a
 * link (systemd writes real files there); NAME_FILE follows links (Kubernetes mounts each secret as a link
 * through `..data`), and the file it ends at is checked. Both must be regular files of bounded size.
 */
function readKeyFile(name: string, path: string, source: 'credential' | 'file'): string | undefined {
  let bytes: Buffer;
  let mode: number;
  try {
    const read = readRegularFile(path, path, MAX_KEY_FILE_BYTES, { followLinks: source === 'file' });
    bytes = read.bytes;
    mode = read.stats.mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof LibertyError && error.message.startsWith('cannot')) {
      // unreadable for this user: run as root, the command may act as the settings directory's owner
      const hint =
        source === 'credential'
          ? 'run the unit as the user that owns the settings directory (User=): systemd lets that user read its credentials'
          : error.hint;
      throw new LibertyError('E_IO', `crypto: ${name}: ${error.message}`, { ...(hint ? { hint } : {}), cause: error });
    }
    if (error instanceof LibertyError) {
      const hint = error.message.includes('larger than') ? 'a key file holds one key: 64 hex characters or a passphrase' : error.hint;
      throw new LibertyError('E_KEY_FILE_UNSAFE', `crypto: ${name}: ${error.message}`, { ...(hint ? { hint } : {}) });
    }
    throw error;
  }
  try {
    checkMode(name, path, source, mode);
    return keyOfFile(name, path, bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Like ssh with a private key: a key file others could read is refused. systemd gives a service that runs
 * as another user read access to its credential through an ACL, and stat shows an ACL's mask in the group
 * bits (a credential of mode 0400 reads as 0440); so a credential may show group read, never more.
 */
function checkMode(name: string, path: string, source: 'credential' | 'file', mode: number): void {
  const forbidden = source === 'credential' ? 0o037 : 0o077;
  if ((mode & forbidden) === 0) return;
  const shown = (mode & 0o777).toString(8).padStart(4, '0');
  throw new LibertyError(
    'E_KEY_FILE_UNSAFE',
    `crypto: ${name}: ${path} is readable by other users (mode ${shown}): refusing the key in it`,
    {
      hint:
        source === 'credential'
          ? 'systemd writes credentials readable by the service alone: check what put this file there'
          : `chmod 600 ${path} (Kubernetes: defaultMode: 0400 on the secret volume); then rotate the key if others could read it`,
    },
  );
}

/** The file's text less exactly one trailing newline; anything else around the key is refused, never trimmed. */
function keyOfFile(name: string, path: string, bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new LibertyError('E_KEY_MALFORMED', `crypto: ${name}: ${path} is not utf-8 text`, {
      hint: 'a key file holds the key as text: liberty-crypto genkey > FILE',
    });
  }
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (text === '') {
    throw new LibertyError('E_KEY_MALFORMED', `crypto: ${name}: ${path} holds no key`, {
      hint: 'write the key into it: liberty-crypto genkey > FILE',
    });
  }
  const where = /^\s/.test(text) ? 'starts' : /\s$/.test(text) ? 'ends' : undefined;
  if (where === undefined && !text.includes('\n')) return text;
  throw new LibertyError(
    'E_KEY_MALFORMED',
    `crypto: ${name}: ${path} ${where ? `${where} with whitespace` : 'holds more than one line'}: a key file holds the key and at most one newline`,
    {
      hint: 'write the key alone (printf %s "$KEY" > FILE, or liberty-crypto genkey > FILE): a key is used exactly as written, never trimmed',
    },
  );
}
