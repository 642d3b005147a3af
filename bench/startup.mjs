// startup: how much the CLI costs over a bare Node process, for a clone and for the installed package,
// side by side. `--version`, `fingerprint` and `status` on a small settings directory (3 files, a few
// blobs), each run interleaved with `node -e 0`: node -e 0, the clone (`node bin/run.js ...`), the
// installed package (its bin link), node -e 0, ... Target: each command's median at most 1.6x the median
// of `node -e 0`, for both.
//
// The installed package is made first (untimed as far as the targets go; its times are printed as info):
// `npm pack --ignore-scripts` (the dist/ as built: `npm run bench` builds first; without the flag, npm's
// prepack would rebuild dist/ under a clone being measured), then
// `npm install -g --prefix TMP ./liberty-crypto-*.tgz` (its dependencies come from the
// registry, so this needs the network). When that fails, the installed rows are reported as failed (MISS)
// and the clone is still measured. `node bench/startup.mjs --clone-only` skips the package.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  alternate,
  cli,
  fingerprintOf,
  fmtMs,
  fmtRatio,
  info,
  isMain,
  KEY_NEW,
  keyEnv,
  NODE,
  printStats,
  REPO,
  sealV2,
  target,
  tempRoot,
  timeProcess,
  writeSettingsDir,
} from './lib.mjs';

export const name = 'startup';
const RUNS = 20;
const MAX_RATIO = 1.6;

function smallSettingsDir() {
  const dir = join(tempRoot('startup'), 'config');
  // app.toml plus two files of 4 blobs each, under the master; the fingerprint stored and the v2 format
  // named (the blobs are v2), so status finds nothing to report and exits 0
  writeSettingsDir(dir, { files: 2, blobsPerFile: 4, seal: (text) => sealV2(KEY_NEW, text), fingerprint: fingerprintOf(KEY_NEW) });
  appendFileSync(join(dir, 'app.toml'), 'format = "v2"\n'); // [crypto] is app.toml's last table
  return dir;
}

/** The package as a user gets it: packed, installed into a fresh prefix; returns its bin and the info rows. */
function installPackage() {
  const root = tempRoot('installed');
  const packDir = join(root, 'pack');
  const prefix = join(root, 'prefix');
  mkdirSync(packDir);
  const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  let started = process.hrtime.bigint();
  const tarball = npm(['pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], REPO).trim().split('\n').at(-1);
  const packMs = Number(process.hrtime.bigint() - started) / 1e6;
  started = process.hrtime.bigint();
  npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', join(packDir, tarball)], root);
  const installMs = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`packed ${tarball} in ${fmtMs(packMs)}, installed into a fresh prefix in ${fmtMs(installMs)}`);
  return {
    bin: join(prefix, 'bin', 'liberty-crypto'),
    row: info('startup', 'installed: npm pack / npm install -g (fresh prefix)', `${fmtMs(packMs)} / ${fmtMs(installMs)}`),
  };
}

export async function run({ installed = !process.argv.includes('--clone-only') } = {}) {
  const results = [];
  let bin;
  if (installed) {
    try {
      const made = installPackage();
      bin = made.bin;
      results.push(made.row);
    } catch (error) {
      console.error(`installing the package failed: ${error.message}`);
      results.push(target('startup', 'installed: npm pack / npm install -g', 'failed', '-', false));
    }
  }
  const dir = smallSettingsDir();
  const env = keyEnv();
  const commands = [['--version'], ['fingerprint', '--settings', dir], ['status', '--settings', dir]];
  for (const args of commands) {
    const sides = [{ what: 'clone', run: () => cli(args, { env }) }];
    if (bin) sides.push({ what: 'installed', run: () => timeProcess(bin, args, { env }) });
    console.log(`\n${args[0]}: ${sides.map((side) => side.what).join(' and ')} interleaved with node -e 0 (${RUNS} runs each)`);
    const stats = await alternate(
      [
        { label: 'node -e 0', run: () => timeProcess(NODE, ['-e', '0'], { env }) },
        ...sides.map((side) => ({ label: `${side.what} ${args[0]}`, run: side.run })),
      ],
      { runs: RUNS, warmup: 2 },
    );
    printStats(stats);
    const floor = stats['node -e 0'].median;
    for (const side of sides) {
      const median = stats[`${side.what} ${args[0]}`].median;
      const ratio = median / floor;
      results.push(
        target(
          'startup',
          `${side.what}: ${args[0]} / node -e 0`,
          `${fmtMs(median)} / ${fmtMs(floor)} = ${fmtRatio(ratio)}`,
          `<= ${MAX_RATIO.toFixed(1)}x`,
          ratio <= MAX_RATIO,
        ),
      );
    }
    if (installed && !bin)
      results.push(target('startup', `installed: ${args[0]} / node -e 0`, 'not installed', `<= ${MAX_RATIO.toFixed(1)}x`, false));
  }
  return results;
}

/** `node bench/run.mjs installed`: the same side-by-side run (the installed package is part of startup now). */
export const installed = { name: 'installed', optional: true, run: () => run({ installed: true }) };

if (isMain(import.meta.url)) {
  const { printTable } = await import('./lib.mjs');
  const results = await run();
  printTable(
    ['benchmark', 'measure', 'value', 'target', 'result'],
    results.map((r) => [r.benchmark, r.measure, r.value, r.target, r.pass === null ? 'info' : r.pass ? 'PASS' : 'MISS']),
  );
}
