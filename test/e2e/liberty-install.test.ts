// Issue 11 ("Real Liberty installs"): the README's rotation, run through the built CLI on a copy of a settings
// directory shaped like a real Liberty install (test/fixtures/liberty-install: 12 v1 blobs under two
// passphrases, one inside an oracle URL, literal and multi-line strings, ${NAME} references, no `format` line).
// Written to the spec of issue 11 before its implementation: v1 is the default format, a blob inside a longer
// string is a blob like any other, references are never touched, string styles are kept.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, KEY_A_FP, REPO, baseEnv, parseJson, runCli, tempSettings, type RunResult } from '../support/cli.js';
import {
  ANY_BLOB,
  DECRYPTED,
  EMBEDDED_FIELD,
  FILES,
  LEGACY_2023_ENV,
  LEGACY_2023_PASSPHRASE,
  LIBERTY_INSTALL_FIXTURE,
  MASTER_ENV,
  MASTER_PASSPHRASE,
  PLAINTEXTS,
  REFERENCES,
  SEALED_BY,
  STYLE,
  V2_BLOB,
  fieldBlobs,
  readField,
} from '../support/liberty-install.js';
import { requires } from '../support/requires.js';
import { OPERATOR } from '../support/settings.js';

// ---------------------------------------------------------------------------------------------------------
// Python (pyca/cryptography) for the independent opener: without it the tests that need it are skipped with
// one line saying why (requires); with LIBERTY_TEST_STRICT=1 the missing prerequisite is a failure.
const PYTHON_CRYPTO = requires(
  spawnSync('python3', ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0,
  'the independent v1 opener: python3 -c "import cryptography" fails here',
);
function needsPythonCrypto(context: { skip: (note?: string) => void }): void {
  if (!PYTHON_CRYPTO) context.skip();
}
// ---------------------------------------------------------------------------------------------------------

const OPEN_V1 = join(REPO, 'test/support/open_v1.py');
const NEW_ENV = 'LIBERTY_MASTER_KEY_NEW';
const FIELDS = Object.keys(PLAINTEXTS);
const BLOB_COUNT = FIELDS.length;
const FIELDS_2023 = FIELDS.filter((field) => SEALED_BY[field] === LEGACY_2023_ENV);
/** the keys of the install as the framework's environment holds them */
const INSTALL_ENV = { [MASTER_ENV]: MASTER_PASSPHRASE, [LEGACY_2023_ENV]: LEGACY_2023_PASSPHRASE };

type Files = Record<string, string>;

/** A temporary copy of the fixture with both permissions granted to the current OS user. */
function installCopy(options: { grant?: boolean } = {}) {
  const copy = tempSettings(LIBERTY_INSTALL_FIXTURE);
  if (options.grant !== false) {
    editApp(copy.dir, (text) => text.replace(/^("settings:(?:reveal-secrets|framework)") = \[\]$/gm, `$1 = [${JSON.stringify(OPERATOR)}]`));
    expect(readFileSync(join(copy.dir, 'app.toml'), 'utf8')).toContain(`"settings:framework" = [${JSON.stringify(OPERATOR)}]`);
  }
  return copy;
}

function editApp(dir: string, edit: (text: string) => string): void {
  const file = join(dir, 'app.toml');
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error('test setup: the app.toml edit changed nothing');
  writeFileSync(file, after);
}

const readAll = (dir: string): Files => Object.fromEntries(FILES.map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
const blobsIn = (text: string) => [...text.matchAll(ANY_BLOB)].map((match) => match[0]);
const masked = (text: string) => text.replace(ANY_BLOB, '<blob>');
/** app.toml without its [crypto] table, which keys rotate and keys drop-legacy change */
const withoutCrypto = (text: string) =>
  text.replace(/^\[crypto\]\n[\s\S]*?(?=^\[)/m, '[crypto]\n<changed by keys rotate and keys drop-legacy>\n');
/** What stands on each blob's line before it: the key, the `=`, the opening quote (and a URL's start). */
const blobLinePrefixes = (text: string) =>
  [...text.matchAll(ANY_BLOB)].map((match) => text.slice(text.lastIndexOf('\n', match.index) + 1, match.index));
/** FILE:KEY names at the start of the lines of a `rewrap --check` report (text output). */
const namedFields = (stdout: string) =>
  stdout
    .split('\n')
    .map((line) => /^(\S+\.toml:\S+)\s/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
const referencesIn = (text: string) => [...text.matchAll(/^.*\$\{[^}]*\}.*$/gm)].map((match) => match[0]);
const quoteOf: Record<string, string> = { basic: '"', literal: "'", 'multiline-basic': '"""', 'multiline-literal': "'''" };

function openV1(envName: string, keyText: string, blob: string) {
  return spawnSync('python3', [OPEN_V1, '--env', envName, blob], { env: baseEnv({ [envName]: keyText }) });
}

const show = (result: RunResult | undefined) =>
  result ? `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}` : 'not run';

describe('the fixture is what the inventory says (independent of the CLI)', () => {
  it('every inventory field holds a v1 blob that opens under its passphrase with open_v1.py', (context) => {
    needsPythonCrypto(context);
    const dir = join(REPO, 'test/fixtures', LIBERTY_INSTALL_FIXTURE);
    const blobs = fieldBlobs(dir);
    expect(FILES.flatMap((file) => blobsIn(readFileSync(join(dir, file), 'utf8')))).toHaveLength(BLOB_COUNT);
    for (const field of FIELDS) {
      const opened = openV1(SEALED_BY[field], INSTALL_ENV[SEALED_BY[field]], blobs[field]!);
      expect(opened.stderr.toString(), field).toBe('');
      expect(opened.stdout.toString('utf8'), field).toBe(PLAINTEXTS[field]);
    }
  }, 120_000);
});

describe('a real Liberty install: the README rotation from two passphrases to a genkey key', () => {
  let copy: ReturnType<typeof installCopy>;
  let original: Files;
  let final: Files;
  let newKey = '';
  let newFingerprint = '';
  const steps: Record<string, RunResult> = {};
  const decrypted: Record<string, RunResult> = {};

  beforeAll(async () => {
    copy = installCopy();
    original = readAll(copy.dir);
    const cli = (args: string[], env: Record<string, string>) => runCli([...args, '-s', copy.dir], { env, cwd: copy.root });

    steps.statusBefore = await cli(['status', '--json'], INSTALL_ENV);
    steps.checkBefore = await cli(['rewrap', '--check'], INSTALL_ENV);
    // phase 1: a new key, exported next to the old ones
    steps.genkey = await runCli(['genkey', '--json'], { cwd: copy.root });
    ({ key: newKey, fingerprint: newFingerprint } = parseJson(steps.genkey));
    const bothGenerations = { ...INSTALL_ENV, [NEW_ENV]: newKey };
    // phase 2: the new key becomes the master, the old master the first legacy key
    steps.rotate = await cli(['keys', 'rotate', '--to', NEW_ENV], bothGenerations);
    steps.checkAfterRotate = await cli(['rewrap', '--check'], bothGenerations);
    // phase 3 (restart) is the framework's; phase 4: re-seal and check
    steps.rewrap = await cli(['rewrap'], bothGenerations);
    steps.check = await cli(['rewrap', '--check'], bothGenerations);
    // phase 5: drop both old keys while they are still set
    steps.dropMaster = await cli(['keys', 'drop-legacy', MASTER_ENV], bothGenerations);
    steps.drop2023 = await cli(['keys', 'drop-legacy', LEGACY_2023_ENV], bothGenerations);
    // from now on only the new key exists
    const onlyNew = { [NEW_ENV]: newKey };
    steps.status = await cli(['status'], onlyNew);
    steps.statusJson = await cli(['status', '--json'], onlyNew);
    steps.finalCheck = await cli(['rewrap', '--check'], onlyNew);
    final = readAll(copy.dir);
    for (const field of FIELDS) decrypted[field] = await cli(['decrypt', field], onlyNew);
  }, 600_000);
  afterAll(() => copy?.cleanup());

  it('(e) before the rotation, status --json counts every blob of the fixture, the one inside the oracle URL included', () => {
    expect(parseJson(steps.statusBefore).blobs.total).toBe(BLOB_COUNT);
  });

  it('before the rotation, rewrap --check names exactly the blobs under the 2023 passphrase (the URL one as FILE:KEY) and exits 1', () => {
    // under the default v1 a blob is current when it is v1 and opens with the master passphrase
    expect(namedFields(steps.checkBefore.stdout), show(steps.checkBefore)).toEqual([...FIELDS_2023].sort());
    expect(FIELDS_2023).toContain(EMBEDDED_FIELD);
    expect(steps.checkBefore.code, show(steps.checkBefore)).toBe(1);
  });

  it('after keys rotate, rewrap --check names every blob, the URL one included, and exits 1', () => {
    expect(namedFields(steps.checkAfterRotate.stdout), show(steps.checkAfterRotate)).toEqual([...FIELDS].sort());
    expect(steps.checkAfterRotate.code, show(steps.checkAfterRotate)).toBe(1);
  });

  it.each(['genkey', 'rotate', 'rewrap', 'check', 'dropMaster', 'drop2023', 'status', 'finalCheck'])('step %s exits 0', (step) => {
    expect(steps[step].code, show(steps[step])).toBe(0);
  });

  it('app.toml [crypto] ends with the new key alone', () => {
    expect(newKey).toMatch(/^[0-9a-f]{64}$/);
    expect(readField(copy.dir, 'app.toml:crypto.master_key')).toBe(`\${${NEW_ENV}}`);
    expect(readField(copy.dir, 'app.toml:crypto.legacy_keys') ?? []).toEqual([]);
    expect(readField(copy.dir, 'app.toml:crypto.fingerprint')).toBe(newFingerprint);
  });

  it('(a) decrypt FILE:KEY prints every plaintext with only the new key set (the URL field: the whole URL, its blob opened)', () => {
    for (const field of FIELDS) {
      expect({ field, code: decrypted[field].code, stdout: decrypted[field].stdout }, decrypted[field].stderr).toEqual({
        field,
        code: 0,
        stdout: DECRYPTED[field],
      });
    }
  });

  it("(a) open_v1.py opens every blob in the files under LIBERTY_MASTER_KEY_NEW's text", (context) => {
    needsPythonCrypto(context);
    const blobs = fieldBlobs(copy.dir);
    for (const field of FIELDS) {
      expect(blobs[field], `${field} holds a blob where the fixture had one`).toBeDefined();
      const opened = openV1(NEW_ENV, newKey, blobs[field]!);
      expect({ field, status: opened.status, stderr: opened.stderr.toString() }).toEqual({ field, status: 0, stderr: '' });
      expect(opened.stdout.toString('utf8'), field).toBe(PLAINTEXTS[field]);
    }
    // and no other blob is left in the files
    expect(Object.values(final).flatMap(blobsIn)).toHaveLength(BLOB_COUNT);
  }, 120_000);

  it('(b) every blob in the files is v1, and every one was re-sealed', () => {
    const before = Object.values(original).flatMap(blobsIn);
    const after = Object.values(final).flatMap(blobsIn);
    expect(after).toHaveLength(BLOB_COUNT);
    expect(Object.values(final).flatMap((text) => [...text.matchAll(V2_BLOB)].map((m) => m[0]))).toEqual([]);
    expect(
      Object.values(final)
        .join('\n')
        .match(/ENC:v2:/g) ?? [],
    ).toEqual([]);
    for (const blob of after) expect(blob).toMatch(/^ENC:[A-Za-z0-9+/]+={0,2}$/);
    expect(after.filter((blob) => before.includes(blob))).toEqual([]);
  });

  it('(c) every byte outside the re-sealed blobs is unchanged (app.toml outside [crypto])', () => {
    for (const file of FILES) {
      const strip = file === 'app.toml' ? (text: string) => masked(withoutCrypto(text)) : masked;
      expect(strip(final[file]), file).toBe(strip(original[file]));
    }
  });

  it('(c) every string keeps its quote style: literal stays literal, multi-line stays multi-line', () => {
    for (const file of FILES) expect(blobLinePrefixes(final[file]), file).toEqual(blobLinePrefixes(original[file]));
    const blobs = fieldBlobs(copy.dir);
    for (const field of FIELDS) {
      const [file, dotted] = field.split(':') as [string, string];
      const key = dotted.split('.').pop()!;
      const quote = quoteOf[STYLE[field]];
      const value = readField(copy.dir, field) as string;
      expect(final[file], `${field} is a ${STYLE[field]} string`).toContain(`${key} = ${quote}${value}${quote}`);
      expect(value).toContain(blobs[field]);
    }
    expect(final['connectors.toml']).toMatch(/^password = 'ENC:[A-Za-z0-9+/]+={0,2}'$/m);
    expect(final['connectors.toml']).toMatch(/^auth_password = '''ENC:[A-Za-z0-9+/]+={0,2}'''$/m);
    expect(final['connectors.toml']).toMatch(/^password = """ENC:[A-Za-z0-9+/]+={0,2}""" {3}#/m);
  });

  it('(d) ${...} references are byte-identical (app.toml outside [crypto])', () => {
    for (const file of FILES) {
      const strip = file === 'app.toml' ? withoutCrypto : (text: string) => text;
      expect(referencesIn(strip(final[file])), file).toEqual(referencesIn(strip(original[file])));
    }
    for (const [field, reference] of Object.entries(REFERENCES)) expect(readField(copy.dir, field), field).toBe(reference);
  });

  it('(d) status never reports a ${...} reference as a plaintext secret, before or after the rotation', () => {
    for (const step of ['statusBefore', 'statusJson'] as const) {
      const report = parseJson(steps[step]);
      const reported = JSON.stringify([report.plaintextSecrets, report.problems, report.warnings]);
      for (const field of Object.keys(REFERENCES)) {
        const [file, key] = field.split(':');
        expect(reported, `${step} reports ${field}`).not.toContain(`${file}:${key}`);
        expect(
          report.plaintextSecrets.filter((note: { file: string; key: string }) => note.file === file && note.key === key),
          step,
        ).toEqual([]);
      }
    }
  });

  it('after the rotation, status counts every blob under the new master, with nothing to report', () => {
    const report = parseJson(steps.statusJson);
    expect(report.blobs.total).toBe(BLOB_COUNT);
    expect(report.problems).toEqual([]);
    expect(report.unreadable).toEqual([]);
  });
});

describe('format = "v2": rewrap moves every v1 blob to ENC:v2', () => {
  let copy: ReturnType<typeof installCopy>;
  let original: Files;
  let final: Files;
  const steps: Record<string, RunResult> = {};
  const decrypted: Record<string, RunResult> = {};
  const env = { ...INSTALL_ENV, [NEW_ENV]: KEY_A };

  beforeAll(async () => {
    copy = installCopy();
    // an install already rotated to a genkey key (KEY_A), both passphrases legacy, and format = "v2"
    editApp(copy.dir, (text) =>
      text
        .replace('master_key = "${LIBERTY_MASTER_KEY}"', `master_key = "\${${NEW_ENV}}"\nformat = "v2"`)
        .replace('legacy_keys = ["${LIBERTY_MASTER_KEY_2023}"]', 'legacy_keys = ["${LIBERTY_MASTER_KEY}", "${LIBERTY_MASTER_KEY_2023}"]')
        .replace(/^fingerprint = "[0-9a-f]{64}"$/m, `fingerprint = "${KEY_A_FP}"`),
    );
    original = readAll(copy.dir);
    const cli = (args: string[]) => runCli([...args, '-s', copy.dir], { env, cwd: copy.root });
    steps.rewrap = await cli(['rewrap']);
    steps.check = await cli(['rewrap', '--check']);
    final = readAll(copy.dir);
    for (const field of FIELDS) decrypted[field] = await cli(['decrypt', field]);
  }, 600_000);
  afterAll(() => copy?.cleanup());

  it('rewrap exits 0 and rewrap --check exits 0', () => {
    expect(steps.rewrap.code, show(steps.rewrap)).toBe(0);
    expect(steps.check.code, show(steps.check)).toBe(0);
  });

  it('every blob in the files is ENC:v2 under the new key, the one inside the URL included', () => {
    const after = Object.values(final).flatMap(blobsIn);
    expect(after).toHaveLength(BLOB_COUNT);
    for (const blob of after) expect(blob.startsWith(`ENC:v2:${KEY_A_FP.slice(0, 8)}:`), blob).toBe(true);
    expect(fieldBlobs(copy.dir)[EMBEDDED_FIELD]).toMatch(/^ENC:v2:/);
  });

  it('every byte outside the blobs is unchanged, quote styles included', () => {
    for (const file of FILES) {
      expect(masked(final[file]), file).toBe(masked(original[file]));
      expect(blobLinePrefixes(final[file]), file).toEqual(blobLinePrefixes(original[file]));
    }
  });

  it('decrypt FILE:KEY still prints every plaintext', () => {
    for (const field of FIELDS) {
      expect({ field, code: decrypted[field].code, stdout: decrypted[field].stdout }, decrypted[field].stderr).toEqual({
        field,
        code: 0,
        stdout: DECRYPTED[field],
      });
    }
  });
});

describe('the framework conventions of the spec, one by one', () => {
  const copies: Array<ReturnType<typeof installCopy>> = [];
  afterAll(() => copies.forEach((copy) => copy.cleanup()));
  const cli = (dir: string, args: string[], env: Record<string, string>) => runCli([...args, '-s', dir], { env });

  it('encrypt --all leaves every ${...} reference alone: nothing to seal, not a byte changed', async () => {
    const copy = installCopy();
    copies.push(copy);
    const before = readAll(copy.dir);
    const result = await cli(copy.dir, ['encrypt', '--all', '--json'], INSTALL_ENV);
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).encrypted).toEqual([]);
    expect(readAll(copy.dir)).toEqual(before);
  });

  it('master_key = "${NAME:-}" names the master key NAME', async () => {
    const copy = installCopy();
    copies.push(copy);
    editApp(copy.dir, (text) => text.replace('master_key = "${LIBERTY_MASTER_KEY}"', 'master_key = "${LIBERTY_MASTER_KEY:-}"'));
    const result = await cli(copy.dir, ['fingerprint', '--json'], INSTALL_ENV);
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result)).toMatchObject({ master: { env: MASTER_ENV, set: true }, matches: true });
  });

  it('keys add-legacy NAME brings back the passphrase of an install two generations old', async () => {
    const copy = installCopy();
    copies.push(copy);
    // the 2023 legacy entry was removed too early: its blobs open with no configured key
    editApp(copy.dir, (text) => text.replace('legacy_keys = ["${LIBERTY_MASTER_KEY_2023}"]', 'legacy_keys = []'));
    const app = readFileSync(join(copy.dir, 'app.toml'), 'utf8');
    const stranded = await cli(copy.dir, ['rewrap', '--check'], INSTALL_ENV);
    expect(stranded.code, show(stranded)).toBeGreaterThan(1);

    const added = await cli(copy.dir, ['keys', 'add-legacy', LEGACY_2023_ENV], INSTALL_ENV);
    expect(added.code, show(added)).toBe(0);
    expect(readField(copy.dir, 'app.toml:crypto.legacy_keys')).toEqual([`\${${LEGACY_2023_ENV}}`]);
    const lines = (text: string) => text.split('\n').filter((line) => !line.startsWith('legacy_keys ='));
    expect(lines(readFileSync(join(copy.dir, 'app.toml'), 'utf8'))).toEqual(lines(app));

    // every blob opens again; the 2023 ones are not current
    const check = await cli(copy.dir, ['rewrap', '--check'], INSTALL_ENV);
    expect(check.code, show(check)).toBe(1);
    expect(namedFields(check.stdout)).toEqual([...FIELDS_2023].sort());
  });

  it('keys add-legacy needs settings:framework', async () => {
    const copy = installCopy({ grant: false });
    copies.push(copy);
    const before = readAll(copy.dir);
    const denied = await cli(copy.dir, ['keys', 'add-legacy', 'LIBERTY_MASTER_KEY_2022'], INSTALL_ENV);
    expect(denied.code, show(denied)).toBe(8);
    expect(readAll(copy.dir)).toEqual(before);
  });
});
