/**
 * status: the whole key and blob situation of a settings directory at a glance, split into problems
 * (exit 1) and warnings (exit 0).
 */
import { parseBlob, type BlobFormat } from './blob.js';
import { hasDefaultOnDisk } from './env-reference.js';
import { LibertyError } from './errors.js';
import { findTempFiles, tempFileWriter } from './fs-atomic.js';
import { describeKeys, type KeyReport } from './key-report.js';
import { createOpener, isCurrent, type Environment, type Keyring, type KeySlot } from './keyring.js';
import { plural } from './plural.js';
import { classifyField, envOnlySecret } from './secret-fields.js';
import { mapLimit, scanFile, selectFiles, type ScannedField } from './settings-scan.js';
import { isProcessAlive } from './lock-file.js';
import { APP_FILE, type Settings } from './settings.js';
import { EMPTY_SETTINGS_DIR, isEmptySettingsDir } from './settings-directory.js';
import { shellCommand } from './shell-quote.js';
import { formatKeyPath } from './toml/index.js';

export interface KeyUsage {
  env: string | null;
  keyId: string | null;
  role: 'master' | 'legacy' | null;
  v1: number;
  v2: number;
}

export interface FieldNote {
  file: string;
  key: string;
  line: number;
}

export interface StatusFinding {
  code: string;
  message: string;
  hint?: string;
}

export interface StatusReport {
  keys: KeyReport;
  /** the format the directory writes; explicit: named in app.toml (else the v1 default) */
  format: { writes: BlobFormat; explicit: boolean };
  files: number;
  /** no settings file beside app.toml and no blob (see settings-directory.ts): a new install or the wrong directory */
  empty: boolean;
  /** every blob, whole or embedded in a longer string; total = v1 + v2 + malformed */
  blobs: { total: number; v1: number; v2: number; malformed: number };
  /** blobs in the written format under the master key */
  current: number;
  byKey: KeyUsage[];
  unreadable: Array<FieldNote & { keyId: string | null; code: string; message: string }>;
  invalidFiles: Array<{ file: string; code: string; message: string }>;
  /** plaintext in secret fields; `defaultOf`: the text is the default of a ${NAME:-default} reference */
  plaintextSecrets: Array<FieldNote & { locked: boolean; empty: boolean; defaultOf?: string }>;
  /** values that are a ${NAME} reference, which the framework takes from the environment */
  envReferences: Array<FieldNote & { env: string; set: boolean; hasDefault: boolean }>;
  /** URLs that carry a plaintext password */
  urlPasswords: FieldNote[];
  /** values under secret field names that are not strings (a number, an array): plaintext that cannot be sealed */
  nonStringSecrets: Array<Omit<FieldNote, 'line'> & { locked: boolean; type: string }>;
  /** fields whose value holds the text of a configured key (the variable's name, never the value) */
  keysInFiles: Array<FieldNote & { env: string }>;
  unusedLegacyKeys: string[];
  envOnlySecrets: Array<FieldNote & { what: string; env: string }>;
  /** temporary files an interrupted write left behind (they may hold plaintext) */
  leftoverTempFiles: string[];
  problems: StatusFinding[];
  warnings: StatusFinding[];
}

export interface StatusOptions {
  /** called (and awaited) with the number of files before the first is read */
  onFiles?: (total: number) => Promise<void> | void;
  /** called as each file is done, with the count done and the number of files */
  onProgress?: (done: number, total: number) => void;
  /** only these settings files (canonical names the crawl finds; see status-scope.ts), else every file */
  only?: readonly string[];
}

export async function collectStatus(
  settings: Settings,
  keyring: Keyring,
  env: Environment,
  options: StatusOptions = {},
): Promise<StatusReport> {
  const keys = describeKeys(keyring);
  // status reports a fingerprint mismatch instead of stopping at it: open blobs without that check
  const opener = createOpener(keyring, { skipFingerprintCheck: true });
  const only = options.only;
  const files = (await selectFiles(settings.dir)).filter((file) => !only || only.includes(file));
  const report: StatusReport = {
    keys,
    format: { writes: keyring.format, explicit: settings.crypto.formatExplicit },
    files: files.length,
    empty: false,
    blobs: { total: 0, v1: 0, v2: 0, malformed: 0 },
    current: 0,
    byKey: [],
    unreadable: [],
    invalidFiles: [],
    plaintextSecrets: [],
    envReferences: [],
    urlPasswords: [],
    nonStringSecrets: [],
    keysInFiles: [],
    unusedLegacyKeys: [],
    envOnlySecrets: [],
    leftoverTempFiles: await findLeftoverTempFiles(settings.dir),
    problems: [],
    warnings: [],
  };
  const usage = new Map<string, KeyUsage>();
  const use = (slotEnv: string | null, keyId: string | null, role: KeyUsage['role']) => {
    const id = `${slotEnv}|${keyId}`;
    if (!usage.has(id)) usage.set(id, { env: slotEnv, keyId, role, v1: 0, v2: 0 });
    return usage.get(id)!;
  };

  const keyTexts = keyTextsOf(keyring);
  await options.onFiles?.(files.length);
  let done = 0;
  await mapLimit(files, 8, async (file) => {
    await noteFile(file);
    options.onProgress?.(++done, files.length);
  });
  async function noteFile(file: string): Promise<void> {
    const scan = await scanFile(settings.dir, file, settings.fields);
    if (!scan.ok) {
      report.invalidFiles.push({ file, code: scan.error.code, message: scan.error.message });
      return;
    }
    noteNonStringSecrets(report, file, scan.document.data, settings.fields);
    await Promise.all(
      scan.fields.map(async (field) => {
        const note = { file, key: formatKeyPath(field.path), line: field.line };
        noteKeyInFile(report, note, field, keyTexts);
        noteEnvOnly(report, note, field);
        noteReference(report, note, field, env);
        if (!field.encrypted) {
          noteUrlPassword(report, note, field);
          if (field.fieldClass === 'other') return;
          if (field.reference && !hasDefaultOnDisk(field.reference)) return; // from the environment: no secret here
          const locked = field.fieldClass === 'locked';
          const defaultOf = field.reference?.name;
          report.plaintextSecrets.push({ ...note, locked, empty: field.value === '', ...(defaultOf ? { defaultOf } : {}) });
          return;
        }
        await Promise.all(
          field.blobs.map(async (span, index) => {
            const blobNote = field.blobs.length > 1 ? { ...note, key: `${note.key}#${index + 1}` } : note;
            report.blobs.total += 1;
            let kid: string | null = null;
            let parsed = false;
            try {
              const blob = parseBlob(span.text);
              parsed = true;
              kid = blob.format === 'v2' ? blob.kid : null;
              report.blobs[blob.format] += 1;
              const opened = await opener.open(blob);
              use(opened.slot.env, opened.slot.key.kid, opened.slot.role)[blob.format] += 1;
              if (isCurrent(keyring, opened)) report.current += 1;
            } catch (error) {
              if (!(error instanceof LibertyError)) throw error;
              if (!parsed) report.blobs.malformed += 1;
              if (kid) use(null, kid, null).v2 += 1;
              // without a master key nothing opens: that is one problem, reported once below
              if (error.code === 'E_MASTER_KEY_NOT_SET') return;
              report.unreadable.push({ ...blobNote, keyId: kid, code: error.code, message: error.message });
            }
          }),
        );
      }),
    );
  }

  report.byKey = [...usage.values()].sort((a, b) => rank(a) - rank(b));
  const usedLegacy = new Set(report.byKey.filter((entry) => entry.role === 'legacy').map((entry) => entry.env));
  report.unusedLegacyKeys = keyring.legacy.filter((slot) => slot.key && !usedLegacy.has(slot.env)).map((slot) => slot.env);
  report.empty = isEmptySettingsDir(files, report.blobs.total);
  sortNotes(report);
  judge(report, keyring, settings);
  return report;
}

/** Temporary files whose writer is gone (a live writer's file is a write in progress). */
async function findLeftoverTempFiles(dir: string): Promise<string[]> {
  const found = await findTempFiles(dir);
  return found.filter((file) => !isProcessAlive(tempFileWriter(file.slice(file.lastIndexOf('/') + 1))!)).sort();
}

function rank(entry: KeyUsage): number {
  return entry.role === 'master' ? 0 : entry.role === 'legacy' ? 1 : 2;
}

/** The text of every loaded key long enough not to match by chance, with its variable's name. */
function keyTextsOf(keyring: Keyring): Array<{ env: string; text: string }> {
  return [keyring.master, ...keyring.legacy]
    .filter((slot) => slot.key && slot.key.passphrase.length >= 16)
    .map((slot) => ({ env: slot.env, text: slot.key!.passphrase.toString('utf8') }));
}

function noteKeyInFile(report: StatusReport, note: FieldNote, field: ScannedField, keyTexts: Array<{ env: string; text: string }>): void {
  const found = keyTexts.find((key) => field.value.includes(key.text) || field.value.toLowerCase().includes(key.text.toLowerCase()));
  if (found) report.keysInFiles.push({ ...note, env: found.env });
}

/** Values under secret field names that are not strings: `password = 123456`, `api_key = ["k1"]`. */
function noteNonStringSecrets(report: StatusReport, file: string, data: unknown, rules: Settings['fields'], path: string[] = []): void {
  if (typeof data !== 'object' || data === null || data instanceof Date) return;
  for (const [key, value] of Object.entries(data)) {
    const itemPath = [...path, key];
    const fieldClass = classifyField(rules, itemPath);
    if (fieldClass !== 'other' && typeof value !== 'string') {
      const type = Array.isArray(value)
        ? 'an array'
        : value instanceof Date
          ? 'a date'
          : typeof value === 'object'
            ? 'a table'
            : `a ${typeof value === 'bigint' ? 'number' : typeof value}`;
      report.nonStringSecrets.push({ file, key: formatKeyPath(itemPath), locked: fieldClass === 'locked', type });
      continue;
    }
    noteNonStringSecrets(report, file, value, rules, itemPath);
  }
}

function noteEnvOnly(report: StatusReport, note: FieldNote, field: ScannedField): void {
  if (field.value === '' || (field.reference && !hasDefaultOnDisk(field.reference))) return;
  if (note.file === APP_FILE && field.path[0] === 'crypto') return; // key references: judged with the keys
  const envOnly = envOnlySecret(field.path);
  if (envOnly) report.envOnlySecrets.push({ ...note, ...envOnly });
}

function noteReference(report: StatusReport, note: FieldNote, field: ScannedField, env: Environment): void {
  // app.toml [crypto] names the keys: the key table shows those
  if (!field.reference || (note.file === APP_FILE && field.path[0] === 'crypto')) return;
  const { name } = field.reference;
  report.envReferences.push({ ...note, env: name, set: Boolean(env[name]), hasDefault: field.reference.fallback !== undefined });
}

/** `scheme://user:password@host`: the password part, when it is plain text (not a blob, not empty). */
const URL_WITH_PASSWORD = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:\s]*:([^/?#@\s]+)@/;

function noteUrlPassword(report: StatusReport, note: FieldNote, field: ScannedField): void {
  if (field.reference) return;
  const password = URL_WITH_PASSWORD.exec(field.value)?.[1];
  if (password === undefined || /^\$\{[^}]*\}$/.test(password)) return;
  report.urlPasswords.push(note);
}

function sortNotes(report: StatusReport): void {
  const byPlace = (a: FieldNote, b: FieldNote) =>
    a.file === b.file ? a.line - b.line || (a.key < b.key ? -1 : 1) : a.file < b.file ? -1 : 1;
  report.unreadable.sort(byPlace);
  report.plaintextSecrets.sort(byPlace);
  report.envReferences.sort(byPlace);
  report.urlPasswords.sort(byPlace);
  report.keysInFiles.sort(byPlace);
  report.nonStringSecrets.sort((a, b) => (a.file === b.file ? (a.key < b.key ? -1 : 1) : a.file < b.file ? -1 : 1));
  report.envOnlySecrets.sort(byPlace);
  report.invalidFiles.sort((a, b) => (a.file < b.file ? -1 : 1));
}

const ROTATE_HINT = 'export NEW=$(liberty-crypto genkey), then liberty-crypto keys rotate --to NEW and liberty-crypto rewrap';

function judge(report: StatusReport, keyring: Keyring, settings: Settings): void {
  const { problems, warnings, keys } = report;
  const problem = (code: string, message: string, hint?: string) => problems.push({ code, message, ...(hint ? { hint } : {}) });
  const warning = (code: string, message: string, hint?: string) => warnings.push({ code, message, ...(hint ? { hint } : {}) });
  const format = keyring.format;

  if (keys.matches === false) {
    problem(
      'E_FINGERPRINT_MISMATCH',
      `master key fingerprint mismatch: ${keys.master.env} has key id ${keys.master.keyId}, app.toml stores ${keys.stored!.slice(0, 8)}`,
      'load the right key, or run liberty-crypto fingerprint --write after a deliberate change',
    );
  }
  for (const { field, env } of settings.crypto.keyDefaultsOnDisk) {
    problem(
      'E_KEY_ON_DISK',
      `app.toml: ${field}: the default of \${${env}:-...} is a key written on disk; it is never used`,
      `write "\${${env}}" without a default, export ${env}, and rotate that key: it is in the file's history`,
    );
  }
  const slots: KeySlot[] = [keyring.master, ...keyring.legacy];
  for (const slot of slots) {
    if (slot.key?.published) {
      problem(
        'E_KEY_PUBLISHED',
        `${slot.env} holds the published stock passphrase of old Liberty installs: anyone can open the blobs it sealed`,
        `rotate now (${ROTATE_HINT}, then drop it) and treat every secret sealed under it as exposed`,
      );
    }
    if (format === 'v1' && slot.key?.mixedCaseHex) {
      problem(
        'MIXED_CASE_KEY',
        `${slot.env} is a hex key with upper-case letters: under v1 the key's text counts, so a replica spelling it otherwise cannot open these blobs`,
        `export ${slot.env} in lower case, as liberty-crypto genkey prints it`,
      );
    }
  }
  if (!keys.master.set && report.blobs.total > 0) {
    const stored = keys.stored ? `the key app.toml's fingerprint names (key id ${keys.stored.slice(0, 8)})` : 'the master key';
    problem(
      'E_MASTER_KEY_NOT_SET',
      `master key not set (${keys.master.env} is empty) and ${plural(report.blobs.total, 'blob')} exist`,
      `export ${stored} as ${keys.master.env}`,
    );
  } else if (keys.master.set && keys.master.passphrase && format === 'v2') {
    problem(
      'E_MASTER_KEY_MALFORMED',
      `master key ${keys.master.env} cannot seal v2 blobs: it is not 64 hex characters`,
      `generate a key with liberty-crypto genkey and rotate to it (keys rotate --to NAME)`,
    );
  } else if (keys.master.set && keys.master.passphrase && !keyring.master.key?.published) {
    warning(
      'PASSPHRASE_MASTER',
      `master key ${keys.master.env} is a passphrase: v1 blobs sealed with it are only as strong as that text`,
      `rotate to a generated key: ${ROTATE_HINT}`,
    );
  }
  const onLegacy = report.byKey.filter((entry) => entry.role === 'legacy').reduce((sum, entry) => sum + entry.v1 + entry.v2, 0);
  const other: BlobFormat = format === 'v1' ? 'v2' : 'v1';
  const otherFormat = report.byKey.filter((entry) => entry.role === 'master').reduce((sum, entry) => sum + entry[other], 0);
  if (onLegacy > 0)
    problem(
      'LEGACY_KEY_BLOBS',
      `${plural(onLegacy, 'blob')} still ${onLegacy === 1 ? 'uses a legacy key' : 'use legacy keys'}`,
      'run liberty-crypto rewrap',
    );
  if (otherFormat > 0) {
    const why = format === 'v1' ? 'the framework reads only v1' : 'app.toml [crypto] format is v2';
    problem(
      'FORMAT_BLOBS',
      `${plural(otherFormat, 'blob')} under the master key ${otherFormat === 1 ? 'is' : 'are'} ${other}, but this directory writes ${format} (${why})`,
      `run liberty-crypto rewrap to re-seal them as ${format}`,
    );
  }
  for (const blob of report.unreadable) {
    const masterKid = keyring.master.key?.kid;
    const underMaster = blob.keyId !== null && blob.keyId === masterKid;
    if (underMaster && blob.code === 'E_AUTH_FAILED') {
      // the master's key id and a failing tag: the blob was changed after it was sealed (the seed's failure table)
      problem(
        blob.code,
        `${blob.file}:${blob.key}: tampered blob: the master key's id, but the tag does not match`,
        'a blob was edited by hand, or the wrong key is loaded: re-encrypt the value from its plaintext source; never edit ciphertext by hand',
      );
      continue;
    }
    problem(
      blob.code,
      `${blob.file}:${blob.key}: unreadable blob${blob.keyId && !underMaster ? ` (key id ${blob.keyId})` : ''}: ${blob.message}`,
    );
  }
  for (const field of report.keysInFiles) {
    problem(
      'KEY_IN_FILE',
      `${field.file}:${field.key}: holds the value of the key ${field.env}`,
      `remove it and rotate ${field.env}: a key written into a settings file is in its history`,
    );
  }
  for (const field of report.nonStringSecrets) {
    const message = `${field.file}:${field.key}: a secret field holds ${field.type}, not a string: it is plaintext and cannot be encrypted`;
    const hint = 'write it as a string, then run liberty-crypto encrypt FILE:KEY --existing';
    if (field.locked) problem('NON_STRING_SECRET', message, hint);
    else warning('NON_STRING_SECRET', message, hint);
  }
  for (const file of report.invalidFiles) problem(file.code, file.message);
  for (const field of report.plaintextSecrets) {
    if (field.empty) continue; // an empty value, like the empty password of a local SQLite pool, holds no secret
    if (field.defaultOf) {
      const message = `${field.file}:${field.key}: the default of \${${field.defaultOf}:-...} is a plaintext secret on disk`;
      const hint = `write "\${${field.defaultOf}}" without a default and export ${field.defaultOf}`;
      if (field.locked) problem('LOCKED_FIELD_PLAIN', message, hint);
      else warning('PLAINTEXT_SECRET', message, hint);
      continue;
    }
    const hint = `run ${shellCommand('liberty-crypto', 'encrypt', `${field.file}:${field.key}`, '--existing')}`;
    if (field.locked) problem('LOCKED_FIELD_PLAIN', `${field.file}:${field.key}: locked field is in plain text`, hint);
    else warning('PLAINTEXT_SECRET', `${field.file}:${field.key}: secret field is in plain text`, hint);
  }
  for (const field of report.urlPasswords) {
    warning(
      'PLAINTEXT_URL_PASSWORD',
      `${field.file}:${field.key}: the URL holds a plaintext password`,
      'replace the password with a blob from liberty-crypto encrypt (the framework opens blobs inside URLs), or take the URL from the environment as ${NAME}',
    );
  }
  for (const slotEnv of report.unusedLegacyKeys) {
    warning(
      'UNUSED_LEGACY_KEY',
      `legacy key ${slotEnv} is used by no blob`,
      `drop it: ${shellCommand('liberty-crypto', 'keys', 'drop-legacy', slotEnv)}`,
    );
  }
  for (const file of report.leftoverTempFiles) {
    problem(
      'LEFTOVER_TEMP_FILE',
      `${file}: temporary file left by an interrupted write; it may hold plaintext`,
      'the next write under the settings lock removes it (liberty-crypto rewrap, for one); or check and delete it',
    );
  }
  if (report.empty) warning(EMPTY_SETTINGS_DIR.code, EMPTY_SETTINGS_DIR.message, EMPTY_SETTINGS_DIR.hint);
  for (const field of report.envOnlySecrets) {
    warning(
      'ENV_ONLY_SECRET',
      `${field.file}:${field.key}: the ${field.what} belongs in the environment, not in a settings file`,
      `move it to ${field.env}`,
    );
  }
}
