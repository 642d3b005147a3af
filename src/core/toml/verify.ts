/**
 * Verification: the new text must parse to the old data with exactly the edited fields changed; anything
 * else is E_INTERNAL and the text is never returned.
 */
import { parse as parseData } from 'smol-toml';
import { LibertyError } from '../errors.js';
import type { FieldEdit, TomlDocument } from './document.js';
import { readOwn } from './keys.js';
import { loadSyntaxParser } from './parse.js';

/**
 * `checkSyntax`: also run the strict TOML 1.0 parser. Needed when lines or headers were added; a value
 * token swapped for a freshly encoded one at the exact source range of a value cannot change the
 * syntax around it, and smol-toml's parse below still proves the data (this halves the cost of rewrap).
 */
export function verifyEdits(doc: TomlDocument, edits: readonly FieldEdit[], text: string, checkSyntax: boolean): void {
  let actual: Record<string, unknown>;
  try {
    if (checkSyntax) loadSyntaxParser().parseTOML(text, { tomlVersion: '1.0.0' });
    actual = parseData(text, { integersAsBigInt: true });
  } catch {
    throw failedVerification(doc.file, 'the edited text is not valid toml');
  }
  const expected = dataWithEdits(doc.data, edits);
  if (!isDeepEqual(expected, actual)) throw failedVerification(doc.file, 'the edited text does not hold the expected data');
}

function failedVerification(file: string, reason: string): LibertyError {
  return new LibertyError('E_INTERNAL', `${file}: edit refused: ${reason}`, {
    file,
    hint: 'the file was not changed; please report this with the structure of the file (not its values)',
  });
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

/** A copy of `data` with every edit applied; containers along the paths are copied once. */
export function dataWithEdits(data: Readonly<Record<string, unknown>>, edits: readonly FieldEdit[]): Container {
  const fresh = new WeakSet<object>();
  const own = (container: unknown): Container => {
    if (isContainer(container) && fresh.has(container)) return container;
    const copy: Container = Array.isArray(container)
      ? [...(container as unknown[])]
      : Object.assign(Object.create(null) as Record<string, unknown>, isContainer(container) ? container : {});
    fresh.add(copy);
    return copy;
  };
  const root = own(data);
  for (const { path, value } of edits) {
    let container = root;
    for (const key of path.slice(0, -1)) {
      const child = own(readOwn(container, key));
      (container as Record<string, unknown>)[key] = child;
      container = child;
    }
    (container as Record<string, unknown>)[path.at(-1)!] = value;
  }
  return root;
}

export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) return isSameDate(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => isDeepEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && isDeepEqual(readOwn(a, key), readOwn(b, key)));
}

function isSameDate(a: object, b: object): boolean {
  if (!(a instanceof Date) || !(b instanceof Date) || a.constructor !== b.constructor) return false;
  if (!Object.is(a.getTime(), b.getTime())) return false;
  return Number.isNaN(a.getTime()) || a.toISOString() === b.toISOString();
}
