// rewrap: 1,000 files holding 10,000 v2 blobs (10 each, plus plain settings and comments) under the OLD
// key, configured as legacy key; the master is the NEW key.
//  - `rewrap` (on a fresh copy each run) against bench/floor-rewrite.mjs (read each file, write it back
//    atomically, sequentially). Target: at most 2x the floor.
//  - `rewrap --check` on a directory already under the master against bench/floor-check.mjs (read each
//    file, parse it with smol-toml, open every blob with node:crypto). Target: at most 1.3x the floor. The
//    parse-only floor bench/floor-parse.mjs runs alongside, for information.
// Whole processes are timed (start-up included, for both sides).
import { dirname, join } from 'node:path';
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
  NODE,
  printStats,
  REPO,
  removeDir,
  sealV2,
  target,
  tempRoot,
  timeProcess,
  writeSettingsDir,
} from './lib.mjs';

export const name = 'rewrap';
const FILES = 1000;
const BLOBS_PER_FILE = 10;
const RUNS = 5;
const MAX_REWRAP_RATIO = 2.0;
const MAX_CHECK_RATIO = 1.3;
const FLOOR_REWRITE = join(REPO, 'bench/floor-rewrite.mjs');
const FLOOR_PARSE = join(REPO, 'bench/floor-parse.mjs');
const FLOOR_CHECK = join(REPO, 'bench/floor-check.mjs');

function expectLine(result, line) {
  if (!result.stdout.includes(line)) throw new Error(`expected "${line}" in the output, got:\n${result.stdout}\n${result.stderr}`);
  return result;
}

export async function run() {
  const blobs = FILES * BLOBS_PER_FILE;
  const underOld = writeSettingsDir(join(tempRoot('rewrap-old'), 'config'), {
    format: 'v2',
    files: FILES,
    blobsPerFile: BLOBS_PER_FILE,
    seal: (text) => sealV2(KEY_OLD, text),
    legacy: true,
  }).dir;
  const underMaster = writeSettingsDir(join(tempRoot('rewrap-current'), 'config'), {
    format: 'v2',
    files: FILES,
    blobsPerFile: BLOBS_PER_FILE,
    seal: (text) => sealV2(KEY_NEW, text),
  }).dir;
  const env = keyEnv();
  const results = [];

  console.log(`\nrewrap of ${blobs} blobs in ${FILES} files vs floor-rewrite (${RUNS} alternated runs each, fresh copy each run)`);
  const fresh = () => freshCopy(underOld, 'rewrap-run');
  const drop = (dir) => removeDir(dirname(dir));
  const rewrap = await alternate(
    [
      {
        label: 'liberty-crypto rewrap',
        prepare: fresh,
        run: async (dir) => expectLine(await cli(['rewrap', '--settings', dir], { env }), `${blobs} encrypted fields re-wrapped`),
        cleanup: drop,
      },
      { label: 'floor-rewrite.mjs', prepare: fresh, run: (dir) => timeProcess(NODE, [FLOOR_REWRITE, dir], { env }), cleanup: drop },
    ],
    { runs: RUNS },
  );
  printStats(rewrap);
  const rewrapRatio = rewrap['liberty-crypto rewrap'].median / rewrap['floor-rewrite.mjs'].median;
  results.push(
    target(
      name,
      'rewrap / floor-rewrite',
      `${fmtMs(rewrap['liberty-crypto rewrap'].median)} / ${fmtMs(rewrap['floor-rewrite.mjs'].median)} = ${fmtRatio(rewrapRatio)}`,
      `<= ${MAX_REWRAP_RATIO.toFixed(1)}x`,
      rewrapRatio <= MAX_REWRAP_RATIO,
    ),
  );

  console.log(`\nrewrap --check of ${blobs} blobs already under the master vs floor-check and floor-parse (${RUNS} alternated runs each)`);
  const check = await alternate(
    [
      {
        label: 'liberty-crypto rewrap --check',
        run: async () =>
          expectLine(await cli(['rewrap', '--check', '--settings', underMaster], { env }), '0 encrypted fields would be re-wrapped'),
      },
      {
        label: 'floor-check.mjs',
        run: async () => expectLine(await timeProcess(NODE, [FLOOR_CHECK, underMaster], { env }), `${blobs} blobs opened`),
      },
      { label: 'floor-parse.mjs', run: () => timeProcess(NODE, [FLOOR_PARSE, underMaster], { env }) },
    ],
    { runs: RUNS },
  );
  printStats(check);
  const checkMs = check['liberty-crypto rewrap --check'].median;
  const checkRatio = checkMs / check['floor-check.mjs'].median;
  results.push(
    target(
      name,
      'rewrap --check / floor-check',
      `${fmtMs(checkMs)} / ${fmtMs(check['floor-check.mjs'].median)} = ${fmtRatio(checkRatio)}`,
      `<= ${MAX_CHECK_RATIO.toFixed(1)}x`,
      checkRatio <= MAX_CHECK_RATIO,
    ),
    info(
      name,
      'reference: rewrap --check / floor-parse',
      `${fmtMs(checkMs)} / ${fmtMs(check['floor-parse.mjs'].median)} = ${fmtRatio(checkMs / check['floor-parse.mjs'].median)}`,
    ),
  );
  return results;
}

if (isMain(import.meta.url)) await run();
