/**
 * The start-up fast path (src/cli/fast-path.ts) runs `--version` and the manifest's commands without
 * oclif's Config.load. It must be invisible: for every argv below, the output and the exit code are those
 * of oclif's own path, forced with the internal LIBERTY_CRYPTO_FULL_OCLIF=1. And it must be taken: a run
 * of a command never loads oclif's main module, which oclif's path always does.
 */
import { isAscii } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, KEY_B, KEY_B_FP, REPO, baseEnv, collectOutput, runCli, type RunResult } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';

const FULL = { LIBERTY_CRYPTO_FULL_OCLIF: '1' };

let settings: TempSettings;
let blob: string;

beforeAll(() => {
  blob = seal(KEY_B, 'hunter2-but-longer');
  settings = makeSettings({
    'app.toml': appToml({ fingerprint: KEY_B_FP }),
    'connectors.toml': `[pools.main]\npassword = "${blob}"\nhost = "db"\n`,
  });
});
afterAll(() => settings.cleanup());

/** The argv cases: `DIR` is the settings directory, `BLOB` a blob in it; `key: false` runs without the master key. */
const CASES: { argv: string[]; key?: boolean }[] = [
  { argv: ['--version'] },
  { argv: ['--version', '--help'] },
  { argv: ['--version', 'status'] },
  { argv: [] },
  { argv: ['--help'] },
  { argv: ['status', '--help'] },
  { argv: ['status', '-s', 'DIR', '--help'] },
  { argv: ['help', 'status'] },
  { argv: ['keys'] },
  { argv: ['fingerprint', '-s', 'DIR'] },
  { argv: ['fingerprint', '--settings=DIR', '--json'] },
  { argv: ['fingerprint', '-s', 'DIR', '--check'], key: false },
  { argv: ['fingerprint', '-s', 'DIR', '--json'], key: false },
  { argv: ['fingerprint', 'BLOB', '-s', 'DIR'] },
  { argv: ['fingerprint', '-s', 'DIR', '--write', '--check'] },
  { argv: ['fingerprint', '-s', 'DIR', '--force'] },
  { argv: ['fingerprint', '--', '--help'] },
  { argv: ['status', '-s', 'DIR'] },
  { argv: ['status', '-sDIR', '--json'] },
  { argv: ['status', '-s', 'DIR'], key: false },
  { argv: ['status', '-s', 'DIR', '--json', '--', 'x'] },
  { argv: ['status', '--settingz', 'DIR'] },
  { argv: ['status', '--settingz', 'DIR', '--json'] },
  { argv: ['status', '-s'] },
  { argv: ['status', 'foo'] },
  { argv: ['status', 'foo', '--json'] },
  { argv: ['status', '-s', 'DIR', 'foo'] },
  { argv: ['stauts'] },
  { argv: ['stauts', '--json'] },
  { argv: ['-s', 'DIR', 'status'] },
  { argv: ['decrypt', '-s', 'DIR'] },
  { argv: ['decrypt', 'BLOB', '-s', 'DIR'] },
  { argv: ['decrypt', 'BLOB', '-s', 'DIR', '--json'], key: false },
  { argv: ['keys', 'rotate'] },
  { argv: ['keys', 'rotate', '--json'] },
  { argv: ['keys:rotate', '--to'] },
  { argv: ['keys', 'rotat'] },
  { argv: ['audit', 'verfiy'] },
  { argv: ['audit', '-s', 'DIR', '--limit', 'x'] },
  { argv: ['audit', 'verify', '-s', 'DIR', '--json'] },
  { argv: ['genkey', 'extra'] },
  { argv: ['rewrap', '-s', 'DIR', '--check'] },
  { argv: ['autocomplete', 'bash'] },
];

function run(argv: string[], key: boolean, extra: Record<string, string> = {}): Promise<RunResult> {
  const args = argv.map((arg) => arg.replace('DIR', settings.dir).replace('BLOB', blob));
  return runCli(args, { env: { ...(key ? { LIBERTY_MASTER_KEY: KEY_B } : {}), NO_COLOR: '1', ...extra } });
}

describe('fast path and oclif path give the same output and exit code', () => {
  it.each(CASES.map((c) => [c.argv.join(' ') + (c.key === false ? ' (no key)' : ''), c] as const))(
    '%s',
    async (_, { argv, key = true }) => {
      const fast = await run(argv, key);
      const full = await run(argv, key, FULL);
      // Node's warnings name the process id
      const seen = (result: RunResult) => ({
        code: result.code,
        stdout: result.stdout,
        stderr: result.stderr.replace(/^\(node:\d+\)/gm, '(node:PID)'),
      });
      expect(seen(fast)).toEqual(seen(full));
    },
  );
});

describe('which path runs', () => {
  const record = join(REPO, 'test/support/record-imports.mjs');

  async function importsOf(argv: string[], extra: Record<string, string> = {}): Promise<{ result: RunResult; urls: string[] }> {
    const file = join(settings.root, `imports-${process.hrtime.bigint()}.txt`);
    const child = spawn(process.execPath, ['--import', record, BIN, ...argv], {
      cwd: REPO,
      env: baseEnv({ LIBERTY_MASTER_KEY: KEY_B, NO_COLOR: '1', LC_RECORD_IMPORTS: file, ...extra }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await collectOutput(child);
    const urls = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
    rmSync(file, { force: true });
    return { result, urls };
  }
  const oclifMain = (urls: string[]) => urls.some((url) => /\/dist\/chunks\/oclif-main-[^/]+\.js$/.test(url));

  it("--version starts from the ES entry without oclif's main module", async () => {
    const { result, urls } = await importsOf(['--version']);
    expect(result.code).toBe(0);
    expect(
      urls.some((url) => url.endsWith('/dist/run.js')),
      'the hook saw the entry',
    ).toBe(true);
    expect(oclifMain(urls)).toBe(false);
  });

  it.each([
    ['status', '-s', 'DIR'],
    ['fingerprint', '-s', 'DIR', '--json'],
    ['status', '--settingz', 'x'],
  ])('%s runs from the CommonJS entry: no ES module of the package is loaded', async (...argv) => {
    const { result, urls } = await importsOf(argv.map((arg) => arg.replace('DIR', settings.dir)));
    expect(result.stderr).not.toContain('internal error');
    expect(result.stdout + result.stderr).not.toBe('');
    expect(urls.filter((url) => url.includes('/dist/'))).toEqual([]); // the same hook sees dist/run.js for --version
  });

  it('--version loads no command and no oclif runtime', async () => {
    const { result, urls } = await importsOf(['--version']);
    expect(result.code).toBe(0);
    const distFiles = [...new Set(urls.filter((url) => url.startsWith('file:') && url.includes('/dist/')))];
    expect(distFiles.filter((url) => url.includes('/dist/commands/'))).toEqual([]);
    // oclif's runtime chunk alone is over 200 KB; what --version needs (the entry, the fast path, wsl-utils) is a few KB
    const bytes = distFiles.reduce((sum, url) => sum + statSync(fileURLToPath(url)).size, 0);
    expect(bytes).toBeLessThan(50_000);
  });

  it.each([[['--help']], [['status', '--help']], [['stauts']], [['autocomplete', 'bash']]])('%j goes through oclif', async (argv) => {
    const { urls } = await importsOf(argv);
    expect(oclifMain(urls)).toBe(true);
  });

  it.each<Record<string, string>>([{ DEBUG: 'liberty-crypto:*' }, { LIBERTY_CRYPTO_FULL_OCLIF: '1' }, { OCLIF_TS_NODE: '0' }])(
    '%j in the environment goes through oclif',
    async (env) => {
      const { result, urls } = await importsOf(['status', '-s', settings.dir], env);
      expect(result.code).toBe(0);
      expect(oclifMain(urls)).toBe(true);
    },
  );
});

describe('the code-cached command bundle (dist/command-bundle.cjs)', () => {
  const record = join(REPO, 'test/support/record-scripts.mjs');
  const recordImports = join(REPO, 'test/support/record-imports.mjs');
  let copy: string;

  beforeAll(() => {
    // a copy of the built package, whose bundle and cache a test may damage
    copy = mkdtempSync(join(tmpdir(), 'lc-bundle-'));
    for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json'])
      cpSync(join(REPO, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  async function runIn(root: string, argv: string[]): Promise<{ result: RunResult; scripts: string[]; imports: string[] }> {
    const scriptsFile = join(settings.root, `scripts-${process.hrtime.bigint()}.txt`);
    const importsFile = join(settings.root, `imports-${process.hrtime.bigint()}.txt`);
    const child = spawn(process.execPath, ['--import', record, '--import', recordImports, join(root, 'bin/run.js'), ...argv], {
      cwd: REPO,
      env: baseEnv({ LIBERTY_MASTER_KEY: KEY_B, NO_COLOR: '1', LC_RECORD_SCRIPTS: scriptsFile, LC_RECORD_IMPORTS: importsFile }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await collectOutput(child);
    const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
    const out = { result, scripts: read(scriptsFile), imports: read(importsFile) };
    rmSync(scriptsFile, { force: true });
    rmSync(importsFile, { force: true });
    return out;
  }
  const seen = (result: RunResult) => ({ code: result.code, stdout: result.stdout, stderr: result.stderr });
  /** The code caches in a package: the general one and those of single commands (command-bundle.cjs.status.cache). */
  const codeCaches = (root: string) =>
    readdirSync(join(root, 'dist'))
      .filter((name) => /^command-bundle\.cjs(\.[a-z-]+)?\.cache$/.test(name))
      .map((name) => join(root, 'dist', name));
  const esmCommand = (imports: string[]) => imports.some((url) => url.endsWith('/dist/commands/status.js'));

  it('a command runs from the bundle, with the code cache V8 accepted, and loads no ES module of a command', async () => {
    const { result, scripts, imports } = await runIn(REPO, ['status', '-s', settings.dir]);
    expect(result.code).toBe(0);
    expect(scripts).toEqual([`${join(REPO, 'dist/command-bundle.cjs')} cached=true rejected=false`]);
    expect(esmCommand(imports)).toBe(false);
  });

  it('a command with a code cache of its own runs with it, any other command with the general one', async () => {
    const names = codeCaches(REPO).map((file) => file.slice(join(REPO, 'dist/').length));
    expect(names.sort()).toEqual(
      ['encrypt', 'fingerprint', 'rewrap', 'status']
        .map((word) => `command-bundle.cjs.${word}.cache`)
        .concat('command-bundle.cjs.cache')
        .sort(),
    );
    const general = join(copy, 'dist/command-bundle.cjs.cache');
    const built = readFileSync(general);
    try {
      // the general cache damaged: status keeps its own, keys rotate compiles with the damaged one (rejected)
      writeFileSync(general, Buffer.concat([built.subarray(0, 32), Buffer.alloc(4096, 7)]));
      const status = await runIn(copy, ['status', '-s', settings.dir]);
      expect(status.scripts[0]?.split(' ').slice(1).join(' ')).toBe('cached=true rejected=false');
      const rotate = await runIn(copy, ['keys', 'rotate']);
      expect(rotate.scripts[0]?.split(' ').slice(1).join(' ')).toBe('cached=true rejected=true');
      // without its own cache, status takes the general one
      const own = join(copy, 'dist/command-bundle.cjs.status.cache');
      const ownBytes = readFileSync(own);
      rmSync(own);
      try {
        const fallback = await runIn(copy, ['status', '-s', settings.dir]);
        expect(fallback.scripts[0]?.split(' ').slice(1).join(' ')).toBe('cached=true rejected=true');
        expect(seen(fallback.result)).toEqual(seen(status.result));
      } finally {
        writeFileSync(own, ownBytes);
      }
    } finally {
      writeFileSync(general, built);
    }
  });

  it('--version and help do not load the bundle', async () => {
    for (const argv of [['--version'], ['status', '--help']]) expect((await runIn(REPO, argv)).scripts).toEqual([]);
  });

  it('the bundle is ASCII, read as Latin-1; a bundle that is not is decoded as UTF-8', async () => {
    const bundle = join(copy, 'dist/command-bundle.cjs');
    const built = readFileSync(bundle);
    expect(isAscii(built)).toBe(true);
    try {
      writeFileSync(bundle, built.toString('latin1').replace('ok: nothing to do', 'ok: nothing to do (\u00e9)'), 'utf8');
      const { result, scripts } = await runIn(copy, ['status', '-s', settings.dir]);
      expect(scripts).toEqual([`${bundle} cached=false rejected=undefined`]); // the cache names another bundle
      expect(result.stdout).toContain('ok: nothing to do (\u00e9)\n');
    } finally {
      writeFileSync(bundle, built);
    }
  });

  it('a cache made for another bundle of the same length is not used (V8 would take it: it checks the length only)', async () => {
    const bundle = join(copy, 'dist/command-bundle.cjs');
    const built = readFileSync(bundle);
    try {
      writeFileSync(bundle, built.toString('latin1').replace('ok: nothing to do', 'ok: nothing to DO'), 'latin1');
      expect(readFileSync(bundle).length).toBe(built.length);
      const { result, scripts } = await runIn(copy, ['status', '-s', settings.dir]);
      expect(scripts).toEqual([`${bundle} cached=false rejected=undefined`]);
      expect(result.stdout).toContain('ok: nothing to DO\n');
    } finally {
      writeFileSync(bundle, built);
    }
  });

  it('a damaged cache is rejected and changes nothing; without the bundle the ES modules run the command', async () => {
    const cases = [
      ['status', '-s', settings.dir],
      ['fingerprint', '-s', settings.dir, '--json'],
      ['status', '--settingz', 'x'],
      ['keys', 'rotate'],
    ];
    const intact = await Promise.all(cases.map((argv) => runIn(copy, argv)));
    expect(intact.map((run) => run.scripts[0]?.split(' ').slice(1).join(' '))).toEqual(cases.map(() => 'cached=true rejected=false'));

    // V8's data damaged under the right name (the bundle's SHA-256 first): V8 rejects it; a wrong name: not used
    const bundleDigest = createHash('sha256')
      .update(readFileSync(join(copy, 'dist/command-bundle.cjs')))
      .digest();
    for (const [name, expected] of [
      [bundleDigest, 'cached=true rejected=true'],
      [Buffer.alloc(32, 7), 'cached=false rejected=undefined'],
    ] as const) {
      for (const cache of codeCaches(copy)) writeFileSync(cache, Buffer.concat([name, Buffer.alloc(4096, 7)]));
      for (const [i, argv] of cases.entries()) {
        const damaged = await runIn(copy, argv);
        expect(damaged.scripts[0]?.split(' ').slice(1).join(' ')).toBe(expected);
        expect(seen(damaged.result)).toEqual(seen(intact[i].result));
      }
    }

    rmSync(join(copy, 'dist/command-bundle.cjs'));
    for (const [i, argv] of cases.entries()) {
      const without = await runIn(copy, argv);
      expect(without.scripts).toEqual([]);
      expect(seen(without.result)).toEqual(seen(intact[i].result));
      if (i === 0) expect(esmCommand(without.imports)).toBe(true);
    }
  }, 120_000);
});
