/**
 * reveal in a real pseudo-terminal: what is on the emulator's screens during and after the display,
 * the exit code, and the audit log.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, runCli } from '../support/cli.js';
import { spawnCliPty, type PtySession } from '../support/pty.js';
import { readAuditLog } from '../support/audit-entries.js';

const OPERATOR = userInfo().username;
const MAIN = 'connectors.toml:pools.main.password';
const BILLING = 'connectors.toml:connectors.billing.auth_token';
const MAIN_SECRET = 'Main-Pa55w0rd-q7Zx';
const BILLING_SECRET = 'billing-T0ken-Kp4w';
const PROMPT = 'master key fingerprint';

function appToml(operators: string[]): string {
  const list = operators.map((name) => JSON.stringify(name)).join(', ');
  return `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\n\n[permissions]\n"settings:reveal-secrets" = [${list}]\n`;
}

let template: string;
let root: string | undefined;
let session: PtySession | undefined;

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'lc-reveal-template-'));
  writeFileSync(join(template, 'app.toml'), appToml([OPERATOR]));
  writeFileSync(
    join(template, 'connectors.toml'),
    '[pools.main]\nhost = "db.internal"\nuser = "svc-reader-9"\n\n[connectors.billing]\nurl = "https://billing.internal"\n',
  );
  const env = { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_AUDIT_LOG: `${template}.audit.jsonl` };
  for (const [field, secret] of [
    [MAIN, MAIN_SECRET],
    [BILLING, BILLING_SECRET],
  ] as const) {
    const result = await runCli(['encrypt', field, '-s', template, '--from-env', 'SECRET_VALUE'], {
      env: { ...env, SECRET_VALUE: secret },
    });
    expect(result.code, result.stderr).toBe(0);
  }
  rmSync(env.LIBERTY_AUDIT_LOG, { force: true });
});

afterAll(() => rmSync(template, { recursive: true, force: true }));

afterEach(() => {
  session?.dispose();
  session = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/** A fresh copy of the template settings (app.toml replaced when given) and an audit log path. */
function setup(app?: string): { dir: string; audit: string } {
  root = mkdtempSync(join(tmpdir(), 'lc-reveal-'));
  const dir = join(root, 'config');
  cpSync(template, dir, { recursive: true });
  if (app !== undefined) writeFileSync(join(dir, 'app.toml'), app);
  return { dir, audit: join(root, 'audit.jsonl') };
}

function start(args: string[], audit: string): PtySession {
  session = spawnCliPty(['reveal', ...args], { env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_AUDIT_LOG: audit } });
  return session;
}

const auditLines = (path: string) => readAuditLog<Record<string, unknown>>(path);

const onAlternateScreenWith = (text: string) => (s: PtySession) => s.activeBuffer() === 'alternate' && s.screen().includes(text);

/** What must hold after every display: back on the normal screen, nothing of the secret left anywhere. */
function expectWiped(s: PtySession, secret: string): void {
  expect(s.activeBuffer()).toBe('normal');
  expect(s.normalBuffer()).not.toContain(secret);
  expect(s.alternateBuffer()).not.toContain(secret);
  // cleared before it was left: terminals that keep the alternate screen must find it empty
  const left = s.alternateScreenWhenLeft();
  expect(left.length).toBeGreaterThan(0);
  for (const screen of left) expect(screen.trim()).toBe('');
  const raw = s.raw();
  expect(raw.lastIndexOf('\x1b[?1049l')).toBeGreaterThan(raw.lastIndexOf(secret));
  expect(raw.lastIndexOf('\x1b[?25h')).toBeGreaterThan(raw.lastIndexOf('\x1b[?25l'));
}

describe('reveal on a terminal', () => {
  it.each([
    ['the full fingerprint', KEY_A_FP],
    ['a 16-character prefix with colons, in upper case', KEY_A_FP.slice(0, 16).toUpperCase().match(/../g)!.join(':')],
  ])('shows the plaintext on the alternate screen after %s, and leaves no trace of it', async (_label, typed) => {
    const { dir, audit } = setup();
    const s = start([MAIN, '-s', dir, '--seconds', '2'], audit);
    await s.waitFor(PROMPT);
    expect(s.screen()).not.toContain(KEY_A_FP.slice(0, 8));
    s.write(`${typed}\r`);

    await s.waitFor(onAlternateScreenWith(MAIN_SECRET));
    expect(s.screen()).toMatch(/hidden in [12] s/);
    expect(s.screen()).toContain(MAIN);

    const exit = await s.exited();
    expect(exit.exitCode).toBe(0);
    expectWiped(s, MAIN_SECRET);
    expect(s.normalBuffer()).toContain(`revealed ${MAIN} for 2 s (audit entry 1)`);
    // the typed fingerprint was masked and the prompt never showed it
    expect(s.raw()).not.toContain(KEY_A_FP.slice(0, 16));
    expect(s.raw().toLowerCase()).not.toContain(typed.toLowerCase());

    const lines = auditLines(audit);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      seq: 1,
      event: 'reveal',
      outcome: 'ok',
      field: MAIN,
      keyId: KEY_A_FP.slice(0, 8),
      operator: OPERATOR,
    });
    expect(readFileSync(audit, 'utf8')).not.toContain(MAIN_SECRET);
  });

  it('counts down and ends by itself after --seconds', async () => {
    const { dir, audit } = setup();
    const s = start([MAIN, '-s', dir, '--seconds', '2'], audit);
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP}\r`);
    await s.waitFor(onAlternateScreenWith(MAIN_SECRET));
    // it counts 2, 1 and ends by itself: nothing is typed after the key id
    await s.waitFor((x) => x.raw().includes('hidden in 1 s'), 5_000);
    const exit = await s.exited();
    expect(exit.exitCode).toBe(0);
    expect(s.raw()).toContain('hidden in 2 s');
    expect(s.raw().indexOf('hidden in 2 s')).toBeLessThan(s.raw().indexOf('hidden in 1 s'));
    expectWiped(s, MAIN_SECRET);
    expect(s.normalBuffer()).toContain(`revealed ${MAIN} for 2 s (audit entry 1)`);
  });

  it('hides at once on a key press; --json prints the summary, not the plaintext', async () => {
    const { dir, audit } = setup();
    const s = start([MAIN, '-s', dir, '--seconds', '60', '--json'], audit);
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP}\r`);
    await s.waitFor(onAlternateScreenWith(MAIN_SECRET));
    s.write('x');
    // ends long before the 60 s are out: the test's own timeout is far shorter
    const exit = await s.exited();
    expect(exit.exitCode).toBe(0);
    expect(s.raw()).not.toContain('hidden in 50 s');
    expectWiped(s, MAIN_SECRET);
    const after = s.normalBuffer();
    expect(after).toMatch(/"hiddenEarly": true/);
    expect(after).toMatch(/"auditSeq": 1/);
    expect(after).toMatch(/"seconds": 60/);
    expect(after).toContain(`"field": "${MAIN}"`);
  });

  it('Ctrl-C hides it too, and restores the terminal', async () => {
    const { dir, audit } = setup();
    const s = start([MAIN, '-s', dir, '--seconds', '60'], audit);
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP}\r`);
    await s.waitFor(onAlternateScreenWith(MAIN_SECRET));
    s.write('\x03');
    const exit = await s.exited();
    expect(exit.exitCode).toBe(0);
    expectWiped(s, MAIN_SECRET);
    expect(s.normalBuffer()).toContain(`revealed ${MAIN}, hidden early`);
  });

  it('SIGTERM during the display wipes it before the process ends', async () => {
    const { dir, audit } = setup();
    const s = start([MAIN, '-s', dir, '--seconds', '60'], audit);
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP}\r`);
    await s.waitFor(onAlternateScreenWith(MAIN_SECRET));
    process.kill(s.pid, 'SIGTERM');
    const exit = await s.exited();
    expect(exit.exitCode).toBe(143);
    expectWiped(s, MAIN_SECRET);
  });

  it('three wrong fingerprints: exit 7, each audit-logged, the plaintext never sent', async () => {
    const { dir, audit } = setup();
    const s = start([MAIN, '-s', dir], audit);
    // one character off at the 16th and at the 64th (KEY_A_FP has no 0 there)
    const wrong = ['0123456789abcdef', `${KEY_A_FP.slice(0, 15)}0`, `${KEY_A_FP.slice(0, 63)}0`];
    for (const [index, typed] of wrong.entries()) {
      await s.waitFor(index === 0 ? PROMPT : `try ${index + 1} of 3`);
      // ctrl+t would unmask the typed text in a plain password prompt; here it must not
      s.write(`\x14${typed}\x14\r`);
    }
    const exit = await s.exited();
    expect(exit.exitCode).toBe(7);
    expect(s.raw()).not.toContain(MAIN_SECRET);
    expect(s.raw()).not.toContain('\x1b[?1049h');
    expect(s.normalBuffer()).toContain('not confirmed');
    for (const typed of wrong) expect(s.raw()).not.toContain(typed);
    const lines = auditLines(audit);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatchObject({ event: 'reveal', outcome: 'wrong-fingerprint', field: MAIN });
  });

  it('the 8-character key id is too short: "type at least 16 characters", and no try is used', async () => {
    const { dir, audit } = setup();
    const s = start([MAIN, '-s', dir, '--seconds', '60'], audit);
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP.slice(0, 8)}\r`);
    await s.waitFor('type at least 16 characters');
    // two wrong tries, then the right one: had the key id used a try, the third would not be asked for
    s.write(`${'0'.repeat(16)}\r`);
    await s.waitFor('try 2 of 3');
    s.write(`${'0'.repeat(16)}\r`);
    await s.waitFor('try 3 of 3');
    s.write(`${KEY_A_FP}\r`);
    await s.waitFor(onAlternateScreenWith(MAIN_SECRET));
    s.write('x');
    expect((await s.exited()).exitCode).toBe(0);
    expect(auditLines(audit).map((line) => line.outcome)).toEqual(['wrong-fingerprint', 'wrong-fingerprint', 'ok']);
  });

  it('on a terminal without an alternate screen, the scrollback is cleared too', async () => {
    const { dir, audit } = setup();
    const s = spawnCliPty(['reveal', MAIN, '-s', dir, '--seconds', '60'], {
      env: { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_AUDIT_LOG: audit },
      alternateScreen: false,
    });
    session = s;
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP}\r`);
    await s.waitFor((x) => x.screen().includes(MAIN_SECRET));
    // the secret is on the normal screen: clearing it pushes it into the scrollback (see pty.ts)
    expect(s.activeBuffer()).toBe('normal');
    s.write('x');
    expect((await s.exited()).exitCode).toBe(0);
    expect(s.normalBuffer()).not.toContain(MAIN_SECRET);
    expect(s.normalBuffer()).toContain(`revealed ${MAIN}, hidden early`);
    // CSI 3 J is sent after the secret and before the alternate screen is left
    const raw = s.raw();
    expect(raw.lastIndexOf('\x1b[3J')).toBeGreaterThan(raw.lastIndexOf(MAIN_SECRET));
    expect(raw.lastIndexOf('\x1b[3J')).toBeLessThan(raw.lastIndexOf('\x1b[?1049l'));
  });

  it('fails closed when the audit log cannot be written: exit 6, nothing shown', async () => {
    const { dir } = setup();
    const blocker = join(root!, 'not-a-directory');
    writeFileSync(blocker, '');
    const s = start([MAIN, '-s', dir], join(blocker, 'audit.jsonl'));
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP}\r`);
    const exit = await s.exited();
    expect(exit.exitCode).toBe(6);
    expect(s.raw()).not.toContain(MAIN_SECRET);
    expect(s.raw()).not.toContain('\x1b[?1049h');
  });

  it('without permission: exit 8 and a denied audit line, no prompt', async () => {
    const { dir, audit } = setup(appToml(['somebody-else']));
    const s = start([MAIN, '-s', dir], audit);
    const exit = await s.exited();
    expect(exit.exitCode).toBe(8);
    expect(s.normalBuffer()).not.toContain(PROMPT);
    const lines = auditLines(audit);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event: 'reveal', outcome: 'denied', field: MAIN, operator: OPERATOR });
  });

  it('a plain field is refused before any prompt: exit 5, naming the field', async () => {
    const { dir, audit } = setup();
    const s = start(['connectors.toml:pools.main.user', '-s', dir], audit);
    const exit = await s.exited();
    expect(exit.exitCode).toBe(5);
    expect(s.normalBuffer()).toContain('connectors.toml:pools.main.user');
    expect(s.normalBuffer()).not.toContain(PROMPT);
    expect(s.raw()).not.toContain('svc-reader-9');
  });

  it('without a field: pick one from a searchable list', async () => {
    const { dir, audit } = setup();
    const s = start(['-s', dir, '--seconds', '30'], audit);
    await s.waitFor(MAIN);
    expect(s.screen()).toContain(BILLING);
    expect(s.screen()).not.toContain('pools.main.user');
    s.write('bill');
    await s.waitFor((x) => !x.screen().includes(MAIN) && x.screen().includes(BILLING));
    s.write('\r');
    await s.waitFor(PROMPT);
    s.write(`${KEY_A_FP.slice(0, 16)}\r`);
    await s.waitFor(onAlternateScreenWith(BILLING_SECRET));
    expect(s.raw()).not.toContain(MAIN_SECRET);
    s.write(' ');
    const exit = await s.exited();
    expect(exit.exitCode).toBe(0);
    expectWiped(s, BILLING_SECRET);
    expect(s.normalBuffer()).toContain(`revealed ${BILLING}`);
    expect(auditLines(audit)).toEqual([expect.objectContaining({ event: 'reveal', outcome: 'ok', field: BILLING })]);
  });

  it('without a field and nothing encrypted: exit 5', async () => {
    const { dir, audit } = setup();
    writeFileSync(join(dir, 'connectors.toml'), '[pools.main]\nuser = "app"\n');
    const s = start(['-s', dir], audit);
    const exit = await s.exited();
    expect(exit.exitCode).toBe(5);
    expect(s.normalBuffer()).toContain('no encrypted field');
  });
});

describe('reveal without a terminal', () => {
  it('exits 7 with E_NO_TERMINAL and points to decrypt', async () => {
    const { dir, audit } = setup();
    const env = { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_AUDIT_LOG: audit };
    const result = await runCli(['reveal', MAIN, '-s', dir], { env, input: `${KEY_A_FP}\n` });
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('liberty-crypto decrypt');
    expect(result.stderr).not.toContain(MAIN_SECRET);
    const json = await runCli(['reveal', MAIN, '-s', dir, '--json'], { env, input: `${KEY_A_FP}\n` });
    expect(json.code).toBe(7);
    expect(JSON.parse(json.stdout).error.code).toBe('E_NO_TERMINAL');
    expect(auditLines(audit)).toEqual([]);
  });
});
