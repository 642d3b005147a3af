// scanPlainSecrets: the fields encrypt --all seals, in document order, without the strict syntax tree
// whenever the parsed data and the text can answer; from the tree otherwise, with the same result.
import { describe, expect, it } from 'vitest';
import { readFieldRules } from '../../src/core/secret-fields.js';
import { scanDocument, scanPlainSecrets } from '../../src/core/settings-scan.js';
import { formatKeyPath, hasSyntaxTree, parseTomlDocument } from '../../src/core/toml/index.js';

const rules = readFieldRules(undefined);

function scan(text: string) {
  const doc = parseTomlDocument('c.toml', text);
  const fields = scanPlainSecrets(doc, rules).map((field) => formatKeyPath(field.path));
  const fromTree = scanDocument(parseTomlDocument('c.toml', text), rules)
    .filter((field) => !field.encrypted && field.fieldClass !== 'other')
    .map((field) => formatKeyPath(field.path));
  return { fields, fromTree, usedTree: hasSyntaxTree(doc) };
}

// tables reopened out of order: smol-toml's data lists a.c before b, the text has b first
const OUT_OF_ORDER = [
  '[a]',
  'password = "pa"',
  '[b]',
  'auth_token = "tb"',
  '[a.c]',
  'password = "pac"',
  '[d]',
  'x.password = "dx"',
  'y = 1',
  'x.auth_token = "dt"',
  'r.password = "${REF}"',
  '[b.z]',
  "password = 'lit'",
  '',
].join('\n');

const cases: Array<{ rule: string; text: string; tree: boolean }> = [
  { rule: 'out-of-order tables come in document order, without the syntax tree', text: OUT_OF_ORDER, tree: false },
  { rule: 'one empty secret does not stop the shortcut', text: OUT_OF_ORDER + 'e.password = ""\n', tree: false },
  {
    rule: 'two empty secrets cannot be told apart: the syntax tree',
    text: OUT_OF_ORDER + 'e.password = ""\nf.password = ""\n',
    tree: true,
  },
  { rule: 'two fields with the same value: the syntax tree', text: OUT_OF_ORDER + 'q.password = "pa"\n', tree: true },
  { rule: 'a value also in a comment: the syntax tree', text: OUT_OF_ORDER + '# "lit"\n', tree: true },
  {
    // the escaped token does not hold the value's text, the comment does: the comment's place must not count
    rule: 'any backslash: the syntax tree (a token may be escaped)',
    text: '[a]\npassword = "x\\u0041y"\n[b]\npassword = "q"\n# "xAy"\n',
    tree: true,
  },
  {
    // the multi-line token holds the value without quotes around it, the comment with them
    rule: 'a multi-line string: the syntax tree',
    text: '[a]\npassword = """\nxy"""\n[b]\npassword = "q"\n# "xy"\n',
    tree: true,
  },
  {
    rule: 'a value inside another value does not count as a second one',
    text: '[a]\npassword = "pa"\nurl = "https://pa.example"\n[b]\npassword = "pac"\n',
    tree: false,
  },
  { rule: 'an inline table: the syntax tree', text: 'a = { password = "p" }\n[b]\npassword = "q"\n', tree: true },
  {
    rule: 'encrypted and non-secret fields are left out',
    text: '[a]\npassword = "ENC:v2:AAAA"\nname = "x"\n[b]\npassword = "q"\n',
    tree: false,
  },
];

describe('scanPlainSecrets', () => {
  it.each(cases)('$rule', ({ text, tree }) => {
    const { fields, fromTree, usedTree } = scan(text);
    expect(fields).toEqual(fromTree);
    expect(usedTree).toBe(tree);
  });

  it('lists the out-of-order document in the order of its text', () => {
    expect(scan(OUT_OF_ORDER).fields).toEqual([
      'a.password',
      'b.auth_token',
      'a.c.password',
      'd.x.password',
      'd.x.auth_token',
      'd.r.password',
      'b.z.password',
    ]);
  });
});
