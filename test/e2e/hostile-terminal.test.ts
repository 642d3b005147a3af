/**
 * Terminal injection and identity (issue 12). File names, lock holders and audit entries are data a local
 * user chose: whatever the CLI prints shows their control characters escaped (never ESC, BEL or CSI raw),
 * hints that show a command quote its words for the shell, and a uid with no passwd entry is `uid:<N>`,
 * never whatever $USER says.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashLine } from '../../src/core/audit/index.js';
import { KEY_A, KEY_B, REPO, baseEnv, collectOutput, parseJson, runCli, type RunResult } from '../support/cli.js';
import { ptyPerTest } from '../support/pty.js';
import { requires } from '../support/requires.js';
import { appToml, seal, settingsPerTest, type TempSettings } from '../support/settings.js';

/** ESC ] 0 ; (retitle the window) ... BEL, ESC [ 2 J (clear the screen), and the one-byte C1 CSI */
const HOSTILE = '\x1b]0;PWNED\x07\x1b[2J\u009b2J';
const SHOWN = '\\x1b]0;PWNED\\x07\\x1b[2J\\u009b2J';
const HOSTILE_FILE = `${HOSTILE}x.toml`;
const SHOWN_FILE = `${SHOWN}x.toml`;
const RAW_CONTROL = /[\x1b\x07\u009b]/;

const env = { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_MASTER_KEY_OLD: KEY_B };

const makeSettings = settingsPerTest();
const spawnCliPty = ptyPerTest();

/** A directory with a hostile file name holding a plaintext secret and a blob on the legacy key. */
function hostileSettings(extra: Record<string, string> = {}): TempSettings {
  return makeSettings({
    'app.toml': appToml({ legacy: ['LIBERTY_MASTER_KEY_OLD'] }),
    [HOSTILE_FILE]: `[svc]\npassword = "hunter2"\n\n[db]\npassword = "${seal(KEY_B, 'old-secret')}"\n`,
    ...extra,
  });
}

/** What the terminal would get: no raw ESC, BEL or CSI anywhere in stdout or stderr. */
function expectNoRawControl(result: RunResult): void {
  expect(result.stdout).not.toMatch(RAW_CONTROL);
  expect(result.stderr).not.toMatch(RAW_CONTROL);
}

describe('a settings file named with escape sequences', () => {
  it('status names it escaped, on stdout and in --json', async () => {
    const settings = hostileSettings();
    const result = await runCli(['status', '-s', settings.dir], { env });
    expect(result.code, result.stderr).toBe(1);
    expectNoRawControl(result);
    expect(result.stdout).toContain(`${SHOWN_FILE}:svc.password: secret field is in plain text`);

    const json = await runCli(['status', '-s', settings.dir, '--json'], { env });
    expectNoRawControl(json);
    // the same data: JSON escapes stand for the real name
    expect(parseJson(json).plaintextSecrets).toEqual([expect.objectContaining({ file: HOSTILE_FILE, key: 'svc.password' })]);
  });

  it('rewrap --check lists its blob on the legacy key escaped', async () => {
    const settings = hostileSettings();
    const result = await runCli(['rewrap', '--check', '-s', settings.dir], { env });
    expect(result.code, result.stderr).toBe(1);
    expectNoRawControl(result);
    expect(result.stdout).toContain(`${SHOWN_FILE}:db.password  on legacy key LIBERTY_MASTER_KEY_OLD`);
  });

  it('keys drop-legacy names it escaped among the files that still need the key', async () => {
    const settings = hostileSettings();
    const result = await runCli(['keys', 'drop-legacy', 'LIBERTY_MASTER_KEY_OLD', '-s', settings.dir], { env });
    expect(result.code, result.stderr).toBe(1);
    expectNoRawControl(result);
    expect(result.stdout).toContain(`  ${SHOWN_FILE}: 1`);
  });

  it('encrypt --all names the field it encrypted escaped', async () => {
    const settings = hostileSettings();
    const result = await runCli(['encrypt', '--all', '-s', settings.dir], { env });
    expect(result.code, result.stderr).toBe(0);
    expectNoRawControl(result);
    expect(result.stdout).toContain(`encrypted ${SHOWN_FILE}:svc.password`);
  });

  it('an error naming it shows it escaped, as text and as --json', async () => {
    const settings = hostileSettings();
    const result = await runCli(['decrypt', `${HOSTILE_FILE}:svc.nothing`, '-s', settings.dir], { env });
    expect(result.code).toBe(5);
    expectNoRawControl(result);
    expect(result.stderr).toContain(`liberty-crypto: error: ${SHOWN_FILE}:svc.nothing`);

    const json = await runCli(['decrypt', `${HOSTILE_FILE}:svc.nothing`, '-s', settings.dir, '--json'], { env });
    expect(json.code).toBe(5);
    expectNoRawControl(json);
    expect(parseJson(json).error.message).toContain(`${HOSTILE_FILE}:svc.nothing`);
  });

  it('the reveal picker lists it escaped, and so does the fingerprint prompt', async () => {
    const settings = hostileSettings();
    const encrypted = await runCli(['encrypt', `${HOSTILE_FILE}:svc.password`, '--existing', '-s', settings.dir], { env });
    expect(encrypted.code, encrypted.stderr).toBe(0);
    const session = spawnCliPty(['reveal', '-s', settings.dir], { env, cols: 160 });
    await session.waitFor(`${SHOWN_FILE}:svc.password`);
    session.write('svc');
    await session.waitFor((s) => s.screen().includes(`${SHOWN_FILE}:svc.password`) && !s.screen().includes('db.password'));
    session.write('\r');
    await session.waitFor('master key fingerprint');
    expect(session.screen()).toContain(`to reveal ${SHOWN_FILE}:svc.password`);
    session.write('\x03');
    await session.exited();
    // what the program wrote to the terminal: none of the name's sequences raw (its own colours are fine)
    expect(session.raw()).not.toContain('\x1b]0;PWNED');
    expect(session.raw()).not.toContain('\x1b[2J\u009b');
    expect(session.raw()).not.toMatch(/[\x07\u009b]/);
  });
});

describe('hints quote their words for the shell', () => {
  /** Runs the command a hint shows under bash, with liberty-crypto a function that prints its arguments. */
  function runHint(hint: string, cwd: string): string[] {
    const command = hint.replace(/^.*?hint: run /, '');
    const script = `liberty-crypto() { printf '%s\\0' "$@"; }\n${command}`;
    const result = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    return result.stdout.split('\0').slice(0, -1);
  }

  it('pasting the hint for a file named $(touch pwned).toml, or with escape sequences, runs nothing and names the file', async () => {
    const SUBSTITUTION_FILE = '$(touch pwned).toml';
    const settings = makeSettings({
      'app.toml': appToml(),
      [SUBSTITUTION_FILE]: '[svc]\npassword = "hunter2"\n',
      [HOSTILE_FILE]: '[svc]\npassword = "hunter2"\n',
    });
    const result = await runCli(['status', '-s', settings.dir], { env });
    expectNoRawControl(result);
    const hints = result.stdout.split('\n').filter((line) => line.includes('hint: run liberty-crypto encrypt'));
    expect(hints).toHaveLength(2);
    expect(result.stdout).toContain(`hint: run liberty-crypto encrypt '${SUBSTITUTION_FILE}:svc.password' --existing`);

    const cwd = mkdtempSync(join(tmpdir(), 'lc-hint-'));
    try {
      const pasted = hints.map((hint) => runHint(hint, cwd));
      expect(readdirSync(cwd)).toEqual([]); // no `pwned` file: the substitution was not run
      expect(pasted).toEqual(
        expect.arrayContaining([
          ['encrypt', `${SUBSTITUTION_FILE}:svc.password`, '--existing'],
          ['encrypt', `${HOSTILE_FILE}:svc.password`, '--existing'],
        ]),
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('values from planted files', () => {
  it('a lock file whose holder carries escape sequences: E_LOCK_HELD shows them escaped', async () => {
    const settings = makeSettings({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "p"\n' });
    const record = {
      pid: process.pid, // alive: the lock is held
      host: `${HOSTILE}host`,
      user: `${HOSTILE}mallory`,
      command: `${HOSTILE}encrypt`,
      since: `${HOSTILE}2026-01-01T00:00:00.000Z`,
      token: `${process.pid}-0123abcd`,
    };
    writeFileSync(join(settings.dir, '.liberty-crypto.lock'), JSON.stringify(record));
    const result = await runCli(['encrypt', '--all', '-s', settings.dir], { env });
    expect(result.code).toBe(6);
    expectNoRawControl(result);
    expect(result.stderr).toContain('liberty-crypto: error: lock held');
    expect(result.stderr).toContain(`on ${SHOWN}host, user ${SHOWN}mallory`);
  }, 60_000); // the command waits for the lock (5 s) before E_LOCK_HELD

  it('an audit log with a recomputed chain and escape sequences in operator: audit and audit verify show them escaped', async () => {
    const settings = makeSettings({ 'app.toml': appToml() });
    const lines: string[] = [];
    let prev = '0'.repeat(64);
    for (const [seq, operator] of [
      [1, 'root'],
      [2, `${HOSTILE}mallory`],
    ] as const) {
      const entry = {
        v: 1,
        seq,
        ts: `2026-01-0${seq}T00:00:00.000Z`,
        event: 'decrypt',
        outcome: 'ok',
        operator,
        osUser: operator,
        host: `${HOSTILE}h`,
        pid: 42,
        field: `${HOSTILE_FILE}:svc.password`,
        prev,
      };
      const line = JSON.stringify(entry);
      lines.push(line);
      prev = hashLine(line);
    }
    writeFileSync(settings.audit, `${lines.join('\n')}\n`);

    const verify = await runCli(['audit', 'verify', '-s', settings.dir], { env });
    expect(verify.code, verify.stderr).toBe(0);
    expectNoRawControl(verify);
    expect(verify.stdout).toContain('ok: 2 entries, chain intact');

    const table = await runCli(['audit', '-s', settings.dir], { env });
    expect(table.code, table.stderr).toBe(0);
    expectNoRawControl(table);
    expect(table.stdout).toContain(`${SHOWN}mallory`);
    expect(table.stdout).toContain(`${SHOWN_FILE}:svc.password`);

    const json = await runCli(['audit', '-s', settings.dir, '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expectNoRawControl(json);
    expect(parseJson(json)[0]).toMatchObject({ operator: `${HOSTILE}mallory`, host: `${HOSTILE}h` });
  });
});

describe('identity', () => {
  const UID = 4242;
  const asRoot = process.getuid?.() === 0;
  const hasSetpriv = asRoot && spawnSync('setpriv', ['--version']).status === 0;
  const noPasswdEntry = !readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((line) => line.split(':')[2] === String(UID));

  /** A world-readable copy of the build: the checkout may sit under a folder uid 4242 cannot traverse. */
  function copyBuild(to: string): string {
    mkdirSync(to, { recursive: true });
    const entries = ['bin', 'dist', 'package.json', 'oclif.manifest.json', 'node_modules'].map((entry) => join(REPO, entry));
    const copied = spawnSync('cp', ['-a', ...entries, `${to}/`], { encoding: 'utf8' });
    expect(copied.status, copied.stderr).toBe(0);
    expect(spawnSync('chmod', ['-R', 'a+rX', to]).status).toBe(0);
    return join(to, 'bin/run.js');
  }

  it.runIf(requires(hasSetpriv && noPasswdEntry, `the identity test: needs root, setpriv and no passwd entry for uid ${UID}`))(
    'a uid with no passwd entry is uid:<N>, not $USER: USER=root is denied and logged as uid:4242',
    async () => {
      const settings = makeSettings({
        'app.toml': `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\n\n[permissions]\n"settings:reveal-secrets" = ["root"]\n`,
        'c.toml': `[db]\npassword = "${seal(KEY_A, 'root-only-secret', 'v1')}"\n`,
      });
      chmodSync(settings.root, 0o755);
      const bin = copyBuild(join(settings.root, 'cli'));
      // the settings belong to uid 4242, so it can write the audit log; [permissions] grants root only
      expect(spawnSync('chown', ['-R', `${UID}:${UID}`, settings.dir]).status).toBe(0);

      const setpriv = [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', 'env', 'USER=root', 'LOGNAME=root'];
      const child = spawn('setpriv', [...setpriv, process.execPath, bin, 'decrypt', 'c.toml:db.password', '-s', settings.dir], {
        cwd: settings.root,
        // the copy has no typescript: NODE_ENV=test (set by vitest) would have oclif look for it; no SHELL,
        // as under cron or in CI: oclif then asks the passwd database, which has no entry for this uid
        env: baseEnv({ ...env, NODE_ENV: undefined, HOME: settings.root, SHELL: undefined }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result = await collectOutput(child);
      expect(result.stdout).not.toContain('root-only-secret');
      expect(result.code, result.stderr).toBe(8);
      expect(result.stderr).toContain('operator uid:4242 lacks permission settings:reveal-secrets');
      if (existsSync(settings.audit)) {
        const entries = readFileSync(settings.audit, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line));
        expect(entries).toEqual([
          expect.objectContaining({ event: 'decrypt', outcome: 'denied', operator: 'uid:4242', osUser: 'uid:4242' }),
        ]);
      }
    },
    120_000,
  ); // copying the build (node_modules) is slow on a busy machine
});
