// v1 write format (`[crypto] format = "v1"`, the default when absent): a v1 blob is `ENC:` + base64(salt64 |
// iv16 | tag16 | ct), AES-256-GCM under PBKDF2-HMAC-SHA512(UTF-8 text of the key, salt, 2145, 32), so every
// open and every seal costs one PBKDF2. 2,000 v1 blobs (200 files x 10), keys as 64-hex text.
//  - `rewrap --check` of 2,000 v1 blobs under the master (app.toml without `format`, no legacy keys: all
//    current, exit 0 by the spec) against bench/floor-pbkdf2.mjs 2000. Target: at most 1.3x the floor.
//  - `rewrap` of 2,000 v1 blobs under the OLD key, listed in legacy_keys (app.toml with `format = "v1"`):
//    each blob opened under the OLD key and sealed as v1 under the master, on a fresh copy each run (the
//    copy is not timed), against bench/floor-pbkdf2.mjs 4000 (one derivation to open, one to seal).
//    Target: at most 1.3x the floor.
// Whole processes are timed (start-up included, for both sides), alternated. Untimed checks: the --check
// data is still 2,000 v1 blobs under the master and unchanged after the runs; the exit code of --check
// and what the (warm-up) rewrap left behind are shown as `info`, against what the spec asks.
import { createDecipheriv, createHash, pbkdf2 } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  alternate,
  cli,
  fmtMs,
  fmtRatio,
  freshCopy,
  info,
  isMain,
  KEY_NEW,
  KEY_OLD,
  keyEnv,
  kidOf,
  NODE,
  printStats,
  REPO,
  removeDir,
  sealLegacy as sealV1,
  target,
  tempRoot,
  timeProcess,
  writeSettingsDir,
} from './lib.mjs';
import { listToml } from './list-toml.mjs';

export const name = 'v1';
const FILES = 200;
const BLOBS_PER_FILE = 10;
const RUNS = 5;
const MAX_CHECK_RATIO = 1.3;
const MAX_REWRAP_RATIO = 1.3;
const FLOOR_PBKDF2 = join(REPO, 'bench/floor-pbkdf2.mjs');

/** The result when one of its stdout lines starts with `line`; throws otherwise. */
function expectLine(result, line) {
  if (!result.stdout.split('\n').some((l) => l.startsWith(line))) {
    throw new Error(`expected a line "${line}..." in the output (exit ${result.code}), got:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** Adds `format = "..."` to the [crypto] table of DIR/app.toml. */
function setFormat(dir, format) {
  const path = join(dir, 'app.toml');
  const text = readFileSync(path, 'utf8');
  if (!text.includes('\n[crypto]\n')) throw new Error(`no [crypto] table in ${path}`);
  writeFileSync(path, text.replace('\n[crypto]\n', `\n[crypto]\nformat = "${format}"\n`));
}

// ---------------------------------------------------------------------------------------------------
// untimed inspection of the blobs of a directory

const pbkdf2Async = promisify(pbkdf2);

/** True when the v1 payload `bytes` authenticates under the key text `keyText`. */
async function opensV1(keyText, bytes) {
  const key = await pbkdf2Async(Buffer.from(keyText, 'utf8'), bytes.subarray(0, 64), 2145, 32, 'sha512');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(64, 80), { authTagLength: 16 });
    decipher.setAuthTag(bytes.subarray(80, 96));
    decipher.update(bytes.subarray(96));
    decipher.final();
    return true;
  } catch {
    return false;
  }
}

/** The blobs of one of our generated files (each a "ENC:..." basic string on its own setting line). */
function blobsOf(text) {
  return [...text.matchAll(/= "(ENC:[^"]*)"/g)].map((match) => match[1]);
}

/** Counts the blobs of DIR by format and key: { 'v1 under the master': n, 'v2 under the OLD key': n, ... }. */
async function inspectBlobs(dir) {
  const kids = new Map([
    [kidOf(KEY_NEW), 'the master'],
    [kidOf(KEY_OLD), 'the OLD key'],
  ]);
  const kinds = await Promise.all(
    listToml(dir)
      .flatMap((file) => blobsOf(readFileSync(file, 'utf8')))
      .map(async (blob) => {
        if (blob.startsWith('ENC:v2:')) return `v2 under ${kids.get(blob.split(':')[2]) ?? 'another key'}`;
        const bytes = Buffer.from(blob.slice(4), 'base64');
        if (bytes.length < 96) return 'malformed';
        if (await opensV1(KEY_NEW, bytes)) return 'v1 under the master';
        return (await opensV1(KEY_OLD, bytes)) ? 'v1 under the OLD key' : 'v1 under another key';
      }),
  );
  const counts = {};
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const describe = (counts) =>
  Object.entries(counts)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ') || 'no blobs';

/** A digest of every file below DIR (paths and bytes): tells whether a run changed anything. */
function digestDir(dir) {
  const hash = createHash('sha256');
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------------

export async function run() {
  const blobs = FILES * BLOBS_PER_FILE;
  // 4,000 pbkdf2Sync in the generator (a few seconds), before anything is timed
  const underMaster = writeSettingsDir(join(tempRoot('v1-current'), 'config'), {
    files: FILES,
    blobsPerFile: BLOBS_PER_FILE,
    seal: (text) => sealV1(KEY_NEW, text),
  }).dir;
  const underOld = writeSettingsDir(join(tempRoot('v1-old'), 'config'), {
    files: FILES,
    blobsPerFile: BLOBS_PER_FILE,
    seal: (text) => sealV1(KEY_OLD, text),
    legacy: true,
  }).dir;
  setFormat(underOld, 'v1');
  const env = keyEnv();
  const floor = (count) => async () => expectLine(await timeProcess(NODE, [FLOOR_PBKDF2, String(count)], { env }), `${count} PBKDF2`);
  const results = [];

  // rewrap --check: by the spec every blob is current (v1, opens with the master): exit 0, nothing to re-wrap.
  // A CLI without the v1 format lists them all as legacy format and exits 1: accepted, shown as info.
  console.log(
    `\nrewrap --check of ${blobs} v1 blobs under the master in ${FILES} files vs floor-pbkdf2 ${blobs} (${RUNS} alternated runs each)`,
  );
  const before = digestDir(underMaster);
  const checkCodes = [];
  const checkLabel = 'liberty-crypto rewrap --check';
  const checkFloor = `floor-pbkdf2.mjs ${blobs}`;
  const check = await alternate(
    [
      {
        label: checkLabel,
        run: async () => {
          const result = await cli(['rewrap', '--check', '--settings', underMaster], { env, okCodes: [0, 1] });
          expectLine(result, `${result.code === 0 ? 0 : blobs} encrypted fields would be re-wrapped`);
          checkCodes.push(result.code);
          return result;
        },
      },
      { label: checkFloor, run: floor(blobs) },
    ],
    { runs: RUNS },
  );
  printStats(check);
  const checkData = await inspectBlobs(underMaster);
  const unchanged = digestDir(underMaster) === before;
  console.log(`  check data after the runs: ${describe(checkData)}; files ${unchanged ? 'unchanged' : 'CHANGED'}`);
  if (!unchanged || checkData['v1 under the master'] !== blobs) {
    throw new Error(
      `the --check data is not ${blobs} unchanged v1 blobs under the master: ${describe(checkData)}, files ${unchanged ? 'unchanged' : 'changed'}`,
    );
  }
  const checkRatio = check[checkLabel].median / check[checkFloor].median;
  const exits = [...new Set(checkCodes)]
    .sort()
    .map((code) => `exit ${code} in ${checkCodes.filter((c) => c === code).length}/${checkCodes.length}`)
    .join(', ');
  results.push(
    target(
      name,
      `rewrap --check / floor-pbkdf2 ${blobs}`,
      `${fmtMs(check[checkLabel].median)} / ${fmtMs(check[checkFloor].median)} = ${fmtRatio(checkRatio)}`,
      `<= ${MAX_CHECK_RATIO.toFixed(1)}x`,
      checkRatio <= MAX_CHECK_RATIO,
    ),
    info(name, 'rewrap --check exit code (spec: 0)', `${exits} runs (warm-up included)`),
  );

  // rewrap: by the spec each blob is opened under the OLD key and sealed as v1 under the master (two
  // PBKDF2 per blob). What the warm-up run left behind is inspected (untimed, in its cleanup) and shown.
  console.log(
    `\nrewrap of ${blobs} v1 blobs under a legacy key in ${FILES} files vs floor-pbkdf2 ${2 * blobs} (${RUNS} alternated runs each, fresh copy each rewrap run)`,
  );
  const rewrapLabel = 'liberty-crypto rewrap';
  const rewrapFloor = `floor-pbkdf2.mjs ${2 * blobs}`;
  let output;
  let succeeded = false;
  const rewrap = await alternate(
    [
      {
        label: rewrapLabel,
        prepare: () => freshCopy(underOld, 'v1-run'),
        run: async (dir) => {
          const result = expectLine(await cli(['rewrap', '--settings', dir], { env }), `${blobs} encrypted fields re-wrapped`);
          succeeded = true;
          return result;
        },
        cleanup: async (dir) => {
          if (succeeded && !output) output = await inspectBlobs(dir);
          removeDir(dirname(dir));
        },
      },
      { label: rewrapFloor, run: floor(2 * blobs) },
    ],
    { runs: RUNS },
  );
  printStats(rewrap);
  const rewrapRatio = rewrap[rewrapLabel].median / rewrap[rewrapFloor].median;
  results.push(
    target(
      name,
      `rewrap / floor-pbkdf2 ${2 * blobs}`,
      `${fmtMs(rewrap[rewrapLabel].median)} / ${fmtMs(rewrap[rewrapFloor].median)} = ${fmtRatio(rewrapRatio)}`,
      `<= ${MAX_REWRAP_RATIO.toFixed(1)}x`,
      rewrapRatio <= MAX_REWRAP_RATIO,
    ),
    info(name, `blobs after rewrap (spec: ${blobs} v1 under the master)`, describe(output ?? {})),
  );
  return results;
}

if (isMain(import.meta.url)) await run();
