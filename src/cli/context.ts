/**
 * What the CLI hands to core: the environment map, a clock, the settings directory and who is running.
 * The only place (with the prompter) that reads process state.
 */
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Environment } from '../core/keyring.js';

export const DEFAULT_SETTINGS_DIR = './config';

export interface SettingsLocation {
  dir: string;
  /** true when the user named it (--settings or LIBERTY_SETTINGS_DIR), false for the ./config default */
  explicit: boolean;
  /** the directory as the operator named it (or ./config), for messages and hints */
  shown: string;
}

export function currentEnvironment(): Environment {
  return process.env;
}

export function resolveSettingsDir(flag: string | undefined, env: Environment = process.env): SettingsLocation {
  const named = flag ?? env.LIBERTY_SETTINGS_DIR;
  const shown = named || DEFAULT_SETTINGS_DIR;
  return { dir: resolve(shown), explicit: Boolean(named), shown };
}

export interface Identity {
  operator: string;
  osUser: string;
  host: string;
  pid: number;
}

/**
 * Who this process runs as, from its uid. A uid with no passwd entry (common in containers) is named
 * `uid:<N>`, never after $USER: the operator decides permissions and is what the audit log records, and
 * the environment is the caller's to set (`env USER=root`).
 */
export function currentOsUser(): { name: string; uid: number } {
  const uid = process.getuid?.() ?? -1;
  try {
    const info = userInfo();
    return { name: info.username, uid: info.uid };
  } catch {
    return { name: `uid:${uid}`, uid };
  }
}

let invoker: { name: string; uid: number } | undefined;

/**
 * Who ran the command, fixed at the first call: a command run as root may later act as the owner of the
 * settings directory (file-authority.ts), and the operator stays the one who ran it.
 */
export function invokingOsUser(): { name: string; uid: number } {
  invoker ??= currentOsUser();
  return invoker;
}

export function currentHost(): string {
  return hostname();
}

export const systemClock = (): Date => new Date();
