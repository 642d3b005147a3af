/** Reading one field of a parsed settings file. */
import { LibertyError } from './errors.js';
import { formatFieldRef, type FieldRef } from './field-ref.js';
import { valueAt } from './toml/index.js';

/** The string at a field; missing: E_FIELD_NOT_FOUND; not a string: E_BAD_SETTINGS. */
export function stringAt(data: unknown, ref: FieldRef): string {
  const value = valueAt(data, ref.path);
  if (value === undefined) {
    throw new LibertyError('E_FIELD_NOT_FOUND', `${formatFieldRef(ref)}: field not found`, { file: ref.file });
  }
  if (typeof value !== 'string') {
    throw new LibertyError('E_BAD_SETTINGS', `${formatFieldRef(ref)}: not a string value`, { file: ref.file });
  }
  return value;
}
