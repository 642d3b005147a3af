/**
 * The judgement of a status report: which of its findings are problems (status exits 1) and which are
 * warnings (exit 0), each with its code, message and hint. Reads the report and the keys; no I/O.
 */
import type { BlobFormat } from './blob.js';
import type { Keyring, KeySlot } from './keyring.js';
import { plural } from './plural.js';
import { EMPTY_SETTINGS_DIR } from './settings-directory.js';
import type { Settings } from './settings.js';
import { shellCommand } from './shell-quote.js';
import type { StatusReport } from './status.js';

const ROTATE_HINT = 'export NEW=$(liberty-crypto genkey), then liberty-crypto keys rotate --to NEW and liberty-crypto rewrap';

export function judge(report: StatusReport, keyring: Keyring, settings: Settings): void {
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
