/**
 * Picking an encrypted field from a searchable list on the terminal (reveal without FILE:KEY). Files that
 * cannot be read are named on stderr and left out, so one broken file does not hide the others.
 */
import { listEncryptedFields } from '../core/encrypted-fields.js';
import { LibertyError } from '../core/errors.js';
import type { FieldRef } from '../core/field-ref.js';
import type { Settings } from '../core/settings.js';
import { promptSearch, type Choice } from './prompter.js';

export async function pickEncryptedField(settings: Settings, note: (line: string) => void): Promise<FieldRef> {
  const { fields, skipped } = await listEncryptedFields(settings);
  for (const error of skipped) note(`skipped ${error.message}`);
  if (fields.size === 0) {
    throw new LibertyError('E_FIELD_NOT_FOUND', `no encrypted field in the settings directory ${settings.dir}`, {
      hint: 'encrypt one with liberty-crypto encrypt FILE:KEY, or pass --settings DIR',
    });
  }
  const choices: Choice[] = [...fields.keys()].map((name) => ({ name, value: name }));
  const picked = await promptSearch(`field to reveal (${choices.length} encrypted; type to filter):`, choices);
  return fields.get(picked)!;
}
