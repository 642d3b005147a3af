/**
 * status: the whole key and blob situation of a settings directory at a glance, split into problems
 * (exit 1) and warnings (exit 0).
 */
import { parseBlob, type BlobFormat } from './blob.js';
import { hasDefaultOnDisk } from './env-reference.js';
import { LibertyError } from './errors.js';
import { findTempFiles, tempFileWriter } from './fs-atomic.js';
import { describeKeys, type KeyReport } from './key-report.js';
import { createOpener, isCurrent, type Environment, type Keyring } from './keyring.js';
import { classifyField, envOnlySecret } from './secret-fields.js';
import { mapLimit, scanFile, selectFiles, type ScannedField } from './settings-scan.js';
import { isProcessAlive } from './lock-file.js';
import { APP_FILE, type Settings } from './settings.js';
import { isEmptySettingsDir } from './settings-directory.js';
import { judge } from './status-judgement.js';
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
  /** whether the process that made a temporary file still runs (its file is then a write in progress); the real check by default */
  isWriterAlive?: (pid: number) => boolean;
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
  const report = emptyStatusReport(keys, { writes: keyring.format, explicit: settings.crypto.formatExplicit }, files.length);
  report.leftoverTempFiles = findLeftoverTempFiles(settings.dir, options.isWriterAlive ?? isProcessAlive);
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

/** A report of `files` files with nothing noted yet: what collectStatus fills in (and a test can build on). */
export function emptyStatusReport(keys: KeyReport, format: StatusReport['format'], files: number): StatusReport {
  return {
    keys,
    format,
    files,
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
    leftoverTempFiles: [],
    problems: [],
    warnings: [],
  };
}

/** Temporary files whose writer is gone (a live writer's file is a write in progress). */
function findLeftoverTempFiles(dir: string, isAlive: (pid: number) => boolean): string[] {
  return findTempFiles(dir)
    .filter((file) => !isAlive(tempFileWriter(file.slice(file.lastIndexOf('/') + 1))!))
    .sort();
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
