// migration: 2,000 legacy-format blobs (200 files x 10) under a 64-hex key configured as legacy key
// (PBKDF2-HMAC-SHA512, 2145 iterations, per blob), master = the NEW key. `rewrap` as is against `rewrap`
// with UV_THREADPOOL_SIZE=1 (one PBKDF2 at a time), each on a fresh copy, alternated.
// Target: the default run at least 1.7x faster than the one-at-a-time run.
import { dirname, join } from 'node:path';
import {
  alternate, cli, fmtMs, fmtRatio, freshCopy, isMain, KEY_OLD, keyEnv, printStats, removeDir, sealLegacy, target,
  tempRoot, writeSettingsDir,
} from './lib.mjs';

export const name = 'migrate';
const FILES = 200;
const BLOBS_PER_FILE = 10;
const RUNS = 5;
const MIN_SPEEDUP = 1.7;

export async function run() {
  const blobs = FILES * BLOBS_PER_FILE;
  const template = writeSettingsDir(join(tempRoot('migrate'), 'config'), {
    files: FILES, blobsPerFile: BLOBS_PER_FILE, seal: (text) => sealLegacy(KEY_OLD, text), legacy: true,
  }).dir;
  const expected = `${blobs} encrypted fields re-wrapped`;
  const rewrap = (env) => async (dir) => {
    const result = await cli(['rewrap', '--settings', dir], { env });
    if (!result.stdout.includes(expected)) throw new Error(`expected "${expected}", got:\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  const fresh = () => freshCopy(template, 'migrate-run');
  const drop = (dir) => removeDir(dirname(dir));

  console.log(`\nrewrap of ${blobs} legacy-format blobs in ${FILES} files: default thread pool vs UV_THREADPOOL_SIZE=1 (${RUNS} alternated runs each)`);
  const stats = await alternate(
    [
      { label: 'rewrap (default pool)', prepare: fresh, run: rewrap(keyEnv()), cleanup: drop },
      { label: 'rewrap UV_THREADPOOL_SIZE=1', prepare: fresh, run: rewrap(keyEnv({ UV_THREADPOOL_SIZE: '1' })), cleanup: drop },
    ],
    { runs: RUNS },
  );
  printStats(stats);
  const fast = stats['rewrap (default pool)'].median;
  const slow = stats['rewrap UV_THREADPOOL_SIZE=1'].median;
  const speedup = slow / fast;
  return [target(name, 'one-at-a-time / default', `${fmtMs(slow)} / ${fmtMs(fast)} = ${fmtRatio(speedup)}`, `>= ${MIN_SPEEDUP.toFixed(1)}x`, speedup >= MIN_SPEEDUP)];
}

if (isMain(import.meta.url)) await run();
