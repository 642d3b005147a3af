// Write-ahead auditing: every audited change appends its line before it changes a file. When the append
// fails after the up-front writability check (a log on a full disk), the command exits 6 and no settings
// file changes; when the change fails after its line, a `failed` line follows and the file is unchanged.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runWrapped } from '../support/cli-process.js';
import { KEY_A, KEY_A_FP, KEY_B, runCli } from '../support/cli.js';
import { requires } from '../support/requires.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { readAuditLog } from '../support/audit-entries.js';
import { snapshotTree } from '../support/snapshot.js';

let settings: TempSettings | undefined;
let immutable: string | undefined;
afterEach(() => {
  if (immutable) execFileSync('chattr', ['-i', immutable]);
  immutable = undefined;
  settings?.cleanup();
  settings = undefined;
});

const readLog = readAuditLog;

interface Case {
  name: string;
  files: () => Record<string, string>;
  args: string[];
  env: Record<string, string>;
  /** the events the change records, in order */
  events: Array<{ event: string; field?: string }>;
}

const master = { LIBERTY_MASTER_KEY: KEY_A };

// app.toml stores no fingerprint where the command would also store it: that write must not happen either
const CASES: Case[] = [
  {
    name: 'encrypt FILE:KEY',
    files: () => ({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "old"\n' }),
    args: ['encrypt', 'c.toml:db.password', '--from-env', 'NEW_SECRET'],
    env: { ...master, NEW_SECRET: 'new-secret' },
    events: [{ event: 'encrypt', field: 'c.toml:db.password' }],
  },
  {
    name: 'encrypt FILE:KEY --existing',
    files: () => ({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "plain"\n' }),
    args: ['encrypt', 'c.toml:db.password', '--existing'],
    env: master,
    events: [{ event: 'encrypt', field: 'c.toml:db.password' }],
  },
  {
    name: 'encrypt --all',
    files: () => ({
      'app.toml': appToml(),
      'a.toml': '# pools\n[pools.main]\npassword = "one"\n[pools.cache]\npassword = "two"\n',
      'b.toml': '[db]\npassword = "three"\nuser = "u"\n',
    }),
    args: ['encrypt', '--all'],
    env: master,
    events: [
      { event: 'encrypt', field: 'a.toml:pools.main.password' },
      { event: 'encrypt', field: 'a.toml:pools.cache.password' },
      { event: 'encrypt', field: 'b.toml:db.password' },
    ],
  },
  {
    name: 'keys rotate',
    files: () => ({ 'app.toml': appToml({ fingerprint: KEY_A_FP }), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'pw')}"\n` }),
    args: ['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY_NEW'],
    env: { ...master, LIBERTY_MASTER_KEY_NEW: KEY_B },
    events: [{ event: 'keys.rotate' }],
  },
  {
    name: 'keys drop-legacy',
    files: () => ({
      'app.toml': appToml({ legacy: ['LIBERTY_MASTER_KEY_OLD'], fingerprint: KEY_A_FP }),
      'c.toml': `[db]\npassword = "${seal(KEY_A, 'pw')}"\n`,
    }),
    args: ['keys', 'drop-legacy', 'LIBERTY_MASTER_KEY_OLD'],
    env: { ...master, LIBERTY_MASTER_KEY_OLD: KEY_B },
    events: [{ event: 'keys.drop-legacy' }],
  },
  {
    name: 'decrypt FILE:KEY --to-plain',
    files: () => ({ 'app.toml': appToml({ fingerprint: KEY_A_FP }), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'pw')}"\n` }),
    args: ['decrypt', 'c.toml:db.password', '--to-plain', '--yes'],
    env: master,
    events: [{ event: 'to-plain', field: 'c.toml:db.password' }],
  },
  {
    name: 'fingerprint --write',
    files: () => ({ 'app.toml': appToml() }),
    args: ['fingerprint', '--write'],
    env: master,
    events: [{ event: 'fingerprint.write' }],
  },
];

// /dev/full opens for appending (so the check before the lock passes) and fails every write with ENOSPC:
// the log of a full disk. A symbolic link to it keeps the log's lock file in the test's directory.
describe('a change does not happen when its audit line cannot be appended', () => {
  it.each(CASES)('$name: exit 6, every settings file byte-identical', async ({ files, args, env }) => {
    settings = makeSettings(files());
    const { dir, root } = settings;
    const log = join(root, 'full.jsonl');
    symlinkSync('/dev/full', log);
    const before = snapshotTree(dir);
    const result = await runCli([...args, '-s', dir], { env: { ...env, LIBERTY_AUDIT_LOG: log } });
    expect(result.code).toBe(6);
    expect(snapshotTree(dir)).toEqual(before);
  });
});

describe('the audit line comes first', () => {
  it.each(CASES)('$name: exit 0 and its lines are in the log', async ({ files, args, env, events }) => {
    settings = makeSettings(files());
    const { dir, audit } = settings;
    const result = await runCli([...args, '-s', dir], { env });
    expect(result.code).toBe(0);
    const lines = readLog(audit);
    expect(lines.map(({ event, field }) => (field === undefined ? { event } : { event, field }))).toEqual(events);
    expect(lines.every((line) => line.outcome === 'ok')).toBe(true);
  });

  // an immutable file cannot be renamed over, not even by root: the write fails after the line was appended
  const noChattr = whyNoChattr();
  describe.runIf(requires(noChattr === undefined, `the immutable-file tests: ${noChattr}`))('a file made immutable (chattr +i)', () => {
    /** Runs `args` on a directory whose c.toml (`cToml`) is immutable, the audit log outside it: exit 6, the directory unchanged. */
    async function runOnImmutable(cToml: string, args: string[]): Promise<{ dir: string; audit: string }> {
      settings = makeSettings({ 'app.toml': appToml({ fingerprint: KEY_A_FP }), 'c.toml': cToml });
      const { dir, root } = settings;
      const audit = join(root, 'audit.jsonl'); // outside the directory compared byte for byte
      const target = join(dir, 'c.toml');
      execFileSync('chattr', ['+i', target]);
      immutable = target;
      const before = snapshotTree(dir);
      const result = await runCli([...args, '-s', dir], { env: { ...master, LIBERTY_AUDIT_LOG: audit } });
      expect(result.code).toBe(6);
      expect(snapshotTree(dir)).toEqual(before);
      return { dir, audit };
    }

    it('when the write fails after the line, a failed line follows and the file is unchanged', async () => {
      const { audit } = await runOnImmutable('[db]\npassword = "plain"\n', ['encrypt', 'c.toml:db.password', '--existing']);
      const lines = readLog(audit);
      expect(lines.map(({ event, outcome, field }) => ({ event, outcome, field }))).toEqual([
        { event: 'encrypt', outcome: 'ok', field: 'c.toml:db.password' },
        { event: 'encrypt', outcome: 'failed', field: 'c.toml:db.password' },
      ]);
    });

    it('encrypt --all: the batch of a file is followed by one failed line per field, in the same order', async () => {
      const { dir, audit } = await runOnImmutable('[db]\npassword = "one"\n[cache]\npassword = "two"\n[queue]\napi_key = "three"\n', [
        'encrypt',
        '--all',
      ]);
      const fields = ['c.toml:db.password', 'c.toml:cache.password', 'c.toml:queue.api_key'];
      const lines = readLog(audit);
      expect(lines.map(({ event, outcome, field }) => ({ event, outcome, field }))).toEqual([
        ...fields.map((field) => ({ event: 'encrypt', outcome: 'ok', field })),
        ...fields.map((field) => ({ event: 'encrypt', outcome: 'failed', field })),
      ]);
      expect(lines.map((line) => line.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      const verify = await runCli(['audit', 'verify', '-s', dir], { env: { ...master, LIBERTY_AUDIT_LOG: audit } });
      expect(verify.code, verify.stderr).toBe(0);
    });

    it('the same for decrypt --to-plain: ok then failed, the blob still in the file', async () => {
      const { audit } = await runOnImmutable(`[db]\npassword = "${seal(KEY_A, 'pw')}"\n`, [
        'decrypt',
        'c.toml:db.password',
        '--to-plain',
        '--yes',
      ]);
      expect(readLog(audit).map(({ event, outcome }) => ({ event, outcome }))).toEqual([
        { event: 'to-plain', outcome: 'ok' },
        { event: 'to-plain', outcome: 'failed' },
      ]);
    });
  });
});

// A batch: the lines of one file write are appended together and fsynced once, before that file changes.
describe('encrypt --all appends the lines of each file as one batch', () => {
  const FILES = {
    'app.toml': appToml({ fingerprint: KEY_A_FP }),
    'a.toml': '[pools.main]\npassword = "one"\n[pools.cache]\npassword = "two"\n[pools.spare]\nauth_token = "three"\n',
    'b.toml': '[db]\npassword = "four"\n[hooks]\nwebhook_url = "https://hooks.example.com/five"\n',
  };
  const A_FIELDS = ['a.toml:pools.main.password', 'a.toml:pools.cache.password', 'a.toml:pools.spare.auth_token'];
  const B_FIELDS = ['b.toml:db.password', 'b.toml:hooks.webhook_url'];

  it("each file's lines are consecutive, chained, share one timestamp, and precede the next file's", async () => {
    settings = makeSettings(FILES);
    const { dir, audit } = settings;
    const result = await runCli(['encrypt', '--all', '-s', dir], { env: master });
    expect(result.code, result.stderr).toBe(0);
    const lines = readLog(audit);
    expect(lines.map((line) => line.field)).toEqual([...A_FIELDS, ...B_FIELDS]);
    expect(lines.map((line) => line.seq)).toEqual([1, 2, 3, 4, 5]);
    // one clock reading per batch: the lines of a file were written together
    expect(new Set(lines.slice(0, 3).map((line) => line.ts)).size).toBe(1);
    expect(new Set(lines.slice(3).map((line) => line.ts)).size).toBe(1);
    const raw = readFileSync(audit, 'utf8').trim().split('\n');
    raw.slice(1).forEach((line, i) => expect(JSON.parse(line).prev).toBe(createHash('sha256').update(raw[i]).digest('hex')));
    const verify = await runCli(['audit', 'verify', '-s', dir], { env: master });
    expect(verify.code, verify.stderr).toBe(0);
  });

  const strace = ['/usr/bin/strace', '/bin/strace'].find((path) => existsSync(path));
  it.runIf(requires(strace !== undefined, 'counting fsync calls needs strace'))(
    'the log is fsynced once per file written, not once per field',
    async () => {
      settings = makeSettings(FILES);
      const { dir, root, audit } = settings;
      const trace = join(root, 'trace.txt');
      // -y names the file behind each descriptor
      const result = await runWrapped([strace!, '-f', '-y', '-qq', '-e', 'trace=fsync', '-o', trace], ['encrypt', '--all', '-s', dir], {
        env: master,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(readLog(audit)).toHaveLength(5);
      const logSyncs = readFileSync(trace, 'utf8')
        .split('\n')
        .filter((line) => line.includes(`fsync(`) && line.includes(`<${realpathSync(audit)}>`));
      expect(logSyncs).toHaveLength(2); // a.toml's batch, then b.toml's
    },
  );
});

/** Why `chattr +i` cannot be used on files in the temporary folder here (it needs CAP_LINUX_IMMUTABLE), or undefined. */
function whyNoChattr(): string | undefined {
  if (process.getuid?.() !== 0) return `chattr +i needs root (CAP_LINUX_IMMUTABLE); this is uid ${process.getuid?.()}`;
  const dir = mkdtempSync(join(tmpdir(), 'lc-chattr-'));
  const file = join(dir, 'probe');
  writeFileSync(file, '');
  const set = spawnSync('chattr', ['+i', file], { encoding: 'utf8' });
  if (set.status === 0) execFileSync('chattr', ['-i', file]);
  rmSync(dir, { recursive: true });
  return set.status === 0 ? undefined : `chattr +i fails in ${tmpdir()}: ${set.error?.message ?? set.stderr.trim()}`;
}
