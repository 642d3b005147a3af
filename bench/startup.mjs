// startup: how much the CLI costs over a bare Node process. `--version`, `fingerprint` and `status` on a
// small settings directory (3 files, a few blobs), each alternated with `node -e 0`.
// Target: median of each command at most 2.0x the median of `node -e 0`.
//
// Optional (`node bench/run.mjs installed`, or `node bench/startup.mjs --installed`): the same for the
// package as a user gets it: `npm pack`, then `npm install -g --prefix TMP ./liberty-crypto-*.tgz` (its
// dependencies come from the registry, so this needs the network and takes a while; the install time is
// printed), then `TMP/bin/liberty-crypto ...` against `node -e 0`. Not in the default set.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  alternate, cli, fingerprintOf, fmtMs, fmtRatio, info, isMain, KEY_NEW, keyEnv, NODE, printStats, REPO, sealV2, target,
  tempRoot, timeProcess, writeSettingsDir,
} from './lib.mjs';

export const name = 'startup';
const RUNS = 20;
const MAX_RATIO = 2.0;

function smallSettingsDir() {
  const dir = join(tempRoot('startup'), 'config');
  // app.toml plus two files of 4 blobs each, under the master; the fingerprint stored, so status is clean
  writeSettingsDir(dir, { files: 2, blobsPerFile: 4, seal: (text) => sealV2(KEY_NEW, text), fingerprint: fingerprintOf(KEY_NEW) });
  return dir;
}

/** Each command alternated with `node -e 0`; `launch(args, options)` runs the CLI. */
async function measure(benchmark, what, launch) {
  const dir = smallSettingsDir();
  const env = keyEnv();
  const commands = [
    ['--version'],
    ['fingerprint', '--settings', dir],
    ['status', '--settings', dir],
  ];
  const results = [];
  for (const args of commands) {
    const label = `${what} ${args[0]}`;
    console.log(`\n${label} vs node -e 0 (${RUNS} alternated runs each)`);
    const stats = await alternate(
      [
        { label, run: () => launch(args, { env }) },
        { label: 'node -e 0', run: () => timeProcess(NODE, ['-e', '0'], { env }) },
      ],
      { runs: RUNS, warmup: 2 },
    );
    printStats(stats);
    const ratio = stats[label].median / stats['node -e 0'].median;
    results.push(
      target(benchmark, `${args[0]} / node -e 0`, `${fmtMs(stats[label].median)} / ${fmtMs(stats['node -e 0'].median)} = ${fmtRatio(ratio)}`, `<= ${MAX_RATIO.toFixed(1)}x`, ratio <= MAX_RATIO),
    );
  }
  return results;
}

export async function run() {
  return measure(name, 'liberty-crypto', cli);
}

/** The installed package: packed, installed into a fresh prefix, started through its bin link. */
export const installed = {
  name: 'installed',
  optional: true,
  async run() {
    const root = tempRoot('installed');
    const packDir = join(root, 'pack');
    const prefix = join(root, 'prefix');
    mkdirSync(packDir);
    const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    let started = process.hrtime.bigint();
    const tarball = npm(['pack', '--silent', '--pack-destination', packDir], REPO).trim().split('\n').at(-1);
    const packMs = Number(process.hrtime.bigint() - started) / 1e6;
    started = process.hrtime.bigint();
    npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', join(packDir, tarball)], root);
    const installMs = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`\npacked ${tarball} in ${fmtMs(packMs)}, installed into a fresh prefix in ${fmtMs(installMs)}`);
    const bin = join(prefix, 'bin', 'liberty-crypto');
    return [
      info('installed', 'npm pack / npm install -g (fresh prefix)', `${fmtMs(packMs)} / ${fmtMs(installMs)}`),
      ...(await measure('installed', 'installed liberty-crypto', (args, options) => timeProcess(bin, args, options))),
    ];
  },
};

if (isMain(import.meta.url)) {
  if (process.argv.includes('--installed')) await installed.run();
  else await run();
}
