/**
 * The pre-commit guard (issue 15): `status --files F...` reports on the files a git hook passes, and the
 * README's plain git hook, installed in a real repository, refuses a commit that stages a plaintext secret,
 * a locked field in plain or a key, and lets a clean one through. The hook checks the staged content, not
 * the working tree. `.pre-commit-hooks.yaml` is run the way the pre-commit framework runs it: entry, args,
 * then the staged file names that match `files`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, REPO, parseJson, runCli } from '../support/cli.js';
import { appToml, seal } from '../support/settings.js';
import { makeToolDir, runBash, type ToolDir } from '../support/shell.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The fenced block after `<!-- snippet:NAME -->` in the README. */
function snippet(name: string): string {
  const at = README.indexOf(`<!-- snippet:${name} -->`);
  const match = /```[^\n]*\n([\s\S]*?)^```/m.exec(README.slice(at));
  if (at < 0 || !match) throw new Error(`README has no snippet ${name}`);
  return match[1];
}

let tools: ToolDir;
beforeAll(() => {
  tools = makeToolDir();
});
afterAll(() => tools.cleanup());

const repos: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) rmSync(repo, { recursive: true, force: true });
});

function git(repo: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: repo } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A git repository with a committed settings directory (app.toml, one sealed value) and the README's hook. */
function makeRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'lc-git-'));
  repos.push(repo);
  expect(git(repo, 'init', '-q', '-b', 'main').status).toBe(0);
  git(repo, 'config', 'user.email', 'ops@example.org');
  git(repo, 'config', 'user.name', 'ops');
  mkdirSync(join(repo, 'config'));
  writeFileSync(join(repo, 'config/app.toml'), appToml({ permissions: [] }));
  writeFileSync(join(repo, 'config/connectors.toml'), `[pools.main]\nuser = "portal"\npassword = "${seal(KEY_A, 's3cret')}"\n`);
  writeFileSync(join(repo, 'README.md'), 'the portal\n');
  expect(git(repo, 'add', '.').status).toBe(0);
  expect(git(repo, 'commit', '-q', '-m', 'settings').status).toBe(0);
  const hook = join(repo, '.git/hooks/pre-commit');
  writeFileSync(hook, snippet('git-pre-commit'));
  chmodSync(hook, 0o755);
  return repo;
}

/** `git commit` through bash, with liberty-crypto on PATH (as in a developer's shell): the hook runs. */
function commit(repo: string, env: Record<string, string> = {}) {
  return runBash('git commit -q -m change', { cwd: repo, path: [tools.dir], env: { GIT_CONFIG_NOSYSTEM: '1', HOME: repo, ...env } });
}

function commits(repo: string): number {
  return Number(git(repo, 'rev-list', '--count', 'HEAD').stdout.trim());
}

describe('the plain git hook of the README, in a real repository', () => {
  it.each([
    ['a plaintext value in a secret field', 'config/connectors.toml', '[pools.main]\nuser = "portal"\npassword = "hunter2"\n'],
    ['a locked field in plain', 'config/auth.toml', '[auth.oidc]\nclient_secret = "plain-oidc-secret"\n'],
    ['a key written into app.toml [crypto]', 'config/app.toml', `[crypto]\nmaster_key = "${KEY_A}"\n`],
    [
      'a plaintext password in a URL',
      'config/reporting.toml',
      '[pools.reporting]\nurl = "postgresql://report:s3cret@db.internal/reports"\n',
    ],
  ])('%s: the commit is refused, nothing is committed', async (_label, file, text) => {
    const repo = makeRepo();
    writeFileSync(join(repo, file), text);
    git(repo, 'add', file);
    const result = await commit(repo);
    expect(result.code, result.stdout + result.stderr).not.toBe(0);
    expect(commits(repo)).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(KEY_A);
  });

  it("a key's value pasted into a field, while the hook's environment holds the key: refused (KEY_IN_FILE)", async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'config/notes.toml'), `[ops]\nremember = "${KEY_A}"\n`);
    git(repo, 'add', 'config/notes.toml');
    const result = await commit(repo, { LIBERTY_MASTER_KEY: KEY_A });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('holds the value of the key LIBERTY_MASTER_KEY'); // git shows a hook's stdout on stderr
    expect(result.stdout + result.stderr).not.toContain(KEY_A);
    expect(commits(repo)).toBe(1);
  });

  it('a clean commit passes: a new blob, a ${NAME} reference, a file outside the settings directory', async () => {
    const repo = makeRepo();
    writeFileSync(
      join(repo, 'config/connectors.toml'),
      `[pools.main]\nuser = "portal"\npassword = "${seal(KEY_A, 'n3w')}"\n[pools.crm]\npassword = "\${CRM_PASSWORD}"\n`,
    );
    writeFileSync(join(repo, 'README.md'), 'password = "not a settings file"\n');
    git(repo, 'add', '.');
    const result = await commit(repo); // no key loaded, as on a developer's machine
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(commits(repo)).toBe(2);
  });

  it('checks what is staged, not the working tree: plaintext staged and fixed only on disk is still refused', async () => {
    const repo = makeRepo();
    const file = join(repo, 'config/connectors.toml');
    const clean = readFileSync(file, 'utf8');
    writeFileSync(file, '[pools.main]\npassword = "hunter2"\n');
    git(repo, 'add', 'config/connectors.toml');
    writeFileSync(file, clean); // the working tree is clean again, the index is not
    const refused = await commit(repo);
    expect(refused.code).not.toBe(0);
    expect(commits(repo)).toBe(1);
    // and the other way round: plaintext on disk only, a clean file staged
    writeFileSync(file, `${clean}[pools.extra]\nuser = "x"\n`);
    git(repo, 'add', 'config/connectors.toml');
    writeFileSync(file, '[pools.main]\npassword = "hunter2"\n');
    const passed = await commit(repo);
    expect(passed.code, passed.stdout + passed.stderr).toBe(0);
  });
});

describe('status --files', () => {
  it('reports those files only; others are ignored with a note; key checks are left out', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'config/other.toml'), '[db]\npassword = "plain-elsewhere"\n');
    const result = await runCli(['status', '--files', 'config/connectors.toml', 'README.md', 'config/missing.toml', '--json'], {
      cwd: repo,
    });
    expect(result.code, result.stdout).toBe(0); // the master key is not set: a host check, left out
    const report = parseJson(result);
    expect(report.only).toEqual(['connectors.toml']);
    expect(report.files).toBe(1);
    expect(report.blobs.total).toBe(1);
    expect(report.ignoredFiles.map((file: { path: string }) => file.path)).toEqual(['README.md', 'config/missing.toml']);
    const text = await runCli(['status', '--files', 'README.md', 'config/connectors.toml'], { cwd: repo });
    expect(text.stderr).toContain('note: ignored README.md: outside the settings directory');
    // without --files, the same directory has problems: the plaintext elsewhere is a warning, the unset key a problem
    const whole = await runCli(['status', '--json'], { cwd: repo });
    expect(whole.code).toBe(1);
    expect(parseJson(whole).problems.map((problem: { code: string }) => problem.code)).toContain('E_MASTER_KEY_NOT_SET');
  });

  it('a plaintext secret, a warning of status, is a problem under --files (exit 1)', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'config/other.toml'), '[db]\npassword = "plain-elsewhere"\n');
    const result = await runCli(['status', '--files', 'config/other.toml', '--json'], { cwd: repo });
    expect(result.code).toBe(1);
    expect(parseJson(result).problems.map((problem: { code: string }) => problem.code)).toEqual(['PLAINTEXT_SECRET']);
  });
});

describe('.pre-commit-hooks.yaml', () => {
  const yaml = readFileSync(join(REPO, '.pre-commit-hooks.yaml'), 'utf8');
  const field = (name: string) => new RegExp(`^\\s+${name}: (.*)$`, 'm').exec(yaml)?.[1]?.trim();

  it('declares the hook the pre-commit framework needs: id, entry, language node, .toml files, file names passed', () => {
    expect(yaml).toMatch(/^- id: liberty-crypto$/m);
    expect(field('language')).toBe('node');
    expect(field('pass_filenames')).toBe('true');
    expect(field('files')).toBe('\\.toml$');
    expect(field('entry')).toBe('liberty-crypto status');
    expect(field('args')).toBe('[--files]');
  });

  it('run as the framework runs it (entry, args, matching file names): refuses plaintext, passes a clean file', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'config/other.toml'), '[db]\npassword = "plain-elsewhere"\n');
    const files = new RegExp(field('files')!);
    const args = field('args')!
      .replace(/^\[|\]$/g, '')
      .split(/,\s*/);
    const run = (names: string[]) =>
      runBash(`${field('entry')} ${args.join(' ')} ${names.filter((name) => files.test(name)).join(' ')}`, {
        cwd: repo,
        path: [tools.dir],
      });
    expect((await run(['config/other.toml', 'README.md'])).code).toBe(1);
    const clean = await run(['config/connectors.toml', 'config/app.toml', 'README.md']);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  });
});
