/**
 * The encrypted fields of a settings directory, and the blob value of one of them: what `reveal` offers
 * and shows, and what any command that picks a field to open can use.
 */
import { findBlobs, parseBlob } from './blob.js';
import { LibertyError, locateError } from './errors.js';
import { formatFieldRef, type FieldRef } from './field-ref.js';
import { stringAt } from './field-value.js';
import { mapLimit, scanFile, selectFiles } from './settings-scan.js';
import { readSettingsFile, type Settings } from './settings.js';

export interface EncryptedFields {
  /** every field holding a blob, by its FILE:KEY name, in file and document order */
  fields: Map<string, FieldRef>;
  /** the files that could not be read or parsed, each as its error */
  skipped: LibertyError[];
}

export async function listEncryptedFields(settings: Settings): Promise<EncryptedFields> {
  const files = await selectFiles(settings.dir);
  const scans = await mapLimit(files, 8, (file) => scanFile(settings.dir, file, settings.fields));
  const fields = new Map<string, FieldRef>();
  const skipped: LibertyError[] = [];
  for (const scan of scans) {
    if (!scan.ok) {
      skipped.push(scan.error);
      continue;
    }
    for (const found of scan.fields) {
      if (!found.encrypted) continue;
      const ref = { file: scan.file, path: found.path };
      fields.set(formatFieldRef(ref), ref);
    }
  }
  return { fields, skipped };
}

/** The value of a field holding a blob (whole or embedded), each blob checked to parse; a plain value is E_NOT_ENCRYPTED. */
export async function readEncryptedValue(settings: Settings, ref: FieldRef): Promise<string> {
  const field = formatFieldRef(ref);
  const value = stringAt((await readSettingsFile(settings.dir, ref.file)).data, ref);
  const spans = findBlobs(value);
  if (spans.length === 0) {
    throw new LibertyError('E_NOT_ENCRYPTED', `${field}: not encrypted: the field holds a plain value`, {
      file: ref.file,
      hint: 'reveal shows encrypted fields only; encrypt it with liberty-crypto encrypt FILE:KEY --existing',
    });
  }
  try {
    spans.forEach((span) => parseBlob(span.text));
    return value;
  } catch (error) {
    throw locateError(error, field, ref.file);
  }
}
