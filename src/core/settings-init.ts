/**
 * `init`: a new settings directory starts with a minimal app.toml, so every other command finds a settings
 * directory (see settings-directory.ts) and the operator, not a default, chose where it is. The file names
 * the master key's variable and the blob format, and the fingerprint of the key when it is already set;
 * never a key. An existing app.toml is never touched (E_ALREADY_INITIALIZED, exit 9).
 */
import { mkdirSync } from 'node:fs';
import type { BlobFormat } from './blob.js';
import { checkSettingsDir } from './crawl.js';
import { formatEnvRef, readCryptoConfig } from './crypto-config.js';
import { ioError, LibertyError } from './errors.js';
import type { Key } from './keys.js';
import { readAppDocument, writeSettingsFile, type Settings } from './settings.js';
import { loadKeyring, requireSealingKey, type Environment } from './keyring.js';
import { APP_FILE, findAppFilesAbove, findAppFilesBelow, hasAppFile, notSettingsDirectory } from './settings-directory.js';
import { shellQuote } from './shell-quote.js';
import { parseTomlDocument } from './toml/index.js';
import { writeAhead, NO_WRITE_HOOKS, type WriteHooks } from './write-ahead.js';

/** Mode of a settings directory `init` creates: the keys are elsewhere, but the blobs and the log are here. */
export const NEW_SETTINGS_DIR_MODE = 0o700;

export interface InitPlan {
  masterEnv: string;
  format: BlobFormat;
  /** the master key, when its variable is set: its fingerprint is stored */
  master?: Key;
}

/** What `init` wrote: names and ids only. */
export interface InitResult {
  masterEnv: string;
  format: BlobFormat;
  /** null when the variable was not set: the first write stores it */
  fingerprint: string | null;
  keyId: string | null;
}

/**
 * Creates the settings directory itself (mode 0700) when it is missing, never its parents: a parent that
 * does not exist is most likely a typo. Returns whether it was created.
 */
export async function createSettingsDir(dir: string): Promise<boolean> {
  if (checkSettingsDir(dir)) return false;
  try {
    mkdirSync(dir, { mode: NEW_SETTINGS_DIR_MODE });
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && checkSettingsDir(dir)) return false; // made meanwhile: checked like any other
    if (code === 'ENOENT') {
      throw new LibertyError('E_IO', `cannot create the settings directory ${dir}: its parent directory does not exist`, {
        hint: 'check the path; init creates the settings directory itself, never the directories above it',
      });
    }
    throw ioError('create the settings directory', dir, error);
  }
}

/** The text of a new app.toml. */
export function initialAppText(plan: InitPlan): string {
  const lines = [
    '# written by liberty-crypto init: the keys live in the environment, app.toml names their variables',
    '[crypto]',
    `master_key = "${formatEnvRef(plan.masterEnv)}"`,
    `format = "${plan.format}"`,
    ...(plan.master ? [`fingerprint = "${plan.master.fingerprint}"`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

export function alreadyInitialized(shown: string): LibertyError {
  return new LibertyError('E_ALREADY_INITIALIZED', `${shown}: already a settings directory: it has an ${APP_FILE}; nothing written`, {
    file: APP_FILE,
    hint: 'init only starts a new install; liberty-crypto status shows this one (fingerprint --write, keys rotate change its keys)',
  });
}

/**
 * An install below the directory (what `findAppFilesBelow` found): every settings file under a directory is
 * its own, so a new install here would take that one's files, and blobs, as its own (rewrap would re-seal
 * them under this key). Refused like an existing app.toml; the hint names the likely intended directory.
 */
export function installBelow(shown: string, found: readonly string[]): LibertyError {
  const named = notSettingsDirectory(shown, found);
  return new LibertyError(
    'E_ALREADY_INITIALIZED',
    `${shown}: an install is below it (${found[0]}): its files would be settings files of this one too; nothing written`,
    {
      file: found[0],
      hint: named.hint,
    },
  );
}

/**
 * An install above the directory (what `findAppFilesAbove` found, nearest first): the new directory would be
 * a folder of it, its app.toml and blobs settings files of that install. Refused; the hint names that one.
 */
export function installAbove(shown: string, found: readonly string[]): LibertyError {
  const install = found[0];
  return new LibertyError(
    'E_ALREADY_INITIALIZED',
    `${shown}: inside the install ${install} (it has an ${APP_FILE}): its files would be settings files of that one; nothing written`,
    {
      hint: `to work on that install, pass --settings ${shellQuote(install)}; start a new one outside it`,
    },
  );
}

/**
 * Refuses a place for a new install (E_ALREADY_INITIALIZED) that has an app.toml, one up to two levels below
 * it, or one up to two levels above it; the checks `init` runs before it creates anything.
 */
export function checkInitTarget(dir: string, shown: string): void {
  if (hasAppFile(dir)) throw alreadyInitialized(shown);
  const below = findAppFilesBelow(dir);
  if (below.length > 0) throw installBelow(shown, below);
  const above = findAppFilesAbove(dir);
  if (above.length > 0) throw installAbove(shown, above);
}

/**
 * The master key `init` stores the fingerprint of: undefined when its variable is unset; when set, it must
 * be able to seal in `format` (a fingerprint of a key that cannot seal would help nobody).
 */
export function initMasterKey(masterEnv: string, format: BlobFormat, env: Environment): Key | undefined {
  const keyring = loadKeyring({ masterEnv, legacyEnvs: [], format, formatExplicit: true, keyDefaultsOnDisk: [] }, env);
  return keyring.master.key ? requireSealingKey(keyring) : undefined;
}

/**
 * Writes the new app.toml (under the settings lock, which the caller holds), refused when one exists by
 * now. `hooks.before` runs just before the write: the audit log's first line comes before the file.
 */
export async function writeInitialApp(
  settings: Settings,
  plan: InitPlan,
  shown: string,
  hooks: WriteHooks<InitResult> = NO_WRITE_HOOKS,
): Promise<InitResult> {
  const document = await readAppDocument(settings);
  // an identity means a file was read: it exists (readAppDocument returns an empty one for none)
  if (document.origin.identity) throw alreadyInitialized(shown);
  const text = initialAppText(plan);
  // what was written must read back as what was asked for
  const written = readCryptoConfig(parseTomlDocument(APP_FILE, Buffer.from(text)).data.crypto);
  if (written.masterEnv !== plan.masterEnv || written.format !== plan.format)
    throw new LibertyError('E_INTERNAL', 'init: app.toml does not read back');
  const result: InitResult = {
    masterEnv: plan.masterEnv,
    format: plan.format,
    fingerprint: plan.master?.fingerprint ?? null,
    keyId: plan.master?.kid ?? null,
  };
  // a new file: the write refuses one (or a link) that appeared since the read
  await writeAhead(hooks, [result], () => writeSettingsFile(document, text, { keepOwner: false }));
  return result;
}
