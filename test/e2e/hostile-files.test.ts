// Issue 12, the settings-file part: a local user who can write into the settings directory plants links,
// FIFOs, devices and odd spellings of FILE to make a root-run command write outside the directory, hang,
// or hand plaintext to her. Each case is a reproduction from the issue; each failed before the fix.
//
// The check-then-write races are made deterministic with the issue's own trick: the test holds the audit
// log's lock (a record naming this live test process), which pauses the command's write-ahead append
// after it has read the file; the test swaps the file (or its folder) for a link to a file outside, then
// releases the lock. The test process does the swap itself: the writer cannot tell who did it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, baseEnv, collectOutput, KEY_A, KEY_A_FP, KEY_B, parseJson, runCli, type RunResult } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { requires } from '../support/requires.js';
import { holdAuditLock } from '../support/audit-lock.js';
import { NOBODY, runningAsRoot } from '../support/unprivileged.js';
import { readAuditLog } from '../support/audit-entries.js';

let settings: TempSettings | undefined;
afterEach(() => {
  settings?.cleanup();
  settings = undefined;
});

const ENV = { LIBERTY_MASTER_KEY: KEY_A };
const CONNECTORS = '[pools.main]\nuser = "portal"\npassword = "old"\n';
const VICTIM = '# root only: a crontab, /etc/sudoers.d/..., whatever mallory wants rewritten\n';
/** Long enough for any command here on a loaded machine, short enough to show a hang. */
const HANG_KILL_MS = 15_000;

function setup(files: Record<string, string>): TempSettings & { outside: string; victim: string } {
  settings = makeSettings({ 'app.toml': appToml({ fingerprint: KEY_A_FP }), ...files });
  const outside = join(settings.root, 'outside');
  mkdirSync(outside);
  const victim = join(outside, 'victim.toml');
  writeFileSync(victim, VICTIM, { mode: 0o600 });
  return { ...settings, outside, victim };
}

/** Spawns the CLI; a run still going after HANG_KILL_MS is killed, and then shows `signal`. */
function startCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<RunResult & { signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: baseEnv({ ...ENV, NEW_SECRET: 'new-secret', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end('');
  const timer = setTimeout(() => child.kill('SIGKILL'), HANG_KILL_MS);
  const done = collectOutput(child).finally(() => clearTimeout(timer));
  return { child, done };
}

const run = (args: string[]) => startCli(args).done;

/** The error code of a --json failure. */
const errorCode = (result: RunResult) => parseJson(result).error.code;

/** Every temporary file left under the given folders. */
function tempFiles(...dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.name.includes('.lc-tmp-'))
      .map((entry) => join(entry.parentPath, entry.name)),
  );
}

const auditEvents = (dir: string) => readAuditLog<{ event: string; outcome: string; field?: string }>(join(dir, 'audit.jsonl'));

/** Runs `args` paused at its audit append, applies `swap`, releases, and returns how the command ended. */
async function raceWrite(dir: string, args: string[], swap: () => void, env: Record<string, string> = {}) {
  const lock = holdAuditLock(dir);
  const { child, done } = startCli([...args, '-s', dir, '--json'], env);
  try {
    await Promise.race([lock.attempted(child.pid!), done]);
    expect(child.exitCode, 'the command ended before it reached its audit append').toBeNull();
    swap();
  } finally {
    lock.release();
  }
  return done;
}

describe('the check-then-write race: the file is swapped after it was read', () => {
  it('encrypt: connectors.toml swapped for a link to a root-owned file outside: refused, nothing written', async () => {
    const { dir, victim } = setup({ 'connectors.toml': CONNECTORS });
    const target = join(dir, 'connectors.toml');
    const result = await raceWrite(dir, ['encrypt', 'connectors.toml:pools.main.password', '--from-env', 'NEW_SECRET'], () => {
      renameSync(target, join(dir, 'mallory.bak'));
      symlinkSync(victim, target);
    });
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(6);
    expect(errorCode(result)).toBe('E_IO');
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    expect(lstatSync(target).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'mallory.bak'), 'utf8')).toBe(CONNECTORS);
    expect(tempFiles(dir, dirname(victim))).toEqual([]);
    // write-ahead: the line went out before the refusal, and a failed line follows it
    expect(auditEvents(dir).map((entry) => `${entry.event} ${entry.outcome}`)).toEqual(['encrypt ok', 'encrypt failed']);
  });

  it('encrypt: the subfolder holding the file swapped for a link to a folder outside: refused, nothing written', async () => {
    const { dir, outside } = setup({ 'sub/connectors.toml': CONNECTORS });
    const planted = join(outside, 'connectors.toml');
    writeFileSync(planted, VICTIM, { mode: 0o600 });
    const result = await raceWrite(dir, ['encrypt', 'sub/connectors.toml:pools.main.password', '--from-env', 'NEW_SECRET'], () => {
      renameSync(join(dir, 'sub'), join(dir, 'sub.bak'));
      symlinkSync(outside, join(dir, 'sub'));
    });
    expect(result.code, result.stderr).toBe(6);
    expect(errorCode(result)).toBe('E_IO');
    expect(readFileSync(planted, 'utf8')).toBe(VICTIM);
    expect(readFileSync(join(dir, 'sub.bak', 'connectors.toml'), 'utf8')).toBe(CONNECTORS);
    expect(tempFiles(dir, outside)).toEqual([]);
  });

  it('keys rotate: app.toml swapped for a link to a root-owned file outside: refused, nothing written', async () => {
    const { dir, victim } = setup({});
    const app = join(dir, 'app.toml');
    const before = readFileSync(app, 'utf8');
    const swap = () => {
      renameSync(app, join(dir, 'app.bak'));
      symlinkSync(victim, app);
    };
    const result = await raceWrite(dir, ['keys', 'rotate', '--to', 'NEW_KEY'], swap, { NEW_KEY: KEY_B });
    expect(result.code, result.stderr).toBe(6);
    expect(errorCode(result)).toBe('E_IO');
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    expect(readFileSync(join(dir, 'app.bak'), 'utf8')).toBe(before);
    expect(tempFiles(dir, dirname(victim))).toEqual([]);
  });
});

describe('FILE is relative to the settings directory, in one spelling', () => {
  // the writer used to join an absolute FILE under the directory again: a link planted at D/<D>/connectors.toml
  // received the write while the real file stayed unchanged
  function plantUnderAbsolute(dir: string, victim: string): void {
    const planted = join(dir, dir, 'connectors.toml');
    mkdirSync(dirname(planted), { recursive: true });
    symlinkSync(victim, planted);
  }

  it.each([
    ['encrypt', (dir: string) => ['encrypt', `${dir}/connectors.toml:pools.main.password`, '--from-env', 'NEW_SECRET']],
    ['decrypt --to-plain', (dir: string) => ['decrypt', `${dir}/connectors.toml:pools.main.password`, '--to-plain', '--yes']],
    ['decrypt', (dir: string) => ['decrypt', `${dir}/connectors.toml:pools.main.password`]],
  ])('%s refuses an absolute FILE inside the directory with exit 2 (E_USAGE); nothing is written', async (_name, args) => {
    const text = `[pools.main]\npassword = "${seal(KEY_A, 'pg-secret')}"\n`;
    const { dir, victim } = setup({ 'connectors.toml': text });
    plantUnderAbsolute(dir, victim);
    const result = await run([...args(dir), '-s', dir, '--json']);
    expect(result.code, result.stderr).toBe(2);
    expect(errorCode(result)).toBe('E_USAGE');
    expect(result.stdout).not.toContain('pg-secret');
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    expect(readFileSync(join(dir, 'connectors.toml'), 'utf8')).toBe(text);
  });

  it('logs sub/../connectors.toml and ./connectors.toml as connectors.toml, and audit --field finds both', async () => {
    const { dir } = setup({ 'connectors.toml': CONNECTORS, 'sub/other.toml': '' });
    for (const spelling of ['sub/../connectors.toml', './connectors.toml']) {
      const result = await run(['encrypt', `${spelling}:pools.main.password`, '--from-env', 'NEW_SECRET', '-s', dir]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^(encrypted|replaced) connectors\.toml:pools\.main\.password /); // the field holds a value: replaced
    }
    expect(auditEvents(dir).map((entry) => entry.field)).toEqual([
      'connectors.toml:pools.main.password',
      'connectors.toml:pools.main.password',
    ]);
    const found = parseJson(await runCli(['audit', '--field', 'connectors.toml:pools.main.password', '-s', dir, '--json'], { env: ENV }));
    expect(found).toHaveLength(2);
  });
});

describe('FIFOs and devices: refused at once, never a hang', () => {
  it.each([
    ['encrypt', ['encrypt', 'evil.toml:a.b', '--from-env', 'NEW_SECRET'], 6],
    ['encrypt --existing', ['encrypt', 'evil.toml:a.b', '--existing'], 6],
    ['decrypt', ['decrypt', 'evil.toml:a.b'], 6],
    ['decrypt --to-plain', ['decrypt', 'evil.toml:a.b', '--to-plain', '--yes'], 6],
  ])('%s on a FIFO evil.toml exits 6 naming it', async (_name, args, code) => {
    const { dir } = setup({});
    spawnSync('mkfifo', [join(dir, 'evil.toml')]);
    const result = await run([...args, '-s', dir, '--json']);
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(code);
    expect(errorCode(result)).toBe('E_IO');
    expect(parseJson(result).error.message).toContain('evil.toml');
  });

  it.each([
    ['status', ['status']],
    ['rewrap --check', ['rewrap', '--check']],
    ['rewrap', ['rewrap']],
  ])('%s with a FIFO at app.toml exits 6 naming it', async (_name, args) => {
    const { dir } = setup({ 'connectors.toml': CONNECTORS });
    unlinkSync(join(dir, 'app.toml'));
    spawnSync('mkfifo', [join(dir, 'app.toml')]);
    const result = await run([...args, '-s', dir, '--json']);
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(6);
    expect(errorCode(result)).toBe('E_IO');
    expect(parseJson(result).error.message).toContain('app.toml');
  });

  it('a link to /dev/zero named x.toml is refused as leading outside (exit 5), at once', async () => {
    const { dir } = setup({});
    symlinkSync('/dev/zero', join(dir, 'x.toml'));
    const result = await run(['decrypt', 'x.toml:a.b', '-s', dir, '--json']);
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(5);
    expect(errorCode(result)).toBe('E_BAD_SETTINGS');
  });

  it.runIf(requires(runningAsRoot(), 'the device test: mknod needs root'))(
    'a character device like /dev/zero at x.toml is refused (exit 6), not read for gigabytes',
    async () => {
      const { dir } = setup({});
      const made = spawnSync('mknod', [join(dir, 'x.toml'), 'c', '1', '5']);
      expect(made.status, `mknod: ${String(made.stderr)}`).toBe(0);
      const result = await run(['decrypt', 'x.toml:a.b', '-s', dir, '--json']);
      expect(result.signal).toBeNull();
      expect(result.code, result.stderr).toBe(6);
      expect(errorCode(result)).toBe('E_IO');
    },
  );
});

describe('temporary files of an interrupted write', () => {
  it('status reports a leftover temporary file (exit 1), and the next write removes it', async () => {
    const { dir } = setup({ 'connectors.toml': CONNECTORS });
    // the name carries the pid of its writer: one that is surely gone
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const leftover = `.connectors.toml.lc-tmp-${gone}-0123456789ab`;
    writeFileSync(join(dir, leftover), '[pools.main]\npassword = "plaintext"\n', { mode: 0o644 });
    const status = await run(['status', '-s', dir, '--json']);
    expect(status.code, status.stderr).toBe(1);
    const report = parseJson(status);
    expect(report.leftoverTempFiles).toEqual([leftover]);
    expect(report.problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'LEFTOVER_TEMP_FILE' })]));
    expect(report.problems.find((problem: { code: string }) => problem.code === 'LEFTOVER_TEMP_FILE').message).toContain(leftover);

    const write = await run(['encrypt', 'connectors.toml:pools.main.password', '--from-env', 'NEW_SECRET', '-s', dir]);
    expect(write.code, write.stderr).toBe(0);
    expect(existsSync(join(dir, leftover))).toBe(false);
    expect(parseJson(await run(['status', '-s', dir, '--json'])).leftoverTempFiles).toEqual([]);
  });
});

describe('decrypt --to-plain never leaves the plaintext in a file another user owns', () => {
  it.runIf(requires(runningAsRoot(), 'the ownership test: giving a file to another user needs root'))(
    'the rewritten file belongs to the user running the command, not to the previous owner',
    async () => {
      const { dir } = setup({ 'connectors.toml': `[pools.main]\npassword = "${seal(KEY_A, 'pg-secret')}"\n` });
      const target = join(dir, 'connectors.toml');
      chownSync(target, NOBODY, NOBODY); // mallory's file
      chmodSync(target, 0o600);
      const result = await run(['decrypt', 'connectors.toml:pools.main.password', '--to-plain', '--yes', '-s', dir]);
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(target, 'utf8')).toContain('pg-secret');
      const info = statSync(target);
      expect([info.uid, info.gid]).toEqual([process.getuid!(), process.getgid!()]);
      expect(info.mode & 0o777).toBe(0o600);
    },
  );
});
