/** What the TOML modules pass around: a parsed document, the string values in it, an edit. */
import type { KeyPath } from './keys.js';

export interface TomlDocument {
  /** the file name used in messages, relative to the settings directory */
  readonly file: string;
  /** the text without the BOM; source ranges index into it */
  readonly text: string;
  /** whether the file starts with a UTF-8 BOM (kept on output) */
  readonly bom: boolean;
  /** the parsed data (smol-toml values, integers as bigint); treat as read-only */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface StringValue {
  readonly path: KeyPath;
  readonly value: string;
  /** 1-based line of the value's first character */
  readonly line: number;
}

export interface FieldEdit {
  readonly path: KeyPath;
  /** the new value: a string, or an array of strings (app.toml [crypto] legacy_keys) */
  readonly value: string | readonly string[];
}

export interface FoundString {
  readonly path: KeyPath;
  readonly value: string;
}

export const BOM = '\uFEFF';
