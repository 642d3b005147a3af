import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isLibertyError, type ErrorCode } from '../../src/core/errors.js';
import {
  applyEdits,
  encodeTomlString,
  findStringValues,
  formatKeyPath,
  listStringValues,
  parseKeyPath,
  parseTomlDocument,
  readStringValue,
  type FieldEdit,
  type TomlDocument,
} from '../../src/core/toml/index.js';
import { dataOf } from '../support/toml-reference.js';

const FIXTURES = new URL('../fixtures/toml/', import.meta.url);
const CRLF_BOM = 'nasty-crlf-bom.toml';
const LF = 'nasty-lf.toml';

function readFixture(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

function loadFixture(name: string): { bytes: Buffer; source: string; doc: TomlDocument } {
  const bytes = readFixture(name);
  // Buffer#toString keeps a BOM as U+FEFF, so `source` maps back to exactly these bytes
  return { bytes, source: bytes.toString('utf8'), doc: parseTomlDocument(name, bytes) };
}

/** `source` with `from` (which must occur exactly once) replaced by `to`: the expected file, computed by hand. */
function replaceOnce(source: string, from: string, to: string): string {
  const at = source.indexOf(from);
  expect(at, `${JSON.stringify(from)} occurs`).toBeGreaterThanOrEqual(0);
  expect(source.indexOf(from, at + 1), `${JSON.stringify(from)} occurs once`).toBe(-1);
  return source.slice(0, at) + to + source.slice(at + from.length);
}

function expectBytes(actual: string, expected: string): void {
  expect(Buffer.from(actual, 'utf8').toString('hex')).toBe(Buffer.from(expected, 'utf8').toString('hex'));
}

function codeOf(run: () => unknown): ErrorCode | 'no error' | 'not a LibertyError' {
  try {
    run();
  } catch (error) {
    return isLibertyError(error) ? error.code : 'not a LibertyError';
  }
  return 'no error';
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('encodeTomlString', () => {
  it.each([
    ['plain', 'ENC:v2:abc', '"ENC:v2:abc"'],
    ['empty', '', '""'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['short escapes', '\b\t\n\f\r', '"\\b\\t\\n\\f\\r"'],
    ['other controls', '\u0000\u001f', '"\\u0000\\u001F"'],
    ['DEL and C1', '\u007f\u0085', '"\\u007F\\u0085"'],
    ['unicode as is', 'p\u00e4ss \u{1F511} \u2028', '"p\u00e4ss \u{1F511} \u2028"'],
    ['single quote as is', "it's", '"it\'s"'],
  ])('%s', (_name, value, token) => {
    expect(encodeTomlString(value)).toBe(token);
    expect(dataOf(`k = ${token}`).k).toBe(value);
  });

  it('refuses a lone surrogate', () => {
    expect(codeOf(() => encodeTomlString('a\ud800b'))).toBe('E_BAD_SETTINGS');
  });
});

describe('parseKeyPath', () => {
  it.each([
    ['pools.main.password', ['pools', 'main', 'password']],
    ['  a . "b c" .\t\'d.e\'  ', ['a', 'b c', 'd.e']],
    ['"\\u00e9\\U0001F511\\t\\"\\\\"', ['\u00e9\u{1F511}\t"\\']],
    ['""', ['']],
    ["''", ['']],
    ['1.2', ['1', '2']],
    ['a-b_C9', ['a-b_C9']],
    ['servers.0.password', ['servers', '0', 'password']],
    ["'\\no escapes'", ['\\no escapes']],
  ])('%j', (ref, path) => {
    expect(parseKeyPath(ref)).toEqual(path);
  });

  it.each([
    '',
    '   ',
    'a..b',
    '.a',
    'a.',
    'a b',
    'a.=',
    '"unterminated',
    "'unterminated",
    '"\\x41"',
    '"\\u00"',
    '"\\uD800"',
    '"\\U00110000"',
    '"a\nb"',
    "'a\u0001'",
    'caf\u00e9',
    '"a"b',
    'a\ud800',
  ])('refuses %j', (ref) => {
    expect(codeOf(() => parseKeyPath(ref))).toBe('E_BAD_FIELD_REF');
  });

  it('prints the reference escaped', () => {
    expect(errorOf(() => parseKeyPath('a.\u001b[31m')).message).not.toContain('\u001b');
  });
});

describe('formatKeyPath', () => {
  it.each([
    [['pools', 'main', 'password'], 'pools.main.password'],
    [['pools', 'eu west', 'password'], 'pools."eu west".password'],
    [['', 'a.b', 'x"y', '\u00e9'], '""."a.b"."x\\"y"."\u00e9"'],
    [['servers', '0'], 'servers.0'],
  ])('%j', (path, text) => {
    expect(formatKeyPath(path)).toBe(text);
    expect(parseKeyPath(text)).toEqual(path);
  });
});

describe('parseTomlDocument', () => {
  it('strips the BOM for parsing and remembers it', () => {
    const { doc } = loadFixture(CRLF_BOM);
    expect(doc.bom).toBe(true);
    expect(doc.text.startsWith('# connectors')).toBe(true);
    expect(doc.data.port).toBe(5432n);
    expect(loadFixture(LF).doc.bom).toBe(false);
  });

  it('accepts a string', () => {
    const doc = parseTomlDocument('app.toml', '\uFEFFa = "b"\n');
    expect(doc).toMatchObject({ bom: true, text: 'a = "b"\n' });
  });

  it('refuses invalid utf-8, naming the file, line and column', () => {
    const bytes = Buffer.concat([Buffer.from('a = 1\nb = "x'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]);
    const error = errorOf(() => parseTomlDocument('app.toml', bytes));
    expect(isLibertyError(error) && error.code).toBe('E_INVALID_TOML');
    expect(error.message).toBe('app.toml: invalid toml at line 2, column 7: invalid utf-8');
  });

  it.each([
    ['overlong', [0xc0, 0x80]],
    ['surrogate', [0xed, 0xa0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['truncated', [0xe2, 0x82]],
    ['UTF-16 BOM', [0xff, 0xfe]],
  ])('refuses %s utf-8 at line 1', (_name, bad) => {
    const error = errorOf(() => parseTomlDocument('x.toml', Buffer.from(bad)));
    expect(error.message).toBe('x.toml: invalid toml at line 1, column 1: invalid utf-8');
  });

  it('refuses a string with a lone surrogate', () => {
    expect(codeOf(() => parseTomlDocument('x.toml', 'a = "\ud800"'))).toBe('E_INVALID_TOML');
  });

  it.each([
    ['unterminated string', 'ok = 1\npassword = "hunter2-secret\n', 2],
    ['duplicate key', 'password = "hunter2-secret"\npassword = "hunter2-secret"\n', 2],
    ['bad escape', 'a = 1\n\n\npassword = "hunter2-secret\\q"\n', 4],
    ['bare value', 'password = hunter2-secret\n', 1],
    ['comment control char', '# hunter2-secret \u0001\n', 1],
    ['only smol-toml objects', 'a = 1\n[a]\nx = "hunter2-secret"\n', 2],
  ])('refuses %s with the line and without quoting the source', (_name, text, line) => {
    const error = errorOf(() => parseTomlDocument('app.toml', Buffer.from(text)));
    expect(isLibertyError(error) && error.code).toBe('E_INVALID_TOML');
    expect(error.message).toMatch(new RegExp(`^app\\.toml: invalid toml at line ${line}, column \\d+: [a-z]`));
    expect(error.message).not.toContain('hunter2');
    expect(inspect((error as { cause?: unknown }).cause)).not.toContain('hunter2');
  });
});

describe('listStringValues', () => {
  it('lists key-path strings in document order, array elements by index', () => {
    const { doc } = loadFixture(CRLF_BOM);
    const listed = listStringValues(doc).map(({ path, value, line }) => [formatKeyPath(path), value, line]);
    expect(listed).toEqual([
      ['title', 'Liberty \u2603', 4],
      ['api_token', 'literal\\token', 5],
      ['note', 'this merely contains ENC: text', 6],
      ['multi', 'line one\r\nline two', 7],
      ['raw', "raw 'quoted' line\r\n", 10],
      ['"quoted key"', 'q', 13],
      ['"lit.key"', 'l', 14],
      ['db.password', 'dotted', 15],
      ['db.user', 'admin', 16],
      ['creds.user', 'u', 17],
      ['creds.pass', 'p', 17],
      ['creds.nested.deep', 'd', 17],
      ['list.0', 'in', 19],
      ['list.1', 'array', 19],
      ['pools.main.password', 'ENC:v2:old', 24],
      ['pools.main.host', 'db.local', 25],
      ['pools."eu west".password', '', 30],
      ['servers.0.name', 'alpha', 33],
      ['servers.0.password', 'a-pw', 34],
      ['servers.0.tls.cert', 'c1', 37],
      ['servers.1.name', 'beta', 40],
      ['servers.1.password', 'b-pw', 41],
      ['"\u043a\u043b\u044e\u0447"."\u043f\u0430\u0440\u043e\u043b\u044c"', '\u0441\u0435\u043a\u0440\u0435\u0442 \u{1F511}', 44],
      ['implicit.child.k', 'v', 47],
    ]);
  });
});

describe('findStringValues', () => {
  const isBlob = (value: string) => value.startsWith('ENC:');
  const sorted = (values: ReadonlyArray<{ path: readonly string[]; value: string }>) =>
    values.map(({ path, value }) => [formatKeyPath(path), value]).sort(([a], [b]) => (a < b ? -1 : 1));
  const find = (text: string) => findStringValues(parseTomlDocument('f.toml', text), isBlob);

  it('finds what listStringValues lists, from the data, array elements included', () => {
    const text = [
      'root = "ENC:v2:a"',
      'plain = "x"',
      'list = ["ENC:v2:in-array", 1]',
      'nested = [["ENC:v2:deep"]]',
      '[db]',
      'password = "ENC:v2:b"',
      'creds.token = "ENC:v2:c"',
      'port = 5432',
      '[db.replica]',
      "password = 'ENC:v2:d'",
      '[other]',
      'password = """ENC:v2:e"""',
      '',
    ].join('\n');
    const doc = parseTomlDocument('f.toml', text);
    const found = findStringValues(doc, isBlob);
    expect(found).toBeDefined();
    expect(sorted(found!)).toEqual(sorted(listStringValues(doc).filter((field) => isBlob(field.value))));
    expect(sorted(found!).map(([key]) => key)).toEqual([
      'db.creds.token',
      'db.password',
      'db.replica.password',
      'list.0',
      'nested.0.0',
      'other.password',
      'root',
    ]);
  });

  it('passes every string to accept and finds none in an empty file', () => {
    expect(findStringValues(parseTomlDocument('f.toml', 'a = "x"\n[t]\nb = "y"\n'), () => true)).toEqual([
      { path: ['a'], value: 'x' },
      { path: ['t', 'b'], value: 'y' },
    ]);
    expect(find('')).toEqual([]);
  });

  it('answers for ${VAR} references, which cannot open an inline table', () => {
    expect(find('[crypto]\nmaster_key = "${LIBERTY_MASTER_KEY}"\nlegacy_keys = ["${OLD}"] # ${x}\n')).toEqual([]);
  });

  it.each([
    ['an inline table', 'a = { b = "ENC:v2:x" }\n'],
    ['a brace in a string', 'a = "{x}"\n'],
    ['a \\x escape', 'a = "\\x41"\n'],
    ['a \\e escape', 'a = "\\e"\n'],
    ['text that looks like an escape', "a = 'C:\\executables'\n"],
    ['a BOM past the start', 'a = "\uFEFF"\n'],
    ['a date', 'a = 1979-05-27\n'],
    ['a time in a table', '[t]\nstart = 07:32:00\n'],
    ['a date in an array', 'a = [1979-05-27]\n'],
    ['an array of tables', '[[servers]]\npassword = "ENC:v2:x"\n'],
  ])('leaves %s to listStringValues', (_name, text) => {
    expect(find(text)).toBeUndefined();
  });
});

describe('readStringValue', () => {
  const { doc } = loadFixture(CRLF_BOM);

  it('reads a string', () => {
    expect(readStringValue(doc, ['servers', '1', 'password'])).toEqual({ path: ['servers', '1', 'password'], value: 'b-pw', line: 41 });
  });

  it.each([
    [['pools', 'main', 'missing'], 'E_FIELD_NOT_FOUND'],
    [['servers', '2', 'password'], 'E_FIELD_NOT_FOUND'],
    [['port'], 'E_BAD_SETTINGS'],
    [['pools', 'main'], 'E_BAD_SETTINGS'],
    [['list'], 'E_BAD_SETTINGS'],
  ] as const)('%j: %s', (path, code) => {
    expect(codeOf(() => readStringValue(doc, path))).toBe(code);
  });

  it('names file and field, never the value', () => {
    const error = errorOf(() => readStringValue(doc, ['port']));
    expect(error.message).toBe('nasty-crlf-bom.toml: port: is not a string');
  });
});

describe('applyEdits on existing values: only the token changes', () => {
  const { source, doc } = loadFixture(CRLF_BOM);

  it('zero edits give back the same bytes, BOM included', () => {
    expectBytes(applyEdits(doc, []), source);
  });

  it.each([
    ['basic string with trailing comment', ['title'], 'title = "Liberty \u2603"', 'title = "NEW"'],
    ['literal string with trailing tab, kept literal', ['api_token'], "'literal\\token'\t", "'NEW'\t"],
    ['value that merely contains ENC:', ['note'], '"this merely contains ENC: text"', '"NEW"'],
    ['multi-line basic string, kept multi-line', ['multi'], '"""\r\nline one\r\nline two"""', '"""\r\nNEW"""'],
    ['multi-line literal string, kept multi-line', ['raw'], "'''\r\nraw 'quoted' line\r\n'''", "'''\r\nNEW'''"],
    ['quoted key with trailing spaces', ['quoted key'], '"quoted key" = "q"   ', '"quoted key" = "NEW"   '],
    ['literal key containing a dot', ['lit.key'], '\'lit.key\' = "l"', '\'lit.key\' = "NEW"'],
    ['dotted key', ['db', 'password'], '"dotted"  # dotted key', '"NEW"  # dotted key'],
    ['dotted key with spaces', ['db', 'user'], 'db . user = "admin"', 'db . user = "NEW"'],
    ['inline table', ['creds', 'pass'], 'pass = "p"', 'pass = "NEW"'],
    ['nested inline table', ['creds', 'nested', 'deep'], 'deep = "d"', 'deep = "NEW"'],
    ['indented, trailing whitespace', ['pools', 'main', 'password'], '"ENC:v2:old"   \r\n', '"NEW"   \r\n'],
    ['quoted table name, empty string', ['pools', 'eu west', 'password'], 'password = ""', 'password = "NEW"'],
    ['array of tables, first element', ['servers', '0', 'password'], '"a-pw"', '"NEW"'],
    ['array of tables, second element', ['servers', '1', 'password'], '"b-pw"', '"NEW"'],
    ['sub-table of an element', ['servers', '0', 'tls', 'cert'], '"c1"', '"NEW"'],
    [
      'unicode key and value',
      ['\u043a\u043b\u044e\u0447', '\u043f\u0430\u0440\u043e\u043b\u044c'],
      '"\u0441\u0435\u043a\u0440\u0435\u0442 \u{1F511}"',
      '"NEW"',
    ],
    ['under an implicit table', ['implicit', 'child', 'k'], 'k = "v"', 'k = "NEW"'],
    ['element of an inline array', ['list', '1'], 'list = ["in", "array"]', 'list = ["in", "NEW"]'],
  ])('%s', (_name, path, from, to) => {
    expectBytes(applyEdits(doc, [{ path, value: 'NEW' }]), replaceOnce(source, from, to));
  });

  it('writes escapes for values that need them', () => {
    const value = 'ENC:v2:"q"\\\n\u0000\u00e9';
    const expected = replaceOnce(source, '"a-pw"', '"ENC:v2:\\"q\\"\\\\\\n\\u0000\u00e9"');
    const text = applyEdits(doc, [{ path: ['servers', '0', 'password'], value }]);
    expectBytes(text, expected);
    expect((dataOf(text).servers as any)[0].password).toBe(value);
  });

  it('applies several edits in one pass', () => {
    const edits: FieldEdit[] = [
      { path: ['servers', '1', 'password'], value: 'two' },
      { path: ['title'], value: 'one' },
      { path: ['creds', 'user'], value: 'three' },
      { path: ['creds', 'nested', 'deep'], value: 'four' },
    ];
    let expected = replaceOnce(source, '"b-pw"', '"two"');
    expected = replaceOnce(expected, '"Liberty \u2603"', '"one"');
    expected = replaceOnce(expected, 'user = "u"', 'user = "three"');
    expected = replaceOnce(expected, 'deep = "d"', 'deep = "four"');
    expectBytes(applyEdits(doc, edits), expected);
  });

  it('keeps LF, tabs, a missing final newline and the style of each string', () => {
    const lf = loadFixture(LF);
    const text = applyEdits(lf.doc, [
      { path: ['table', 'key'], value: 'v2' },
      { path: ['a', 'x'], value: 'x2' },
      { path: ['a', 'b', 'z'], value: 'z2' },
    ]);
    let expected = replaceOnce(lf.source, '"value"   ', '"v2"   ');
    expected = replaceOnce(expected, "'x'\t# c", "'x2'\t# c");
    expected = replaceOnce(expected, '"""z"""', '"""z2"""');
    expectBytes(text, expected);
  });
});

describe('applyEdits on inline arrays', () => {
  const text = "a = [ 'ENC:v2:x' , [\"ENC:v2:y\"], { p = 'ENC:v2:z' } ]  # c\n";
  const doc = () => parseTomlDocument('f.toml', text);

  it('addresses elements by index, nested arrays and inline tables inside them too', () => {
    expect(listStringValues(doc()).map(({ path, value }) => [formatKeyPath(path), value])).toEqual([
      ['a.0', 'ENC:v2:x'],
      ['a.1.0', 'ENC:v2:y'],
      ['a.2.p', 'ENC:v2:z'],
    ]);
    const edits: FieldEdit[] = [
      { path: ['a', '0'], value: 'N0' },
      { path: ['a', '1', '0'], value: 'N1' },
      { path: ['a', '2', 'p'], value: 'N2' },
    ];
    expectBytes(applyEdits(doc(), edits), "a = [ 'N0' , [\"N1\"], { p = 'N2' } ]  # c\n");
  });

  it('refuses to add an element, or a key under a string element', () => {
    expect(codeOf(() => applyEdits(doc(), [{ path: ['a', '3'], value: 'N' }]))).toBe('E_BAD_SETTINGS');
    expect(codeOf(() => applyEdits(doc(), [{ path: ['a', '0', 'k'], value: 'N' }]))).toBe('E_BAD_SETTINGS');
  });
});

describe('applyEdits creating fields', () => {
  const crlf = loadFixture(CRLF_BOM);
  const lf = loadFixture(LF);

  it.each([
    [
      'in a [table], after its last key, with its indentation',
      ['pools', 'main', 'new'],
      '  host = "db.local"\r\n',
      '  host = "db.local"\r\n  new = "N"\r\n',
    ],
    ['at the root, after the last root key', ['zz'], 'port = 5432\r\n', 'port = 5432\r\nzz = "N"\r\n'],
    ['in an empty [table]', ['empty', 'k'], '[empty]\r\n', '[empty]\r\nk = "N"\r\n'],
    ['in an array-of-tables element', ['servers', '0', 'new'], 'password = "a-pw"\r\n', 'password = "a-pw"\r\nnew = "N"\r\n'],
    ['under an element, as a dotted key', ['servers', '1', 'tls', 'k'], 'password = "b-pw"\r\n', 'password = "b-pw"\r\ntls.k = "N"\r\n'],
    ['in a dotted-key table, as a dotted key', ['db', 'host'], 'port = 5432\r\n', 'port = 5432\r\ndb.host = "N"\r\n'],
    ['in an inline table', ['creds', 'new'], '"d" } }', '"d" }, new = "N" }'],
    ['in an empty inline table', ['holder', 'a', 'b'], 'holder = {}', 'holder = { a.b = "N" }'],
    ['quoted, in a quoted table', ['pools', 'eu west', 'a b'], 'password = ""\r\n', 'password = ""\r\n"a b" = "N"\r\n'],
  ])('%s', (_name, path, from, to) => {
    const text = applyEdits(crlf.doc, [{ path, value: 'N' }]);
    expectBytes(text, replaceOnce(crlf.source, from, to));
  });

  it.each([
    ['a missing table: header at the end, after a newline and a blank line', ['brand', 'new'], '\r\n\r\n[brand]\r\nnew = "N"\r\n'],
    ['a missing sub-table of a [table]', ['pools', 'main', 'sub', 'k'], '\r\n\r\n[pools.main.sub]\r\nk = "N"\r\n'],
    ['a table so far only implied by [implicit.child]', ['implicit', 'k2'], '\r\n\r\n[implicit]\r\nk2 = "N"\r\n'],
    ['quoted names', ['new table', 'key.x'], '\r\n\r\n["new table"]\r\n"key.x" = "N"\r\n'],
  ])('%s', (_name, path, appended) => {
    expectBytes(applyEdits(crlf.doc, [{ path, value: 'N' }]), crlf.source + appended);
  });

  it('groups new keys of one new table under one header, in edit order', () => {
    const text = applyEdits(crlf.doc, [
      { path: ['t', 'b'], value: '2' },
      { path: ['u', 'x'], value: '3' },
      { path: ['t', 'a'], value: '1' },
    ]);
    expectBytes(text, crlf.source + '\r\n\r\n[t]\r\nb = "2"\r\na = "1"\r\n\r\n[u]\r\nx = "3"\r\n');
  });

  it('mixes replacements, insertions and appended tables', () => {
    const text = applyEdits(crlf.doc, [
      { path: ['brand', 'new'], value: 'A' },
      { path: ['pools', 'main', 'password'], value: 'B' },
      { path: ['pools', 'main', 'user'], value: 'C' },
      { path: ['creds', 'x'], value: 'D' },
      { path: ['root'], value: 'E' },
    ]);
    let expected = replaceOnce(crlf.source, '"ENC:v2:old"', '"B"');
    expected = replaceOnce(expected, '  host = "db.local"\r\n', '  host = "db.local"\r\n  user = "C"\r\n');
    expected = replaceOnce(expected, '"d" } }', '"d" }, x = "D" }');
    expected = replaceOnce(expected, 'port = 5432\r\n', 'port = 5432\r\nroot = "E"\r\n');
    expectBytes(text, expected + '\r\n\r\n[brand]\r\nnew = "A"\r\n');
  });

  it('adds the final newline once when the last line is the table that grows', () => {
    const text = applyEdits(lf.doc, [
      { path: ['table', 'other'], value: 'o' },
      { path: ['fresh', 'k'], value: 'f' },
    ]);
    expectBytes(text, lf.source + '\nother = "o"\n\n[fresh]\nk = "f"\n');
  });

  it('puts root keys at the start when the root has none', () => {
    const text = applyEdits(lf.doc, [{ path: ['top'], value: 't' }]);
    expectBytes(text, 'top = "t"\n' + lf.source);
  });

  it('puts root keys after the BOM', () => {
    const doc = parseTomlDocument('b.toml', Buffer.from('\uFEFF[a]\r\nx = 1\r\n'));
    expectBytes(applyEdits(doc, [{ path: ['top'], value: 't' }]), '\uFEFFtop = "t"\r\n[a]\r\nx = 1\r\n');
  });

  it('writes into an empty file', () => {
    const doc = parseTomlDocument('e.toml', Buffer.alloc(0));
    expectBytes(
      applyEdits(doc, [
        { path: ['a', 'b'], value: 'x' },
        { path: ['top'], value: 't' },
      ]),
      'top = "t"\n\n[a]\nb = "x"\n',
    );
  });

  it('inserts after a multi-line value and its comment', () => {
    const doc = parseTomlDocument('m.toml', '[s]\nk = """\na\n"""  # note\n\n[t]\n');
    expectBytes(applyEdits(doc, [{ path: ['s', 'new'], value: 'n' }]), '[s]\nk = """\na\n"""  # note\nnew = "n"\n\n[t]\n');
  });
});

describe('applyEdits refusals', () => {
  const { doc } = loadFixture(CRLF_BOM);

  it.each([
    ['a number', [{ path: ['port'], value: 'x' }], 'E_BAD_SETTINGS'],
    ['a table', [{ path: ['pools', 'main'], value: 'x' }], 'E_BAD_SETTINGS'],
    ['an array of tables', [{ path: ['servers'], value: 'x' }], 'E_BAD_SETTINGS'],
    ['an inline array', [{ path: ['list'], value: 'x' }], 'E_BAD_SETTINGS'],
    ['a parent that is a string', [{ path: ['title', 'x'], value: 'x' }], 'E_BAD_SETTINGS'],
    ['a parent that is an inline array', [{ path: ['list', '0', 'x'], value: 'x' }], 'E_BAD_SETTINGS'],
    ['a missing element of an array of tables', [{ path: ['servers', '2', 'x'], value: 'x' }], 'E_BAD_SETTINGS'],
    ['a value with a lone surrogate', [{ path: ['title'], value: '\udc00' }], 'E_BAD_SETTINGS'],
    [
      'the same field twice',
      [
        { path: ['title'], value: 'a' },
        { path: ['title'], value: 'b' },
      ],
      'E_BAD_FIELD_REF',
    ],
    [
      'a field and its parent',
      [
        { path: ['n', 'x'], value: 'a' },
        { path: ['n'], value: 'b' },
      ],
      'E_BAD_FIELD_REF',
    ],
    [
      'a parent and its field',
      [
        { path: ['n'], value: 'b' },
        { path: ['n', 'x'], value: 'a' },
      ],
      'E_BAD_FIELD_REF',
    ],
    ['an empty path', [{ path: [], value: 'b' }], 'E_BAD_FIELD_REF'],
    ['a field name with a lone surrogate', [{ path: ['a\ud800'], value: 'b' }], 'E_BAD_FIELD_REF'],
  ] as const)('%s', (_name, edits, code) => {
    expect(codeOf(() => applyEdits(doc, edits))).toBe(code);
  });

  it('refuses to create a table implied under an array of tables', () => {
    const doc2 = parseTomlDocument('s.toml', '[[s]]\n[s.a.b]\nk = 1\n');
    expect(codeOf(() => applyEdits(doc2, [{ path: ['s', '0', 'a', 'x'], value: 'v' }]))).toBe('E_BAD_SETTINGS');
  });

  it('names file and field, never the value', () => {
    const error = errorOf(() => applyEdits(doc, [{ path: ['port'], value: 'hunter2' }]));
    expect(error.message).toBe('nasty-crlf-bom.toml: port: is not a string');
  });

  it('refuses with E_INTERNAL, returning nothing, when the result does not hold the expected data', () => {
    // a document whose data does not match its text: the verification must catch the difference
    const forged: TomlDocument = { ...doc, data: { ...doc.data, port: 1n } };
    const error = errorOf(() => applyEdits(forged, [{ path: ['title'], value: 'SECRET-VALUE' }]));
    expect(isLibertyError(error) && error.code).toBe('E_INTERNAL');
    expect(error.message).not.toContain('SECRET-VALUE');
  });
});

describe('a large document', () => {
  it('edits 10,000 values across 1,000 tables in one pass', () => {
    const lines: string[] = [];
    for (let t = 0; t < 1000; t += 1) {
      lines.push(`[pool${t}]`, '# comment');
      for (let k = 0; k < 10; k += 1) lines.push(`key${k} = "ENC:v2:${t}:${k}"`);
    }
    const doc = parseTomlDocument('big.toml', lines.join('\n') + '\n');
    const edits = listStringValues(doc).map(({ path }) => ({ path, value: `new:${path.join('.')}` }));
    expect(edits).toHaveLength(10_000);
    const text = applyEdits(doc, edits);
    // how fast is bench/'s business (bench/rewrap.mjs, bench/growth.mjs); here: every edit lands, nothing else moves
    const data = dataOf(text) as Record<string, Record<string, string>>;
    for (let t = 0; t < 1000; t += 1) for (let k = 0; k < 10; k += 1) expect(data[`pool${t}`][`key${k}`]).toBe(`new:pool${t}.key${k}`);
    expect(text.replace(/"new:pool\d+\.key\d+"/g, '"X"')).toBe(lines.join('\n').replace(/"ENC:v2:\d+:\d+"/g, '"X"') + '\n');
  });
});

describe('applyEdits swapping string tokens without the syntax tree', () => {
  const edit = (text: string, path: string[], value: string) => applyEdits(parseTomlDocument('f.toml', text), [{ path, value }]);

  it.each([
    ['a basic string', 'a = 1\n[t]\nx = "ENC:v2:a"   # c\n', ['t', 'x'], 'a = 1\n[t]\nx = "NEW"   # c\n'],
    ['a literal string, kept literal', "x = 'ENC:v2:a'\r\ny = 2\r\n", ['x'], "x = 'NEW'\r\ny = 2\r\n"],
    [
      'a value also in a comment, written with an escape',
      '# was "ENC:v2:a"\nx = "ENC:v2:\\u0061"\n',
      ['x'],
      '# was "ENC:v2:a"\nx = "NEW"\n',
    ],
    [
      'a value also inside another string',
      'note = \'see "ENC:v2:a"\'\nx = "ENC:v2:\\u0061"\n',
      ['x'],
      'note = \'see "ENC:v2:a"\'\nx = "NEW"\n',
    ],
    ['a value written twice', 'x = "ENC:v2:a"\ny = "ENC:v2:a"\n', ['y'], 'x = "ENC:v2:a"\ny = "NEW"\n'],
    ['a multi-line string, kept multi-line', 'x = """ENC:v2:a"""\n', ['x'], 'x = """NEW"""\n'],
    ['a value inside a longer one', 'y = "ENC:v2:ab"\nx = "ENC:v2:a"\n', ['x'], 'y = "ENC:v2:ab"\nx = "NEW"\n'],
  ])('replaces exactly the token of %s', (_name, text, path, expected) => {
    expectBytes(edit(text, path, 'NEW'), expected);
  });

  it('replaces several tokens in one pass, in any edit order', () => {
    const text = '[a]\nx = "ENC:v2:1"\n[b]\ny = \'ENC:v2:2\'\n';
    const edits: FieldEdit[] = [
      { path: ['b', 'y'], value: 'ENC:v2:"new"' },
      { path: ['a', 'x'], value: 'ENC:v2:3' },
    ];
    expectBytes(applyEdits(parseTomlDocument('f.toml', text), edits), '[a]\nx = "ENC:v2:3"\n[b]\ny = \'ENC:v2:"new"\'\n');
  });

  it.each([
    ['a literal string that cannot hold the value becomes basic', "x = 'old'\n", "it's", `x = "it's"\n`],
    ['a multi-line literal that cannot hold the value becomes multi-line basic', "x = '''\nold'''\n", "a'''b", `x = """\na'''b"""\n`],
    ['a multi-line basic string keeps its lines', 'x = """\nold"""\n', 'one\ntwo "q"', `x = """\none\ntwo \\"q\\""""\n`],
    [
      'a blob inside a URL: only the blob changes, escapes elsewhere kept',
      'url = "p://u:ENC:v2:aaaaaaaa:old@h/\\u0041"\n',
      'p://u:ENC:v2:aaaaaaaa:new@h/A',
      'url = "p://u:ENC:v2:aaaaaaaa:new@h/\\u0041"\n',
    ],
    ['a multi-line string keeps a value that starts with a newline', 'x = """old"""\n', '\nnew', 'x = """\n\nnew"""\n'],
    ['a multi-line literal keeps a value that starts with a newline', "x = '''old'''\n", '\nnew', "x = '''\n\nnew'''\n"],
    [
      'a blob inside a literal URL',
      "url = 'p://u:ENC:v2:aaaaaaaa:old@h/'\n",
      'p://u:ENC:v2:aaaaaaaa:new@h/',
      "url = 'p://u:ENC:v2:aaaaaaaa:new@h/'\n",
    ],
  ])('%s', (_name, text, value, expected) => {
    expectBytes(applyEdits(parseTomlDocument('f.toml', text), [{ path: [text.split(' ')[0]], value }]), expected);
  });
});
