/**
 * Writes into settings files: a new secret into a field, the plain-to-encrypted toggle of one field or of
 * every secret field, the encrypted-to-plain toggle, and the stored fingerprint. Callers hold the
 * settings lock. Every new blob is opened again and compared before the file is written atomically.
 * Audited writes take `WriteHooks`: `before` runs once every check has passed, just before the file changes.
 */
import { holdsBlob } from './blob.js';
import { canonicalSettingsPath } from './crawl.js';
import { parseEnvReference } from './env-reference.js';
import { LibertyError } from './errors.js';
import { formatFieldRef, type FieldRef } from './field-ref.js';
import { stringAt } from './field-value.js';
import { createOpener, openValue, requireSealingKey, sealVerified, type Keyring } from './keyring.js';
import type { Key } from './keys.js';
import { classifyField } from './secret-fields.js';
import { mapLimit, scanFileWith, scanPlainSecrets, selectFiles, type PlainSecret } from './settings-scan.js';
import { APP_FILE, readAppDocument, readSettingsFile, writeSettingsFile, type Settings, type SettingsDocument } from './settings.js';
import { applyEdits, formatKeyPath, valueAt, type FieldEdit, type TomlDocument } from './toml/index.js';
import { NO_WRITE_HOOKS, writeAhead, type WriteHooks } from './write-ahead.js';
import { shellCommand } from './shell-quote.js';

export const FINGERPRINT_PATH = ['crypto', 'fingerprint'] as const;

export interface FieldWrite {
  field: string;
  keyId: string;
}

export interface EncryptFieldResult extends FieldWrite {
  /** false when --existing found the value already encrypted and wrote nothing */
  written: boolean;
  /** true when the write replaced a value the field already held (never with --existing) */
  replaced: boolean;
  /** true when this write also stored the master fingerprint in app.toml */
  storedFingerprint: boolean;
}

export interface WriteContext {
  settings: Settings;
  keyring: Keyring;
}

/**
 * app.toml [crypto] is the key configuration (${NAME} references, the fingerprint, the field lists):
 * a blob there would leave every command unable to find its keys.
 */
function refuseCryptoConfig(settings: Settings, ref: FieldRef): void {
  if (ref.path[0] !== 'crypto' || canonicalSettingsPath(ref.file) !== APP_FILE) return;
  throw new LibertyError('E_USAGE', `${formatFieldRef(ref)}: app.toml [crypto] configures the keys and holds no secret to encrypt`, {
    hint: 'keys live in the environment: see liberty-crypto keys rotate and fingerprint --write',
    file: APP_FILE,
  });
}

export interface EncryptIntoOptions {
  /** refuse (E_FIELD_EXISTS) when the field already holds a value: a pipeline that only fills gaps */
  noReplace?: boolean;
}

/** encrypt FILE:KEY: seals a new plaintext into the field, creating the key or table if absent. */
export async function encryptIntoField(
  ctx: WriteContext,
  ref: FieldRef,
  plaintext: string,
  hooks: WriteHooks<FieldWrite> = NO_WRITE_HOOKS,
  options: EncryptIntoOptions = {},
): Promise<EncryptFieldResult> {
  refuseCryptoConfig(ctx.settings, ref);
  const key = requireSealingKey(ctx.keyring);
  const document = await readSettingsFile(ctx.settings.dir, ref.file);
  checkTargetIsString(document, ref);
  const previous = valueAt(document.data, ref.path) as string | undefined;
  const replaced = previous !== undefined && previous !== '';
  if (replaced && options.noReplace) {
    throw new LibertyError('E_FIELD_EXISTS', `${formatFieldRef(ref)}: the field already holds a value; nothing written (--no-replace)`, {
      hint: 'leave out --no-replace to replace it',
      file: ref.file,
    });
  }
  const blob = await sealVerified(ctx.keyring, key, plaintext, ref.file);
  const write = { field: formatFieldRef(ref), keyId: key.kid };
  const storedFingerprint = await writeWithFingerprint(ctx, key, document, [{ path: ref.path, value: blob }], [write], hooks);
  return { ...write, written: true, replaced, storedFingerprint };
}

/** encrypt FILE:KEY --existing: the toggle from plain to encrypted of the value already there. */
export async function encryptExistingField(
  ctx: WriteContext,
  ref: FieldRef,
  hooks: WriteHooks<FieldWrite> = NO_WRITE_HOOKS,
): Promise<EncryptFieldResult> {
  refuseCryptoConfig(ctx.settings, ref);
  const key = requireSealingKey(ctx.keyring);
  const document = await readSettingsFile(ctx.settings.dir, ref.file);
  const value = stringAt(document.data, ref);
  if (holdsBlob(value)) return { field: formatFieldRef(ref), keyId: key.kid, written: false, replaced: false, storedFingerprint: false };
  refuseEnvReference(ref, value);
  const blob = await sealVerified(ctx.keyring, key, value, ref.file);
  const write = { field: formatFieldRef(ref), keyId: key.kid };
  const storedFingerprint = await writeWithFingerprint(ctx, key, document, [{ path: ref.path, value: blob }], [write], hooks);
  return { ...write, written: true, replaced: false, storedFingerprint };
}

/**
 * A `${NAME}` value is the framework's pointer into the environment: sealing its text would destroy the
 * indirection (the framework would then read the literal `${NAME}` as the secret).
 */
function refuseEnvReference(ref: FieldRef, value: string): void {
  const reference = parseEnvReference(value);
  if (!reference) return;
  throw new LibertyError(
    'E_USAGE',
    `${formatFieldRef(ref)}: the value is a reference to the environment variable ${reference.name}, not a secret to encrypt`,
    {
      hint: `the framework reads ${reference.name} from the environment; to store an encrypted value here instead, pipe it to ${shellCommand('liberty-crypto', 'encrypt', formatFieldRef(ref))}`,
      file: ref.file,
    },
  );
}

export interface EncryptAllResult {
  encrypted: FieldWrite[];
  /** secret fields left plain because they are empty (an empty value holds no secret) */
  skippedEmpty: string[];
  /** secret fields left as they are because they take their value from the environment (${NAME}) */
  skippedReferences: string[];
  storedFingerprint: boolean;
}

/**
 * encrypt --all: the plain-to-encrypted toggle for every non-empty plaintext in a secret field. Files are
 * written one after another; `hooks.before` runs once per file, with all the fields of that file (one
 * batch: their lines are appended with one fsync), just before that file is written. A field is what a
 * line names, and a file is the unit that changes atomically, so each file's lines precede its write, and
 * a failure stops the run with every earlier file written and logged and no later one touched.
 */
export async function encryptAllSecretFields(ctx: WriteContext, hooks: WriteHooks<FieldWrite> = NO_WRITE_HOOKS): Promise<EncryptAllResult> {
  const key = requireSealingKey(ctx.keyring);
  const files = await selectFiles(ctx.settings.dir);
  const result: EncryptAllResult = { encrypted: [], skippedEmpty: [], skippedReferences: [], storedFingerprint: false };
  const scans = await mapLimit(files, 8, (file) => scanFileWith(ctx.settings.dir, file, ctx.settings.fields, scanPlainSecrets));
  const opener = createOpener(ctx.keyring);
  for (const scan of scans) {
    if (!scan.ok) throw scan.error;
  }
  for (const scan of scans) {
    if (!scan.ok) continue;
    const plain = scan.fields;
    const toSeal: PlainSecret[] = [];
    const writes: FieldWrite[] = [];
    for (const field of plain) {
      const label = `${scan.file}:${formatKeyPath(field.path)}`;
      if (field.value === '') result.skippedEmpty.push(label);
      else if (field.reference) result.skippedReferences.push(label);
      else {
        toSeal.push(field);
        writes.push({ field: label, keyId: key.kid });
      }
    }
    // sealed all at once: v1 derives each new key on the thread pool
    const sealed = await Promise.all(toSeal.map((field) => sealVerified(ctx.keyring, key, field.value, scan.file, opener)));
    const edits: FieldEdit[] = toSeal.map((field, index) => ({ path: field.path, value: sealed[index] }));
    if (edits.length > 0) {
      result.storedFingerprint = (await writeWithFingerprint(ctx, key, scan.document, edits, writes, hooks)) || result.storedFingerprint;
      result.encrypted.push(...writes);
    }
  }
  return result;
}

/** The field `writeFieldPlain` switches to plain text, for the hooks. */
export interface PlainWrite {
  field: string;
  keyId: string;
}

/**
 * decrypt FILE:KEY --to-plain: writes the plaintext back into the field. Refused on a locked field;
 * undefined when the field holds no blob (already plain: nothing written).
 * `hooks.before` runs once the blob has opened and before the file changes (the audit line goes there).
 */
export async function writeFieldPlain(
  ctx: WriteContext,
  ref: FieldRef,
  hooks: WriteHooks<PlainWrite> = NO_WRITE_HOOKS,
): Promise<PlainWrite | undefined> {
  if (classifyField(ctx.settings.fields, ref.path) === 'locked') {
    throw new LibertyError('E_FIELD_LOCKED', `${formatFieldRef(ref)}: field is locked: it is always encrypted`, {
      hint: 'locked fields are set in app.toml [crypto.fields] locked',
    });
  }
  const document = await readSettingsFile(ctx.settings.dir, ref.file);
  const value = stringAt(document.data, ref);
  if (!holdsBlob(value)) return undefined; // already plain: the toggle is idempotent, nothing to write
  const opened = await openValue(ctx.keyring, value);
  const text = applyEdits(document, [{ path: ref.path, value: opened.text }]);
  const write: PlainWrite = { field: formatFieldRef(ref), keyId: opened.opened[0].slot.key.kid };
  // The plaintext file is left owned by the user running the command, not handed to the previous owner:
  // that owner may be a local user who planted or took over the file and would then read the plaintext.
  // Refusing instead would block the common case of a settings file owned by the service account; an
  // operator who wants the plaintext readable by another user grants that deliberately.
  await writeAhead(hooks, [write], () => writeSettingsFile(document, text, { keepOwner: false }));
  return write;
}

/** The key whose fingerprint `storeMasterFingerprint` stores: names only, for the hooks. */
export interface StoredFingerprint {
  env: string;
  keyId: string;
}

/** fingerprint --write: stores the current master fingerprint in app.toml [crypto]; false when already stored. */
export async function storeMasterFingerprint(
  ctx: WriteContext,
  key: Key,
  hooks: WriteHooks<StoredFingerprint> = NO_WRITE_HOOKS,
): Promise<boolean> {
  const document = await readAppDocument(ctx.settings);
  if (ctx.settings.crypto.storedFingerprint === key.fingerprint) return false;
  const text = applyEdits(document, [{ path: FINGERPRINT_PATH, value: key.fingerprint }]);
  await writeAhead(hooks, [{ env: key.env, keyId: key.kid }], () => writeSettingsFile(document, text));
  return true;
}

/**
 * Writes `edits` into `document` (announced as `writes` to `hooks`), and stores the master fingerprint in
 * app.toml when none is stored yet: in the same write when the document is app.toml, else right after it
 * (both texts are made before the hooks run). Returns whether the fingerprint was stored.
 */
async function writeWithFingerprint(
  ctx: WriteContext,
  key: Key,
  document: SettingsDocument,
  edits: FieldEdit[],
  writes: FieldWrite[],
  hooks: WriteHooks<FieldWrite>,
): Promise<boolean> {
  const fingerprint: FieldEdit = { path: FINGERPRINT_PATH, value: key.fingerprint };
  const storeFingerprint = !ctx.settings.crypto.storedFingerprint;
  const app = storeFingerprint ? await readAppDocument(ctx.settings) : undefined;
  // the same file also when the document is a link to app.toml: one write, or the second would be refused
  const sameFile = app !== undefined && app.origin.path === document.origin.path;
  const text = applyEdits(document, sameFile ? [...edits, fingerprint] : edits);
  const appText = app && !sameFile ? applyEdits(app, [fingerprint]) : undefined;
  await writeAhead(hooks, writes, () => writeSettingsFile(document, text));
  // the fields are written after their lines; a failure to store the fingerprint now is the command's error,
  // not a failed line for fields that did change
  if (app && appText !== undefined) await writeSettingsFile(app, appText);
  if (storeFingerprint) ctx.settings.crypto.storedFingerprint = key.fingerprint;
  return storeFingerprint;
}

function checkTargetIsString(document: TomlDocument, ref: FieldRef): void {
  const value = valueAt(document.data, ref.path);
  if (value !== undefined && typeof value !== 'string') {
    throw new LibertyError('E_BAD_SETTINGS', `${formatFieldRef(ref)}: not a string value`, { file: ref.file });
  }
}
