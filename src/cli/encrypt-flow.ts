/**
 * encrypt's three flows: a blob printed (no FILE:KEY), one field written (a new plaintext, or --existing
 * sealing the one it holds), and --all (every plaintext secret field). The field writes are audit-logged
 * write-ahead, a line per field (audit-events.ts).
 */
import type { FieldRef } from '../core/field-ref.js';
import {
  encryptAllSecretFields,
  encryptExistingField,
  encryptIntoField,
  type EncryptAllResult,
  type EncryptFieldResult,
} from '../core/field-writes.js';
import { sealValue, type Keyring } from '../core/keyring.js';
import { plural } from '../core/plural.js';
import type { Settings } from '../core/settings.js';
import { auditEncrypts } from './audit-events.js';
import type { CommandOutput } from './base-command.js';
import { withSettingsLock } from './with-lock.js';

export interface EncryptResult {
  blob: string;
  keyId: string;
}

/** No FILE:KEY: the blob is printed, nothing is written (and nothing logged: no secret leaves). */
export function printBlob(keyring: Keyring, keyId: string, plaintext: string, out: CommandOutput): EncryptResult {
  const blob = sealValue(keyring, plaintext);
  out.say(blob);
  return { blob, keyId };
}

/** --all: every non-empty plaintext in a secret field; empty ones and ${NAME} references are left, and said so. */
export async function encryptEverySecretField(
  settings: Settings,
  keyring: Keyring,
  keyId: string,
  out: CommandOutput,
): Promise<EncryptAllResult> {
  const result = await withSettingsLock(settings, 'encrypt --all', () =>
    encryptAllSecretFields({ settings, keyring }, auditEncrypts(settings)),
  );
  out.sayLines(result.encrypted.map((write) => [`encrypted ${write.field}`]));
  out.say(`${plural(result.encrypted.length, 'secret field')} encrypted with key ${keyId}`);
  if (result.storedFingerprint) out.note(`stored the master key fingerprint in app.toml [crypto]`);
  if (result.skippedEmpty.length > 0) out.note(`left plain (empty): ${result.skippedEmpty.join(', ')}`);
  if (result.skippedReferences.length > 0) out.note(`left as they are (from the environment): ${result.skippedReferences.join(', ')}`);
  return result;
}

/** FILE:KEY: `plaintext` sealed into the field, or (undefined: --existing) the plaintext the field holds. */
export async function encryptField(
  settings: Settings,
  keyring: Keyring,
  ref: FieldRef,
  plaintext: string | undefined,
  noReplace: boolean,
  out: CommandOutput,
): Promise<EncryptFieldResult> {
  const audit = auditEncrypts(settings);
  const result = await withSettingsLock(settings, 'encrypt', () =>
    plaintext === undefined
      ? encryptExistingField({ settings, keyring }, ref, audit)
      : encryptIntoField({ settings, keyring }, ref, plaintext, audit, { noReplace }),
  );
  if (!result.written) {
    out.say(`${result.field} is already encrypted; nothing written`);
    return result;
  }
  out.say(`${result.replaced ? 'replaced' : 'encrypted'} ${result.field} with key ${result.keyId}`);
  if (result.storedFingerprint) out.note(`stored the master key fingerprint in app.toml [crypto]`);
  return result;
}
