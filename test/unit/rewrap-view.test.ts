// rewrap's text and exit code, from a report: table-driven, so a failure names the rule it broke.
import { describe, expect, it } from 'vitest';
import { rewrapExitCode, splitFileList } from '../../src/cli/rewrap-run.js';
import { rewrapView } from '../../src/cli/rewrap-view.js';
import type { RewrapReport } from '../../src/core/rewrap.js';

function report(over: Partial<RewrapReport> = {}): RewrapReport {
  return {
    check: false,
    rewrapped: 0,
    format: 'v1',
    current: 3,
    legacy: 0,
    onLegacyKeys: 0,
    otherFormat: 0,
    onLegacy: [],
    unreadable: 0,
    files: [],
    filesRead: 2,
    empty: false,
    problems: [],
    ...over,
  };
}

const legacyBlob = {
  file: 'c.toml',
  key: 'pools.main.password',
  kid: null,
  format: 'v1' as const,
  opensWith: 'OLD_KEY',
  reason: 'legacy-key' as const,
};
const otherFormat = {
  file: 'c.toml',
  key: 'x.token',
  kid: 'abcd1234',
  format: 'v2' as const,
  opensWith: 'MASTER',
  reason: 'format' as const,
};
const problem = {
  file: 'c.toml',
  key: 'x.secret',
  kid: '0badc0de',
  code: 'E_NO_KEY',
  exitCode: 3,
  message: 'c.toml:x.secret: no configured key opens it',
};

describe('rewrapView', () => {
  it.each<[string, Partial<RewrapReport>, boolean, { problems?: string[]; lines: string[]; notes?: string[] }]>([
    [
      'a run that changed nothing',
      {},
      false,
      { lines: ['0 encrypted fields re-wrapped with the current master key', '0 still using legacy keys'] },
    ],
    [
      'a check that finds blobs not current lists them and says what to do',
      { check: true, rewrapped: 2, onLegacyKeys: 1, otherFormat: 1, onLegacy: [legacyBlob, otherFormat] },
      false,
      {
        lines: [
          'c.toml:pools.main.password  on legacy key OLD_KEY, v1',
          'c.toml:x.token  v2 under the master key (key id abcd1234): this directory writes v1',
          '2 encrypted fields would be re-wrapped with the current master key',
          '1 still using legacy keys',
          '1 v2 under the master key (this directory writes v1)',
          'check only, nothing written: run liberty-crypto rewrap to re-wrap them',
        ],
      },
    ],
    [
      'quiet: the counts only',
      { check: true, rewrapped: 1, onLegacyKeys: 1, onLegacy: [legacyBlob] },
      true,
      { lines: ['1 encrypted field would be re-wrapped with the current master key', '1 still using legacy keys'] },
    ],
    [
      'a problem goes to stderr first, named by field and key id, its message not repeating the field',
      { unreadable: 1, problems: [problem], format: 'v2', otherFormat: 2 },
      false,
      {
        problems: ['liberty-crypto: problem: c.toml:x.secret (key id 0badc0de): no configured key opens it'],
        lines: [
          '0 encrypted fields re-wrapped with the current master key',
          '0 still using legacy keys',
          '2 v1 under the master key (this directory writes v2)',
          '1 unreadable',
        ],
      },
    ],
    [
      'nothing read: a problem on stderr, also under --quiet',
      { filesRead: 0 },
      true,
      {
        lines: ['0 encrypted fields re-wrapped with the current master key', '0 still using legacy keys'],
        notes: ['liberty-crypto: problem: no settings file in the directory: nothing was checked'],
      },
    ],
    [
      'an empty directory: a warning with its hint',
      { empty: true },
      true,
      {
        lines: ['0 encrypted fields re-wrapped with the current master key', '0 still using legacy keys'],
        notes: [
          'liberty-crypto: warning: empty settings directory: no settings file beside app.toml and no blob',
          expect.stringMatching(/^liberty-crypto: hint: check that --settings/) as string,
        ],
      },
    ],
  ])('%s', (_name, over, quiet, expected) => {
    expect(rewrapView(report(over), quiet)).toEqual({ problems: [], notes: [], ...expected });
  });
});

describe('rewrapExitCode', () => {
  it.each<[string, Partial<RewrapReport>, number | undefined]>([
    ['a clean run', {}, undefined],
    ['a run leaves legacy blobs to no one: no code', { onLegacy: [legacyBlob] }, undefined],
    ['a clean check', { check: true }, undefined],
    ['a check with a blob not current', { check: true, onLegacy: [legacyBlob] }, 1],
    ['a check that read no file', { check: true, filesRead: 0 }, 1],
    ['the worst problem wins', { check: true, onLegacy: [legacyBlob], problems: [problem, { ...problem, exitCode: 5 }] }, 5],
    ['a run with a problem', { problems: [{ ...problem, exitCode: 6 }] }, 6],
  ])('%s', (_name, over, code) => {
    expect(rewrapExitCode(report(over))).toBe(code);
  });
});

describe('splitFileList', () => {
  it.each<[string | undefined, string[] | undefined]>([
    [undefined, undefined],
    ['app.toml', ['app.toml']],
    [' a.toml, b.toml ,,', ['a.toml', 'b.toml']],
  ])('%o', (list, files) => {
    expect(splitFileList(list)).toEqual(files);
  });
});
