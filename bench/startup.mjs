// startup: how much the CLI costs over a bare Node process. `--version`, `fingerprint` and `status` on a
// small settings directory (3 files, a few blobs), each alternated with `node -e 0`.
// Target: median of each command at most 2.0x the median of `node -e 0`.
import { join } from 'node:path';
import {
  alternate, cli, fingerprintOf, fmtMs, fmtRatio, isMain, KEY_NEW, keyEnv, NODE, printStats, sealV2, target,
  tempRoot, timeProcess, writeSettingsDir,
} from './lib.mjs';

export const name = 'startup';
const RUNS = 20;
const MAX_RATIO = 2.0;

export async function run() {
  const dir = join(tempRoot('startup'), 'config');
  // app.toml plus two files of 4 blobs each, under the master; the fingerprint stored, so status is clean
  writeSettingsDir(dir, { files: 2, blobsPerFile: 4, seal: (text) => sealV2(KEY_NEW, text), fingerprint: fingerprintOf(KEY_NEW) });
  const env = keyEnv();
  const commands = [
    ['--version'],
    ['fingerprint', '--settings', dir],
    ['status', '--settings', dir],
  ];
  const results = [];
  for (const args of commands) {
    const label = `liberty-crypto ${args[0]}`;
    console.log(`\n${label} vs node -e 0 (${RUNS} alternated runs each)`);
    const stats = await alternate(
      [
        { label, run: () => cli(args, { env }) },
        { label: 'node -e 0', run: () => timeProcess(NODE, ['-e', '0'], { env }) },
      ],
      { runs: RUNS, warmup: 2 },
    );
    printStats(stats);
    const ratio = stats[label].median / stats['node -e 0'].median;
    results.push(
      target(name, `${args[0]} / node -e 0`, `${fmtMs(stats[label].median)} / ${fmtMs(stats['node -e 0'].median)} = ${fmtRatio(ratio)}`, `<= ${MAX_RATIO.toFixed(1)}x`, ratio <= MAX_RATIO),
    );
  }
  return results;
}

if (isMain(import.meta.url)) await run();
