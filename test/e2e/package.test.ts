// The published package: `npm pack` gives a tarball that installs into a fresh prefix and runs every
// command from PREFIX/bin, with no node_modules of this repository in reach, and with its man pages
// linked into PREFIX/share/man/man1.
//
// The tarball is packed with --ignore-scripts: `npm test` has just built dist/, man/ and the manifest, and
// the prepack build would rewrite dist/ under the other test files running at the same time (and cost
// the time of a full build). `npm pack` without the flag runs prepack (`npm run build`) first.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, KEY_A, KEY_A_FP, REPO, type RunResult } from '../support/cli.js';
import { OPERATOR } from '../support/settings.js';
import { homeEnv } from '../support/shell.js';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
// in the bundle, so not installed with the package (devDependencies)
const BUNDLED_ONLY = ['@inquirer/password', 'chalk', 'ora', 'smol-toml'];

let work: string;
let prefix: string;
let installed: string;
let packed: { filename: string; files: { path: string }[] };

/** The environment of a user's shell: no npm script variables, nothing of this repository on PATH. */
function userEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = baseEnv({ NODE_PATH: undefined, NODE_OPTIONS: undefined, ...extra });
  for (const name of Object.keys(env)) if (name.startsWith('npm_') && name !== 'npm_config_cache') delete env[name];
  env.PATH = [join(prefix, 'bin'), ...(process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(REPO))].join(delimiter);
  return env;
}

function run(
  file: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; timeout?: number },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? userEnv(), timeout: options.timeout ?? 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'lc-package-'));
  prefix = join(work, 'prefix');
  expect(existsSync(join(REPO, 'dist/run.js')), 'dist/ is built by npm test (npm run build) before the tests').toBe(true);
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, env: userEnv() });
  expect(pack.code, pack.stderr).toBe(0);
  packed = JSON.parse(pack.stdout)[0];
  const install = await run(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      join(work, packed.filename),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: work, env: userEnv(), timeout: 110_000 },
  );
  expect(install.code, install.stderr).toBe(0);
  installed = join(prefix, 'lib/node_modules', pkg.name);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds the bin, the bundle, the manifest and every man page; no sources or tests', () => {
    const files = packed.files.map((file) => file.path);
    for (const file of [
      'bin/run.js',
      'dist/run.js',
      'dist/index.js',
      'dist/types/index.d.ts',
      'oclif.manifest.json',
      'package.json',
      ...pkg.man,
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((file) => /^(src|test|bench|scripts|node_modules)\//.test(file))).toEqual([]);
  });

  it('package.json "man" lists every page the build generates', () => {
    const pages = readdirSync(join(REPO, 'man'))
      .filter((file) => file.endsWith('.1'))
      .map((file) => `man/${file}`);
    expect([...pkg.man].sort()).toEqual(pages.sort());
    const manifest = JSON.parse(readFileSync(join(REPO, 'oclif.manifest.json'), 'utf8'));
    expect(pkg.man).toHaveLength(Object.keys(manifest.commands).length + 1);
  });
});

describe('installed with npm install -g --prefix', () => {
  it('installs the oclif runtime and plugins only: the other dependencies are inside the bundle', () => {
    for (const name of Object.keys(pkg.dependencies))
      expect(existsSync(join(installed, 'node_modules', name, 'package.json')), name).toBe(true);
    for (const name of BUNDLED_ONLY) {
      expect(pkg.dependencies[name], `${name} is bundled: a devDependency`).toBeUndefined();
      expect(existsSync(join(installed, 'node_modules', name)), `${name} is not installed`).toBe(false);
    }
  });

  it('every package the bundle loads by name at run time is a dependency', () => {
    const named = new Set<string>();
    for (const file of readdirSync(join(installed, 'dist'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))) {
      const text = readFileSync(join(installed, 'dist', file), 'utf8');
      // static and dynamic imports, and require() through createRequire(import.meta.url), as esbuild leaves them
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\(import\.meta\.url\)\(|\brequire\()(["'])([@a-z][a-z0-9@._/-]*)\1/g))
        named.add(m[2]);
    }
    const packages = [...named]
      .filter((name) => !name.startsWith('node:'))
      .map((name) =>
        name
          .split('/')
          .slice(0, name.startsWith('@') ? 2 : 1)
          .join('/'),
      );
    const builtins = new Set([
      'fs',
      'os',
      'path',
      'tty',
      'url',
      'util',
      'stream',
      'events',
      'crypto',
      'child_process',
      'module',
      'buffer',
      'process',
      'readline',
    ]);
    // typescript: only oclif's development mode asks for it, inside a try (the build leaves it external)
    const optional = new Set(['typescript']);
    const outside = [...new Set(packages)].filter((name) => !builtins.has(name) && !optional.has(name));
    // the scan finds what it looks for (node built-ins at least, in the CommonJS command bundle, whose
    // require() calls keep their name); toml-eslint-parser, once the only package loaded by name, is now bundled
    expect([...named].filter((name) => builtins.has(name)).length).toBeGreaterThan(3);
    for (const name of outside) expect(pkg.dependencies[name], `${name} is loaded by name: a dependency`).toBeDefined();
  });

  it('every module of the bundle loads from the install, outside this repository', async () => {
    const modules = readdirSync(join(installed, 'dist'), { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.js'))
      .map((file) => pathToFileURL(join(installed, 'dist', file)).href);
    expect(modules.length).toBeGreaterThan(12);
    const script = join(work, 'load-all.mjs');
    writeFileSync(script, `for (const url of ${JSON.stringify(modules)}) await import(url);\nconsole.log('loaded');\n`);
    const result = await run(process.execPath, [script], { cwd: work });
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'loaded\n' });
  });

  it('runs every command from PREFIX/bin against a settings directory', async () => {
    const bin = join(prefix, 'bin', pkg.oclif.bin);
    const root = mkdtempSync(join(work, 'site-'));
    const dir = join(root, 'config');
    const home = join(root, 'home');
    const files = {
      'app.toml': `[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nfingerprint = "${KEY_A_FP}"\n\n[permissions]\n"settings:reveal-secrets" = ["${OPERATOR}"]\n"settings:framework" = ["${OPERATOR}"]\n`,
      'connectors.toml': '[pools.main]\nhost = "db"\npassword = ""\n\n[connectors.billing]\nauth_token = "plain-token"\n',
    };
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);

    let env = userEnv({ ...homeEnv(home), LIBERTY_SETTINGS_DIR: dir, LIBERTY_MASTER_KEY: KEY_A });
    const lc = (args: string[], input?: string) => run(bin, args, { cwd: root, env, input });
    const ok = async (args: string[], input?: string) => {
      const result = await lc(args, input);
      expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
      return result;
    };

    expect(realpathSync(bin)).toBe(join(realpathSync(installed), 'bin/run.js'));
    expect((await ok(['--version'])).stdout).toContain(`${pkg.name}/${pkg.version}`);
    expect((await ok(['help'])).stdout).toMatch(/rewrap[\s\S]*status/);
    expect((await ok(['help', 'keys', 'rotate'])).stdout).toContain('EXAMPLES');
    const newKey = (await ok(['genkey'])).stdout.trim();
    expect(newKey).toMatch(/^[0-9a-f]{64}$/);
    expect((await ok(['init', '--settings', join(root, 'second')])).stdout).toContain('stored the fingerprint of LIBERTY_MASTER_KEY');
    expect(readFileSync(join(root, 'second', 'app.toml'), 'utf8')).toContain(`fingerprint = "${KEY_A_FP}"`);
    expect((await ok(['fingerprint', '--check'])).stdout).toContain('matches');
    await ok(['encrypt', 'connectors.toml:pools.main.password'], 'pg-secret\n');
    await ok(['encrypt', '--all']);
    expect((await ok(['decrypt', 'connectors.toml:pools.main.password'])).stdout).toBe('pg-secret');
    const blob = (await ok(['encrypt'], 'loose\n')).stdout.trim();
    expect((await ok(['fingerprint', '-'], blob)).stdout).toContain('LIBERTY_MASTER_KEY');
    expect((await ok(['status'])).stdout).toContain('ok: nothing to do');

    env = { ...env, LIBERTY_MASTER_KEY_NEW: newKey };
    await ok(['keys', 'rotate', '--to', 'LIBERTY_MASTER_KEY_NEW']);
    expect((await lc(['rewrap', '--check'])).code).toBe(1);
    expect((await ok(['rewrap'])).stdout).toContain('0 still using legacy keys');
    await ok(['rewrap', '--check', '--json']);
    await ok(['keys', 'drop-legacy', 'LIBERTY_MASTER_KEY']);
    delete env.LIBERTY_MASTER_KEY; // the old key is gone from the environment too
    expect((await ok(['decrypt', 'connectors.toml:connectors.billing.auth_token'])).stdout).toBe('plain-token');
    await ok(['status']);
    const events = JSON.parse((await ok(['audit', '--json'])).stdout).map((entry: { event: string }) => entry.event);
    expect(events).toEqual(expect.arrayContaining(['encrypt', 'decrypt', 'keys.rotate', 'rewrap', 'keys.drop-legacy']));
    expect((await ok(['audit', 'verify'])).stdout).toMatch(/^ok: \d+ entries, chain intact/);

    const reveal = await lc(['reveal', 'connectors.toml:pools.main.password']);
    expect(reveal.code).toBe(7);
    expect(reveal.stderr).toContain('terminal');

    const completion = await ok(['autocomplete', 'bash']);
    expect(completion.stdout).toContain(`${pkg.oclif.bin} autocomplete script bash`);
    expect(readFileSync(join(home, '.cache', pkg.oclif.bin, 'autocomplete/functions/bash', `${pkg.oclif.bin}.bash`), 'utf8')).toContain(
      'keys:rotate',
    );
  }, 90_000);

  it('links every man page into PREFIX/share/man/man1', () => {
    for (const page of pkg.man as string[]) {
      const linked = join(prefix, 'share/man/man1', page.replace(/^man\//, ''));
      expect(existsSync(linked), relative(prefix, linked)).toBe(true);
      expect(realpathSync(linked)).toBe(join(realpathSync(installed), page));
      expect(readFileSync(linked, 'utf8')).toMatch(/^\.TH LIBERTY-CRYPTO/);
    }
  });
});
