/** `FILE:KEY` references: a settings file (relative, ending in .toml) and a TOML dotted key. */
import { canonicalSettingsPath } from './crawl.js';
import { LibertyError } from './errors.js';
import { formatKeyPath, parseKeyPath, type KeyPath } from './toml/index.js';

export interface FieldRef {
  /** canonical (see canonicalSettingsPath): one field has one name in messages and the audit log */
  file: string;
  path: KeyPath;
}

const FIELD_REF = /^(.+?\.toml):(.+)$/s;

export function looksLikeFieldRef(text: string): boolean {
  return FIELD_REF.test(text);
}

/** Parses FILE:KEY; FILE in its canonical spelling, E_USAGE when absolute or leaving the directory. */
export function parseFieldRef(text: string): FieldRef {
  const match = FIELD_REF.exec(text);
  if (!match) {
    throw new LibertyError('E_BAD_FIELD_REF', 'not a field reference: expected FILE.toml:KEY', {
      hint: 'for example connectors.toml:pools.main.password',
    });
  }
  return { file: canonicalSettingsPath(match[1]), path: parseKeyPath(match[2]) };
}

export function formatFieldRef(ref: FieldRef): string {
  return `${ref.file}:${formatKeyPath(ref.path)}`;
}
