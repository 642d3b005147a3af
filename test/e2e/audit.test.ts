import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, parseJson, runCli } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { readAuditLog } from '../support/audit-entries.js';

let settings: TempSettings | undefined;
afterEach(() => settings?.cleanup());

const env = { LIBERTY_MASTER_KEY: KEY_A };
const readLog = readAuditLog;

describe('audit log through the CLI', () => {
  it('20 commands writing at once leave 20 lines and a valid chain', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `password = "${seal(KEY_A, 'pw')}"\n` });
    const { dir, audit } = settings;
    const results = await Promise.all(Array.from({ length: 20 }, () => runCli(['decrypt', '-s', dir, 'c.toml:password'], { env })));
    expect(results.map((result) => result.code)).toEqual(Array(20).fill(0));
    const lines = readLog(audit);
    expect(lines).toHaveLength(20);
    expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const verify = await runCli(['audit', 'verify', '-s', dir, '--json']);
    expect(verify.code).toBe(0);
    expect(parseJson(verify)).toMatchObject({ ok: true, entries: 20, firstBadLine: null });
    expect(statSync(audit).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('fails closed: with an unwritable log, decrypt exits 6 and prints no plaintext', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `password = "${seal(KEY_A, 'never-shown')}"\n` });
    const { dir, root } = settings;
    // a log path below a regular file cannot be created, whoever runs the test (root included)
    const unwritable = join(dir, 'c.toml', 'audit.jsonl');
    for (const args of [
      ['decrypt', '-s', dir, 'c.toml:password'],
      ['decrypt', '-s', dir, 'c.toml:password', '--json'],
    ]) {
      const result = await runCli(args, { env: { ...env, LIBERTY_AUDIT_LOG: unwritable } });
      expect(result.code).toBe(6);
      expect(result.stdout + result.stderr).not.toContain('never-shown');
    }
    const toPlain = await runCli(['decrypt', '-s', dir, 'c.toml:password', '--to-plain', '--yes'], {
      env: { ...env, LIBERTY_AUDIT_LOG: unwritable },
    });
    expect(toPlain.code).toBe(6);
    expect(readFileSync(join(dir, 'c.toml'), 'utf8')).not.toContain('never-shown');
    expect(readdirSync(root)).toEqual(['config']);
  });

  it('an audited change does not happen when its line cannot be written', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': 'password = "p"\n' });
    const { dir } = settings;
    const result = await runCli(['encrypt', '-s', dir, 'c.toml:password', '--existing'], {
      env: { ...env, LIBERTY_AUDIT_LOG: join(dir, 'c.toml', 'x') },
    });
    expect(result.code).toBe(6);
    expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe('password = "p"\n');
  });

  it('lists events newest first with filters, and audit verify reports a tampered line', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `a = "${seal(KEY_A, 'a')}"\nb = "${seal(KEY_A, 'b')}"\n` });
    const { dir, audit } = settings;
    await runCli(['decrypt', '-s', dir, 'c.toml:a'], { env });
    await runCli(['decrypt', '-s', dir, 'c.toml:b'], { env });
    await runCli(['encrypt', '-s', dir, 'c.toml:c', '--from-env', 'V'], { env: { ...env, V: 'v' } });
    const all = parseJson(await runCli(['audit', '-s', dir, '--json']));
    expect(all.map((entry: any) => entry.event)).toEqual(['encrypt', 'decrypt', 'decrypt']);
    expect(parseJson(await runCli(['audit', '-s', dir, '--json', '--event', 'decrypt', '--limit', '1']))[0].field).toBe('c.toml:b');
    expect(parseJson(await runCli(['audit', '-s', dir, '--json', '--field', 'c.toml:a']))).toHaveLength(1);
    expect(parseJson(await runCli(['audit', '-s', dir, '--json', '--since', '1h']))).toHaveLength(3);
    expect(parseJson(await runCli(['audit', '-s', dir, '--json', '--until', '2000-01-01']))).toHaveLength(0);
    expect((await runCli(['audit', '-s', dir, '--since', 'yesterday-ish'])).code).toBe(2);
    const table = await runCli(['audit', '-s', dir]);
    expect(table.stdout.split('\n')[0]).toMatch(/time\s+operator\s+event\s+field\s+outcome/);

    const lines = readFileSync(audit, 'utf8').split('\n');
    lines[1] = lines[1].replace('"decrypt"', '"reveal"');
    (await import('node:fs')).writeFileSync(audit, lines.join('\n'));
    const verify = await runCli(['audit', 'verify', '-s', dir, '--json']);
    expect(verify.code).toBe(1);
    expect(parseJson(verify)).toMatchObject({ ok: false, firstBadLine: 3 });
  });

  it('after a whole scenario the log holds no plaintext, key or blob', async () => {
    settings = makeSettings({
      'app.toml': appToml(),
      'c.toml': '[pools.main]\npassword = "scenario-plaintext-1"\n[oidc]\nclient_secret = "scenario-plaintext-2"\n',
    });
    const { dir, audit } = settings;
    const all = { ...env, LIBERTY_MASTER_KEY_NEW: KEY_B, NEWPW: 'scenario-plaintext-3' };
    const steps = [
      ['encrypt', '--all'],
      ['encrypt', 'c.toml:pools.main.password', '--from-env', 'NEWPW'],
      ['decrypt', 'c.toml:pools.main.password'],
      ['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY_NEW'],
      ['rewrap'],
      ['decrypt', 'c.toml:oidc.client_secret'],
      ['decrypt', 'c.toml:pools.main.password', '--to-plain', '--yes'],
      ['keys', 'drop-legacy', 'LIBERTY_MASTER_KEY'],
      ['fingerprint', '--write'],
    ];
    for (const step of steps) {
      const result = await runCli([...step, '-s', dir], { env: all });
      expect(result.code, step.join(' ')).toBe(0);
    }
    const log = readFileSync(audit, 'utf8');
    expect(readLog(audit).length).toBeGreaterThanOrEqual(8);
    for (const secret of ['scenario-plaintext-1', 'scenario-plaintext-2', 'scenario-plaintext-3', KEY_A, KEY_B, KEY_A.toUpperCase()]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/ENC:/);
  }, 90_000);

  it('lists the entries it can read when a line is malformed, names the bad lines on stderr and exits 1', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `a = "${seal(KEY_A, 'a')}"\nb = "${seal(KEY_A, 'b')}"\n` });
    const { dir, audit } = settings;
    await runCli(['decrypt', '-s', dir, 'c.toml:a'], { env });
    await runCli(['decrypt', '-s', dir, 'c.toml:b'], { env });
    const [first, second] = readFileSync(audit, 'utf8').trim().split('\n');
    // a JSON object without the fields of an entry (it made audit fail with an internal error, exit 70)
    writeFileSync(audit, `${first}\n{"seq":1}\n${second}\n`);
    const one = await runCli(['audit', '-s', dir]);
    expect(one.code, one.stderr).toBe(1);
    expect(one.stdout.trim().split('\n')).toHaveLength(3);
    expect(one.stderr).toMatch(/line 2\b/);

    writeFileSync(audit, `${first}\n{"seq":1}\ngarbage\n${second}\n`);
    const table = await runCli(['audit', '-s', dir]);
    expect(table.code, table.stderr).toBe(1);
    expect(table.stdout).toMatch(/c\.toml:b[\s\S]*c\.toml:a/);
    expect(table.stdout.trim().split('\n')).toHaveLength(3);
    expect(table.stderr).toMatch(/line 2\b/);
    expect(table.stderr).toMatch(/line 3\b/);
    expect(table.stderr).not.toContain('error:');

    const json = await runCli(['audit', '-s', dir, '--json', '--event', 'decrypt']);
    expect(json.code).toBe(1);
    expect(parseJson(json).map((entry: any) => entry.field)).toEqual(['c.toml:b', 'c.toml:a']);

    const verify = await runCli(['audit', 'verify', '-s', dir, '--json']);
    expect(verify.code).toBe(1);
    expect(parseJson(verify)).toMatchObject({ ok: false, entries: 4, firstBadLine: 2 });
  }, 60_000);

  it('warns on stderr when the chain is broken, and still lists every entry', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `a = "${seal(KEY_A, 'a')}"\n` });
    const { dir, audit } = settings;
    for (let i = 0; i < 3; i += 1) await runCli(['decrypt', '-s', dir, 'c.toml:a'], { env });
    const intact = await runCli(['audit', '-s', dir]);
    expect(intact).toMatchObject({ code: 0, stderr: '' });
    const lines = readFileSync(audit, 'utf8').split('\n');
    lines[1] = lines[1].replace('"decrypt"', '"reveal"');
    writeFileSync(audit, lines.join('\n'));
    const table = await runCli(['audit', '-s', dir]);
    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
    expect(table.stderr).toMatch(/chain/);
    expect(table.stderr).toMatch(/line 3\b/);
  }, 60_000);

  it('audit --event refuses an unknown event name with exit 2; an event or the part before its dot is taken', async () => {
    settings = makeSettings({ 'app.toml': appToml() });
    const { dir } = settings;
    for (const name of ['nope', 'rev', 'keys.', 'decrypts']) {
      const result = await runCli(['audit', '-s', dir, '--event', name, '--json']);
      expect(result.code, name).toBe(2);
      expect(parseJson(result).error.code).toBe('E_USAGE');
    }
    for (const name of ['keys', 'keys.rotate', 'fingerprint', 'to-plain']) {
      const result = await runCli(['audit', '-s', dir, '--event', name, '--json']);
      expect(result.code, name).toBe(0);
      expect(parseJson(result)).toEqual([]);
    }
  }, 60_000);

  it('audit verify --head HASH: exit 0 while that earlier head is in the log, 1 once it was cut off', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `a = "${seal(KEY_A, 'a')}"\n` });
    const { dir, audit } = settings;
    const decrypt = () => runCli(['decrypt', '-s', dir, 'c.toml:a'], { env });
    const verify = (head: string) => runCli(['audit', 'verify', '-s', dir, '--head', head, '--json']);
    await decrypt();
    await decrypt();
    const recorded = parseJson(await runCli(['audit', 'verify', '-s', dir, '--json'])).head as string;
    // still the head
    expect(parseJson(await verify(recorded))).toMatchObject({ ok: true, earlierHead: { hash: recorded, line: 2 } });
    await decrypt();
    await decrypt();
    // now the prev of line 3
    const later = await verify(recorded);
    expect(later.code).toBe(0);
    expect(parseJson(later)).toMatchObject({ ok: true, entries: 4, earlierHead: { line: 2 } });
    const text = await runCli(['audit', 'verify', '-s', dir, '--head', recorded]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(recorded);

    // the tail cut off, as far as one line before the recorded head: the chain still holds, the head is gone
    const lines = readFileSync(audit, 'utf8').split('\n');
    writeFileSync(audit, `${lines[0]}\n`);
    expect((await runCli(['audit', 'verify', '-s', dir])).code).toBe(0);
    const cut = await verify(recorded);
    expect(cut.code).toBe(1);
    expect(parseJson(cut)).toMatchObject({ ok: false, entries: 1, firstBadLine: null, earlierHead: { hash: recorded, line: null } });
    const cutText = await runCli(['audit', 'verify', '-s', dir, '--head', recorded]);
    expect(cutText.code).toBe(1);
    expect(cutText.stdout).not.toMatch(/^ok:/);

    // the whole log gone
    rmSync(audit);
    expect((await verify(recorded)).code).toBe(1);
    // not a hash
    expect((await verify('abc')).code).toBe(2);
  }, 60_000);

  it('audit verify: a missing log is exit 1 when app.toml stores a fingerprint (writes have happened), not ok: 0 entries', async () => {
    settings = makeSettings({ 'app.toml': appToml({ fingerprint: KEY_A_FP }) });
    const { dir, audit } = settings;
    const missing = await runCli(['audit', 'verify', '-s', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).not.toContain('ok: 0 entries');
    expect(parseJson(await runCli(['audit', 'verify', '-s', dir, '--json']))).toMatchObject({ ok: false, entries: 0, head: null });
    writeFileSync(audit, '');
    expect((await runCli(['audit', 'verify', '-s', dir])).code).toBe(1);

    // without a stored fingerprint nothing was written yet: an empty log is a valid one
    writeFileSync(`${dir}/app.toml`, appToml());
    rmSync(audit);
    const fresh = await runCli(['audit', 'verify', '-s', dir]);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain('ok: 0 entries');
  }, 60_000);
});
