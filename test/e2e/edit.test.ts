// edit FILE end to end: EDITOR is a small shell script in the test's folder (change a value, add one, change
// nothing, write invalid TOML, exit non-zero, kill the edit with SIGTERM, SIGINT or SIGHUP), run by the built CLI.
// After every run: the private temporary folder ($XDG_RUNTIME_DIR here) is empty, and no plaintext is in
// the audit log.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli-process.js';
import { spawnCliPty } from '../support/pty.js';
import { KEY_A, KEY_A_FP, parseJson, runCli, type RunResult } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { readAuditLog } from '../support/audit-entries.js';

const MAIN = 'main-db-Pa55word';
const CACHE = 'cache-Pa55word';
const URL_PASS = 'url-Pa55word';
const NEW_MAIN = 'new-main-Pa55word';
const ADDED = 'added-Pa55word';
const PLAINTEXTS = [MAIN, CACHE, URL_PASS, NEW_MAIN, ADDED];

let settings: TempSettings;
let runtime: string;
let connectors: string;
let blobs: { main: string; cache: string; url: string };

beforeEach(() => {
  blobs = { main: seal(KEY_A, MAIN, 'v1'), cache: seal(KEY_A, CACHE, 'v1'), url: seal(KEY_A, URL_PASS, 'v1') };
  connectors = [
    '# pools of the app',
    '[pools.main]',
    'host = "db.internal"',
    `password = "${blobs.main}"   # rotated yearly`,
    `url = "postgresql://svc:${blobs.url}@db.internal:5432/app"`,
    '',
    '[pools.cache]',
    `password = '${blobs.cache}'`,
    '',
  ].join('\n');
  settings = makeSettings({ 'app.toml': appToml({ format: null }), 'connectors.toml': connectors });
  runtime = join(settings.root, 'runtime');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
});

afterEach(() => settings.cleanup());

/** An executable editor script in the test's folder; `$1` is the file to edit. */
function editor(name: string, body: string): string {
  const path = join(settings.root, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function env(editorPath: string): Record<string, string | undefined> {
  return { LIBERTY_MASTER_KEY: KEY_A, XDG_RUNTIME_DIR: runtime, EDITOR: editorPath, VISUAL: undefined };
}

function edit(editorPath: string, extra: string[] = []): Promise<RunResult> {
  return runCli(['edit', 'connectors.toml', '-s', settings.dir, ...extra], { env: env(editorPath) });
}

const file = () => readFileSync(join(settings.dir, 'connectors.toml'), 'utf8');
const auditText = () => (existsSync(settings.audit) ? readFileSync(settings.audit, 'utf8') : '');
const auditLines = () => readAuditLog<Record<string, unknown>>(settings.audit);

async function decrypt(field: string): Promise<string> {
  const result = await runCli(['decrypt', `connectors.toml:${field}`, '-s', settings.dir], { env: { LIBERTY_MASTER_KEY: KEY_A } });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** What must hold after every run: nothing left in the temporary place, no plaintext in the audit log. */
function expectNoPlaintextLeft(): void {
  expect(readdirSync(runtime)).toEqual([]);
  const audit = auditText();
  for (const secret of PLAINTEXTS) expect(audit).not.toContain(secret);
}

// each test runs the CLI two to four times: generous under a loaded machine
describe('edit FILE', { timeout: 120_000 }, () => {
  it('the editor gets the plaintexts in place, in a 0600 file in a 0700 folder under $XDG_RUNTIME_DIR', async () => {
    const seen = join(settings.root, 'seen');
    const script = editor(
      'inspect.sh',
      [
        `{ stat -c '%a' "$1"; stat -c '%a' "$(dirname "$1")"; dirname "$(dirname "$1")"; basename "$1"`,
        `  grep -c '^password = "${MAIN}"   # rotated yearly$' "$1"`,
        `  grep -c "^password = '${CACHE}'$" "$1"`,
        `  grep -c '^url = "postgresql://svc:${URL_PASS}@db.internal:5432/app"$' "$1"; } > '${seen}'`,
      ].join('\n'),
    );
    const result = await edit(script);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(seen, 'utf8').split('\n')).toEqual(['600', '700', runtime, 'connectors.toml', '1', '1', '1', '']);
    expect(result.stdout).toBe('connectors.toml: no change; nothing written\n');
    expectNoPlaintextLeft();
  });

  it('a changed value is sealed; every other byte, the other blobs included, stays as it was', async () => {
    const result = await edit(editor('change.sh', `sed -i 's/${MAIN}/${NEW_MAIN}/' "$1"`));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^changed connectors\.toml:pools\.main\.password \(sealed with key [0-9a-f]{8}\)\nwrote connectors\.toml: 1 field changed, 1 sealed\n$/,
    );
    const before = connectors.split('\n');
    const after = file().split('\n');
    expect(after).toHaveLength(before.length);
    const differing = after.map((line, i) => (line === before[i] ? -1 : i)).filter((i) => i >= 0);
    expect(differing).toEqual([3]);
    expect(after[3]).toMatch(/^password = "ENC:[A-Za-z0-9+/]+={0,2}" {3}# rotated yearly$/);
    expect(await decrypt('pools.main.password')).toBe(NEW_MAIN);
    expect(file()).not.toContain(NEW_MAIN);
    // the directory's first write stores the master fingerprint, as encrypt does
    expect(result.stderr).toBe('stored the master key fingerprint in app.toml [crypto]\n');
    expect(readFileSync(join(settings.dir, 'app.toml'), 'utf8')).toContain(`fingerprint = "${KEY_A_FP}"`);
    const lines = auditLines();
    expect(lines.filter((line) => line.event === 'edit.reveal').map((line) => line.field)).toEqual([
      'connectors.toml:pools.main.password',
      'connectors.toml:pools.main.url',
      'connectors.toml:pools.cache.password',
    ]);
    expect(lines.filter((line) => line.event === 'edit.change')).toEqual([
      expect.objectContaining({
        outcome: 'ok',
        field: 'connectors.toml:pools.main.password',
        details: { change: 'changed', sealed: true },
      }),
    ]);
    expectNoPlaintextLeft();
  });

  it('an added secret field is sealed, a ${NAME} reference and a plain field are written as typed', async () => {
    const script = editor(
      'add.sh',
      `printf '\\n[pools.extra]\\nhost = "extra.internal"\\npassword = "${ADDED}"\\n\\n[connectors.billing]\\nauth_token = "\${BILLING_TOKEN}"\\n' >> "$1"`,
    );
    const result = await runCli(['edit', 'connectors.toml', '-s', settings.dir, '--json'], { env: env(script) });
    expect(result.code, result.stderr).toBe(0);
    const json = parseJson(result);
    expect(json).toMatchObject({ file: 'connectors.toml', written: true });
    expect(json.changes).toEqual([
      { field: 'connectors.toml:pools.extra.host', change: 'added', sealed: false },
      { field: 'connectors.toml:pools.extra.password', change: 'added', sealed: true, keyId: expect.stringMatching(/^[0-9a-f]{8}$/) },
      { field: 'connectors.toml:connectors.billing.auth_token', change: 'added', sealed: false },
    ]);
    expect(file().startsWith(connectors)).toBe(true);
    expect(file().slice(connectors.length)).toMatch(
      /^\n\[pools\.extra\]\nhost = "extra\.internal"\npassword = "ENC:[A-Za-z0-9+/]+={0,2}"\n\n\[connectors\.billing\]\nauth_token = "\$\{BILLING_TOKEN\}"\n$/,
    );
    expect(await decrypt('pools.extra.password')).toBe(ADDED);
    expectNoPlaintextLeft();
  });

  it('an unchanged file writes nothing: same bytes, same mtime, no change lines', async () => {
    const path = join(settings.dir, 'connectors.toml');
    const mtime = statSync(path).mtimeMs;
    const result = await edit(editor('touch.sh', 'touch "$1"'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('connectors.toml: no change; nothing written\n');
    expect(file()).toBe(connectors);
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(auditLines().map((line) => line.event)).toEqual(['edit.reveal', 'edit.reveal', 'edit.reveal']);
    expectNoPlaintextLeft();
  });

  it('a blob inside a pool URL: a new host keeps the blob, a new password is sealed in place', async () => {
    const host = await edit(editor('host.sh', `sed -i 's/db.internal:5432/db2.internal:5433/' "$1"`));
    expect(host.code, host.stderr).toBe(0);
    expect(file()).toContain(`url = "postgresql://svc:${blobs.url}@db2.internal:5433/app"`);
    expect(host.stdout).toContain('changed connectors.toml:pools.main.url\n');

    const password = await edit(editor('password.sh', `sed -i 's/svc:${URL_PASS}@/svc:${NEW_MAIN}@/' "$1"`));
    expect(password.code, password.stderr).toBe(0);
    expect(file()).toMatch(/^url = "postgresql:\/\/svc:ENC:[A-Za-z0-9+/]+={0,2}@db2\.internal:5433\/app"$/m);
    expect(file()).not.toContain(blobs.url);
    expect(await decrypt('pools.main.url')).toBe(`postgresql://svc:${NEW_MAIN}@db2.internal:5433/app`);
    expectNoPlaintextLeft();
  });

  it('a literal string stays literal when its value changes', async () => {
    const result = await edit(editor('cache.sh', `sed -i 's/${CACHE}/${NEW_MAIN}/' "$1"`));
    expect(result.code, result.stderr).toBe(0);
    expect(file()).toMatch(/^password = 'ENC:[A-Za-z0-9+/]+={0,2}'$/m);
    expect(await decrypt('pools.cache.password')).toBe(NEW_MAIN);
  });

  it('invalid TOML off a terminal: exit 5, the settings file untouched', async () => {
    const result = await edit(editor('broken.sh', `sed -i 's/${MAIN}/${NEW_MAIN}/' "$1"; printf '[pools.main\\n' >> "$1"`));
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(
      /^liberty-crypto: error: connectors\.toml: invalid toml at line \d+, column \d+: .*; nothing was written\n/,
    );
    expect(result.stderr).toContain('hint: the settings file is as it was');
    expect(file()).toBe(connectors);
    expect(auditLines().some((line) => line.event === 'edit.change')).toBe(false);
    expect(result.stderr).not.toContain(NEW_MAIN);
    expectNoPlaintextLeft();
  });

  it('an editor that exits non-zero: exit 7 (E_EDITOR_FAILED), nothing written', async () => {
    const result = await edit(editor('fail.sh', `sed -i 's/${MAIN}/${NEW_MAIN}/' "$1"; exit 3`), ['--json']);
    expect(result.code).toBe(7);
    expect(parseJson(result).error).toMatchObject({
      code: 'E_EDITOR_FAILED',
      message: expect.stringContaining('exited with status 3; nothing was written'),
    });
    expect(file()).toBe(connectors);
    expectNoPlaintextLeft();
  });

  it.each([
    ['SIGTERM', 143, 'E_TERMINATED'],
    ['SIGINT', 130, 'E_INTERRUPTED'],
    ['SIGHUP', 129, 'E_HANGUP'],
  ] as const)(
    '%s while the editor runs: exit %i, the temporary file wiped, the settings file untouched',
    async (signal, code, errorCode) => {
      // the editor changes the file, then kills the edit (its parent, or the parent of the shell that ran it)
      const script = editor(
        'kill.sh',
        [
          `sed -i 's/${MAIN}/${NEW_MAIN}/' "$1"`,
          'p=$PPID',
          '[ "$(cat /proc/$p/comm)" = sh ] && p=$(cut -d" " -f4 /proc/$p/stat)',
          `kill -${signal.slice(3)} "$p"`,
          'sleep 30',
        ].join('\n'),
      );
      const result = await edit(script, ['--json']);
      expect(result.code).toBe(code);
      expect(parseJson(result).error.code).toBe(errorCode);
      expect(file()).toBe(connectors);
      expect(auditLines().some((line) => line.event === 'edit.change')).toBe(false);
      expectNoPlaintextLeft();
    },
  );

  it('needs settings:reveal-secrets: refused (exit 8, audit-logged) before the editor runs', async () => {
    writeFileSync(join(settings.dir, 'app.toml'), appToml({ format: null, permissions: ['settings:framework'] }));
    const ran = join(settings.root, 'ran');
    const result = await edit(editor('mark.sh', `touch '${ran}'`));
    expect(result.code).toBe(8);
    expect(existsSync(ran)).toBe(false);
    expect(auditLines()).toEqual([expect.objectContaining({ event: 'edit.reveal', outcome: 'denied' })]);
    expectNoPlaintextLeft();
  });

  it('a file changed by another program while the editor runs is not overwritten (exit 6)', async () => {
    const target = join(settings.dir, 'connectors.toml');
    const result = await edit(
      editor('race.sh', `sed -i 's/${MAIN}/${NEW_MAIN}/' "$1"; printf '# appended by someone else\\n' >> '${target}'`),
    );
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(
      'refusing to write connectors.toml: it was changed by another program while you edited it; nothing was written',
    );
    expect(file()).toBe(`${connectors}# appended by someone else\n`);
    expect(auditLines().some((line) => line.event === 'edit.change')).toBe(false);
    expectNoPlaintextLeft();
  });

  it('a second edit waits on the settings lock, then edits what the first one wrote', async () => {
    const go = join(settings.root, 'go');
    const started = join(settings.root, 'second-started');
    // the first editor changes the main password and waits for the test's go-ahead
    const first = startCli(['edit', 'connectors.toml', '-s', settings.dir], {
      env: env(editor('first.sh', `sed -i 's/${MAIN}/${NEW_MAIN}/' "$1"\nwhile [ ! -e '${go}' ]; do sleep 0.05; done`)),
    });
    let firstErr = '';
    first.child.stderr!.on('data', (chunk) => (firstErr += chunk));
    await waitFor(() => readdirSync(runtime).length > 0); // the first edit's editor is open
    const second = startCli(['edit', 'connectors.toml', '-s', settings.dir], {
      env: env(editor('second.sh', `touch '${started}'\nsed -i 's/${CACHE}/${ADDED}/' "$1"`)),
    });
    let secondErr = '';
    second.child.stderr!.on('data', (chunk) => (secondErr += chunk));
    await waitFor(() => secondErr.includes('waiting for the settings lock'));
    expect(existsSync(started)).toBe(false);
    writeFileSync(go, '');
    const [one, two] = await Promise.all([first.done, second.done]);
    expect(one.code, firstErr).toBe(0);
    expect(two.code, secondErr).toBe(0);
    expect(secondErr).toMatch(/waiting for the settings lock: .* runs edit \(pid \d+\)/);
    expect(await decrypt('pools.main.password')).toBe(NEW_MAIN);
    expect(await decrypt('pools.cache.password')).toBe(ADDED);
    expectNoPlaintextLeft();
  }, 60_000);
});

describe('edit FILE on a terminal: invalid TOML offers to re-open the editor', () => {
  // the first run of the editor breaks the file; the second (if any) fixes it and changes the password
  const script = () => {
    const marker = join(settings.root, 'broke-once');
    return editor(
      'twice.sh',
      [
        `if [ ! -e '${marker}' ]; then touch '${marker}'; printf '[pools.main\n' >> "$1"; exit 0; fi`,
        `sed -i -e '$d' -e 's/${MAIN}/${NEW_MAIN}/' "$1"`,
      ].join('\n'),
    );
  };

  it.each([
    ['y', 0],
    ['n', 5],
  ] as const)(
    'answer %s: exit %i',
    async (answer, code) => {
      const session = spawnCliPty(['edit', 'connectors.toml', '-s', settings.dir], { env: env(script()) });
      try {
        await session.waitFor(/re-open the editor/, 60_000);
        expect(session.screen()).toMatch(/connectors\.toml: invalid toml at line \d+/);
        session.write(`${answer}\r`);
        const exit = await session.exited();
        expect(exit.exitCode).toBe(code);
        if (answer === 'y') {
          expect(await decrypt('pools.main.password')).toBe(NEW_MAIN);
        } else {
          expect(file()).toBe(connectors);
          expect(session.screen()).toContain('nothing was written');
        }
        expect(session.raw()).not.toContain(NEW_MAIN);
        expectNoPlaintextLeft();
      } finally {
        session.dispose();
      }
    },
    90_000,
  );
});

/** Polls until `condition` holds (the test's own timeout bounds it). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
