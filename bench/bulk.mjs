// bulk: `encrypt --all` of 1,000 plaintext secrets in one settings file against dotenvx 2.38.2 encrypting a
// `.env` of the same 1,000 values (`dotenvx encrypt -f .env`), whole processes, fresh copies each run (the
// copy is not timed). dotenvx is installed by this benchmark into a temporary folder with
// `npm install --prefix` (it is not a dependency of the project; it needs the npm registry, or
// LC_BENCH_DOTENVX_PREFIX naming a folder where it is installed already).
//  - format v2 (`[crypto] format = "v2"`): target at least 50x faster than dotenvx.
//  - format v1 (the framework's layout, one PBKDF2-HMAC-SHA512 of 2145 iterations per new blob): the ratio
//    against dotenvx and against bench/floor-pbkdf2.mjs 1000 (the derivations alone), for information.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  alternate,
  BIN,
  cleanEnv,
  fmtMs,
  fmtRatio,
  haveGnuTime,
  info,
  isMain,
  keyEnv,
  median,
  NODE,
  printStats,
  REPO,
  removeDir,
  target,
  tempRoot,
  TIME_BIN,
  timeProcess,
} from './lib.mjs';

export const name = 'bulk';
const VALUES = 1000;
const RUNS = 3;
const MIN_SPEEDUP = 50;
const DOTENVX = '@dotenvx/dotenvx@2.38.2';
const FLOOR_PBKDF2 = join(REPO, 'bench/floor-pbkdf2.mjs');

const secretOf = (i) => `secret-value-${i}-${'abcdefghijklmnopqrstuvwxyz'.slice(i % 7, (i % 7) + 16)}`;

/** The Liberty side: app.toml (master from the environment, the given format) and one file of 1,000 plaintext secrets. */
function writeLibertyDir(dir, format) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'app.toml'),
    `[app]\nname = "bench-bulk"\n\n[crypto]\nmaster_key = "\${LIBERTY_MASTER_KEY}"\nformat = "${format}"\n`,
  );
  const lines = ['# 1,000 connectors, each with a plaintext password (benchmark data)', ''];
  for (let i = 0; i < VALUES; i++)
    lines.push(`[connectors.c${i}]`, `url = "https://service-${i}.example.com/api"`, `password = "${secretOf(i)}"`, '');
  writeFileSync(join(dir, 'connectors.toml'), lines.join('\n'));
  return dir;
}

/** The dotenvx side: a .env of the same 1,000 values. */
function writeDotenvDir(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.env'), Array.from({ length: VALUES }, (_, i) => `SECRET_${i}="${secretOf(i)}"\n`).join(''));
  return dir;
}

/** dotenvx's bin, installed into a temporary prefix (or the one LC_BENCH_DOTENVX_PREFIX names); checked to run on this node. */
function installDotenvx() {
  let prefix = process.env.LC_BENCH_DOTENVX_PREFIX;
  if (!prefix) {
    prefix = tempRoot('dotenvx');
    console.log(`installing ${DOTENVX} into ${prefix} (npm install --prefix)`);
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', DOTENVX], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const bin = join(prefix, 'node_modules/@dotenvx/dotenvx/src/cli/dotenvx.js');
  if (!existsSync(bin)) throw new Error(`no dotenvx at ${bin}`);
  const version = execFileSync(NODE, [bin, '--version'], { encoding: 'utf8' }).trim();
  if (version !== '2.38.2') throw new Error(`dotenvx --version printed ${version}, expected 2.38.2`);
  return bin;
}

/**
 * CPU time (user + sys) of every run but the warm-up, per label: on a machine shared with other work the
 * wall times swing by 2-3x from minute to minute, the CPU a process needs much less.
 */
const cpuTimes = new Map();

/** timeProcess, under GNU time when present (its CPU time is kept in cpuTimes under `label`). */
async function timed(label, cmd, args, options) {
  if (!haveGnuTime()) return timeProcess(cmd, args, options);
  const marker = 'LC_BENCH_CPU=';
  const result = await timeProcess(TIME_BIN, ['-f', `${marker}%U %S`, cmd, ...args], options);
  const line = result.stderr.split('\n').find((l) => l.startsWith(marker));
  if (line) {
    const [user, sys] = line.slice(marker.length).split(' ').map(Number);
    cpuTimes.set(label, [...(cpuTimes.get(label) ?? []), (user + sys) * 1000]);
  }
  return result;
}

/** The median CPU time of a label's timed runs (the first, the warm-up, left out), or undefined. */
function cpuMedian(label) {
  const times = cpuTimes.get(label)?.slice(1) ?? [];
  return times.length > 0 ? median(times) : undefined;
}

function expect(result, ok, what) {
  if (!ok(result))
    throw new Error(`${what}: unexpected output (exit ${result.code}):\n${result.stdout.slice(0, 1000)}\n${result.stderr.slice(0, 1000)}`);
  return result;
}

export async function run() {
  const dotenvx = installDotenvx();
  const templates = {
    v2: writeLibertyDir(join(tempRoot('bulk-v2'), 'config'), 'v2'),
    v1: writeLibertyDir(join(tempRoot('bulk-v1'), 'config'), 'v1'),
    dotenv: writeDotenvDir(join(tempRoot('bulk-dotenv'), 'project')),
  };
  const fresh = (template) => () => {
    const dir = join(tempRoot('bulk-run'), 'copy');
    cpSync(template, dir, { recursive: true });
    return dir;
  };
  const drop = (dir) => removeDir(dirname(dir));
  const env = keyEnv();
  const encrypted = (result) => result.stdout.includes(`${VALUES} secret fields encrypted with key`);
  const liberty = (format) => {
    const label = `liberty-crypto encrypt --all (${format})`;
    return {
      label,
      prepare: fresh(templates[format]),
      run: async (dir) => expect(await timed(label, NODE, [BIN, 'encrypt', '--all', '--settings', dir], { env }), encrypted, label),
      cleanup: drop,
    };
  };
  const dotenvxCase = {
    label: 'dotenvx encrypt -f .env',
    prepare: fresh(templates.dotenv),
    run: async (dir) => {
      const result = await timed('dotenvx encrypt -f .env', NODE, [dotenvx, 'encrypt', '-f', '.env'], { env: cleanEnv(), cwd: dir });
      const count = readFileSync(join(dir, '.env'), 'utf8')
        .split('\n')
        .filter((line) => /^SECRET_\d+="encrypted:/.test(line)).length;
      return expect({ ...result, count }, (r) => r.count === VALUES, 'dotenvx encrypt');
    },
    cleanup: drop,
  };
  const floor = {
    label: `floor-pbkdf2.mjs ${VALUES}`,
    run: () => timed(`floor-pbkdf2.mjs ${VALUES}`, NODE, [FLOOR_PBKDF2, String(VALUES)], { env: cleanEnv() }),
  };

  console.log(
    `\nencrypt --all of ${VALUES} values in one file vs dotenvx encrypt of a .env of ${VALUES} values (${RUNS} alternated runs each, fresh copies)`,
  );
  const stats = await alternate([liberty('v2'), dotenvxCase, liberty('v1'), floor], { runs: RUNS });
  printStats(stats);
  const dx = stats['dotenvx encrypt -f .env'].median;
  const v2 = stats['liberty-crypto encrypt --all (v2)'].median;
  const v1 = stats['liberty-crypto encrypt --all (v1)'].median;
  const pbkdf2 = stats[`floor-pbkdf2.mjs ${VALUES}`].median;
  const results = [
    target(
      name,
      'dotenvx / encrypt --all (v2)',
      `${fmtMs(dx)} / ${fmtMs(v2)} = ${fmtRatio(dx / v2)}`,
      `>= ${MIN_SPEEDUP}x`,
      dx / v2 >= MIN_SPEEDUP,
    ),
    info(name, 'dotenvx / encrypt --all (v1)', `${fmtMs(dx)} / ${fmtMs(v1)} = ${fmtRatio(dx / v1)}`),
    info(name, `encrypt --all (v1) / floor-pbkdf2 ${VALUES}`, `${fmtMs(v1)} / ${fmtMs(pbkdf2)} = ${fmtRatio(v1 / pbkdf2)}`),
  ];
  // the same ratios in CPU time (user + sys, GNU time), for a loaded machine
  const cpu = (label) => cpuMedian(label);
  const [cdx, cv2, cv1, cfloor] = [
    'dotenvx encrypt -f .env',
    'liberty-crypto encrypt --all (v2)',
    'liberty-crypto encrypt --all (v1)',
    `floor-pbkdf2.mjs ${VALUES}`,
  ].map(cpu);
  if ([cdx, cv2, cv1, cfloor].every((value) => value !== undefined)) {
    results.push(
      info(name, 'cpu: dotenvx / encrypt --all (v2)', `${fmtMs(cdx)} / ${fmtMs(cv2)} = ${fmtRatio(cdx / cv2)}`),
      info(name, 'cpu: dotenvx / encrypt --all (v1)', `${fmtMs(cdx)} / ${fmtMs(cv1)} = ${fmtRatio(cdx / cv1)}`),
      info(name, `cpu: encrypt --all (v1) / floor-pbkdf2 ${VALUES}`, `${fmtMs(cv1)} / ${fmtMs(cfloor)} = ${fmtRatio(cv1 / cfloor)}`),
    );
  }
  return results;
}

if (isMain(import.meta.url)) await run();
