/** `FILE:KEY` references: a settings file (relative, ending in .toml) and a TOML dotted key. */
import { LibertyError } from './errors.js';
import { formatKeyPath, parseKeyPath, type KeyPath } from './toml-edit.js';

export interface FieldRef {
  file: string;
  path: KeyPath;
}

const FIELD_REF = /^(.+?\.toml):(.+)$/s;

export function looksLikeFieldRef(text: string): boolean {
  return FIELD_REF.test(text);
}

export function parseFieldRef(text: string): FieldRef {
  const match = FIELD_REF.exec(text);
  if (!match) {
    throw new LibertyError('E_BAD_FIELD_REF', 'not a field reference: expected FILE.toml:KEY', {
      hint: 'for example connectors.toml:pools.main.password',
    });
  }
  const file = match[1]!.replace(/\\/g, '/').replace(/^\.\//, '');
  return { file, path: parseKeyPath(match[2]!) };
}

export function formatFieldRef(ref: FieldRef): string {
  return `${ref.file}:${formatKeyPath(ref.path)}`;
}
