// What reaches the screen: stdout carries only the requested data (notes, problems, progress and prompts go
// to stderr), tables stay aligned with long and wide file names, and --json on a terminal is plain JSON.
// (Colours on a terminal versus NO_COLOR and pipes are covered in interactive.test.ts.)
import { describe, expect, it } from 'vitest';
import { KEY_A, KEY_B, parseJson, runCli } from '../support/cli.js';
import { ptyPerTest } from '../support/pty.js';
import { appToml, seal, settingsPerTest } from '../support/settings.js';

const makeSettings = settingsPerTest();
const spawnCliPty = ptyPerTest();

const env = { LIBERTY_MASTER_KEY: KEY_A };
const LONG_FILE = `${'payment-provider-connector-settings-'.repeat(2)}production-eu-west.toml`;
const WIDE_FILE = '接続先/決済サービス.toml';

/** Terminal columns, by a rule independent of the one under test: CJK and fullwidth take two. */
const columns = (text: string) => [...text].reduce((width, char) => width + (/[\u3000-\u9fff\uff00-\uff60]/u.test(char) ? 2 : 1), 0);

describe('tables', () => {
  it('audit stays aligned with a 60+ character file name and with CJK file names', async () => {
    expect(LONG_FILE.length).toBeGreaterThan(60);
    const settings = makeSettings({
      'app.toml': appToml(),
      [LONG_FILE]: '[gateway]\napi_key = "k1"\n',
      [WIDE_FILE]: '[gateway]\napi_key = "k2"\n',
      'short.toml': '[db]\npassword = "p"\n',
    });
    const encrypted = await runCli(['encrypt', '--all', '-s', settings.dir], { env });
    expect(encrypted.code, encrypted.stderr).toBe(0);
    const table = await runCli(['audit', '-s', settings.dir], { env });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(table.stdout).toContain(`${LONG_FILE}:gateway.api_key`);
    expect(table.stdout).toContain(`${WIDE_FILE}:gateway.api_key`);
    // the last column (outcome) starts at the same terminal column on every line
    const outcomeAt = (line: string, word: string) => columns(line.slice(0, line.lastIndexOf(word)));
    const header = outcomeAt(lines[0], 'outcome');
    for (const line of lines.slice(1)) expect(outcomeAt(line, 'ok'), line).toBe(header);
    expect(header).toBeGreaterThan(columns(`${LONG_FILE}:gateway.api_key`));
  });

  it('status keeps its key table aligned with long variable names', async () => {
    const longEnv = 'LIBERTY_MASTER_KEY_FOR_THE_PAYMENT_GATEWAY_CLUSTER_IN_EU_WEST_1';
    const settings = makeSettings({ 'app.toml': appToml({ legacy: [longEnv] }), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'p')}"\n` });
    const result = await runCli(['status', '-s', settings.dir], { env: { ...env, [longEnv]: KEY_A.replace(/^1f/, '2f') } });
    const [header, master, legacy] = result.stdout.split('\n');
    expect(legacy).toContain(longEnv);
    const at = (line: string, text: string) => line.indexOf(text);
    expect(at(master, '439d87b0')).toBe(at(header, 'key id'));
    expect(at(legacy, 'set')).toBe(at(header, 'state'));
  });
});

describe('stdout carries only the requested data', () => {
  it('rewrap: the counts on stdout, each unreadable blob as a problem on stderr', async () => {
    const other = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
    const settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${seal(other, 'p')}"\n` });
    const result = await runCli(['rewrap', '-s', settings.dir], { env });
    expect(result.code).toBe(3);
    // a key no configured slot holds is not a legacy key: the blob counts as unreadable only
    expect(result.stdout).toBe('0 encrypted fields re-wrapped with the current master key\n0 still using legacy keys\n1 unreadable\n');
    expect(result.stderr).toContain('problem: c.toml:db.password');
  });

  it('encrypt --all: what was encrypted on stdout, the fields left plain as a note on stderr', async () => {
    const settings = makeSettings({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "p"\n[cache]\npassword = ""\n' });
    const result = await runCli(['encrypt', '--all', '-s', settings.dir], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('encrypted c.toml:db.password\n1 secret field encrypted with key 439d87b0\n');
    expect(result.stderr).toContain('left plain (empty): c.toml:cache.password');
  });

  it('audit with no matching events: nothing on stdout, a note on stderr; --json gives []', async () => {
    const settings = makeSettings({ 'app.toml': appToml() });
    const text = await runCli(['audit', '-s', settings.dir], { env });
    expect(text).toMatchObject({ code: 0, stdout: '' });
    expect(text.stderr).toContain('no matching events');
    const json = await runCli(['audit', '-s', settings.dir, '--json'], { env });
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(parseJson(json)).toEqual([]);
  });
});

describe('--json on a terminal', () => {
  it.each([
    ['status', 1],
    ['rewrap', 3],
  ])('%s --json prints JSON only: no colour, no spinner, no note', async (command, code) => {
    const other = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
    const settings = makeSettings({
      'app.toml': appToml(),
      'c.toml': `[db]\npassword = "${seal(other, 'p')}"\n[slack]\nwebhook_url = "https://hooks"\n`,
    });
    const session = spawnCliPty([command, '-s', settings.dir, '--json'], { env, cols: 200 });
    expect((await session.exited()).exitCode).toBe(code);
    const raw = session.raw();
    expect(raw).not.toContain('\x1b');
    expect(() => JSON.parse(raw)).not.toThrow();
  });
});

describe('decrypt of a hostile plaintext', () => {
  // retitle the window (OSC 0 ... BEL), clear the screen, and a C1 CSI; a second line; a tab
  const PLAINTEXT = '\x1b]0;PWNED\x07\x1b[2Jfirst line\nsecond\tline\u009b2J';

  it('on a terminal: control characters shown escaped, line breaks kept; piped: the bytes exactly', async () => {
    const settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${seal(KEY_A, PLAINTEXT)}"\n` });
    const piped = await runCli(['decrypt', 'c.toml:db.password', '-s', settings.dir], { env });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe(PLAINTEXT);

    const session = spawnCliPty(['decrypt', 'c.toml:db.password', '-s', settings.dir], { env, cols: 200 });
    expect((await session.exited()).exitCode).toBe(0);
    const raw = session.raw();
    expect(raw).not.toContain('\x1b]0;');
    expect(raw).not.toContain('\x1b[2J');
    expect(raw).not.toMatch(/[\x07\t\u009b]/);
    expect(session.activeBuffer()).toBe('normal');
    const screen = session.normalBuffer();
    expect(screen).toContain('\\x1b]0;PWNED\\x07\\x1b[2Jfirst line');
    expect(screen).toContain('\nsecond\\x09line\\x9b2J');
  });
});

describe('progress on a terminal', () => {
  // is-interactive (ora) takes a CI variable for "no terminal"
  const terminalEnv = { ...env, CI: undefined };
  const legacyDir = () =>
    makeSettings({ 'app.toml': appToml({ legacy: ['LIBERTY_OLD'] }), 'c.toml': `[db]\npassword = "${seal(KEY_B, 'p')}"\n` });

  it('rewrap --check says checking; the spinner is coloured, but not with NO_COLOR', async () => {
    const settings = legacyDir();
    const coloured = spawnCliPty(['rewrap', '--check', '-s', settings.dir], { env: { ...terminalEnv, LIBERTY_OLD: KEY_B } });
    expect((await coloured.exited()).exitCode).toBe(1);
    expect(coloured.raw()).toContain('checking');
    expect(coloured.raw()).not.toContain('re-wrapping');
    expect(coloured.raw()).toContain('\x1b[36m');

    const session = spawnCliPty(['rewrap', '--check', '-s', settings.dir], { env: { ...terminalEnv, LIBERTY_OLD: KEY_B, NO_COLOR: '1' } });
    expect((await session.exited()).exitCode).toBe(1);
    expect(session.raw()).toContain('checking');
    // no colour at all: no SGR sequence that sets a foreground or background colour
    expect(session.raw()).not.toMatch(/\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7])m/);
  });

  it('status shows progress on a large directory, not on a small one', async () => {
    const files: Record<string, string> = { 'app.toml': appToml() };
    for (let i = 0; i < 120; i++) files[`svc-${i}.toml`] = `[svc]\nhost = "h${i}"\n`;
    const settings = makeSettings(files);
    const session = spawnCliPty(['status', '-s', settings.dir], { env: terminalEnv });
    expect((await session.exited()).exitCode).toBe(0);
    expect(session.raw()).toContain('reading');
    expect(session.screen()).toContain('ok: nothing to do');
    expect(session.screen()).not.toContain('reading');
    session.dispose();

    const small = makeSettings({ 'app.toml': appToml(), 'c.toml': '[svc]\nhost = "h"\n' });
    try {
      const session = spawnCliPty(['status', '-s', small.dir], { env: terminalEnv });
      expect((await session.exited()).exitCode).toBe(0);
      expect(session.raw()).not.toContain('reading');
    } finally {
      small.cleanup();
    }
  });
});

describe('rewrap --check --quiet', () => {
  it('prints only the counts, with the same exit code', async () => {
    const settings = makeSettings({
      'app.toml': appToml({ legacy: ['LIBERTY_OLD'] }),
      'c.toml': `[db]\npassword = "${seal(KEY_B, 'p')}"\n[cache]\npassword = "${seal(KEY_B, 'q')}"\n`,
    });
    const withOld = { ...env, LIBERTY_OLD: KEY_B };
    const full = await runCli(['rewrap', '--check', '-s', settings.dir], { env: withOld });
    expect(full.code).toBe(1);
    expect(full.stdout).toContain('c.toml:db.password  on legacy key LIBERTY_OLD');
    const quiet = await runCli(['rewrap', '--check', '--quiet', '-s', settings.dir], { env: withOld });
    expect(quiet).toMatchObject({ code: 1, stderr: '' });
    expect(quiet.stdout).toBe('2 encrypted fields would be re-wrapped with the current master key\n2 still using legacy keys\n');
  });
});
