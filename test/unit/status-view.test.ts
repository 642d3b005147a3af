// status's text, from a report: table-driven rows of report -> the lines a user sees (colours off:
// a Paint that marks painted text, so a finding's label is checked as painted, not only as text).
import { describe, expect, it } from 'vitest';
import { Painted, type Paint } from '../../src/cli/colors.js';
import type { LinePart } from '../../src/cli/base-command.js';
import { describeFormat, statusLines } from '../../src/cli/status-view.js';
import type { KeyDescription } from '../../src/core/key-report.js';
import { emptyStatusReport, type StatusReport } from '../../src/core/status.js';

const PAINT: Paint = {
  problem: (text) => new Painted(`<red>${text}</red>`),
  warning: (text) => new Painted(`<yellow>${text}</yellow>`),
  ok: (text) => new Painted(`<green>${text}</green>`),
};

/** A line as the terminal gets it (Painted parts as painted). */
const text = (parts: readonly LinePart[]) => parts.map((part) => (part instanceof Painted ? part.terminalText : part)).join('');

const key = (over: Partial<KeyDescription> = {}): KeyDescription => ({
  env: 'LIBERTY_MASTER_KEY',
  set: true,
  fingerprint: 'ab'.repeat(32),
  keyId: 'abababab',
  canEncrypt: true,
  passphrase: false,
  source: 'env',
  ...over,
});

function report(over: Partial<StatusReport> = {}): StatusReport {
  const keys = { master: key(), legacy: [], stored: 'ab'.repeat(32), matches: true };
  const base = emptyStatusReport(keys, { writes: 'v1', explicit: false }, 2);
  return { ...base, blobs: { total: 3, v1: 3, v2: 0, malformed: 0 }, current: 3, ...over };
}

describe('statusLines', () => {
  it('a healthy directory: keys table, fingerprint, format, counts, ok', () => {
    expect(statusLines(report(), PAINT).map(text)).toEqual([
      'role    env                 key id    state  source',
      'master  LIBERTY_MASTER_KEY  abababab  set    env',
      'fingerprint: abababab (matches)',
      '',
      'format: writes v1 (the default): the layout every Liberty runtime reads',
      '3 blobs in 2 files: 3 v1, 0 v2; 3 current',
      '',
      '<green>ok: nothing to do</green>',
    ]);
  });

  it.each<[string, Partial<StatusReport>, string]>([
    ['a mismatch', { keys: { master: key(), legacy: [], stored: 'cd'.repeat(32), matches: false } }, 'fingerprint: cdcdcdcd (MISMATCH)'],
    [
      'no master to compare',
      { keys: { master: key({ set: false }), legacy: [], stored: 'cd'.repeat(32), matches: null } },
      'fingerprint: cdcdcdcd (master not set)',
    ],
    ['none stored', { keys: { master: key(), legacy: [], stored: null, matches: null } }, 'fingerprint: none stored'],
    [
      'malformed blobs',
      { blobs: { total: 4, v1: 2, v2: 1, malformed: 1 }, files: 1 },
      '4 blobs in 1 file: 2 v1, 1 v2, 1 malformed; 3 current',
    ],
    [
      'v2 written',
      { format: { writes: 'v2', explicit: true } },
      'format: writes v2 (app.toml [crypto] format): only runtimes that read v2 open these blobs',
    ],
    [
      'v1 named in app.toml',
      { format: { writes: 'v1', explicit: true } },
      'format: writes v1 (app.toml [crypto] format): the layout every Liberty runtime reads',
    ],
    [
      'empty plaintext secrets',
      { plaintextSecrets: [{ file: 'a.toml', key: 'x.password', line: 1, locked: false, empty: true }] },
      '1 empty secret field left plain (no secret to protect)',
    ],
  ])('%s', (_name, over, line) => {
    expect(statusLines(report(over), PAINT).map(text)).toContain(line);
  });

  it('a key that is not set, a passphrase legacy key and a key file source', () => {
    const keys = {
      master: key({ set: false, keyId: null, fingerprint: null, source: null }),
      legacy: [key({ env: 'OLD', keyId: '12345678', passphrase: true, source: 'file' as const })],
      stored: null,
      matches: null,
    };
    expect(statusLines(report({ keys }), PAINT).map(text).slice(0, 3)).toEqual([
      'role    env                 key id    state                            source',
      'master  LIBERTY_MASTER_KEY  -         NOT SET                          -',
      'legacy  OLD                 12345678  set (passphrase: v1 blobs only)  file',
    ]);
  });

  it('blobs per key and values from the environment, indented tables', () => {
    const lines = statusLines(
      report({
        byKey: [
          { env: 'LIBERTY_MASTER_KEY', keyId: 'abababab', role: 'master', v1: 2, v2: 0 },
          { env: null, keyId: null, role: null, v1: 1, v2: 0 },
        ],
        envReferences: [
          { file: 'app.toml', key: 'auth.jwt', line: 3, env: 'JWT', set: true, hasDefault: false },
          { file: 'c.toml', key: 'pools.local.password', line: 4, env: 'PW', set: false, hasDefault: true },
          { file: 'c.toml', key: 'x.token', line: 5, env: 'TOKEN', set: false, hasDefault: false },
        ],
      }),
      PAINT,
    ).map(text);
    expect(lines.slice(6, 14)).toEqual([
      '  key                  key id    role    v1  v2',
      '  LIBERTY_MASTER_KEY   abababab  master  2   0',
      '  (no configured key)  -         -       1   0',
      '3 values from the environment:',
      '  field                        variable  state',
      '  app.toml:auth.jwt            JWT       set',
      '  c.toml:pools.local.password  PW        unset (default used)',
      '  c.toml:x.token               TOKEN     unset',
    ]);
  });

  it('problems before warnings, each label painted, hints indented; no ok line', () => {
    const lines = statusLines(
      report({
        problems: [{ code: 'E_X', message: 'a.toml:db.password: no key opens it', hint: 'add the key' }],
        warnings: [{ code: 'W_Y', message: 'an unused legacy key' }],
      }),
      PAINT,
    );
    expect(lines.slice(-3)).toEqual([
      [expect.any(Painted), ' a.toml:db.password: no key opens it'],
      ['  hint: add the key'],
      [expect.any(Painted), ' an unused legacy key'],
    ]);
    expect(lines.slice(-3).map(text)).toEqual([
      '<red>problem:</red> a.toml:db.password: no key opens it',
      '  hint: add the key',
      '<yellow>warning:</yellow> an unused legacy key',
    ]);
    expect(lines.map(text)).not.toContain('<green>ok: nothing to do</green>');
  });
});

describe('describeFormat', () => {
  it.each<[StatusReport['format'], string]>([
    [{ writes: 'v1', explicit: false }, 'v1 (the default): the layout every Liberty runtime reads'],
    [{ writes: 'v1', explicit: true }, 'v1 (app.toml [crypto] format): the layout every Liberty runtime reads'],
    [{ writes: 'v2', explicit: true }, 'v2 (app.toml [crypto] format): only runtimes that read v2 open these blobs'],
  ])('%o', (format, described) => {
    expect(describeFormat(format)).toBe(described);
  });
});
