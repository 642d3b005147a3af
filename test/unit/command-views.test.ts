// The small views of fingerprint, audit, edit and init: a result in, the lines a user sees out.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditFilter, auditTableLines, listingProblems } from '../../src/cli/audit-listing.js';
import { editResultLines } from '../../src/cli/edit-view.js';
import { blobLines, keyReportLines } from '../../src/cli/fingerprint-view.js';
import { initLines, type InitOutput } from '../../src/cli/init-flow.js';
import type { AuditEntry } from '../../src/core/audit/index.js';
import type { KeyDescription } from '../../src/core/key-report.js';

const FP = 'ab'.repeat(32);
const key = (over: Partial<KeyDescription> = {}): KeyDescription => ({
  env: 'MASTER',
  set: true,
  fingerprint: FP,
  keyId: 'abababab',
  canEncrypt: true,
  passphrase: false,
  source: 'env',
  ...over,
});

describe('fingerprint', () => {
  it.each<[string, boolean | null, string | null, string]>([
    ['matches', true, FP, `stored  ${FP}  matches the master key`],
    ['a mismatch', false, FP, `stored  ${FP}  MISMATCH: the loaded master key differs (wrong key for this host?)`],
    ['nothing stored', null, null, 'stored  (none)'],
  ])('%s', (_name, matches, stored, last) => {
    const lines = keyReportLines({
      master: key(),
      legacy: [key({ env: 'OLD', passphrase: true }), key({ env: 'GONE', set: false })],
      stored,
      matches,
    });
    expect(lines).toEqual([
      `master  MASTER  abababab  ${FP}`,
      `legacy  OLD  abababab  ${FP}  (passphrase key: v1 blobs only)`,
      'legacy  GONE  (not set)',
      last,
    ]);
  });

  it('a blob: format, key id (none for v1) and the key that opens it', () => {
    expect(blobLines({ format: 'v1', keyId: null, opensWith: 'OLD', role: 'legacy' })).toEqual([
      'format    v1',
      'key id    (none: v1 blobs name no key)',
      'opens with OLD (legacy)',
    ]);
    expect(blobLines({ format: 'v2', keyId: 'abababab', opensWith: 'MASTER', role: 'master' })[1]).toBe('key id    abababab');
  });
});

describe('audit listing', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('the filter of the flags: durations back from now, event prefixes', () => {
    expect(auditFilter({ since: '24h', event: 'keys', limit: 3 }, now)).toEqual({
      since: new Date('2026-11-29T12:00:00Z'),
      until: undefined,
      event: 'keys',
      operator: undefined,
      field: undefined,
      limit: 3,
    });
    expect(() => auditFilter({ event: 'nonsense' }, now)).toThrow(/unknown audit event/);
  });

  it('the table, none for no entries', () => {
    const entry = {
      seq: 7,
      ts: '2026-11-30T11:00:00.000Z',
      operator: 'ops',
      event: 'reveal',
      outcome: 'ok',
      field: 'a.toml:x',
    } as AuditEntry;
    expect(auditTableLines([])).toEqual([]);
    expect(auditTableLines([entry, { ...entry, seq: 6, field: undefined, event: 'rewrap' }])).toEqual([
      'seq  time                      operator  event   field     outcome',
      '7    2026-11-30T11:00:00.000Z  ops       reveal  a.toml:x  ok',
      '6    2026-11-30T11:00:00.000Z  ops       rewrap  -         ok',
    ]);
  });

  it.each<[string, Parameters<typeof listingProblems>[0], string[]]>([
    ['a whole log', { entries: [], badLines: [], badLineCount: 0, chainBreak: null }, []],
    [
      'lines left out, more than named, the chain broken where the first one is',
      { entries: [], badLines: [{ line: 3, reason: 'not JSON' }], badLineCount: 3, chainBreak: { line: 3, reason: 'seq' } },
      [
        'liberty-crypto: problem: audit log line 3 is not an entry (not JSON): left out',
        'liberty-crypto: problem: 2 more audit log lines left out: not entries either',
        "liberty-crypto: warning: the audit log's hash chain breaks at line 3: run liberty-crypto audit verify",
      ],
    ],
    [
      'a chain broken elsewhere says why',
      { entries: [], badLines: [], badLineCount: 0, chainBreak: { line: 9, reason: 'prev does not match' } },
      ["liberty-crypto: warning: the audit log's hash chain breaks at line 9 (prev does not match): run liberty-crypto audit verify"],
    ],
  ])('%s', (_name, listing, notes) => {
    expect(listingProblems(listing)).toEqual(notes);
  });
});

describe('edit', () => {
  it('no change', () => {
    expect(editResultLines({ file: 'c.toml', revealed: [], written: false, changes: [], storedFingerprint: false })).toEqual({
      lines: ['c.toml: no change; nothing written'],
      notes: [],
    });
  });

  it('changes, the sealed ones with their key, and the fingerprint stored', () => {
    const changes = [
      { field: 'c.toml:pools.main.host', change: 'changed' as const, sealed: false },
      { field: 'c.toml:pools.main.password', change: 'added' as const, sealed: true, keyId: 'abababab' },
    ];
    expect(editResultLines({ file: 'c.toml', revealed: [], written: true, changes, storedFingerprint: true })).toEqual({
      lines: [
        'changed c.toml:pools.main.host',
        'added c.toml:pools.main.password (sealed with key abababab)',
        'wrote c.toml: 2 fields changed, 1 sealed',
      ],
      notes: ['stored the master key fingerprint in app.toml [crypto]'],
    });
  });
});

describe('init', () => {
  // the log is named as the operator named the directory: pathAsNamed reads the real directory
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lc-init-view-')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const output: InitOutput = {
    dir,
    created: true,
    masterEnv: 'LIBERTY_MASTER_KEY',
    format: 'v1',
    fingerprint: FP,
    keyId: 'abababab',
    auditLog: join(dir, 'audit.jsonl'),
  };
  const location = { dir, explicit: true, shown: './staging' };

  it('created, with the fingerprint stored', () => {
    expect(initLines(output, location)).toEqual([
      'created ./staging: app.toml [crypto] master_key = "${LIBERTY_MASTER_KEY}", format = "v1"',
      'stored the fingerprint of LIBERTY_MASTER_KEY (key id abababab)',
      'audit log started: ./staging/audit.jsonl',
      'next: grant [permissions] in app.toml, then liberty-crypto encrypt FILE:KEY',
    ]);
  });

  it('an existing directory, the key not set', () => {
    const lines = initLines({ ...output, created: false, keyId: null, fingerprint: null, format: 'v2' }, location);
    expect(lines.slice(0, 2)).toEqual([
      'initialized ./staging: app.toml [crypto] master_key = "${LIBERTY_MASTER_KEY}", format = "v2"',
      'no fingerprint stored: LIBERTY_MASTER_KEY is not set; the first write stores it',
    ]);
  });
});
