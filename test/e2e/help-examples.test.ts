// Every example shown by `--help` and the man pages is run, as written, through bash against a fixture
// settings directory: `liberty-crypto` is a shim on PATH for the built bin, and `vault` and `jq` are small
// stand-ins so the test needs no outside tools. Examples that need a terminal are listed below by name;
// the test checks the list is exactly those, and that they do exit 7 without one.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, REPO, runCli, type RunResult } from '../support/cli.js';
import { makeSettings, OPERATOR, seal, type TempSettings } from '../support/settings.js';
import { homeEnv, makeToolDir, runBash, type ToolDir } from '../support/shell.js';

interface Example {
  id: string;
  description?: string;
  command: string;
}

const manifest = JSON.parse(readFileSync(join(REPO, 'oclif.manifest.json'), 'utf8'));
const commandIds: string[] = Object.keys(manifest.commands).sort();
const examples: Example[] = commandIds.flatMap((id) =>
  (manifest.commands[id].examples ?? []).map((example: string | { description?: string; command: string }) =>
    typeof example === 'string' ? { id, command: example } : { id, ...example },
  ),
);

/** Examples not run here, each with its reason; the test fails when this list and the commands disagree. */
const NEEDS_TERMINAL = {
  reason:
    'reveal shows the plaintext on a terminal: stdin and stdout must be one (covered in reveal.test.ts, in a pseudo-terminal); ' +
    'edit without VISUAL or EDITOR runs vi, which needs one (edit.test.ts runs it with editor scripts)',
  commands: [
    '<%= config.bin %> edit connectors.toml',
    '<%= config.bin %> reveal --settings ./config',
    '<%= config.bin %> reveal connectors.toml:pools.main.password --seconds 5',
    '<%= config.bin %> reveal connectors.toml:pools.main.password --json',
  ],
};
const needsTerminal = (example: Example) => NEEDS_TERMINAL.commands.includes(example.command);
const runnable = examples.filter((example) => !needsTerminal(example));

const PLAIN_TOKEN = 'billing-token-in-plain';

let fixture: TempSettings;
let tools: ToolDir | undefined;
let scratch: string;

beforeAll(async () => {
  // the settings of a small install (v1, the default format): every blob under the master key, its fingerprint stored, a legacy
  // key no blob needs any more, both permissions for the current user, one secret field still plain
  fixture = makeSettings({
    'app.toml': [
      '[crypto]',
      'master_key = "${LIBERTY_MASTER_KEY}"',
      'legacy_keys = ["${LIBERTY_MASTER_KEY_OLD}"]',
      `fingerprint = "${KEY_A_FP}"`,
      '',
      '[permissions]',
      `"settings:reveal-secrets" = ["${OPERATOR}"]`,
      `"settings:framework" = ["${OPERATOR}"]`,
      '',
    ].join('\n'),
    'connectors.toml': [
      '[pools.main]',
      'host = "db.internal"',
      `password = "${seal(KEY_A, 'main-db-password', 'v1')}"`,
      '',
      '[pools.cache]',
      `password = "${seal(KEY_A, 'cache-password', 'v1')}"`,
      '',
      '[connectors.billing]',
      `auth_token = "${PLAIN_TOKEN}"`,
      '',
    ].join('\n'),
  });
  writeFileSync(join(fixture.root, 'blob.txt'), `${seal(KEY_A, 'a blob kept in a file', 'v1')}\n`);
  // an audit log written the real way, so audit and audit verify have entries to show
  const decrypted = await runCli(['decrypt', 'connectors.toml:pools.main.password'], { cwd: fixture.root, env: fixtureEnv(fixture.root) });
  expect(decrypted).toMatchObject({ code: 0, stdout: 'main-db-password' });

  tools = makeToolDir();
  tools.add('vault', "#!/bin/sh\n# stand-in for `vault kv get -field=NAME PATH`\nprintf '%s\\n' 'secret-from-vault'\n");
  tools.add(
    'jq',
    [
      `#!${process.execPath}`,
      '// stand-in for `jq [-r] .a.b`: fails, as jq does, when stdin is not JSON',
      "const args = process.argv.slice(2); const raw = args.includes('-r'); const path = args.find((a) => a.startsWith('.'));",
      "let text = ''; process.stdin.on('data', (c) => (text += c)).on('end', () => {",
      "  let value = JSON.parse(text); for (const key of path.split('.').filter(Boolean)) value = value?.[key];",
      "  process.stdout.write(raw && typeof value === 'string' ? `${value}\\n` : `${JSON.stringify(value, null, 2)}\\n`);",
      '});',
      '',
    ].join('\n'),
  );
  scratch = mkdtempSync(join(tmpdir(), 'lc-examples-'));
});

afterAll(() => {
  fixture?.cleanup();
  tools?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function fixtureEnv(home: string): Record<string, string | undefined> {
  return {
    LIBERTY_MASTER_KEY: KEY_A,
    LIBERTY_MASTER_KEY_OLD: KEY_B,
    LIBERTY_MASTER_KEY_2019: 'passphrase of an install two generations old',
    DB_PASSWORD: 'db-password-from-ci',
    // edit's examples name their editor, or need a terminal for vi: none of the developer's own
    VISUAL: undefined,
    EDITOR: undefined,
    ...homeEnv(home),
  };
}

/** A fresh copy of the fixture (settings in ./config, blob.txt beside it), the example run in it with bash. */
async function runExample(command: string, name: string): Promise<RunResult & { root: string }> {
  const root = join(scratch, name.replace(/[^a-z0-9]+/gi, '-'));
  cpSync(fixture.root, root, { recursive: true });
  const line = command.replace(/<%= config\.bin %>/g, 'liberty-crypto');
  return { ...(await runBash(line, { cwd: root, env: fixtureEnv(root), path: [tools!.dir] })), root };
}

describe('every command documents itself', () => {
  it('finds the commands and their examples', () => {
    expect(commandIds.length).toBeGreaterThanOrEqual(11);
    expect(runnable.length).toBeGreaterThanOrEqual(20);
  });

  it.each(commandIds)('%s: summary, description, examples, each shown by --help', async (id) => {
    const command = manifest.commands[id];
    expect(command.summary, `${id} summary`).toBeTruthy();
    expect(command.description, `${id} description`).toBeTruthy();
    expect(command.examples?.length, `${id} examples`).toBeGreaterThan(0);
    const help = await runCli([...id.split(':'), '--help']);
    expect(help.code).toBe(0);
    // oclif wraps long example lines with a backslash and an indent
    const shown = help.stdout.replace(/ *\\\n */g, ' ');
    for (const example of examples.filter((e) => e.id === id)) {
      expect(example.description, `${id}: every example says what it does`).toBeTruthy();
      expect(example.command, `${id}: examples name the binary through the template`).toContain(
        `<%= config.bin %> ${id.replace(/:/g, ' ')}`,
      );
      expect(example.command).not.toMatch(/(^|[\s|(])liberty-crypto /);
      // oclif's help turns a newline in an example into a line continuation, which would change its meaning
      expect(example.command).not.toContain('\n');
      // never a key or a plaintext in argv: secrets come from stdin, a file or --from-env
      expect(example.command).not.toMatch(/[0-9a-f]{32}/i);
      expect(shown).toContain(example.command.replace(/<%= config\.bin %>/g, 'liberty-crypto'));
    }
  });
});

describe('the examples run as written', () => {
  it('the examples left out are exactly those that need a terminal', () => {
    const skipped = examples.filter(needsTerminal).map((example) => example.command);
    expect(skipped.sort()).toEqual([...NEEDS_TERMINAL.commands].sort());
    expect(examples.filter((example) => example.id === 'reveal').every(needsTerminal)).toBe(true);
  });

  it.each(examples.filter(needsTerminal).map((example) => [example.command, example] as const))(
    'needs a terminal, so without one exits 7: %s',
    async (_command, example) => {
      const result = await runExample(example.command, `tty-${example.command}`);
      expect(result.code, result.stderr).toBe(7);
      // the error, on stderr, or on stdout as the --json envelope; never anything else
      if (example.command.includes('--json')) expect(JSON.parse(result.stdout).error.code).toBe('E_NO_TERMINAL');
      else
        expect({ stdout: result.stdout, stderr: result.stderr }).toMatchObject({ stdout: '', stderr: expect.stringContaining('terminal') });
    },
  );

  it.each(runnable.map((example) => [example.command, example] as const))('%s', async (_command, example) => {
    const result = await runExample(example.command, `${example.id}-${example.command}`);
    expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
    expect(result.stderr).not.toContain('error:');
  });

  it('the examples did what they say (spot checks on the written files)', async () => {
    const plain = await runExample('<%= config.bin %> encrypt connectors.toml:connectors.billing.auth_token --existing', 'check-existing');
    expect(plain.code).toBe(0);
    const text = readFileSync(join(plain.root, 'config/connectors.toml'), 'utf8');
    expect(text).not.toContain(PLAIN_TOKEN);
    expect(text).toMatch(/auth_token = "ENC:[A-Za-z0-9+/]{128,}={0,2}"/); // v1, the directory's format
    const head = await runExample('<%= config.bin %> audit verify --json | jq -r .head >> ~/liberty-audit-heads', 'check-head');
    expect(readFileSync(join(head.root, 'liberty-audit-heads'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const edited = await runExample(
      "EDITOR='sed -i s/cache-password/new-cache-password/' <%= config.bin %> edit connectors.toml --json",
      'check-edit',
    );
    expect(JSON.parse(edited.stdout).changes).toEqual([
      expect.objectContaining({ field: 'connectors.toml:pools.cache.password', change: 'changed', sealed: true }),
    ]);
    const before = readFileSync(join(fixture.dir, 'connectors.toml'), 'utf8').split('\n');
    const after = readFileSync(join(edited.root, 'config/connectors.toml'), 'utf8').split('\n');
    expect(after.filter((line, i) => line !== before[i])).toEqual([expect.stringMatching(/^password = "ENC:[A-Za-z0-9+/]{128,}={0,2}"$/)]);
  });
});
