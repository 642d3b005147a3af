/**
 * Rotation from the command line, on app.toml [crypto]: make a new key the master (the previous master
 * becomes the first legacy key), and drop a legacy key once no blob needs it.
 */
import { tryParseBlob } from './blob.js';
import { formatEnvRef, isEnvName } from './crypto-config.js';
import { LibertyError } from './errors.js';
import { createOpener, type Environment, type Keyring } from './keyring.js';
import { readKeyText } from './key-sources.js';
import { isHexKey, parseKey } from './keys.js';
import { mapLimit, scanFile, selectFiles } from './settings-scan.js';
import { readAppDocument, writeSettingsFile, type Settings } from './settings.js';
import { applyEdits, type FieldEdit, isTable } from './toml/index.js';
import { NO_WRITE_HOOKS, writeAhead, type WriteHooks } from './write-ahead.js';

export interface RotationResult {
  from: string;
  to: string;
  keyId: string;
  fingerprint: string;
  legacy: string[];
}

/**
 * NAME arguments name a variable, never hold a key: checked before anything is logged or looked up, so a
 * key or passphrase given in the wrong place goes nowhere (a 64-hex "name" is a key pasted by mistake).
 */
export function checkEnvName(name: string, flag: string): void {
  if (!isEnvName(name) || isHexKey(name)) {
    throw new LibertyError('E_USAGE', `${flag}: not an environment variable name`, {
      hint: 'give the name only, e.g. LIBERTY_MASTER_KEY_NEW',
    });
  }
}

/**
 * keys rotate --to NAME: NAME must hold a 64-hex key; app.toml gets the new master, legacy list and fingerprint.
 * `hooks.before` gets the result just before app.toml changes.
 */
export async function rotateMasterKey(
  settings: Settings,
  env: Environment,
  to: string,
  hooks: WriteHooks<RotationResult> = NO_WRITE_HOOKS,
): Promise<RotationResult> {
  checkEnvName(to, '--to');
  const value = readKeyText(to, env)?.value;
  if (!value) {
    throw new LibertyError('E_KEY_NOT_SET', `crypto: key not set (${to} is empty)`, {
      hint: `generate one and export it first: export ${to}=$(liberty-crypto genkey)`,
    });
  }
  if (!isHexKey(value)) {
    throw new LibertyError('E_KEY_MALFORMED', `crypto: ${to} is malformed: a master key must be 64 hex characters`, {
      hint: 'generate a key with liberty-crypto genkey',
    });
  }
  if (settings.crypto.format === 'v1' && value !== value.toLowerCase()) {
    throw new LibertyError(
      'E_KEY_MALFORMED',
      `crypto: ${to} has upper-case hex letters: v1 blobs derive from the key's text, so replicas must spell it alike`,
      {
        hint: `export ${to} in lower case, as liberty-crypto genkey prints it`,
      },
    );
  }
  const from = settings.crypto.masterEnv;
  if (from === to) throw new LibertyError('E_USAGE', `${to} is already the master key`);
  refuseSameKey(settings, env, to, value);
  const legacy = [...new Set([from, ...settings.crypto.legacyEnvs])].filter((name) => name !== to);
  const key = parseKey(to, value);
  const result = { from, to, keyId: key.kid, fingerprint: key.fingerprint, legacy };
  await editApp(
    settings,
    [
      { path: ['crypto', 'master_key'], value: formatEnvRef(to) },
      { path: ['crypto', 'legacy_keys'], value: legacyRefs(settings, legacy) },
      { path: ['crypto', 'fingerprint'], value: key.fingerprint },
    ],
    hooks,
    result,
  );
  return result;
}

/**
 * A rotation to the key that is already the master (a typo in a vault path, the old secret exported under
 * the new name) would look finished while nothing changed.
 */
function refuseSameKey(settings: Settings, env: Environment, to: string, value: string): void {
  const current = readKeyText(settings.crypto.masterEnv, env)?.value;
  const fingerprint = parseKey(to, value).fingerprint;
  const same =
    (current !== undefined && current !== '' && parseKey(settings.crypto.masterEnv, current).fingerprint === fingerprint) ||
    settings.crypto.storedFingerprint === fingerprint;
  if (!same) return;
  throw new LibertyError('E_USAGE', `${to} holds the current master key (key id ${fingerprint.slice(0, 8)}): a rotation needs a new key`, {
    hint: `export a new key as ${to}: export ${to}=$(liberty-crypto genkey)`,
  });
}

export interface LegacyKeyUsage {
  env: string;
  total: number;
  files: Array<{ file: string; count: number }>;
}

/** Which blobs (whole or embedded) still need a legacy key: v2 blobs by key id, v1 blobs by trying the key. */
export async function findLegacyKeyUsage(settings: Settings, keyring: Keyring, name: string): Promise<LegacyKeyUsage> {
  const slot = keyring.legacy.find((candidate) => candidate.env === name);
  if (!slot) {
    throw new LibertyError('E_USAGE', `${name} is not a legacy key in app.toml [crypto] legacy_keys`, {
      hint: 'see liberty-crypto fingerprint for the configured keys',
    });
  }
  if (!slot.key) {
    throw new LibertyError('E_KEY_NOT_SET', `crypto: legacy key not set (${name} is empty): cannot tell which blobs still need it`, {
      hint: `export ${name} to check, or pass --force to drop it anyway`,
    });
  }
  const opener = createOpener(keyring, { only: slot });
  const files = await selectFiles(settings.dir);
  const counts = await mapLimit(files, 8, async (file) => {
    const scan = await scanFile(settings.dir, file, settings.fields);
    if (!scan.ok) throw scan.error;
    const needs = await Promise.all(
      scan.fields
        .flatMap((field) => field.blobs)
        .map(async (span) => {
          const blob = tryParseBlob(span.text);
          if (!blob) return false; // malformed: no key opens it, with or without this one
          if (blob.format === 'v2') return blob.kid === slot.key!.kid;
          return opener.open(blob).then(
            () => true,
            () => false,
          );
        }),
    );
    return { file, count: needs.filter(Boolean).length };
  });
  const used = counts.filter((entry) => entry.count > 0);
  return { env: name, total: used.reduce((sum, entry) => sum + entry.count, 0), files: used };
}

/**
 * keys drop-legacy NAME: removes the entry from legacy_keys and returns the legacy keys left (also given to
 * `hooks.before`, just before app.toml changes). The caller checks usage first.
 */
export async function dropLegacyKey(settings: Settings, name: string, hooks: WriteHooks<string[]> = NO_WRITE_HOOKS): Promise<string[]> {
  const legacy = settings.crypto.legacyEnvs.filter((entry) => entry !== name);
  await editApp(settings, [{ path: ['crypto', 'legacy_keys'], value: legacyRefs(settings, legacy) }], hooks, legacy);
  return legacy;
}

/**
 * keys add-legacy NAME: appends ${NAME} to legacy_keys (an install two generations old has two old
 * passphrases). NAME must be set, and be neither the master nor a legacy key already. `hooks.before` gets
 * the new list just before app.toml changes.
 */
export async function addLegacyKey(
  settings: Settings,
  env: Environment,
  name: string,
  hooks: WriteHooks<string[]> = NO_WRITE_HOOKS,
): Promise<string[]> {
  checkEnvName(name, 'NAME');
  if (name === settings.crypto.masterEnv) {
    throw new LibertyError('E_USAGE', `${name} is the master key`, { hint: 'a legacy key is an older key, kept for decryption only' });
  }
  if (settings.crypto.legacyEnvs.includes(name)) {
    throw new LibertyError('E_USAGE', `${name} is already a legacy key in app.toml [crypto] legacy_keys`);
  }
  if (!readKeyText(name, env)) {
    throw new LibertyError('E_KEY_NOT_SET', `crypto: key not set (${name} is empty)`, {
      hint: `export the old key as ${name} first`,
    });
  }
  const legacy = [...settings.crypto.legacyEnvs, name];
  await editApp(settings, [{ path: ['crypto', 'legacy_keys'], value: legacyRefs(settings, legacy) }], hooks, legacy);
  return legacy;
}

/**
 * The legacy_keys entries for the variables `names`, in that order: an entry app.toml already holds keeps
 * its own text (a `${NAME:-...}` stays as written), a new one is `${NAME}`. So the array edit adds or removes
 * entries and leaves the others, their comments and their quoting, byte for byte.
 */
function legacyRefs(settings: Settings, names: readonly string[]): string[] {
  const crypto = settings.app?.data.crypto;
  const raw: readonly unknown[] = isTable(crypto) && Array.isArray(crypto.legacy_keys) ? crypto.legacy_keys : [];
  const written = new Map(settings.crypto.legacyEnvs.map((name, index) => [name, raw[index]]));
  return names.map((name) => {
    const text = written.get(name);
    return typeof text === 'string' ? text : formatEnvRef(name);
  });
}

/** The rotation writes app.toml like any other file: byte-preserving, atomic, the hooks around the write. */
async function editApp<T>(settings: Settings, edits: FieldEdit[], hooks: WriteHooks<T>, subject: T): Promise<void> {
  const app = await readAppDocument(settings);
  const text = applyEdits(app, edits);
  await writeAhead(hooks, [subject], () => writeSettingsFile(app, text));
}
