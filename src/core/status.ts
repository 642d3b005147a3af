/**
 * status: the whole key and blob situation of a settings directory at a glance, split into problems
 * (exit 1) and warnings (exit 0).
 */
import { parseBlob } from './blob.js';
import { isEnvName } from './crypto-config.js';
import { LibertyError } from './errors.js';
import { describeKeys, type KeyReport } from './key-report.js';
import { openParsedBlob, type Keyring } from './keyring.js';
import { envOnlySecret } from './secret-fields.js';
import { mapLimit, scanFile, selectFiles, type ScannedField } from './settings-scan.js';
import type { Settings } from './settings.js';
import { formatKeyPath } from './toml-edit.js';

export interface KeyUsage {
  env: string | null;
  keyId: string | null;
  role: 'master' | 'legacy' | null;
  v2: number;
  legacy: number;
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
  files: number;
  blobs: { total: number; v2: number; legacy: number };
  byKey: KeyUsage[];
  unreadable: Array<FieldNote & { keyId: string | null; code: string; message: string }>;
  invalidFiles: Array<{ file: string; code: string; message: string }>;
  plaintextSecrets: Array<FieldNote & { locked: boolean; empty: boolean }>;
  unusedLegacyKeys: string[];
  envOnlySecrets: Array<FieldNote & { what: string; env: string }>;
  problems: StatusFinding[];
  warnings: StatusFinding[];
}

export async function collectStatus(settings: Settings, keyring: Keyring): Promise<StatusReport> {
  const keys = describeKeys(keyring);
  // status reports a fingerprint mismatch instead of stopping at it: open blobs without that check
  const opener: Keyring = { master: keyring.master, legacy: keyring.legacy };
  const files = await selectFiles(settings.dir);
  const report: StatusReport = {
    keys,
    files: files.length,
    blobs: { total: 0, v2: 0, legacy: 0 },
    byKey: [],
    unreadable: [],
    invalidFiles: [],
    plaintextSecrets: [],
    unusedLegacyKeys: [],
    envOnlySecrets: [],
    problems: [],
    warnings: [],
  };
  const usage = new Map<string, KeyUsage>();
  const use = (env: string | null, keyId: string | null, role: KeyUsage['role']) => {
    const id = `${env}|${keyId}`;
    if (!usage.has(id)) usage.set(id, { env, keyId, role, v2: 0, legacy: 0 });
    return usage.get(id)!;
  };

  await mapLimit(files, 8, async (file) => {
    const scan = await scanFile(settings.dir, file, settings.fields);
    if (!scan.ok) {
      report.invalidFiles.push({ file, code: scan.error.code, message: scan.error.message });
      return;
    }
    await Promise.all(
      scan.fields.map(async (field) => {
        const note = { file, key: formatKeyPath(field.path), line: field.line };
        noteEnvOnly(report, note, field);
        if (!field.encrypted) {
          if (field.fieldClass !== 'other') report.plaintextSecrets.push({ ...note, locked: field.fieldClass === 'locked', empty: field.value === '' });
          return;
        }
        report.blobs.total += 1;
        let kid: string | null = null;
        try {
          const blob = parseBlob(field.value);
          kid = blob.format === 'v2' ? blob.kid : null;
          report.blobs[blob.format] += 1;
          const opened = await openParsedBlob(opener, blob);
          use(opened.slot.env, opened.slot.key.kid, opened.slot.role)[blob.format] += 1;
        } catch (error) {
          if (!(error instanceof LibertyError)) throw error;
          if (kid) use(null, kid, null).v2 += 1;
          // without a master key nothing opens: that is one problem, reported once below
          if (error.code === 'E_MASTER_KEY_NOT_SET') return;
          report.unreadable.push({ ...note, keyId: kid, code: error.code, message: error.message });
        }
      }),
    );
  });

  report.byKey = [...usage.values()].sort((a, b) => rank(a) - rank(b));
  const usedLegacy = new Set(report.byKey.filter((entry) => entry.role === 'legacy').map((entry) => entry.env));
  report.unusedLegacyKeys = keyring.legacy.filter((slot) => slot.key && !usedLegacy.has(slot.env)).map((slot) => slot.env);
  sortNotes(report);
  judge(report, keyring);
  return report;
}

function rank(entry: KeyUsage): number {
  return entry.role === 'master' ? 0 : entry.role === 'legacy' ? 1 : 2;
}

function noteEnvOnly(report: StatusReport, note: FieldNote, field: ScannedField): void {
  if (field.value === '' || isEnvRef(field.value)) return;
  const envOnly = envOnlySecret(field.path);
  if (envOnly) report.envOnlySecrets.push({ ...note, ...envOnly });
}

function isEnvRef(value: string): boolean {
  return value.startsWith('${') && value.endsWith('}') && isEnvName(value.slice(2, -1));
}

function sortNotes(report: StatusReport): void {
  const byPlace = (a: FieldNote, b: FieldNote) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1);
  report.unreadable.sort(byPlace);
  report.plaintextSecrets.sort(byPlace);
  report.envOnlySecrets.sort(byPlace);
  report.invalidFiles.sort((a, b) => (a.file < b.file ? -1 : 1));
}

function judge(report: StatusReport, keyring: Keyring): void {
  const { problems, warnings, keys } = report;
  const problem = (code: string, message: string, hint?: string) => problems.push({ code, message, ...(hint ? { hint } : {}) });
  const warning = (code: string, message: string, hint?: string) => warnings.push({ code, message, ...(hint ? { hint } : {}) });

  if (keys.matches === false) {
    problem('E_FINGERPRINT_MISMATCH', `master key fingerprint mismatch: ${keys.master.env} has key id ${keys.master.keyId}, app.toml stores ${keys.stored!.slice(0, 8)}`, 'load the right key, or run liberty-crypto fingerprint --write after a deliberate change');
  }
  if (!keys.master.set && report.blobs.total > 0) {
    problem('E_MASTER_KEY_NOT_SET', `master key not set (${keys.master.env} is empty) and ${report.blobs.total} blobs exist`, `export the master key as ${keys.master.env}`);
  } else if (keys.master.set && !keys.master.canEncrypt) {
    problem('E_MASTER_KEY_MALFORMED', `master key ${keys.master.env} cannot encrypt: it is not 64 hex characters`, 'generate a key with liberty-crypto genkey and rotate to it (keys rotate --to NAME)');
  }
  const masterKid = keyring.master.key?.kid;
  const onLegacy = report.byKey.filter((entry) => entry.role === 'legacy').reduce((sum, entry) => sum + entry.v2 + entry.legacy, 0);
  const legacyFormat = report.byKey.filter((entry) => entry.role === 'master').reduce((sum, entry) => sum + entry.legacy, 0);
  if (onLegacy > 0) problem('LEGACY_KEY_BLOBS', `${onLegacy} blobs still use legacy keys`, 'run liberty-crypto rewrap');
  if (legacyFormat > 0) problem('LEGACY_FORMAT_BLOBS', `${legacyFormat} blobs under the master key are in the legacy format`, 'run liberty-crypto rewrap to migrate them to v2');
  for (const blob of report.unreadable) {
    problem(blob.code, `${blob.file}:${blob.key}: unreadable blob${blob.keyId && blob.keyId !== masterKid ? ` (key id ${blob.keyId})` : ''}: ${blob.message}`);
  }
  for (const file of report.invalidFiles) problem(file.code, file.message);
  for (const field of report.plaintextSecrets) {
    if (field.empty) continue; // an empty value, like the empty password of a local SQLite pool, holds no secret
    if (field.locked) problem('LOCKED_FIELD_PLAIN', `${field.file}:${field.key}: locked field is in plain text`, `run liberty-crypto encrypt ${field.file}:${field.key} --existing`);
    else warning('PLAINTEXT_SECRET', `${field.file}:${field.key}: secret field is in plain text`, `run liberty-crypto encrypt ${field.file}:${field.key} --existing`);
  }
  for (const env of report.unusedLegacyKeys) {
    warning('UNUSED_LEGACY_KEY', `legacy key ${env} is used by no blob`, `drop it: liberty-crypto keys drop-legacy ${env}`);
  }
  for (const field of report.envOnlySecrets) {
    warning('ENV_ONLY_SECRET', `${field.file}:${field.key}: the ${field.what} belongs in the environment, not in a settings file`, `move it to ${field.env}`);
  }
}
