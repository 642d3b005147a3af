// growth: `rewrap` of 1,000 / 10,000 / 100,000 v2 blobs (100 blobs per file: 10 / 100 / 1,000 files) under
// the OLD key configured as legacy key, each on a fresh copy; the sizes alternate (1k, 10k, 100k, 1k, ...).
// Every run is wrapped in /usr/bin/time -f %M for the peak RSS (maximum resident set size) of the process.
// Targets: time per blob at 100,000 within 1.3x of that at 10,000 (whole-process wall time / blobs);
// peak RSS of the rewrap at 100,000 blobs under 200 MB. As a reference, the marginal time per blob (the
// 1k run taken as the fixed cost of start-up) shows growth without start-up flattering the larger sizes.
import { dirname, join } from 'node:path';
import {
  alternate,
  BIN,
  fmtMs,
  fmtRatio,
  freshCopy,
  haveGnuTime,
  info,
  isMain,
  KEY_OLD,
  keyEnv,
  NODE,
  printTable,
  removeDir,
  sealV2,
  target,
  tempRoot,
  timeProcess,
  timeProcessWithRss,
  writeSettingsDir,
} from './lib.mjs';

export const name = 'growth';
const SIZES = [1_000, 10_000, 100_000];
const BLOBS_PER_FILE = 100;
const RUNS = 3;
const MAX_PER_BLOB_RATIO = 1.3;
const MAX_RSS_BYTES = 200e6;

export async function run() {
  const useTime = haveGnuTime();
  if (!useTime) console.log('  /usr/bin/time not found: peak RSS is not measured');
  const env = keyEnv();
  const peaks = new Map(SIZES.map((size) => [size, []]));
  const cases = SIZES.map((size) => {
    const template = writeSettingsDir(join(tempRoot(`growth-${size}`), 'config'), {
      format: 'v2',
      files: size / BLOBS_PER_FILE,
      blobsPerFile: BLOBS_PER_FILE,
      seal: (text) => sealV2(KEY_OLD, text),
      legacy: true,
    }).dir;
    const expected = `${size} encrypted fields re-wrapped`;
    return {
      label: `${size}`,
      prepare: () => freshCopy(template, 'growth-run'),
      run: async (dir) => {
        const args = [BIN, 'rewrap', '--settings', dir];
        const result = useTime ? await timeProcessWithRss(NODE, args, { env }) : await timeProcess(NODE, args, { env });
        if (!result.stdout.includes(expected)) throw new Error(`expected "${expected}", got:\n${result.stdout}\n${result.stderr}`);
        if (useTime) peaks.get(size).push(result.peakRssKiB * 1024);
        return result;
      },
      cleanup: (dir) => removeDir(dirname(dir)),
    };
  });

  console.log(`\nrewrap of ${SIZES.join(' / ')} blobs, ${BLOBS_PER_FILE} per file (${RUNS} alternated runs each)`);
  const stats = await alternate(cases, { runs: RUNS });
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  const perBlob = (size) => stats[`${size}`].median / size;
  printTable(
    ['blobs', 'median', 'min', 'max', 'per blob', 'peak RSS (max)'],
    SIZES.map((size) => {
      const s = stats[`${size}`];
      return [
        String(size),
        fmtMs(s.median),
        fmtMs(s.min),
        fmtMs(s.max),
        `${(perBlob(size) * 1000).toFixed(1)} us`,
        useTime ? mb(Math.max(...peaks.get(size))) : '-',
      ];
    }),
  );
  // for information: the cost per extra blob, start-up and fixed costs taken out (the 1k run as the base)
  const marginal = (size) => (stats[`${size}`].median - stats['1000'].median) / (size - 1000);
  const ratio = perBlob(100_000) / perBlob(10_000);
  const us = (ms) => `${(ms * 1000).toFixed(1)} us`;
  const results = [
    target(
      name,
      'per blob 100k / 10k',
      `${us(perBlob(100_000))} / ${us(perBlob(10_000))} = ${fmtRatio(ratio)}`,
      `<= ${MAX_PER_BLOB_RATIO.toFixed(1)}x`,
      ratio <= MAX_PER_BLOB_RATIO,
    ),
    info(
      name,
      'reference: marginal per blob 100k / 10k',
      `${us(marginal(100_000))} / ${us(marginal(10_000))} = ${fmtRatio(marginal(100_000) / marginal(10_000))}`,
    ),
  ];
  if (useTime) {
    const peak = Math.max(...peaks.get(100_000));
    results.push(target(name, 'peak RSS at 100k blobs', mb(peak), `< ${mb(MAX_RSS_BYTES)}`, peak < MAX_RSS_BYTES));
  } else {
    results.push(target(name, 'peak RSS at 100k blobs', 'not measured (no /usr/bin/time)', `< ${mb(MAX_RSS_BYTES)}`, false));
  }
  return results;
}

if (isMain(import.meta.url)) await run();
