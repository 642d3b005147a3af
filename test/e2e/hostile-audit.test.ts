// Issue 12, the audit log and the lock files: what a local user who can write into the settings directory
// plants there (a link, a FIFO, a device, an app.toml pointing the log elsewhere) must never make root
// write outside the directory, hang, or log a key. The files are planted by this (root) process: the tool
// sees the same files whoever planted them.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli-process.js';
import { KEY_A, KEY_B, LEGACY_PASSPHRASE, type RunResult } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';

let settings: TempSettings | undefined;
afterEach(() => settings?.cleanup());

const env = { LIBERTY_MASTER_KEY: KEY_A };
const C_TOML = `password = "${seal(KEY_A, 'pw')}"\nplain = "p"\n`;
// a command that hangs is killed here, far later than any refusal takes; the test then sees the signal
const HANG_KILL_MS = 15_000;
// several runs of the CLI each, on a machine other work may share
const SLOW = 120_000;

function setup(app = appToml()): TempSettings {
  settings = makeSettings({ 'app.toml': app, 'c.toml': C_TOML });
  return settings;
}

async function runBounded(args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult & { signal: NodeJS.Signals | null }> {
  const run = startCli(args, { env: { ...env, ...extraEnv } });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), HANG_KILL_MS);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}

/** The code of the --json error envelope, undefined on success. */
function errorCode(result: RunResult): string | undefined {
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** Ended on its own (not killed as hung) with this exit code and, when it failed, this error code. */
function expectEnded(result: RunResult & { signal: NodeJS.Signals | null }, exit: number, code?: string): void {
  expect(result.signal, `killed as hung: ${result.stderr}`).toBeNull();
  expect(result.code, result.stdout + result.stderr).toBe(exit);
  if (code !== undefined) expect(errorCode(result)).toBe(code);
}

const DECRYPT = (dir: string) => ['decrypt', '-s', dir, 'c.toml:password', '--json'];
const ENCRYPT = (dir: string) => ['encrypt', '-s', dir, 'c.toml:plain', '--existing', '--json'];
const TO_PLAIN = (dir: string) => ['decrypt', '-s', dir, 'c.toml:password', '--to-plain', '--yes', '--json'];
const AUDIT = (dir: string) => ['audit', '-s', dir, '--json'];
const VERIFY = (dir: string) => ['audit', 'verify', '-s', dir, '--json'];

describe('a link at audit.jsonl', () => {
  it(
    'to a file outside: no command appends to it, and no audited change happens',
    async () => {
      const { dir, root, audit } = setup();
      const outside = join(root, 'outside.log');
      writeFileSync(outside, 'precious\n');
      symlinkSync(outside, audit);
      for (const args of [DECRYPT(dir), ENCRYPT(dir), TO_PLAIN(dir)]) {
        const result = await runBounded(args);
        expectEnded(result, 6, 'E_AUDIT_LOG');
        expect(result.stdout).not.toContain('"pw"');
      }
      expect(readFileSync(outside, 'utf8')).toBe('precious\n');
      expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe(C_TOML);
    },
    SLOW,
  );

  it(
    'dangling: nothing is created where it points',
    async () => {
      const { dir, root, audit } = setup();
      const target = join(root, 'created.log');
      symlinkSync(target, audit);
      for (const args of [DECRYPT(dir), ENCRYPT(dir)]) expectEnded(await runBounded(args), 6, 'E_AUDIT_LOG');
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(root).sort()).toEqual(['config']);
    },
    SLOW,
  );
});

describe('[audit] path in app.toml', () => {
  it.each<[string, (root: string) => string]>([
    ['up and out', () => '../outside/x.jsonl'],
    ['absolute', (root) => join(root, 'outside', 'abs.jsonl')],
    ['through a directory link', () => 'sub/x.jsonl'],
  ])(
    'leading outside (%s) is refused naming app.toml: audit.path, and nothing is created',
    async (_name, configured) => {
      const { dir, root } = setup();
      mkdirSync(join(root, 'outside'));
      symlinkSync('../outside', join(dir, 'sub'));
      writeFileSync(join(dir, 'app.toml'), `${appToml()}\n[audit]\npath = ${JSON.stringify(configured(root))}\n`);
      for (const args of [DECRYPT(dir), ENCRYPT(dir), AUDIT(dir), VERIFY(dir)]) {
        const result = await runBounded(args);
        expectEnded(result, 5, 'E_BAD_SETTINGS');
        expect(result.stdout).toContain('app.toml: audit.path');
      }
      expect(readdirSync(join(root, 'outside'))).toEqual([]);
      expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe(C_TOML);
    },
    SLOW,
  );
});

describe('a FIFO where the tool expects a file', () => {
  // what each command does with a FIFO at each place: refuse it (exit 6 and the code), or never touch it (0)
  it.each<[string, Array<[(dir: string) => string[], number, string?]>]>([
    [
      'audit.jsonl',
      [
        [ENCRYPT, 6, 'E_AUDIT_LOG'],
        [DECRYPT, 6, 'E_AUDIT_LOG'],
        [TO_PLAIN, 6, 'E_AUDIT_LOG'],
        [AUDIT, 6, 'E_AUDIT_LOG'],
        [VERIFY, 6, 'E_AUDIT_LOG'],
      ],
    ],
    [
      'audit.jsonl.lock',
      [
        [ENCRYPT, 6, 'E_AUDIT_LOG'],
        [DECRYPT, 6, 'E_AUDIT_LOG'],
        [TO_PLAIN, 6, 'E_AUDIT_LOG'],
        [AUDIT, 0],
        [VERIFY, 0],
      ],
    ],
    [
      '.liberty-crypto.lock',
      [
        [ENCRYPT, 6, 'E_LOCK_HELD'],
        [TO_PLAIN, 6, 'E_LOCK_HELD'],
        [AUDIT, 0],
        [VERIFY, 0],
      ],
    ],
  ])(
    'at %s: every command ends on its own with a clear error, holding no lock',
    async (place, runs) => {
      const { dir } = setup();
      execFileSync('mkfifo', [join(dir, place)]);
      for (const [args, exit, code] of runs) {
        const result = await runBounded(args(dir));
        expectEnded(result, exit, code);
        if (code) expect(result.stdout).toContain(join(dir, place));
      }
      expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe(C_TOML);
      expect(lstatSync(join(dir, place)).isFIFO()).toBe(true);
      // no lock left behind, no log created beside a planted one
      const left = readdirSync(dir).filter((name) => name !== place);
      expect(left.sort()).toEqual(place === 'audit.jsonl' ? ['app.toml', 'c.toml'] : expect.arrayContaining(['app.toml', 'c.toml']));
      expect(left.filter((name) => name.endsWith('.lock'))).toEqual([]);
    },
    SLOW,
  );
});

describe('a lock linked to /dev/zero', () => {
  it(
    'is refused at once, never read',
    async () => {
      const { dir } = setup();
      symlinkSync('/dev/zero', join(dir, '.liberty-crypto.lock'));
      expectEnded(await runBounded(ENCRYPT(dir)), 6, 'E_LOCK_HELD');
      symlinkSync('/dev/zero', join(dir, 'audit.jsonl.lock'));
      expectEnded(await runBounded(DECRYPT(dir)), 6, 'E_AUDIT_LOG');
      expect(readFileSync(join(dir, 'c.toml'), 'utf8')).toBe(C_TOML);
    },
    SLOW,
  );
});

describe('a key or passphrase given as NAME never reaches the audit log', () => {
  const PASSPHRASE_AS_NAME = 'CorrectHorseBatteryStaple';
  const logText = (audit: string) => (existsSync(audit) ? readFileSync(audit, 'utf8') : '');

  // KEY_B starts with a letter, so it is a valid variable name by syntax alone; KEY_A starts with a digit
  it.each<[string, number, string]>([
    ['a key with a trailing space', 2, `${KEY_B} `],
    ['a 64-hex key that reads as a name', 2, KEY_B],
    ['a 64-hex key', 2, KEY_A],
    ['a passphrase', 2, LEGACY_PASSPHRASE],
    ['a passphrase that reads as a name', 8, PASSPHRASE_AS_NAME],
  ])('keys rotate --to with %s, denied: exit %i, the value logged nowhere', async (_name, exit, to) => {
    const { dir, audit } = setup(appToml({ permissions: ['settings:reveal-secrets'] }));
    const result = await runBounded(['keys', 'rotate', '--to', to, '-s', dir], { NEW_KEY: KEY_B });
    expectEnded(result, exit);
    expect(result.stdout + result.stderr).not.toContain(to.trim());
    expect(logText(audit)).not.toContain(to.trim());
    if (exit === 8) {
      const line = JSON.parse(logText(audit).trim());
      expect(line).toMatchObject({ event: 'keys.rotate', outcome: 'denied', details: { permission: 'settings:framework' } });
      expect(line.details.to).toBeUndefined();
    }
  });

  it(
    'keys rotate --to with a key, permitted: exit 2, the key printed nowhere',
    async () => {
      const { dir, audit } = setup();
      for (const to of [KEY_B, `${KEY_B} `]) {
        const result = await runBounded(['keys', 'rotate', '--to', to, '-s', dir]);
        expectEnded(result, 2);
        expect(result.stdout + result.stderr).not.toContain(KEY_B);
      }
      expect(logText(audit)).toBe('');
    },
    SLOW,
  );

  it('a denied rotation to a real variable still names it', async () => {
    const { dir, audit } = setup(appToml({ permissions: ['settings:reveal-secrets'] }));
    expectEnded(await runBounded(['keys', 'rotate', '--to', 'NEW_KEY', '-s', dir], { NEW_KEY: KEY_B }), 8);
    expect(JSON.parse(logText(audit).trim()).details).toEqual({ to: 'NEW_KEY', permission: 'settings:framework' });
  });

  it.each([['add-legacy'], ['drop-legacy']])(
    'keys %s NAME with a key or passphrase, denied: nothing of it logged',
    async (command) => {
      const { dir, audit } = setup(appToml({ permissions: ['settings:reveal-secrets'] }));
      for (const [name, exit] of [
        [KEY_B, 2],
        [PASSPHRASE_AS_NAME, 8],
      ] as const) {
        const result = await runBounded(['keys', command, name, '-s', dir]);
        expectEnded(result, exit);
        expect(logText(audit)).not.toContain(name);
      }
    },
    SLOW,
  );
});
