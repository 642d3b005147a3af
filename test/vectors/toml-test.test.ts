/**
 * Driver for ../shared/vectors/toml-test: every valid document parses, survives zero edits byte for
 * byte, takes a new field at its end, and has each of its string values rewritten without any other
 * data changing; every invalid document is refused with E_INVALID_TOML naming the file and a line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { isLibertyError } from '../../src/core/errors.js';
import { applyEdits, findStringValues, listStringValues, parseTomlDocument, type KeyPath } from '../../src/core/toml/index.js';
import { VECTORS_DIR } from '../support/vectors.js';

const VECTORS = new URL('toml-test/', VECTORS_DIR);

function listToml(folder: string): string[] {
  const root = fileURLToPath(new URL(`${folder}/`, VECTORS));
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.toml'))
    .map((name) => `${folder}/${name.replace(/\\/g, '/')}`)
    .sort();
}

function readVector(name: string): Buffer {
  return readFileSync(new URL(name, VECTORS));
}

function parseData(text: string): Record<string, unknown> {
  return parse(text, { integersAsBigInt: true });
}

/** Sets `path` in parsed data (mutating it), creating tables on the way. */
function setIn(data: Record<string, unknown>, path: KeyPath, value: unknown): void {
  let node: any = data;
  for (const key of path.slice(0, -1)) node = node[key] ??= {};
  node[path.at(-1)!] = value;
}

function readIn(data: unknown, path: KeyPath): unknown {
  let node: any = data;
  for (const key of path) node = node?.[key];
  return node;
}

const isTagged = (node: any): boolean =>
  node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).sort().join() === 'type,value';

/** String leaves of a toml-test JSON document reachable through tables only (no arrays). */
function tableStrings(node: any, path: string[] = [], out = new Map<string, string>()): Map<string, string> {
  for (const [key, child] of Object.entries(node)) {
    if (isTagged(child)) {
      if ((child as any).type === 'string') out.set(JSON.stringify([...path, key]), (child as any).value);
    } else if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
      tableStrings(child, [...path, key], out);
    }
  }
  return out;
}

/** Paths of every table in parsed data: tables, inline tables, elements of arrays of tables. */
function tablePaths(node: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (node === null || typeof node !== 'object' || node instanceof Date) return out;
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      if (item !== null && typeof item === 'object' && !Array.isArray(item) && !(item instanceof Date)) {
        tablePaths(item, [...path, String(i)], out);
      }
    });
    return out;
  }
  out.push(path);
  for (const [key, child] of Object.entries(node)) tablePaths(child, [...path, key], out);
  return out;
}

const valid = listToml('valid');
const invalid = listToml('invalid');

describe('toml-test vectors', () => {
  it('finds the 210 valid and 499 invalid documents', () => {
    expect(valid).toHaveLength(210);
    expect(invalid).toHaveLength(499);
  });

  describe('valid', () => {
    it.each(valid)('%s', (name) => {
      const bytes = readVector(name);
      const doc = parseTomlDocument(name, bytes);

      // zero edits: identical bytes
      expect(Buffer.from(applyEdits(doc, []), 'utf8').equals(bytes)).toBe(true);

      // a new field in a new table: the original is a prefix, the data gains exactly that field
      const path = ['liberty_test_zz', 'password'];
      const added = Buffer.from(applyEdits(doc, [{ path, value: 'ENC:v2:new "value"\n' }]), 'utf8');
      expect(added.subarray(0, bytes.length).equals(bytes)).toBe(true);
      const expected = parseData(doc.text);
      setIn(expected, path, 'ENC:v2:new "value"\n');
      expect(parseData(added.toString('utf8').replace(/^\uFEFF/, ''))).toEqual(expected);
    });
  });

  describe('string values agree with the expected json', () => {
    it.each(valid)('%s', (name) => {
      const doc = parseTomlDocument(name, readVector(name));
      const json = JSON.parse(readVector(name.replace(/\.toml$/, '.json')).toString('utf8'));
      const listed = listStringValues(doc);
      for (const { path, value } of listed) {
        const tagged: any = readIn(json, path);
        expect(tagged, JSON.stringify(path)).toMatchObject({ type: 'string' });
        // toml-test writes multi-line strings with LF; smol-toml keeps CRLF as written
        expect(value.replace(/\r\n/g, '\n')).toBe(tagged.value.replace(/\r\n/g, '\n'));
      }
      const listedKeys = new Set(listed.map(({ path }) => JSON.stringify(path)));
      for (const key of tableStrings(json).keys()) expect(listedKeys, key).toContain(key);
    });
  });

  describe('every string value rewritten at once', () => {
    it.each(valid)('%s', (name) => {
      const doc = parseTomlDocument(name, readVector(name));
      const listed = listStringValues(doc);
      const edits = listed.map(({ path }, i) => ({ path, value: `ENC:v2:${i}:\u00e9\t"'\\\u0000\u{1F600}` }));
      const text = applyEdits(doc, edits);
      const expected = parseData(doc.text);
      for (const { path, value } of edits) setIn(expected, path, value);
      expect(parseData(text.replace(/^\uFEFF/, ''))).toEqual(expected);
      expect(text.startsWith('\uFEFF')).toBe(doc.bom);
    });
  });

  describe('a new key in every table', () => {
    it.each(valid)('%s', (name) => {
      const doc = parseTomlDocument(name, readVector(name));
      for (const table of tablePaths(doc.data)) {
        const path = [...table, 'liberty_zz'];
        let text: string;
        try {
          text = applyEdits(doc, [{ path, value: 'v' }]);
        } catch (error) {
          // refusing is allowed (inline arrays, implied tables inside arrays of tables); corrupting is not
          expect(isLibertyError(error) && error.code, `${JSON.stringify(path)}: ${String(error)}`).toBe('E_BAD_SETTINGS');
          continue;
        }
        const expected = parseData(doc.text);
        setIn(expected, path, 'v');
        expect(parseData(text.replace(/^\uFEFF/, '')), JSON.stringify(path)).toEqual(expected);
      }
    });
  });

  describe('findStringValues, when it answers, finds what listStringValues lists', () => {
    const sorted = (values: ReadonlyArray<{ path: KeyPath; value: string }>) =>
      values.map(({ path, value }) => JSON.stringify([path, value])).sort();
    it.each(valid)('%s', (name) => {
      const doc = parseTomlDocument(name, readVector(name));
      const found = findStringValues(doc, () => true);
      if (found !== undefined) expect(sorted(found)).toEqual(sorted(listStringValues(doc)));
    });
  });

  describe('invalid documents smol-toml accepts are left to the strict parser', () => {
    // findStringValues stands in for the strict parse: whatever passes smol-toml and that gate is valid
    it.each(invalid)('%s', (name) => {
      let doc;
      try {
        doc = parseTomlDocument(name, readVector(name));
      } catch {
        return;
      }
      expect(findStringValues(doc, () => true)).toBeUndefined();
    });
  });

  describe('invalid', () => {
    it.each(invalid)('%s', (name) => {
      const bytes = readVector(name);
      let caught: unknown;
      try {
        // parsing checks the values; listing the fields (what every command that lists or writes does)
        // also checks the strict TOML 1.0 syntax
        listStringValues(parseTomlDocument(name, bytes));
      } catch (error) {
        caught = error;
      }
      expect(isLibertyError(caught) && caught.code).toBe('E_INVALID_TOML');
      const message = (caught as Error).message;
      const prefix = `${name}: invalid toml at line `;
      expect(message.startsWith(prefix)).toBe(true);
      // after the location comes a fixed reason from a known list: never a quote of the source
      expect(message.slice(prefix.length)).toMatch(/^\d+, column \d+: [a-z][a-z0-9 ,:()=<>.-]*$/);
    });
  });
});
