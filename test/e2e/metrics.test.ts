/**
 * `status --metrics FILE` (issue 15, "Metrics for the fleet"): the state in the Prometheus text exposition
 * format for node_exporter's textfile collector. The file is read back with a real parser of the format
 * (parse-prometheus-text-format) and checked by `promtool check metrics` (Debian's prometheus package)
 * where it is installed; every value must equal what `status --json` says of the same directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, KEY_B, REPO, parseJson, runCli } from '../support/cli.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';
import { requires } from '../support/requires.js';

const made: TempSettings[] = [];
afterEach(() => {
  for (const settings of made.splice(0)) settings.cleanup();
});

function setup(files: Record<string, string>, dirName?: string): TempSettings {
  const settings = makeSettings(files);
  made.push(settings);
  if (dirName === undefined) return settings;
  // a settings directory whose name needs escaping in a label value
  const dir = join(settings.root, dirName);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return { ...settings, dir };
}

const KEY_C = 'ab'.repeat(32);
/** A directory with a blob in every state: current, other format, legacy key, unreadable, plus plaintext. */
const MIXED = {
  'app.toml': appToml({ legacy: ['LIBERTY_MASTER_KEY_OLD'] }),
  'c.toml': [
    '[db]',
    `password = "${seal(KEY_A, 'current')}"`,
    '[cache]',
    `password = "${seal(KEY_A, 'v1 under the master', 'v1')}"`,
    '[queue]',
    `password = "${seal(KEY_B, 'on the legacy key')}"`,
    '[search]',
    `password = "${seal(KEY_C, 'nobody has this key')}"`,
    '[mail]',
    'password = "mail-plain-value"',
    '[sso.oidc]',
    'client_secret = "plain in a locked field"',
    '',
  ].join('\n'),
};
const ENV = { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_MASTER_KEY_OLD: KEY_B };

/** A sample line or a comment: the grammar of the format, stricter than the parser (which skips what it does not know). */
const LINE =
  /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\} -?[0-9]+(\.[0-9]+)?)$/;

type Families = ReturnType<typeof parsePrometheusTextFormat>;

function value(families: Families, name: string, labels: Record<string, string> = {}): number {
  const family = families.find((entry) => entry.name === name);
  if (!family) throw new Error(`no metric ${name}`);
  const samples = family.metrics.filter((sample) => Object.entries(labels).every(([label, text]) => sample.labels?.[label] === text));
  if (samples.length !== 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${samples.length} samples`);
  return Number(samples[0].value);
}

async function statusWithMetrics(settings: TempSettings, env: Record<string, string>, file = join(settings.root, 'liberty.prom')) {
  const before = Math.floor(Date.now() / 1000);
  const run = await runCli(['status', '-s', settings.dir, '--metrics', file], { env });
  const after = Math.ceil(Date.now() / 1000);
  const json = parseJson(await runCli(['status', '-s', settings.dir, '--json'], { env }));
  return { run, json, file, text: existsSync(file) ? readFileSync(file, 'utf8') : '', before, after };
}

describe('status --metrics FILE', () => {
  it('writes every blob state, plaintext, key and fingerprint gauge; each value equals status --json', async () => {
    const settings = setup(MIXED);
    const { run, json, file, text, before, after } = await statusWithMetrics(settings, ENV);
    expect(run.code, run.stderr).toBe(1); // the same exit status as without --metrics: there are problems
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(LINE);
    expect(text.endsWith('\n')).toBe(true);
    const families = parsePrometheusTextFormat(text);
    for (const family of families) {
      expect(family.name).toMatch(/^liberty_crypto_[a-z_]+$/);
      expect(family.name).not.toMatch(/_total$/); // gauges only: _total is for counters
      expect(family.type).toBe('GAUGE');
      expect(family.help.length).toBeGreaterThan(0);
      for (const sample of family.metrics) expect(sample.labels?.settings).toBe(settings.dir);
    }
    const byRole = (role: string) => json.byKey.filter((entry: any) => entry.role === role);
    const sum = (entries: any[], formats: string[]) =>
      entries.reduce((n, entry) => n + formats.reduce((m, format) => m + entry[format], 0), 0);
    expect(value(families, 'liberty_crypto_blobs', { state: 'current' })).toBe(json.current);
    expect(value(families, 'liberty_crypto_blobs', { state: 'other_format' })).toBe(sum(byRole('master'), ['v1']));
    expect(value(families, 'liberty_crypto_blobs', { state: 'legacy_key' })).toBe(sum(byRole('legacy'), ['v1', 'v2']));
    expect(value(families, 'liberty_crypto_blobs', { state: 'unreadable' })).toBe(json.unreadable.length);
    expect(value(families, 'liberty_crypto_blobs', { state: 'not_opened' })).toBe(0);
    const states = families
      .find((family) => family.name === 'liberty_crypto_blobs')!
      .metrics.reduce((n, sample) => n + Number(sample.value), 0);
    expect(states).toBe(json.blobs.total);
    for (const format of ['v1', 'v2', 'malformed'])
      expect(value(families, 'liberty_crypto_blobs_by_format', { format })).toBe(json.blobs[format]);
    const plain = json.plaintextSecrets.filter((field: any) => !field.empty);
    expect(value(families, 'liberty_crypto_plaintext_secrets')).toBe(plain.filter((field: any) => !field.locked).length);
    expect(value(families, 'liberty_crypto_locked_fields_plain')).toBe(plain.filter((field: any) => field.locked).length);
    expect(value(families, 'liberty_crypto_key_set', { role: 'master', env: 'LIBERTY_MASTER_KEY', source: json.keys.master.source })).toBe(
      1,
    );
    expect(value(families, 'liberty_crypto_key_set', { role: 'legacy', env: 'LIBERTY_MASTER_KEY_OLD', source: 'env' })).toBe(1);
    expect(value(families, 'liberty_crypto_fingerprint_mismatch')).toBe(json.keys.matches === false ? 1 : 0);
    expect(value(families, 'liberty_crypto_problems')).toBe(json.problems.length);
    expect(value(families, 'liberty_crypto_warnings')).toBe(json.warnings.length);
    expect(value(families, 'liberty_crypto_settings_files')).toBe(json.files);
    const checked = value(families, 'liberty_crypto_last_check_timestamp_seconds');
    expect(checked).toBeGreaterThanOrEqual(before);
    expect(checked).toBeLessThanOrEqual(after);
    // the numbers this directory was built to hold, so that a metric equal to a wrong --json still fails
    expect([json.current, json.unreadable.length, json.blobs.total]).toEqual([1, 1, 4]);
    expect(statSync(file).mode & 0o777).toBe(0o644); // node_exporter reads it as its own user
    expect(text).not.toContain(KEY_A);
    expect(text).not.toContain('mail-plain-value');
  });

  it('a fingerprint mismatch and an unset key: the gauges say so, and blobs not opened are counted', async () => {
    const settings = setup({
      'app.toml': appToml({ fingerprint: KEY_A_FP, legacy: ['OLD'] }),
      'c.toml': `[db]\npassword = "${seal(KEY_B, 'x')}"\n`,
    });
    const mismatch = await statusWithMetrics(settings, { LIBERTY_MASTER_KEY: KEY_B });
    const families = parsePrometheusTextFormat(mismatch.text);
    expect(mismatch.json.keys.matches).toBe(false);
    expect(value(families, 'liberty_crypto_fingerprint_mismatch')).toBe(1);
    expect(value(families, 'liberty_crypto_key_set', { env: 'OLD', source: 'none' })).toBe(0);
    const unset = await statusWithMetrics(settings, {});
    const without = parsePrometheusTextFormat(unset.text);
    expect(value(without, 'liberty_crypto_key_set', { role: 'master', source: 'none' })).toBe(0);
    expect(value(without, 'liberty_crypto_fingerprint_mismatch')).toBe(0);
    expect(value(without, 'liberty_crypto_blobs', { state: 'not_opened' })).toBe(unset.json.blobs.total);
    expect(unset.json.blobs.total).toBe(1);
  });

  it('escapes the settings label: a directory name with a quote and a backslash reads back as itself', async () => {
    const settings = setup(MIXED, 'con"fig\\x');
    const { text } = await statusWithMetrics(settings, ENV);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(LINE);
    const families = parsePrometheusTextFormat(text);
    expect(families.find((family) => family.name === 'liberty_crypto_problems')!.metrics[0].labels!.settings).toBe(settings.dir);
  });

  it('replaces the file by a rename (a new inode, no temporary file left), never writing it in place', async () => {
    const settings = setup(MIXED);
    const file = join(settings.root, 'liberty.prom');
    writeFileSync(file, '# an older scrape\n');
    const before = statSync(file).ino;
    const { run } = await statusWithMetrics(settings, ENV, file);
    expect(run.code).toBe(1);
    expect(statSync(file).ino).not.toBe(before);
    expect(readdirSync(settings.root).sort()).toEqual(['config', 'liberty.prom']);
  });

  it('refuses a symbolic link or a FIFO at FILE (exit 6): the link target stays as it was', async () => {
    const settings = setup(MIXED);
    const target = join(settings.root, 'target');
    writeFileSync(target, 'untouched\n');
    const link = join(settings.root, 'link.prom');
    symlinkSync(target, link);
    const linked = await runCli(['status', '-s', settings.dir, '--metrics', link], { env: ENV });
    expect(linked.code).toBe(6);
    expect(linked.stderr).toContain(link);
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    const fifo = join(settings.root, 'fifo.prom');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const piped = await runCli(['status', '-s', settings.dir, '--metrics', fifo], { env: ENV });
    expect(piped.code).toBe(6);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });
});

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe.runIf(requires(promtool, "promtool not installed (Debian's prometheus package)"))('promtool check metrics', () => {
  it('finds no error and nothing to lint in the file', async () => {
    const settings = setup(MIXED);
    const { text } = await statusWithMetrics(settings, ENV);
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect((checked.stdout + checked.stderr).trim()).toBe('');
  });

  it("the README's alerting rules load in Prometheus (promtool check rules)", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const at = readme.indexOf('<!-- snippet:alert-rules -->');
    const rules = /```yaml\n([\s\S]*?)^```/m.exec(readme.slice(at))?.[1];
    expect(at >= 0 && rules !== undefined).toBe(true);
    const settings = setup(MIXED);
    const file = join(settings.root, 'liberty.rules.yml');
    writeFileSync(file, rules!);
    const checked = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('SUCCESS: 4 rules found');
  });
});
