// The README as a contract: its blob snippets open blobs the CLI makes, every `liberty-crypto` command and flag
// it shows exists in the manifest, and its exit-code table is the one in src/core/errors.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, EXIT_STATUS_TABLE } from '../../src/core/errors.js';
import { FIXTURES, KEY_A, REPO, baseEnv, runCli, type RunResult } from '../support/cli.js';
import {
  fieldBlobs,
  LEGACY_2023_PASSPHRASE,
  LIBERTY_INSTALL_FIXTURE,
  MASTER_PASSPHRASE,
  PLAINTEXTS,
  SEALED_BY,
} from '../support/liberty-install.js';
import { requires } from '../support/requires.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
type Manifest = { commands: Record<string, { flags: Record<string, { char?: string }> }> };
const readManifest = (path: string) => JSON.parse(readFileSync(join(REPO, path), 'utf8')) as Manifest;
/** Our commands plus those of the plugins the CLI loads (autocomplete, help). */
const manifest: Manifest = {
  commands: {
    ...readManifest('node_modules/@oclif/plugin-help/oclif.manifest.json').commands,
    ...readManifest('node_modules/@oclif/plugin-autocomplete/oclif.manifest.json').commands,
    ...readManifest('oclif.manifest.json').commands,
  },
};

// ---------------------------------------------------------------------------------------------------------
// Markdown helpers

interface Fence {
  lang: string;
  body: string;
  /** the text just before the opening fence (to find a marker comment) */
  before: string;
}

function fencedBlocks(markdown: string): Fence[] {
  const blocks: Fence[] = [];
  const fence = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    blocks.push({ lang: match[1].trim(), body: match[2], before: markdown.slice(Math.max(0, match.index - 200), match.index) });
  }
  return blocks;
}

/** The body of the fenced block that directly follows `<!-- snippet:NAME -->`. */
function snippet(name: string): { lang: string; body: string } {
  const marker = `<!-- snippet:${name} -->`;
  const at = README.indexOf(marker);
  if (at < 0) throw new Error(`README has no ${marker}`);
  // only blank lines may stand between the marker and the opening fence
  const match = /^[ \t]*\n(?:[ \t]*\n)*```([^\n]*)\n([\s\S]*?)^```/m.exec(README.slice(at + marker.length));
  if (!match || match.index !== 0) throw new Error(`${marker} is not directly followed by a fenced block`);
  return { lang: match[1].trim(), body: match[2] };
}

// ---------------------------------------------------------------------------------------------------------
// The command checker: pure, so that it can be tested on lines that must fail

const OPERATORS = new Set(['|', '||', '&&', ';', '&', '$(', '`', '(', ')']);
/** Words that run the command after them: a call of liberty-crypto may follow them. */
const PREFIXES = /^(sudo|exec|env|time|nice|command|\S*\/with-keys)$/;
const GLOBAL_FLAGS = new Set(['help', 'version']);
const GLOBAL_CHARS = new Set(['h', 'v']);

/** Lines of a code block that hold commands: `$ ` lines of console blocks, every non-comment line of the rest. */
export function commandLines(block: { lang: string; body: string }): string[] {
  const lines = block.body.replace(/\\\n/g, ' ').split('\n');
  if (block.lang === 'console') return lines.filter((line) => line.startsWith('$ ')).map((line) => line.slice(2));
  if (block.lang === 'cron') return lines.filter((line) => /^\s*[^#\s]/.test(line)).map((line) => line.replace(/^\s*(\S+\s+){5}/, ''));
  if (['sh', 'bash', 'shell', 'ini', 'yaml', ''].includes(block.lang)) return lines.filter((line) => !/^\s*#/.test(line));
  return []; // toml, json, python, js: no shell commands
}

/**
 * Every problem with the `liberty-crypto ...` calls in one shell line (empty when all are real). A call is
 * `liberty-crypto` in command position: at the start, after an operator or `$(`, after assignments or a prefix
 * such as sudo; its arguments run to the next operator or redirection.
 */
export function checkInvocations(line: string): string[] {
  const tokens = line
    .replace(/^\s*ExecStart=/, '')
    .replace(/\$\(|[`()]|\|\||&&|[|;]/g, (op) => ` ${op} `)
    .trim()
    .split(/\s+/)
    .map((token) => (OPERATORS.has(token) ? token : token.replace(/^["']+|["']+$/g, '')));
  const problems: string[] = [];
  let atStart = true;
  tokens.forEach((token, index) => {
    if (OPERATORS.has(token)) {
      atStart = true;
      return;
    }
    if (!atStart || token === '' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(token) || PREFIXES.test(token)) return;
    atStart = false;
    if (!/(^|\/)liberty-crypto$/.test(token)) return;
    const args: string[] = [];
    for (const arg of tokens.slice(index + 1)) {
      if (OPERATORS.has(arg) || /^\d*[<>]/.test(arg)) break;
      if (arg !== '') args.push(arg);
    }
    problems.push(...checkInvocation(args, line));
  });
  return problems;
}

function checkInvocation(args: string[], line: string): string[] {
  if (args.length === 0) return [];
  const [first, second] = args;
  if (first.startsWith('<')) return []; // a placeholder such as `liberty-crypto <command>`
  if (first.startsWith('-')) {
    return args.filter((arg) => arg.startsWith('-')).every((arg) => isGlobalFlag(arg)) ? [] : [`${line}: unknown global flag`];
  }
  if (first === 'help') return [];
  let id: string | undefined;
  let used = 0;
  if (second !== undefined && manifest.commands[`${first}:${second}`]) [id, used] = [`${first}:${second}`, 2];
  else if (manifest.commands[first]) [id, used] = [first, 1];
  if (!id) return [`${line}: unknown command "${first}"`];
  const flags = manifest.commands[id].flags;
  const chars = new Set(
    Object.values(flags)
      .map((flag) => flag.char)
      .filter(Boolean),
  );
  const problems: string[] = [];
  for (const arg of args.slice(used)) {
    if (arg === '--') break;
    if (arg === '-' || !arg.startsWith('-')) continue;
    if (arg.startsWith('--')) {
      const name = arg.slice(2).split('=')[0];
      if (!flags[name] && !GLOBAL_FLAGS.has(name)) problems.push(`${line}: ${id.replace(':', ' ')} has no flag --${name}`);
    } else {
      for (const char of arg.slice(1)) {
        if (!chars.has(char) && !GLOBAL_CHARS.has(char)) problems.push(`${line}: ${id.replace(':', ' ')} has no flag -${char}`);
      }
    }
  }
  return problems;
}

function isGlobalFlag(arg: string): boolean {
  return arg.startsWith('--') ? GLOBAL_FLAGS.has(arg.slice(2)) : [...arg.slice(1)].every((char) => GLOBAL_CHARS.has(char));
}

// ---------------------------------------------------------------------------------------------------------

describe('README: blob snippets', () => {
  let dir: string;
  const plaintexts = ['pg-prod-Pässwörd-42', 'ключ 🔑 鍵 — "quoted" \\ back', '  spaces at both ends  ', ''];
  const blobs = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lc-readme-'));
    // a directory that opted in to v2; the key in the environment, the plaintext on stdin (encrypt to stdout)
    writeFileSync(join(dir, 'app.toml'), '[crypto]\nformat = "v2"\n');
    for (const plaintext of plaintexts) {
      const result = await runCli(['encrypt', '-s', dir, '--allow-empty'], {
        env: { LIBERTY_MASTER_KEY: KEY_A },
        input: plaintext,
        cwd: dir,
      });
      expect(result.code, result.stderr).toBe(0);
      blobs.set(plaintext, result.stdout.trim());
    }
  }, 120_000); // four CLI runs in a row: over 30 s on a machine loaded by other work
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (command: string, file: string, blob: string, via: 'stdin' | 'argv') =>
    spawnSync(command, via === 'argv' ? [file, blob] : [file], {
      input: via === 'stdin' ? `${blob}\n` : '',
      env: baseEnv({ LIBERTY_MASTER_KEY: KEY_A }),
      cwd: dir,
    });

  // python3 with pyca/cryptography is on the machine image CI runs on (where LIBERTY_TEST_STRICT=1 makes its absence fail)
  const pyca = spawnSync('python3', ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0;
  const python = requires(pyca, 'the README\'s Python snippet: python3 -c "import cryptography" fails here');

  /** Writes the snippet to `file` in the temporary folder; returns its path. */
  const writeSnippet = (name: string, lang: string, file: string) => {
    const { lang: actual, body } = snippet(name);
    expect(actual).toBe(lang);
    if (lang === 'js') expect(body).not.toMatch(/from '(?!node:)/); // node:crypto and node:fs only
    writeFileSync(join(dir, file), body);
    return join(dir, file);
  };

  it.runIf(python).each(['stdin', 'argv'] as const)('the Python snippet opens v2 blobs (blob on %s)', (via) => {
    const file = writeSnippet('open-v2-python', 'python', 'open_v2.py');
    for (const plaintext of plaintexts) {
      const result = run('python3', file, blobs.get(plaintext)!, via);
      expect(result.stderr.toString()).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.equals(Buffer.from(plaintext, 'utf8')), `got ${JSON.stringify(result.stdout.toString())}`).toBe(true);
    }
  });

  it.each(['stdin', 'argv'] as const)('the Node snippet opens v2 blobs (blob on %s)', (via) => {
    const file = writeSnippet('open-v2-node', 'js', 'open-v2.mjs');
    for (const plaintext of plaintexts) {
      const result = run(process.execPath, file, blobs.get(plaintext)!, via);
      expect(result.stderr.toString()).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.equals(Buffer.from(plaintext, 'utf8')), `got ${JSON.stringify(result.stdout.toString())}`).toBe(true);
    }
  });

  /** A blob with a character in the middle of the payload changed: the last one may carry only padding bits a decoder drops. */
  const tampered = () => {
    const blob = blobs.get(plaintexts[0])!;
    const at = blob.length - 20;
    return blob.slice(0, at) + (blob[at] === 'A' ? 'B' : 'A') + blob.slice(at + 1);
  };

  it('the Node snippet refuses a tampered blob', () => {
    const result = run(process.execPath, writeSnippet('open-v2-node', 'js', 'open-v2.mjs'), tampered(), 'argv');
    expect(result.status).not.toBe(0);
    expect(result.stdout.length).toBe(0);
  });

  it.runIf(python)('the Python snippet refuses a tampered blob', () => {
    const result = run('python3', writeSnippet('open-v2-python', 'python', 'open_v2.py'), tampered(), 'argv');
    expect(result.status).not.toBe(0);
    expect(result.stdout.length).toBe(0);
  });
});

// The v1 snippet (issue 11): the CLI writes v1 blobs in a settings directory whose app.toml has no `format`
// line, sealed under the master key's text (a genkey key through PBKDF2 as its 64 ASCII characters).
describe('README: the v1 blob snippet', () => {
  let dir: string;
  const plaintexts = ['pg-prod-Pässwörd-42', 'ключ 🔑 鍵 — "quoted" \\ back', '  spaces at both ends  ', ''];
  const sealed = new Map<string, RunResult>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lc-readme-v1-'));
    // no `format` line: v1, the default
    writeFileSync(join(dir, 'app.toml'), '[crypto]\nmaster_key = "${LIBERTY_MASTER_KEY}"\n');
    writeFileSync(join(dir, 'open_v1.py'), snippet('open-v1-python').body);
    for (const plaintext of plaintexts) {
      sealed.set(
        plaintext,
        await runCli(['encrypt', '-s', dir, '--allow-empty'], { env: { LIBERTY_MASTER_KEY: KEY_A }, input: plaintext, cwd: dir }),
      );
    }
  }, 120_000); // as above
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const openV1 = (keyText: string, blob: string, via: 'stdin' | 'argv') =>
    spawnSync('python3', via === 'argv' ? [join(dir, 'open_v1.py'), blob] : [join(dir, 'open_v1.py')], {
      input: via === 'stdin' ? `${blob}\n` : '',
      env: baseEnv({ LIBERTY_MASTER_KEY: keyText }),
      cwd: dir,
    });

  it('the snippet is Python', () => {
    expect(snippet('open-v1-python').lang).toBe('python');
  });

  it('encrypt without a format line prints v1 blobs', () => {
    for (const plaintext of plaintexts) {
      const result = sealed.get(plaintext)!;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toMatch(/^ENC:[A-Za-z0-9+/]+={0,2}$/);
    }
  });

  it.each(['stdin', 'argv'] as const)(
    'the Python snippet opens v1 blobs the CLI made under a genkey key (blob on %s)',
    (via) => {
      for (const plaintext of plaintexts) {
        const blob = sealed.get(plaintext)!.stdout.trim();
        expect(blob, 'a v1 blob from encrypt').toMatch(/^ENC:[A-Za-z0-9+/]+={0,2}$/);
        const result = openV1(KEY_A, blob, via);
        expect(result.stderr.toString()).toBe('');
        expect(result.status).toBe(0);
        expect(result.stdout.equals(Buffer.from(plaintext, 'utf8')), `got ${JSON.stringify(result.stdout.toString())}`).toBe(true);
      }
    },
    60_000,
  );

  it('the Python snippet opens the v1 blobs of the liberty-install fixture (the framework layout, two passphrases)', () => {
    const passphrase = { LIBERTY_MASTER_KEY: MASTER_PASSPHRASE, LIBERTY_MASTER_KEY_2023: LEGACY_2023_PASSPHRASE };
    const blobs = fieldBlobs(join(FIXTURES, LIBERTY_INSTALL_FIXTURE));
    for (const [field, plaintext] of Object.entries(PLAINTEXTS)) {
      const result = openV1(passphrase[SEALED_BY[field]], blobs[field]!, 'argv');
      expect(result.stderr.toString(), field).toBe('');
      expect(result.stdout.toString('utf8'), field).toBe(plaintext);
    }
    // and not under the other passphrase
    const wrongKey = openV1(LEGACY_2023_PASSPHRASE, blobs['connectors.toml:pools.main.password']!, 'argv');
    expect(wrongKey.status).not.toBe(0);
    expect(wrongKey.stdout.length).toBe(0);
  }, 120_000);

  it('the Python snippet refuses a tampered v1 blob and a v2 blob', () => {
    // a v1 blob of the fixture (opens untouched in the test above); a character inside the tag (bytes 80..95
    // are base64 characters 108..127 after ENC:), not one that may carry only padding bits
    const blob = fieldBlobs(join(FIXTURES, LIBERTY_INSTALL_FIXTURE))['connectors.toml:pools.main.password']!;
    const at = 4 + 110;
    const tampered = blob.slice(0, at) + (blob[at] === 'A' ? 'B' : 'A') + blob.slice(at + 1);
    const wrongTag = openV1(MASTER_PASSPHRASE, tampered, 'argv');
    expect(wrongTag.status).not.toBe(0);
    expect(wrongTag.stdout.length).toBe(0);
    const v2 = openV1(MASTER_PASSPHRASE, 'ENC:v2:439d87b0:N8MoCw-KjSWruCZ7N7NXKtXIO1WC9PfBBnpy41Wq_HMvV28eJRHU-S_ap9K5T8sAIw', 'argv');
    expect(v2.status).not.toBe(0);
    expect(v2.stdout.length).toBe(0);
  }, 60_000);
});

describe('README: commands and flags shown exist', () => {
  const blocks = fencedBlocks(README);
  const inline = [...README.replace(/^```[\s\S]*?^```/gm, '').matchAll(/`([^`\n]+)`/g)].map((match) => match[1]);
  const lines = [...blocks.flatMap(commandLines), ...inline.filter((code) => /^liberty-crypto\s/.test(code))];

  it('finds the invocations (the check is not vacuous)', () => {
    const calls = lines.filter((line) => /(^|[\s/($`])liberty-crypto\s/.test(line));
    expect(calls.length).toBeGreaterThan(40);
    for (const id of Object.keys(readManifest('oclif.manifest.json').commands)) {
      expect(
        lines.some((line) => line.includes(`liberty-crypto ${id.replace(':', ' ')}`)),
        `README shows ${id}`,
      ).toBe(true);
    }
  });

  it('every command is real and every flag exists for it', () => {
    expect(lines.flatMap(checkInvocations)).toEqual([]);
  });

  it('the checker fails on a made-up command or flag', () => {
    expect(checkInvocations('liberty-crypto rewrap --check --frobnicate')).toHaveLength(1);
    expect(checkInvocations('vault kv get -field=x a/b | liberty-crypto encrypt -x')).toHaveLength(1);
    expect(checkInvocations('export K=$(liberty-crypto genkey --to)')).toHaveLength(1);
    expect(checkInvocations('liberty-crypto keys rewind')).toHaveLength(1);
    expect(checkInvocations('liberty-crypto keys drop-legacy OLD --force --yes -s dir | jq .')).toEqual([]);
    expect(checkInvocations('liberty-crypto: error: crypto: master key not set')).toEqual([]);
    expect(checkInvocations('true || logger -t liberty-crypto "rewrap exited --bogus"')).toEqual([]);
    expect(checkInvocations('[ "$(liberty-crypto audit verify --jsn | jq -r .head)" = "$H" ]')).toHaveLength(1);
    expect(checkInvocations('ExecStart=/usr/local/lib/liberty/with-keys /usr/bin/liberty-crypto rewrap --chek')).toHaveLength(1);
    expect(commandLines({ lang: 'cron', body: '17 3 * * *  liberty-crypto rewrap --chek\n' }).flatMap(checkInvocations)).toHaveLength(1);
    expect(commandLines({ lang: 'console', body: '$ liberty-crypto status --bogus\nliberty-crypto status --output-only\n' })).toEqual([
      'liberty-crypto status --bogus',
    ]);
  });
});

describe('README: exit codes', () => {
  it('the exit-code table lists exactly the codes of EXIT_STATUS, each one something returns or throws', () => {
    const section = README.slice(README.indexOf('## Exit codes'));
    const table = section.slice(0, section.indexOf('\n## ', 1));
    const listed = [...table.matchAll(/^\|\s*(\d+)\s*\|/gm)].map((match) => Number(match[1]));
    expect(listed).toEqual(EXIT_STATUS_TABLE.map(([code]) => code));
    // 0 and 1 are set as process.exitCode (success, a check that found problems); every other code is an error's
    const thrown = new Set(Object.values(EXIT_CODES));
    for (const [code] of EXIT_STATUS_TABLE) if (code > 1) expect(thrown.has(code as never), `exit ${code}`).toBe(true);
  });
});
