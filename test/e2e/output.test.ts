// What reaches the screen: stdout carries only the requested data (notes, problems, progress and prompts go
// to stderr), tables stay aligned with long and wide file names, and --json on a terminal is plain JSON.
// (Colours on a terminal versus NO_COLOR and pipes are covered in interactive.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, parseJson, runCli } from '../support/cli.js';
import { spawnCliPty, type PtySession } from '../support/pty.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';

let settings: TempSettings | undefined;
let session: PtySession | undefined;
afterEach(() => {
  session?.dispose();
  session = undefined;
  settings?.cleanup();
  settings = undefined;
});

const env = { LIBERTY_MASTER_KEY: KEY_A };
const LONG_FILE = `${'payment-provider-connector-settings-'.repeat(2)}production-eu-west.toml`;
const WIDE_FILE = '接続先/決済サービス.toml';

/** Terminal columns, by a rule independent of the one under test: CJK and fullwidth take two. */
const columns = (text: string) => [...text].reduce((width, char) => width + (/[\u3000-\u9fff\uff00-\uff60]/u.test(char) ? 2 : 1), 0);

describe('tables', () => {
  it('audit stays aligned with a 60+ character file name and with CJK file names', async () => {
    expect(LONG_FILE.length).toBeGreaterThan(60);
    settings = makeSettings({
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
    const header = outcomeAt(lines[0]!, 'outcome');
    for (const line of lines.slice(1)) expect(outcomeAt(line, 'ok'), line).toBe(header);
    expect(header).toBeGreaterThan(columns(`${LONG_FILE}:gateway.api_key`));
  });

  it('status keeps its key table aligned with long variable names', async () => {
    const longEnv = 'LIBERTY_MASTER_KEY_FOR_THE_PAYMENT_GATEWAY_CLUSTER_IN_EU_WEST_1';
    settings = makeSettings({ 'app.toml': appToml({ legacy: [longEnv] }), 'c.toml': `[db]\npassword = "${seal(KEY_A, 'p')}"\n` });
    const result = await runCli(['status', '-s', settings.dir], { env: { ...env, [longEnv]: KEY_A.replace(/^1f/, '2f') } });
    const [header, master, legacy] = result.stdout.split('\n');
    expect(legacy).toContain(longEnv);
    const at = (line: string, text: string) => line.indexOf(text);
    expect(at(master!, '439d87b0')).toBe(at(header!, 'key id'));
    expect(at(legacy!, 'set')).toBe(at(header!, 'state'));
  });
});

describe('stdout carries only the requested data', () => {
  it('rewrap: the counts on stdout, each unreadable blob as a problem on stderr', async () => {
    const other = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': `[db]\npassword = "${seal(other, 'p')}"\n` });
    const result = await runCli(['rewrap', '-s', settings.dir], { env });
    expect(result.code).toBe(3);
    // a key no configured slot holds is not a legacy key: the blob counts as unreadable only
    expect(result.stdout).toBe('0 encrypted fields re-wrapped with the current master key\n0 still using legacy keys\n1 unreadable\n');
    expect(result.stderr).toContain('problem: c.toml:db.password');
  });

  it('encrypt --all: what was encrypted on stdout, the fields left plain as a note on stderr', async () => {
    settings = makeSettings({ 'app.toml': appToml(), 'c.toml': '[db]\npassword = "p"\n[cache]\npassword = ""\n' });
    const result = await runCli(['encrypt', '--all', '-s', settings.dir], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('encrypted c.toml:db.password\n1 secret field encrypted with key 439d87b0\n');
    expect(result.stderr).toContain('left plain (empty): c.toml:cache.password');
  });

  it('audit with no matching events: nothing on stdout, a note on stderr; --json gives []', async () => {
    settings = makeSettings({ 'app.toml': appToml() });
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
    settings = makeSettings({
      'app.toml': appToml(),
      'c.toml': `[db]\npassword = "${seal(other, 'p')}"\n[slack]\nwebhook_url = "https://hooks"\n`,
    });
    session = spawnCliPty([command, '-s', settings.dir, '--json'], { env, cols: 200 });
    expect((await session.exited()).exitCode).toBe(code);
    const raw = session.raw();
    expect(raw).not.toContain('\x1b');
    expect(() => JSON.parse(raw)).not.toThrow();
  });
});
