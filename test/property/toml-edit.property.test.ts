import fc from 'fast-check';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  applyEdits,
  encodeTomlString,
  findStringValues,
  formatKeyPath,
  listStringValues,
  listStringValuesByTokens,
  locateStringTokens,
  parseKeyPath,
  parseTomlDocument,
  type KeyPath,
} from '../../src/core/toml/index.js';
import { dataOf } from '../support/toml-reference.js';

/** Characters that matter to TOML (quotes, escapes, controls, comment and key syntax) and any code point. */
const trickyChar = fc.oneof(
  fc.constantFrom(
    'a',
    'Z',
    ' ',
    '"',
    "'",
    '\\',
    '#',
    '=',
    '.',
    '\t',
    '\n',
    '\r',
    '\b',
    '\u0000',
    '\u007f',
    '\u0085',
    '\u00e9',
    '\u{1F511}',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const anyValue = fc.string({ unit: trickyChar, maxLength: 24 });
/** Text TOML allows in a comment or single-line literal (no control characters but tab). */
const plainText = (exclude: RegExp) =>
  fc.string({ unit: trickyChar, maxLength: 12 }).map((text) => text.replace(/[\u0000-\u0008\n-\u001f\u007f]/g, '').replace(exclude, ''));
const lineEnd = fc.constantFrom('\n', '\r\n');
const space = fc.constantFrom('', ' ', '\t', '  ', ' \t');

describe('encodeTomlString', () => {
  it('round-trips any string through both parsers', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const doc = parseTomlDocument('p.toml', Buffer.from(`k = ${encodeTomlString(value)}\n`, 'utf8'));
        expect(doc.data.k).toBe(value);
        expect(listStringValues(doc)).toEqual([{ path: ['k'], value, line: 1 }]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('key paths', () => {
  const part = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/), fc.string({ unit: 'binary', maxLength: 6 }));
  const path = fc.array(part, { minLength: 1, maxLength: 4 });

  it('parseKeyPath(formatKeyPath(path)) is the path', () => {
    fc.assert(
      fc.property(path, (p) => {
        expect(parseKeyPath(formatKeyPath(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it('formatKeyPath writes a key TOML reads back as the same path', () => {
    fc.assert(
      fc.property(path, (p) => {
        let node: any = dataOf(`${formatKeyPath(p)} = 1\n`);
        for (const key of p) node = node[key];
        expect(node).toBe(1n);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// random documents: the generator records where each string token starts, independently of the parser

type Piece =
  | { kind: 'blank'; space: string }
  | { kind: 'comment'; space: string; text: string }
  | { kind: 'kv'; keyStyle: number; token: TokenSpec; before: string; around: string; after: string; comment: string | null };

type TokenSpec =
  | { style: 'basic'; value: string }
  | { style: 'literal'; value: string }
  | { style: 'ml-basic'; value: string; eol: string }
  | { style: 'ml-literal'; value: string; eol: string }
  | { style: 'integer'; value: number }
  | { style: 'inline'; value: string };

const tokenSpec: fc.Arbitrary<TokenSpec> = fc.oneof(
  fc.record({ style: fc.constant('basic' as const), value: anyValue }),
  fc.record({ style: fc.constant('literal' as const), value: plainText(/'/g) }),
  fc.record({ style: fc.constant('ml-basic' as const), value: plainText(/["\\]/g), eol: lineEnd }),
  fc.record({ style: fc.constant('ml-literal' as const), value: plainText(/'/g), eol: lineEnd }),
  fc.record({ style: fc.constant('integer' as const), value: fc.integer() }),
  fc.record({ style: fc.constant('inline' as const), value: anyValue }),
);

const piece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('blank' as const), space }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('comment' as const), space, text: plainText(/(?!)/g) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('kv' as const),
      keyStyle: fc.integer({ min: 0, max: 3 }),
      token: tokenSpec,
      before: space,
      around: space,
      after: space,
      comment: fc.option(plainText(/(?!)/g)),
    }),
  },
);

const section = fc.record({
  header: fc.constantFrom('root', 'table', 'element'),
  pieces: fc.array(fc.tuple(piece, lineEnd), { maxLength: 8 }),
});

const documentSpec = fc.record({
  bom: fc.boolean(),
  sections: fc.array(section, { minLength: 1, maxLength: 4 }),
  finalNewline: fc.boolean(),
});

interface StringToken {
  path: KeyPath;
  start: number;
  token: string;
}

interface BuiltDocument {
  text: string;
  strings: StringToken[];
  tables: KeyPath[];
}

function writeToken(spec: TokenSpec): { token: string; innerOffset: number; innerToken: string } | { token: string } {
  switch (spec.style) {
    case 'basic':
      return { token: encodeTomlString(spec.value) };
    case 'literal':
      return { token: `'${spec.value}'` };
    case 'ml-basic':
      return { token: `"""${spec.eol}${spec.value}${spec.eol}x"""` };
    case 'ml-literal':
      return { token: `'''${spec.eol}${spec.value}${spec.eol}x'''` };
    case 'integer':
      return { token: String(spec.value) };
    case 'inline': {
      const innerToken = encodeTomlString(spec.value);
      return { token: `{ n = 1, s = ${innerToken} }`, innerOffset: '{ n = 1, s = '.length, innerToken };
    }
  }
}

type DocumentSpec = typeof documentSpec extends fc.Arbitrary<infer T> ? T : never;

function buildDocument(spec: DocumentSpec): BuiltDocument {
  let text = spec.bom ? '\uFEFF' : '';
  const strings: StringToken[] = [];
  const tables: KeyPath[] = [[]];
  let elements = 0;
  let counter = 0;
  spec.sections.forEach((sec, s) => {
    let base: string[] = [];
    if (s > 0 || sec.header !== 'root') {
      if (sec.header === 'element') {
        base = ['arr', String(elements++)];
        text += `[[arr]]\n`;
      } else {
        base = [`t${s}`];
        text += `[t${s}]\n`;
      }
      tables.push(base);
    }
    for (const [p, eol] of sec.pieces) {
      if (p.kind === 'blank') text += p.space;
      if (p.kind === 'comment') text += `${p.space}#${p.text}`;
      if (p.kind === 'kv') {
        const n = counter++;
        const [key, keyPath] = [
          [`k${n}`, [`k${n}`]],
          [`"k ${n}"`, [`k ${n}`]],
          [`'k.${n}'`, [`k.${n}`]],
          [`g . k${n}`, ['g', `k${n}`]],
        ][p.keyStyle] as [string, string[]];
        const written = writeToken(p.token);
        text += `${p.before}${key}${p.around}=${p.around}`;
        const path = [...base, ...keyPath];
        if (p.token.style === 'inline' && 'innerToken' in written) {
          strings.push({ path: [...path, 's'], start: text.length + written.innerOffset, token: written.innerToken });
          tables.push(path);
        } else if (p.token.style !== 'integer') {
          strings.push({ path, start: text.length, token: written.token });
        }
        text += written.token + p.after + (p.comment === null ? '' : `#${p.comment}`);
      }
      text += eol;
    }
  });
  if (!spec.finalNewline) text = text.replace(/\r?\n$/, '');
  return { text, strings, tables };
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return i;
}

function commonSuffix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[a.length - 1 - i] === b[b.length - 1 - i]) i += 1;
  return i;
}

describe('random documents', () => {
  it('finds every string token where the generator put it', () => {
    fc.assert(
      fc.property(documentSpec, (spec) => {
        const built = buildDocument(spec);
        const doc = parseTomlDocument('r.toml', Buffer.from(built.text, 'utf8'));
        const listed = listStringValues(doc).map(({ path }) => formatKeyPath(path));
        expect(listed.sort()).toEqual(built.strings.map(({ path }) => formatKeyPath(path)).sort());
      }),
      { numRuns: 300 },
    );
  });

  it('locating the string values without the syntax tree gives document order', () => {
    let located = 0;
    fc.assert(
      fc.property(documentSpec, (spec) => {
        const doc = parseTomlDocument('r.toml', Buffer.from(buildDocument(spec).text, 'utf8'));
        const found = findStringValues(doc, (value) => value !== '');
        const starts =
          found &&
          locateStringTokens(
            doc,
            found.map(({ value }) => value),
          );
        if (!found || !starts) return;
        located += 1;
        const byStart = found.map((entry, index) => ({ entry, start: starts[index] })).sort((a, b) => a.start - b.start);
        const inDocument = listStringValues(doc).filter(({ value }) => value !== '');
        expect(byStart.map(({ entry }) => formatKeyPath(entry.path))).toEqual(inDocument.map(({ path }) => formatKeyPath(path)));
      }),
      { numRuns: 2000 },
    );
    expect(located).toBeGreaterThan(20); // the generator must reach the shortcut (~4% of its documents), or this proves nothing
  });

  it('listing by tokens, when it answers, is the list of the syntax tree: paths, values, lines, order', () => {
    let answered = 0;
    fc.assert(
      fc.property(documentSpec, (spec) => {
        const text = buildDocument(spec).text;
        const byTokens = listStringValuesByTokens(parseTomlDocument('r.toml', Buffer.from(text, 'utf8')));
        if (!byTokens) return;
        answered += 1;
        expect(byTokens).toEqual(listStringValues(parseTomlDocument('r.toml', Buffer.from(text, 'utf8'))));
      }),
      { numRuns: 2000 },
    );
    expect(answered).toBeGreaterThan(20); // the generator must reach the shortcut, or this proves nothing
  });

  it('editing string values changes exactly their tokens, each in its own style', () => {
    const scenario = documentSpec.chain((spec) => {
      const built = buildDocument(spec);
      return fc.tuple(
        fc.constant(built),
        fc.subarray(built.strings.map((_, i) => i)),
        fc.array(anyValue, { minLength: built.strings.length, maxLength: built.strings.length }),
      );
    });
    fc.assert(
      fc.property(scenario, ([built, chosen, values]) => {
        const doc = parseTomlDocument('r.toml', Buffer.from(built.text, 'utf8'));
        const edits = chosen.map((i) => ({ path: built.strings[i].path, value: values[i] }));
        const output = applyEdits(doc, edits);
        // the input cut at the edited tokens: every text between them must be in the output byte for byte,
        // and each new token, found between those texts, must hold its value in the style the old one had
        const edited = [...chosen].sort((a, b) => built.strings[a].start - built.strings[b].start);
        let inputAt = 0;
        let outputAt = 0;
        for (const [n, i] of edited.entries()) {
          const { start, token } = built.strings[i];
          const between = built.text.slice(inputAt, start);
          expect(output.slice(outputAt, outputAt + between.length)).toBe(between);
          outputAt += between.length;
          inputAt = start + token.length;
          const nextStart = n + 1 < edited.length ? built.strings[edited[n + 1]].start : built.text.length;
          const after = built.text.slice(inputAt, nextStart);
          const newToken = findToken(output, outputAt, after, values[i]);
          expect(styleOf(newToken), `${token} -> ${newToken}`).toBe(expectedStyle(token, values[i]));
          outputAt += newToken.length;
        }
        expect(output.slice(outputAt)).toBe(built.text.slice(inputAt));
      }),
      { numRuns: 300 },
    );
  });

  it('creating a field inserts text at one place and adds exactly that field', () => {
    const scenario = documentSpec.chain((spec) => {
      const built = buildDocument(spec);
      const target = fc.oneof(
        fc.constantFrom(...built.tables).map((table) => [...table, 'zz_new']),
        fc.constant(['zz_table', 'zz_new']),
        fc.constantFrom(...built.tables).map((table) => [...table, 'zz_sub', 'zz_new']),
      );
      return fc.tuple(fc.constant(built), target, anyValue);
    });
    fc.assert(
      fc.property(scenario, ([built, path, value]) => {
        const doc = parseTomlDocument('r.toml', Buffer.from(built.text, 'utf8'));
        const text = applyEdits(doc, [{ path, value }]);
        expect(commonPrefix(text, built.text) + commonSuffix(text, built.text)).toBeGreaterThanOrEqual(built.text.length);
        const expected: any = dataOf(built.text);
        let node = expected;
        for (const key of path.slice(0, -1)) node = node[key] ??= {};
        node[path.at(-1)!] = value;
        expect(dataOf(text)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('findStringValues against the strict parser', () => {
  // Documents from TOML pieces, valid or not: numbers, dates, strings and escapes, tables, arrays of
  // tables, dotted keys, comments, stray characters. Whenever smol-toml accepts one and findStringValues
  // answers, the strict TOML 1.0 parser must accept it too and list the same strings.
  const key = fc.constantFrom('a', 'b', 'a.b', '"q"', "'l'", 'a . b', '1', '-', 'a..b', '"a"."b"', 'ä', '', '"a\\tb"', '"a\u0001"');
  const value = fc.constantFrom(
    '"s"',
    "'l'",
    '"""m\nl"""',
    "'''m\nl'''",
    '"""a\\\n  b"""',
    '"""\\ \n"""',
    '""""a""""',
    "''''''''",
    '"ENC:v2:x"',
    '"\\u00e9"',
    '"\\U0001F511"',
    '"\\ud800"',
    '"\\q"',
    '"\\x41"',
    '"\\e"',
    '"\\ "',
    '"\t"',
    '"\u0001"',
    '"\u007f"',
    "'\u0001'",
    '"\r"',
    '1',
    '+1',
    '-0',
    '01',
    '1_000',
    '1__0',
    '_1',
    '1_',
    '0x1F',
    '0xG',
    '0x_1',
    '+0x1',
    '0o17',
    '0b101',
    '0b2',
    '9223372036854775808',
    '1.5',
    '1e3',
    '1.e3',
    '.5',
    '5.',
    '1_0.0_1',
    '1e_3',
    'inf',
    '-nan',
    'nan1',
    '+inf',
    'true',
    'false',
    'True',
    '[1, "x"]',
    '[1,]',
    '[ ]',
    '[,]',
    '[[1], ["ENC:v2:y"]]',
    '[\n1,\n# c\n]',
    '1979-05-27',
    '1979-05-27T07:32:00Z',
    '1979-05-27 07:32:00.5+01:00',
    '07:32:00',
    '07:32',
    '24:00:00',
    '1979-13-01',
    '1979-05-27T07:32:00+1',
    '{}',
    '${}',
    '"${A}"',
    "'$'{ a = 1, }",
    '"${"{ a = 1, }',
    '${ a = 1, }',
    '{ a = "ENC:v2:z" }',
    '{ a = 1, }',
    '{\n a = 1 }',
    '{ a.b = 1, a.c = 2 }',
    '[{ a = "s" }]',
    '"\uFEFF"',
    '\uFEFF1',
    'hunter2',
    '"unterminated',
    '"a" "b"',
    '1 1',
  );
  const line = fc.oneof(
    fc.tuple(key, fc.constantFrom(' = ', '=', ' =', ' = = ', '\t=\t'), value).map(([k, eq, v]) => `${k}${eq}${v}`),
    key.map((k) => `[${k}]`),
    key.map((k) => `[[${k}]]`),
    key.map((k) => `[ ${k} ]]`),
    key.map((k) => `[${k}] x = 1`),
    fc.constantFrom(
      '# comment',
      '# ${x}',
      '#\u0001',
      '#\u007f',
      '# é',
      '',
      '   ',
      '\t',
      'a = 1 # c',
      'a = 1 b = 2',
      '\r',
      '\u0000',
      '\u2028',
      '\uFEFF',
      '\uFEFFa = 1',
    ),
    fc.string({ unit: trickyChar, maxLength: 8 }),
  );
  const document = fc
    .tuple(fc.constantFrom('', '\uFEFF', '\uFEFF\uFEFF'), fc.array(line, { maxLength: 8 }), lineEnd)
    .map(([start, lines, eol]) => start + lines.join(eol));

  it('answers only for documents the strict parser accepts, with the same strings', () => {
    const sorted = (values: ReadonlyArray<{ path: KeyPath; value: string }>) =>
      values.map(({ path, value }) => JSON.stringify([path, value])).sort();
    fc.assert(
      fc.property(document, (text) => {
        let doc;
        try {
          doc = parseTomlDocument('p.toml', text);
        } catch {
          return;
        }
        const found = findStringValues(doc, () => true);
        if (found !== undefined) expect(sorted(found)).toEqual(sorted(listStringValues(doc)));
      }),
      { numRuns: 2000 },
    );
  });
});

/** The shortest token at `at` in `output` that is followed by `after` and parses to `value`. */
function findToken(output: string, at: number, after: string, value: string): string {
  // the last token of a document runs to its end (else `""`, the start of `"""\n"""`, would pass for an empty value)
  if (after === '') return output.slice(at);
  for (let end = output.indexOf(after, at + 2); end !== -1; end = output.indexOf(after, end + 1)) {
    const token = output.slice(at, end);
    try {
      if (parse(`v = ${token}`).v === value) return token;
    } catch {
      // not a whole token yet
    }
  }
  throw new Error(`no token holding the value at ${at}`);
}

type Style = 'basic' | 'literal' | 'multi-line basic' | 'multi-line literal';

function styleOf(token: string): Style {
  if (token.startsWith('"""')) return 'multi-line basic';
  if (token.startsWith("'''")) return 'multi-line literal';
  return token.startsWith("'") ? 'literal' : 'basic';
}

/** The old token's style, or the nearest one that can hold the value (a literal string has no escapes). */
function expectedStyle(oldToken: string, value: string): Style {
  const old = styleOf(oldToken);
  const controls = /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value);
  if (old === 'literal') return value.includes("'") || controls ? 'basic' : 'literal';
  if (old === 'multi-line literal') {
    const fits = !value.includes("'''") && !value.endsWith("'") && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\r(?!\n)/.test(value);
    return fits ? 'multi-line literal' : 'multi-line basic';
  }
  return old;
}
