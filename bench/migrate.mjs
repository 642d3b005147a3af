// migration: 2,000 legacy-format blobs (200 files x 10) under a 64-hex key configured as legacy key
// (PBKDF2-HMAC-SHA512, 2145 iterations, per blob), master = the NEW key. `rewrap` as is against `rewrap`
// with UV_THREADPOOL_SIZE=1 (one PBKDF2 at a time), each on a fresh copy, alternated.
// Target: the default run at least 1.7x faster than the one-at-a-time run. Alongside, as references under
// the same two settings: bench/floor-migrate.mjs, the same migration done minimally (what this work allows
// on this machine), and a script doing only the PBKDF2 derivations (what the machine's cores allow).
import { dirname, join } from 'node:path';
import {
  alternate,
  cli,
  fmtMs,
  fmtRatio,
  freshCopy,
  info,
  isMain,
  KEY_OLD,
  keyEnv,
  NODE,
  printStats,
  removeDir,
  REPO,
  sealLegacy,
  target,
  tempRoot,
  timeProcess,
  writeSettingsDir,
} from './lib.mjs';

export const name = 'migrate';
const FILES = 200;
const BLOBS_PER_FILE = 10;
const RUNS = 5;
const MIN_SPEEDUP = 1.7;
const FLOOR_MIGRATE = join(REPO, 'bench/floor-migrate.mjs');

export async function run() {
  const blobs = FILES * BLOBS_PER_FILE;
  const template = writeSettingsDir(join(tempRoot('migrate'), 'config'), {
    format: 'v2',
    files: FILES,
    blobsPerFile: BLOBS_PER_FILE,
    seal: (text) => sealLegacy(KEY_OLD, text),
    legacy: true,
  }).dir;
  const expected = `${blobs} encrypted fields re-wrapped`;
  const rewrap = (env) => async (dir) => {
    const result = await cli(['rewrap', '--settings', dir], { env });
    if (!result.stdout.includes(expected)) throw new Error(`expected "${expected}", got:\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  const fresh = () => freshCopy(template, 'migrate-run');
  const drop = (dir) => removeDir(dirname(dir));

  // A reference, not a target: 4,000 PBKDF2 derivations and nothing else, default pool vs one thread,
  // alternated with the rewrap runs: the speed-up the cores offer at that moment (at most ~2x on 2 idle
  // cores). 4,000 is what rewrap derived before it learned which key opens the v1 blobs (the master first,
  // then the legacy key); today it derives 2,001, and floor-migrate.mjs derives 2,000.
  const derivations = 2 * blobs;
  const pbkdf2Only = [
    `const { pbkdf2, randomBytes } = require('node:crypto'); let left = ${derivations};`,
    `for (let i = 0; i < ${derivations}; i++) pbkdf2('${KEY_OLD}', randomBytes(64), 2145, 32, 'sha512', () => --left);`,
  ].join('\n');
  const floorMigrate = (env) => async (dir) => {
    const result = await timeProcess(NODE, [FLOOR_MIGRATE, dir], { env });
    if (!result.stdout.includes(`${blobs} blobs migrated`)) throw new Error(`floor-migrate: ${result.stdout}\n${result.stderr}`);
    return result;
  };
  const floorDefault = 'floor-migrate.mjs (default pool)';
  const floorOne = 'floor-migrate.mjs, UV_THREADPOOL_SIZE=1';
  const pbkdf2Default = `pbkdf2 only x${derivations} (default pool)`;
  const pbkdf2One = `pbkdf2 only x${derivations}, UV_THREADPOOL_SIZE=1`;

  console.log(
    `\nrewrap of ${blobs} legacy-format blobs in ${FILES} files: default thread pool vs UV_THREADPOOL_SIZE=1, and the floor-migrate and pbkdf2-only references (${RUNS} alternated runs each)`,
  );
  const stats = await alternate(
    [
      { label: 'rewrap (default pool)', prepare: fresh, run: rewrap(keyEnv()), cleanup: drop },
      { label: 'rewrap UV_THREADPOOL_SIZE=1', prepare: fresh, run: rewrap(keyEnv({ UV_THREADPOOL_SIZE: '1' })), cleanup: drop },
      { label: floorDefault, prepare: fresh, run: floorMigrate(keyEnv()), cleanup: drop },
      { label: floorOne, prepare: fresh, run: floorMigrate(keyEnv({ UV_THREADPOOL_SIZE: '1' })), cleanup: drop },
      { label: pbkdf2Default, run: () => timeProcess(NODE, ['-e', pbkdf2Only], { env: keyEnv() }) },
      { label: pbkdf2One, run: () => timeProcess(NODE, ['-e', pbkdf2Only], { env: keyEnv({ UV_THREADPOOL_SIZE: '1' }) }) },
    ],
    { runs: RUNS },
  );
  printStats(stats);
  const fast = stats['rewrap (default pool)'].median;
  const slow = stats['rewrap UV_THREADPOOL_SIZE=1'].median;
  const speedup = slow / fast;
  const floorSpeedup = stats[floorOne].median / stats[floorDefault].median;
  const ceiling = stats[pbkdf2One].median / stats[pbkdf2Default].median;
  return [
    target(
      name,
      'one-at-a-time / default',
      `${fmtMs(slow)} / ${fmtMs(fast)} = ${fmtRatio(speedup)}`,
      `>= ${MIN_SPEEDUP.toFixed(1)}x`,
      speedup >= MIN_SPEEDUP,
    ),
    info(
      name,
      'reference: floor-migrate, same ratio',
      `${fmtMs(stats[floorOne].median)} / ${fmtMs(stats[floorDefault].median)} = ${fmtRatio(floorSpeedup)}`,
    ),
    info(
      name,
      'default pool: rewrap / floor-migrate',
      `${fmtMs(fast)} / ${fmtMs(stats[floorDefault].median)} = ${fmtRatio(fast / stats[floorDefault].median)}`,
    ),
    info(
      name,
      'reference: pbkdf2 only, same ratio',
      `${fmtMs(stats[pbkdf2One].median)} / ${fmtMs(stats[pbkdf2Default].median)} = ${fmtRatio(ceiling)}`,
    ),
  ];
}

if (isMain(import.meta.url)) await run();
