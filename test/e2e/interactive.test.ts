// The interactive paths outside reveal, in a real pseudo-terminal: the hidden new-secret prompt of
// encrypt (asked twice), and the confirmations of decrypt --to-plain and keys drop-legacy --force.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A } from '../support/cli.js';
import { spawnCliPty, type PtySession } from '../support/pty.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';

let settings: TempSettings | undefined;
let session: PtySession | undefined;
afterEach(() => {
  session?.dispose();
  settings?.cleanup();
});

const env = { LIBERTY_MASTER_KEY: KEY_A };

describe('encrypt on a terminal', () => {
  it('asks twice with a hidden prompt and writes the blob; the typed text never shows', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': '[db]\nhost = "h"\n' });
    session = spawnCliPty(['encrypt', 'c.toml:db.password', '-s', settings.dir], { env });
    await session.waitFor(/secret:/);
    session.write('typed-secret-1\r');
    await session.waitFor(/again/);
    session.write('typed-secret-1\r');
    expect((await session.exited()).exitCode).toBe(0);
    expect(session.raw()).not.toContain('typed-secret-1');
    expect(readFileSync(join(settings.dir, 'c.toml'), 'utf8')).toMatch(/password = "ENC:v2:439d87b0:/);
  });

  it('two different entries are not a confirmation: exit 7, nothing written', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': '[db]\nhost = "h"\n' });
    session = spawnCliPty(['encrypt', 'c.toml:db.password', '-s', settings.dir], { env });
    await session.waitFor(/secret:/);
    session.write('one\r');
    await session.waitFor(/again/);
    session.write('two\r');
    expect((await session.exited()).exitCode).toBe(7);
    expect(readFileSync(join(settings.dir, 'c.toml'), 'utf8')).toBe('[db]\nhost = "h"\n');
  });
});

describe('confirmations', () => {
  it('decrypt --to-plain asks on a terminal; declining writes nothing (exit 7)', async () => {
    const original = `[db]\npassword = "${seal(KEY_A, 'pw')}"\n`;
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': original });
    session = spawnCliPty(['decrypt', 'c.toml:db.password', '--to-plain', '-s', settings.dir], { env });
    await session.waitFor(/unencrypted\?/);
    session.write('n\r');
    expect((await session.exited()).exitCode).toBe(7);
    expect(readFileSync(join(settings.dir, 'c.toml'), 'utf8')).toBe(original);
  });

  it('decrypt --to-plain accepted on a terminal writes the plaintext back', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'pw')}"\n` });
    session = spawnCliPty(['decrypt', 'c.toml:db.password', '--to-plain', '-s', settings.dir], { env });
    await session.waitFor(/unencrypted\?/);
    session.write('y\r');
    expect((await session.exited()).exitCode).toBe(0);
    expect(readFileSync(join(settings.dir, 'c.toml'), 'utf8')).toBe('[db]\npassword = "pw"\n');
  });
});

describe('colours', () => {
  const statusIn = (dir: string, extra: Record<string, string> = {}) => spawnCliPty(['status', '-s', dir], { env: { ...env, ...extra } });

  it('on a terminal problems are red; NO_COLOR and pipes get plain text', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': '[slack]\nwebhook_url = "https://hooks"\n' });
    session = statusIn(settings.dir);
    expect((await session.exited()).exitCode).toBe(1);
    expect(session.raw()).toContain('\x1b[31mproblem:');
    session.dispose();
    session = statusIn(settings.dir, { NO_COLOR: '1' });
    expect((await session.exited()).exitCode).toBe(1);
    expect(session.raw()).toContain('problem:');
    expect(session.raw()).not.toContain('\x1b[31m');
    const { runCli } = await import('../support/cli.js');
    const piped = await runCli(['status', '-s', settings.dir], { env });
    expect(piped.stdout).toContain('problem:');
    expect(piped.stdout).not.toContain('\x1b[');
  });
});
