import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  appendAuditEvent,
  appendAuditEvents,
  AUDIT_EVENT_NAMES,
  checkAuditLogWritable,
  type AuditEntry,
  type AuditEvent,
  filterAuditEntries,
  GENESIS_PREV,
  hashLine,
  MAX_AUDIT_LINE_BYTES,
  MAX_AUDIT_LOG_BYTES,
  MAX_LISTED_BAD_LINES,
  parseEventFilter,
  parseTimeBound,
  readAuditLog,
  resolveAuditLogPath,
  verifyAuditLog,
} from '../../src/core/audit/index.js';
import { LibertyError } from '../../src/core/errors.js';
import { bundleWorker, runWorker } from '../support/esbuild-worker.js';
import { giveToUnprivileged, runUnprivileged, unprivilegedUserAvailable } from '../support/unprivileged.js';
import { rejection, thrown } from '../support/errors.js';

const HOST = hostname();
const identity = { operator: 'alice', osUser: 'root', host: HOST, pid: process.pid };
/** An entry's keys in the order a line holds them; the optional ones are left out when not given. */
const ENTRY_KEYS = ['v', 'seq', 'ts', 'event', 'outcome', 'operator', 'osUser', 'host', 'pid', 'field', 'keyId', 'details', 'prev'];
const OPTIONAL_KEYS = ['field', 'keyId', 'details'];

let dir: string;
let log: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lc-audit-'));
  log = join(dir, 'audit.log');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A clock that ticks one second per call from 2024-05-01T10:00:00Z. */
function tickingClock(start = Date.parse('2024-05-01T10:00:00.000Z')): () => Date {
  let now = start;
  return () => {
    const date = new Date(now);
    now += 1000;
    return date;
  };
}

async function appendMany(count: number, clock = tickingClock()): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    entries.push(
      await appendAuditEvent(log, { event: 'reveal', outcome: 'ok', field: `connectors.toml:pools.p${i}.password` }, { clock, identity }),
    );
  }
  return entries;
}

function readLines(): string[] {
  const text = readFileSync(log, 'utf8');
  return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
}

function writeLines(lines: string[], trailingNewline = true): void {
  writeFileSync(log, lines.join('\n') + (trailingNewline ? '\n' : ''));
}

describe('appendAuditEvent', () => {
  it('writes one JSON line per event with the documented keys in order', async () => {
    const entry = await appendAuditEvent(
      log,
      {
        event: 'rewrap',
        outcome: 'ok',
        field: 'connectors.toml:pools.main.password',
        keyId: 'k-2024',
        details: { files: 3, fields: 12, envVars: ['LIBERTY_MASTER_KEY'], dryRun: false },
      },
      { clock: () => new Date('2024-05-01T10:00:00.123Z'), identity },
    );
    const lines = readLines();
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0]);
    expect(Object.keys(parsed)).toEqual(ENTRY_KEYS);
    expect(parsed).toEqual({
      v: 1,
      seq: 1,
      ts: '2024-05-01T10:00:00.123Z',
      event: 'rewrap',
      outcome: 'ok',
      operator: 'alice',
      osUser: 'root',
      host: HOST,
      pid: process.pid,
      field: 'connectors.toml:pools.main.password',
      keyId: 'k-2024',
      details: { files: 3, fields: 12, envVars: ['LIBERTY_MASTER_KEY'], dryRun: false },
      prev: GENESIS_PREV,
    });
    expect(entry).toEqual(parsed);
  });

  it('leaves out optional keys that are not given', async () => {
    await appendAuditEvent(log, { event: 'keys.rotate', outcome: 'failed' }, { clock: tickingClock(), identity });
    expect(Object.keys(JSON.parse(readLines()[0]))).toEqual(ENTRY_KEYS.filter((key) => !OPTIONAL_KEYS.includes(key)));
  });

  it('chains each line to the hash of the one before and numbers them', async () => {
    await appendMany(5);
    const lines = readLines();
    expect(lines).toHaveLength(5);
    lines.forEach((line, i) => {
      const entry = JSON.parse(line);
      expect(entry.seq).toBe(i + 1);
      expect(entry.prev).toBe(i === 0 ? GENESIS_PREV : hashLine(lines[i - 1]));
    });
    expect(readFileSync(log, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('creates the log with mode 0o600 and leaves no lock behind', async () => {
    const nested = join(dir, 'state');
    mkdirSync(nested);
    log = join(nested, 'audit.log');
    await appendMany(1);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(readdirSync(nested)).toEqual(['audit.log']);
  });

  it('never creates the directory of the log', async () => {
    log = join(dir, 'state', 'audit.log');
    const error = await rejection(appendAuditEvent(log, { event: 'reveal', outcome: 'ok' }, { clock: tickingClock(), identity }));
    expect(error.code).toBe('E_AUDIT_LOG');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('finds the last line of a long log and a line longer than the read chunk', async () => {
    await appendMany(3);
    const long = Array.from({ length: 600 }, (_, i) => `LIBERTY_VAR_${i}`);
    await appendAuditEvent(log, { event: 'encrypt', outcome: 'ok', details: { envVars: long } }, { clock: tickingClock(), identity });
    await appendMany(1);
    const lines = readLines();
    expect(lines[3].length).toBeGreaterThan(8192);
    expect(JSON.parse(lines[4]).seq).toBe(5);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, entries: 5 });
  });

  it('appends after a broken last line, chaining its bytes as they are', async () => {
    await appendMany(3);
    const lines = readLines();
    const broken = lines[2].slice(0, 40);
    writeLines([lines[0], lines[1], broken], false);
    const entry = await appendAuditEvent(log, { event: 'decrypt', outcome: 'ok' }, { clock: tickingClock(), identity });
    expect(entry.seq).toBe(4);
    expect(entry.prev).toBe(hashLine(broken));
    expect(readLines()).toEqual([lines[0], lines[1], broken, JSON.stringify(entry)]);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, firstBadLine: 3, entries: 4 });
  });

  it('appends a batch as consecutive lines chained exactly as one by one, after a broken last line too', async () => {
    await appendMany(2);
    const lines = readLines();
    const broken = lines[1].slice(0, 30);
    writeLines([lines[0], broken], false);
    const events: AuditEvent[] = ['a', 'b', 'c'].map((name) => ({
      event: 'encrypt',
      outcome: 'ok',
      field: `c.toml:${name}.password`,
      keyId: 'k1',
    }));
    const entries = await appendAuditEvents(log, events, { clock: tickingClock(), identity });
    expect(entries.map((entry) => entry.seq)).toEqual([3, 4, 5]);
    const after = readLines();
    expect(after).toEqual([lines[0], broken, ...entries.map((entry) => JSON.stringify(entry))]);
    after.slice(2).forEach((line, i) => expect(JSON.parse(line).prev).toBe(hashLine(after[i + 1])));
    expect(new Set(entries.map((entry) => entry.ts)).size).toBe(1); // one clock reading for the batch
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, firstBadLine: 2, entries: 5 });
    // the batch chains on: a line appended alone next continues it
    const next = await appendAuditEvent(log, { event: 'decrypt', outcome: 'ok' }, { clock: tickingClock(), identity });
    expect(next).toMatchObject({ seq: 6, prev: hashLine(after[4]) });
  });

  it('refuses a batch holding one bad event with E_INTERNAL and writes none of its lines', async () => {
    const events: AuditEvent[] = [
      { event: 'encrypt', outcome: 'ok', field: 'c.toml:a.password' },
      { event: 'encrypt', outcome: 'ok', details: { value: 'ENC:v2:abc' } },
    ];
    const error = await rejection(appendAuditEvents(log, events, { clock: tickingClock(), identity }));
    expect(error.code).toBe('E_INTERNAL');
    expect(existsSync(log)).toBe(false);
    expect(await appendAuditEvents(log, [], { clock: tickingClock(), identity })).toEqual([]);
    expect(existsSync(log)).toBe(false);
  });

  it.each<[string, AuditEvent]>([
    ['a blob in details', { event: 'reveal', outcome: 'ok', details: { value: 'ENC:v2:abc' } }],
    ['a key in details', { event: 'reveal', outcome: 'ok', details: { key: 'a'.repeat(64) } }],
    ['a key in a details list', { event: 'reveal', outcome: 'ok', details: { keys: ['LIBERTY_X', 'F'.repeat(64)] } }],
    ['a key with a stray space in details', { event: 'keys.rotate', outcome: 'denied', details: { to: `${'c0ffee00'.repeat(8)} ` } }],
    ['a blob as field', { event: 'reveal', outcome: 'ok', field: 'ENC:v2:abc' }],
    ['a blob as keyId', { event: 'reveal', outcome: 'ok', keyId: 'ENC:v2:abc' }],
    ['an object in details', { event: 'reveal', outcome: 'ok', details: { nested: { a: 1 } as never } }],
    ['an unknown event', { event: 'dump-all' as never, outcome: 'ok' }],
    ['an unknown outcome', { event: 'reveal', outcome: 'maybe' as never }],
  ])('refuses %s with E_INTERNAL and writes nothing', async (_name, event) => {
    const error = await rejection(appendAuditEvent(log, event, { clock: tickingClock(), identity }));
    expect(error.code).toBe('E_INTERNAL');
    expect(error.message).not.toContain('ENC:');
    expect(error.message).not.toMatch(/[0-9a-f]{64}/i);
    expect(existsSync(log)).toBe(false);
  });

  it('fails closed with E_AUDIT_LOG naming the log when it cannot be written', async () => {
    writeFileSync(join(dir, 'not-a-dir'), '');
    for (const path of [join(dir, 'not-a-dir', 'audit.log'), dir]) {
      const error = await rejection(appendAuditEvent(path, { event: 'reveal', outcome: 'ok' }, { clock: tickingClock(), identity }));
      expect(error.code).toBe('E_AUDIT_LOG');
      expect(error.exitCode).toBe(6);
      expect(error.message).toContain(path);
    }
  });

  it.runIf(unprivilegedUserAvailable())('fails closed with E_AUDIT_LOG when the log is read-only', async () => {
    await appendMany(1);
    giveToUnprivileged(dir, log);
    chmodSync(log, 0o400);
    const worker = await bundleWorker('test/support/write-worker.ts');
    chmodSync(dirname(worker), 0o755);
    const result = runUnprivileged(worker, ['audit', log]) as { ok: boolean; code: string; message: string };
    expect(result).toMatchObject({ ok: false, code: 'E_AUDIT_LOG' });
    expect(result.message).toContain(log);
    expect(readLines()).toHaveLength(1);
  });

  it('fails closed with E_AUDIT_LOG while another live process holds the log lock', async () => {
    const holder = { pid: process.pid, host: HOST, user: 'x', command: 'audit', since: 'now', token: `${process.pid}-aa` };
    writeFileSync(`${log}.lock`, JSON.stringify(holder));
    const error = await rejection(
      appendAuditEvent(log, { event: 'reveal', outcome: 'ok' }, { clock: tickingClock(), identity, lockWaitMs: 200 }),
    );
    expect(error.code).toBe('E_AUDIT_LOG');
    expect(error.message).toContain(log);
    expect(existsSync(log)).toBe(false);
  });

  it('takes over a log lock left by a dead process', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.on('exit', resolve));
    const holder = { pid: child.pid, host: HOST, user: 'x', command: 'audit', since: 'then', token: `${child.pid}-bb` };
    writeFileSync(`${log}.lock`, JSON.stringify(holder));
    await appendMany(1);
    expect(readdirSync(dir)).toEqual(['audit.log']);
  });
});

describe('verifyAuditLog', () => {
  it('accepts a missing or empty log', async () => {
    expect(await verifyAuditLog(log)).toEqual({ ok: true, entries: 0, firstBadLine: null, head: null });
    writeFileSync(log, '');
    expect(await verifyAuditLog(log)).toEqual({ ok: true, entries: 0, firstBadLine: null, head: null });
  });

  it('accepts an intact log and reports the hash of its last line as head', async () => {
    await appendMany(4);
    const lines = readLines();
    expect(await verifyAuditLog(log)).toEqual({ ok: true, entries: 4, firstBadLine: null, head: hashLine(lines[3]) });
  });

  it('counts a last line without newline as a line', async () => {
    await appendMany(2);
    writeLines(readLines(), false);
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, entries: 2 });
  });

  const edit = (line: string, change: (entry: Record<string, unknown>) => void): string => {
    const entry = JSON.parse(line);
    change(entry);
    return JSON.stringify(entry);
  };

  it.each<[string, (lines: string[]) => string[], number]>([
    ['an edited field', (l) => [l[0], edit(l[1], (e) => (e.operator = 'mallory')), l[2], l[3], l[4]], 3],
    ['an edited outcome on line 1', (l) => [edit(l[0], (e) => (e.outcome = 'denied')), ...l.slice(1)], 2],
    ['a deleted line', (l) => [l[0], l[2], l[3], l[4]], 2],
    ['a deleted first line', (l) => l.slice(1), 1],
    ['two lines swapped', (l) => [l[0], l[2], l[1], l[3], l[4]], 2],
    [
      'a forged line inserted with the right seq and prev',
      (l) => [l[0], l[1], edit(l[1], (e) => Object.assign(e, { seq: 3, prev: hashLine(l[1]), outcome: 'ok' })), l[2], l[3], l[4]],
      4,
    ],
    ['the last line truncated mid-way', (l) => [...l.slice(0, 4), l[4].slice(0, 30)], 5],
    ['a blank line in the middle', (l) => [l[0], l[1], '', l[2], l[3], l[4]], 3],
    ['a blank line at the end', (l) => [...l, ''], 6],
    ['v changed', (l) => [l[0], edit(l[1], (e) => (e.v = 2)), ...l.slice(2)], 2],
    ['seq renumbered', (l) => [l[0], edit(l[1], (e) => (e.seq = 7)), ...l.slice(2)], 2],
    ['a line that is not JSON', (l) => [l[0], 'hello', ...l.slice(1)], 2],
    ['a JSON array', (l) => [l[0], '[1,2]', ...l.slice(1)], 2],
    // the lines a listing leaves out are the lines verify reports
    ['a field that is not text', (l) => [l[0], edit(l[1], (e) => (e.field = 7)), ...l.slice(2)], 2],
    ['details that are not an object', (l) => [l[0], edit(l[1], (e) => (e.details = 'x')), ...l.slice(2)], 2],
  ])('reports %s', async (_name, tamper, firstBadLine) => {
    await appendMany(5);
    const tampered = tamper(readLines());
    writeLines(tampered);
    const report = await verifyAuditLog(log);
    expect(report.ok).toBe(false);
    expect(report.firstBadLine).toBe(firstBadLine);
    expect(report.entries).toBe(tampered.length);
    expect(report.reason).toMatch(new RegExp(`^line ${firstBadLine}: `));
    expect(report.head).toBe(hashLine(tampered[tampered.length - 1]));
  });

  it('shows an edit of the last line only through a changed head', async () => {
    await appendMany(3);
    const before = await verifyAuditLog(log);
    const lines = readLines();
    writeLines([lines[0], lines[1], edit(lines[2], (e) => (e.operator = 'mallory'))]);
    const after = await verifyAuditLog(log);
    expect(after.ok).toBe(true);
    expect(after.head).not.toBe(before.head);
  });

  it('reports invalid UTF-8', async () => {
    await appendMany(2);
    const lines = readLines();
    writeFileSync(
      log,
      Buffer.concat([Buffer.from(`${lines[0]}\n`), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from(`\n${lines[1]}\n`)]),
    );
    expect(await verifyAuditLog(log)).toMatchObject({ ok: false, firstBadLine: 2 });
  });
});

describe('verifyAuditLog with an earlier head', () => {
  it('finds an earlier head as a line of the log: the current head, or a line a later one chains to', async () => {
    await appendMany(2);
    const first = (await verifyAuditLog(log)).head!;
    expect(await verifyAuditLog(log, { head: first })).toMatchObject({ ok: true, earlierHead: { hash: first, line: 2 } });
    await appendMany(3);
    const report = await verifyAuditLog(log, { head: first.toUpperCase() });
    expect(report).toMatchObject({ ok: true, entries: 5, firstBadLine: null, earlierHead: { hash: first, line: 2 } });
    expect(JSON.parse(readLines()[2]).prev).toBe(first);
  });

  it('fails when the earlier head is gone: the tail cut off, or the log rewritten with a new chain', async () => {
    await appendMany(3);
    const lines = readLines();
    const head = (await verifyAuditLog(log)).head!;
    writeLines(lines.slice(0, 2));
    const cut = await verifyAuditLog(log, { head });
    expect(cut).toMatchObject({ ok: false, entries: 2, firstBadLine: null, earlierHead: { hash: head, line: null } });
    expect(cut.reason).toMatch(/earlier head/);
    rmSync(log);
    await appendMany(4, tickingClock(Date.parse('2024-06-01T00:00:00Z')));
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, entries: 4 });
    expect(await verifyAuditLog(log, { head })).toMatchObject({ ok: false, earlierHead: { line: null } });
  });

  it('fails for a missing or empty log when a head is given', async () => {
    const head = 'ab'.repeat(32);
    for (const make of [() => undefined, () => writeFileSync(log, '')]) {
      make();
      const report = await verifyAuditLog(log, { head });
      expect(report).toMatchObject({ ok: false, entries: 0, firstBadLine: null, head: null, earlierHead: { hash: head, line: null } });
      expect(report.reason).toContain(log);
    }
  });

  it('names a broken line first, the head found or not', async () => {
    await appendMany(3);
    const lines = readLines();
    const head = (await verifyAuditLog(log)).head!;
    writeLines([lines[0], 'garbage', lines[2]]);
    const report = await verifyAuditLog(log, { head });
    expect(report).toMatchObject({ ok: false, firstBadLine: 2, earlierHead: { hash: head, line: 3 } });
    expect(report.reason).toBe('line 2: not a json object');
  });

  it.each(['', 'abc', 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), ` ${'a'.repeat(64)}`])(
    'refuses the head %j with E_USAGE',
    async (head) => {
      expect(await rejection(verifyAuditLog(log, { head }))).toMatchObject({ code: 'E_USAGE', exitCode: 2 });
    },
  );
});

describe('verifyAuditLog when app.toml stores a fingerprint', () => {
  it('fails for a missing or empty log: writes have happened', async () => {
    for (const make of [() => undefined, () => writeFileSync(log, '')]) {
      make();
      const report = await verifyAuditLog(log, { fingerprintStored: true });
      expect(report).toMatchObject({ ok: false, entries: 0, firstBadLine: null, head: null });
      expect(report.reason).toContain('fingerprint');
      expect(report).not.toHaveProperty('earlierHead');
    }
    // a log that holds lines is fine
    await appendMany(1);
    expect(await verifyAuditLog(log, { fingerprintStored: true })).toMatchObject({ ok: true, entries: 1 });
  });
});

describe('readAuditLog', () => {
  it('returns no entries for a missing log and every entry in file order', async () => {
    expect(await readAuditLog(log)).toEqual({ entries: [], badLines: [], badLineCount: 0, chainBreak: null });
    const written = await appendMany(3);
    expect(await readAuditLog(log)).toEqual({ entries: written, badLines: [], badLineCount: 0, chainBreak: null });
  });

  it('lists the lines it can read and names those that are not entries, instead of failing on the first', async () => {
    const written = await appendMany(3);
    const lines = readLines();
    const noFields = '{"seq":1}';
    const fieldNotText = JSON.stringify({ ...JSON.parse(lines[1]), field: 7 });
    writeLines([lines[0], noFields, lines[1], 'garbage', '', fieldNotText, '[1]', lines[2]]);
    const listing = await readAuditLog(log);
    expect(listing.entries).toEqual(written);
    expect(listing.badLines.map((bad) => bad.line)).toEqual([2, 4, 5, 6, 7]);
    expect(listing.badLineCount).toBe(5);
    // a line left out breaks the chain where it stands
    expect(listing.chainBreak?.line).toBe(2);
    // what is listed can be filtered: a line without event or field never reaches the filter
    expect(filterAuditEntries(listing.entries, { event: 'keys', field: 'connectors.toml' })).toEqual([]);
  });

  it('names a bounded number of bad lines and counts the rest', async () => {
    await appendMany(1);
    appendFileSync(log, 'x\n'.repeat(MAX_LISTED_BAD_LINES + 5));
    const listing = await readAuditLog(log);
    expect(listing.entries).toHaveLength(1);
    expect(listing.badLines).toHaveLength(MAX_LISTED_BAD_LINES);
    expect(listing.badLines[0]).toEqual({ line: 2, reason: 'not a json object' });
    expect(listing.badLineCount).toBe(MAX_LISTED_BAD_LINES + 5);
  });

  it('reports where the chain breaks when every line is an entry, as verifyAuditLog does', async () => {
    await appendMany(4);
    const lines = readLines();
    lines[1] = lines[1].replace('"alice"', '"mallory"');
    writeLines(lines);
    const listing = await readAuditLog(log);
    expect(listing.entries).toHaveLength(4);
    expect(listing.badLineCount).toBe(0);
    expect(listing.chainBreak).toEqual({ line: 3, reason: 'prev does not match the hash of line 2' });
    expect((await verifyAuditLog(log)).reason).toBe('line 3: prev does not match the hash of line 2');
  });
});

describe('parseEventFilter', () => {
  it.each([...AUDIT_EVENT_NAMES, 'keys', 'fingerprint'])('takes %s', (name) => {
    expect(parseEventFilter(name)).toBe(name);
  });

  it.each(['nope', 'rev', 'keys.', 'keys.rotat', 'Reveal', '', 'reveal '])('refuses %j with E_USAGE (exit 2)', (name) => {
    expect(thrown(() => parseEventFilter(name))).toMatchObject({ code: 'E_USAGE', exitCode: 2 });
  });
});

describe('filterAuditEntries', () => {
  const make = (seq: number, ts: string, event: string, operator: string, field?: string): AuditEntry =>
    ({
      v: 1,
      seq,
      ts,
      event,
      outcome: 'ok',
      operator,
      osUser: operator,
      host: 'h',
      pid: 1,
      ...(field ? { field } : {}),
      prev: '',
    }) as AuditEntry;
  const entries = [
    make(1, '2024-05-01T10:00:00.000Z', 'reveal', 'alice', 'connectors.toml:pools.main.password'),
    make(2, '2024-05-02T10:00:00.000Z', 'keys.rotate', 'bob'),
    make(3, '2024-05-03T10:00:00.000Z', 'reveal', 'bob', 'connectors.toml:pools.backup.password'),
    make(4, '2024-05-04T10:00:00.000Z', 'keys.drop-legacy', 'alice'),
    make(5, '2024-05-05T10:00:00.000Z', 'decrypt', 'alice', 'mail.toml:smtp.password'),
  ];

  it.each<[string, Parameters<typeof filterAuditEntries>[1], number[]]>([
    ['no filter, newest first', {}, [5, 4, 3, 2, 1]],
    ['since (inclusive)', { since: new Date('2024-05-03T10:00:00.000Z') }, [5, 4, 3]],
    ['until (inclusive)', { until: new Date('2024-05-02T10:00:00.000Z') }, [2, 1]],
    ['since and until', { since: new Date('2024-05-02T00:00:00Z'), until: new Date('2024-05-04T00:00:00Z') }, [3, 2]],
    ['event exact', { event: 'reveal' }, [3, 1]],
    ['event prefix before a dot', { event: 'keys' }, [4, 2]],
    ['event prefix must end at a dot', { event: 'rev' }, []],
    ['operator', { operator: 'bob' }, [3, 2]],
    ['field exact', { field: 'connectors.toml:pools.main.password' }, [1]],
    ['field by file', { field: 'connectors.toml' }, [3, 1]],
    ['limit', { limit: 2 }, [5, 4]],
    ['limit after filters', { operator: 'alice', limit: 2 }, [5, 4]],
    ['limit 0', { limit: 0 }, []],
    ['filters combined', { operator: 'alice', event: 'reveal' }, [1]],
  ])('%s', (_name, filter, seqs) => {
    expect(filterAuditEntries(entries, filter).map((e) => e.seq)).toEqual(seqs);
  });

  it('does not change its input', () => {
    const copy = [...entries];
    filterAuditEntries(entries, { limit: 1 });
    expect(entries).toEqual(copy);
  });
});

describe('parseTimeBound', () => {
  const now = new Date('2024-05-10T12:00:00.000Z');

  it.each([
    ['30m', '2024-05-10T11:30:00.000Z'],
    ['24h', '2024-05-09T12:00:00.000Z'],
    ['7d', '2024-05-03T12:00:00.000Z'],
    ['2w', '2024-04-26T12:00:00.000Z'],
    ['45s', '2024-05-10T11:59:15.000Z'],
    ['0m', '2024-05-10T12:00:00.000Z'],
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
    ['2024-05-01T08:30', '2024-05-01T08:30:00.000Z'],
    ['2024-05-01T08:30:15', '2024-05-01T08:30:15.000Z'],
    ['2024-05-01T08:30:15.5Z', '2024-05-01T08:30:15.500Z'],
    ['2024-05-01T08:30:15.123456Z', '2024-05-01T08:30:15.123Z'],
    ['2024-05-01T08:30:15+02:00', '2024-05-01T06:30:15.000Z'],
    ['2024-05-01 08:30:15z', '2024-05-01T08:30:15.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('%s', (text, expected) => {
    expect(parseTimeBound(text, now).toISOString()).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    '7',
    'd7',
    '7 days',
    '1.5h',
    '7y',
    '2024-02-30',
    '2023-02-29',
    '2024-13-01',
    '2024-05-01T24:00',
    '2024-05-01T10:61',
    '2024/05/01',
    '05/01/2024',
    '999999999999w',
  ])('rejects %j with E_USAGE', (text) => {
    const error = (() => {
      try {
        parseTimeBound(text, now);
      } catch (e) {
        return e as LibertyError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(LibertyError);
    expect(error.code).toBe('E_USAGE');
    expect(error.exitCode).toBe(2);
  });
});

describe('a log someone planted or padded', () => {
  const append = (within?: string) =>
    appendAuditEvent(log, { event: 'reveal', outcome: 'ok' }, { clock: tickingClock(), identity, within });
  // every way in: the write-ahead check, the append, the listing and the verification
  const everyUse = () => [() => checkAuditLogWritable(log), () => append(), () => readAuditLog(log), () => verifyAuditLog(log)];

  it('refuses a link at the log, followed by no use: the file it names stays as it was', async () => {
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'precious\n');
    symlinkSync(outside, log);
    for (const use of everyUse()) expect((await rejection(use())).code).toBe('E_AUDIT_LOG');
    expect(readFileSync(outside, 'utf8')).toBe('precious\n');
  });

  it('refuses a dangling link at the log and creates nothing where it points', async () => {
    const target = join(dir, 'elsewhere.jsonl');
    symlinkSync(target, log);
    for (const use of everyUse()) expect((await rejection(use())).code).toBe('E_AUDIT_LOG');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a FIFO at the log or its lock at once, without waiting for a writer', async () => {
    execFileSync('mkfifo', [log]);
    for (const use of everyUse()) expect((await rejection(use())).code).toBe('E_AUDIT_LOG');
    rmSync(log);
    execFileSync('mkfifo', [`${log}.lock`]);
    const error = await rejection(append());
    expect(error.code).toBe('E_AUDIT_LOG');
    expect(error.message).toContain(`${log}.lock`);
    expect(lstatSync(`${log}.lock`).isFIFO()).toBe(true);
    expect(existsSync(log)).toBe(false);
  });

  it('refuses a log reached through a directory link leading outside the directory it must stay in', async () => {
    const inside = join(dir, 'settings');
    const outside = join(dir, 'outside');
    mkdirSync(inside);
    mkdirSync(outside);
    writeFileSync(join(outside, 'audit.log'), 'precious\n');
    // as if a directory below the settings directory had been swapped for a link after the path was checked
    symlinkSync(outside, join(inside, 'logs'));
    log = join(inside, 'logs', 'audit.log');
    const within = realpathSync(inside);
    expect((await rejection(checkAuditLogWritable(log, within))).code).toBe('E_AUDIT_LOG');
    expect((await rejection(append(within))).code).toBe('E_AUDIT_LOG');
    expect(readFileSync(join(outside, 'audit.log'), 'utf8')).toBe('precious\n');
  });

  it('refuses to read a log past the size bound (a sparse file costs no disk)', async () => {
    writeFileSync(log, '');
    truncateSync(log, MAX_AUDIT_LOG_BYTES + 1);
    expect((await rejection(readAuditLog(log))).code).toBe('E_AUDIT_LOG');
    expect((await rejection(verifyAuditLog(log))).code).toBe('E_AUDIT_LOG');
  });

  it('reports a line longer than the bound as broken without holding it, and chains the next line to it', async () => {
    await appendMany(2);
    const long = 'x'.repeat(MAX_AUDIT_LINE_BYTES + 10);
    appendFileSync(log, `${long}\n`);
    const entry = await appendAuditEvent(log, { event: 'decrypt', outcome: 'ok' }, { clock: tickingClock(), identity });
    expect(entry).toMatchObject({ seq: 4, prev: createHash('sha256').update(long).digest('hex') });
    expect(await verifyAuditLog(log)).toEqual({
      ok: false,
      entries: 4,
      firstBadLine: 3,
      head: hashLine(JSON.stringify(entry)),
      reason: `line 3: longer than ${MAX_AUDIT_LINE_BYTES / 1024} KiB`,
    });
    expect((await readAuditLog(log)).badLines).toEqual([{ line: 3, reason: `longer than ${MAX_AUDIT_LINE_BYTES / 1024} KiB` }]);
  });
});

describe('resolveAuditLogPath', () => {
  let settingsDir: string;
  beforeEach(() => {
    settingsDir = join(dir, 'config');
    mkdirSync(join(settingsDir, 'logs'), { recursive: true });
    mkdirSync(join(dir, 'outside'));
  });
  const resolveLog = (configured?: string, fromEnv?: string) => resolveAuditLogPath(settingsDir, configured, fromEnv, 'app.toml');

  it('keeps [audit] path inside the settings directory', () => {
    expect(resolveLog()).toBe(join(settingsDir, 'audit.jsonl'));
    expect(resolveLog('logs/audit.jsonl')).toBe(join(settingsDir, 'logs', 'audit.jsonl'));
    expect(resolveLog('logs/../own.jsonl')).toBe(join(settingsDir, 'own.jsonl'));
  });

  it.each([
    ['a path up and out', '../outside/x.jsonl'],
    ['an absolute path', '/tmp/x.jsonl'],
    ['the directory itself', '.'],
    ['a directory link leading out', 'out/x.jsonl'],
  ])('refuses %s with E_BAD_SETTINGS naming app.toml: audit.path', (_name, configured) => {
    symlinkSync(join(dir, 'outside'), join(settingsDir, 'out'));
    const error = thrown(() => resolveLog(configured));
    expect(error).toMatchObject({ code: 'E_BAD_SETTINGS', exitCode: 5, file: 'app.toml', field: 'audit.path' });
    expect(error.message).toContain('app.toml: audit.path');
  });

  it('never creates a directory: a missing one is refused with exit 6', () => {
    expect(thrown(() => resolveLog('new/audit.jsonl'))).toMatchObject({ code: 'E_AUDIT_LOG', exitCode: 6 });
    expect(thrown(() => resolveLog(undefined, join(dir, 'missing', 'audit.jsonl')))).toMatchObject({ code: 'E_AUDIT_LOG', exitCode: 6 });
    expect(existsSync(join(settingsDir, 'new'))).toBe(false);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('lets LIBERTY_AUDIT_LOG name a file outside, in a directory that exists', () => {
    expect(resolveLog('../ignored', join(dir, 'outside', 'a.jsonl'))).toBe(join(dir, 'outside', 'a.jsonl'));
  });
});

describe('audit log across processes', () => {
  let worker: string;
  beforeAll(async () => {
    worker = await bundleWorker('test/support/audit-worker.ts');
  });

  const run = (args: string[]) => runWorker(worker, args);

  it('keeps one line per event and a valid chain with 20 writers at once', async () => {
    mkdirSync(dir, { recursive: true });
    const startAt = String(Date.now() + 1500);
    const results = await Promise.all(Array.from({ length: 20 }, () => run(['append', log, '1', startAt])));
    for (const result of results) expect(result).toEqual({ code: 0, stderr: '' });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, entries: 20 });
    const { entries } = await readAuditLog(log);
    expect(new Set(entries.map((e) => e.pid)).size).toBe(20);
    expect(readdirSync(dir)).toEqual(['audit.log']);
  });

  it('keeps the chain with 10 writers appending 5 events each', async () => {
    const startAt = String(Date.now() + 1000);
    const results = await Promise.all(Array.from({ length: 10 }, () => run(['append', log, '5', startAt])));
    for (const result of results) expect(result).toEqual({ code: 0, stderr: '' });
    expect(await verifyAuditLog(log)).toMatchObject({ ok: true, entries: 50 });
    expect(readdirSync(dir)).toEqual(['audit.log']);
  });
});
