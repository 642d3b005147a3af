// Shared helpers of the benchmark suite: temporary directories, process timing, the alternating runner,
// medians, and generating settings directories full of blobs (sealed in-process with node:crypto, in the
// same formats as src/core/keyring.ts and src/core/blob.ts).
import { spawn } from 'node:child_process';
import { createCipheriv, createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(REPO, 'bin/run.js');
export const NODE = process.execPath;
export const TIME_BIN = '/usr/bin/time';

// Two fixed 64-hex keys: OLD (what the blobs are under before a rewrap) and NEW (the master).
export const KEY_OLD = '1f0e2d3c4b5a69788796a5b4c3d2e1f001122334455667788899aabbccddeeff';
export const KEY_NEW = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

// ---------------------------------------------------------------------------------------------------
// temporary directories

const roots = new Set();

/** A fresh directory under os.tmpdir(); removed by cleanupAll() (also on exit and on Ctrl-C). */
export function tempRoot(name) {
  const root = mkdtempSync(join(tmpdir(), `lc-bench-${name}-`));
  roots.add(root);
  return root;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  roots.delete(dir);
}

export function cleanupAll() {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
  roots.clear();
}

process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanupAll();
    process.exit(130);
  });
}

/** A fresh copy of `template` (a settings directory) in a new temporary directory; returns its path. */
export function freshCopy(template, name) {
  const root = tempRoot(name);
  const dir = join(root, 'config');
  cpSync(template, dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------------
// processes and timing

/** The environment of a run: ours without any LIBERTY_* variable, plus `extra`. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('LIBERTY_') && name !== 'UV_THREADPOOL_SIZE' && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * Spawns `cmd args`, waits for it to exit and returns { ms, code, stdout, stderr }: ms is the wall time
 * from spawn to exit. Throws when the exit code is not one of `okCodes`.
 */
export function timeProcess(cmd, args, { env = cleanEnv(), cwd = REPO, okCodes = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      child.on('close', () => {
        if (!okCodes.includes(code)) {
          reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\nstdout: ${stdout.slice(0, 2000)}\nstderr: ${stderr.slice(0, 2000)}`));
        } else {
          resolve({ ms, code, stdout, stderr });
        }
      });
    });
  });
}

/** The CLI as a user runs it: `node bin/run.js ...args`. */
export function cli(args, options) {
  return timeProcess(NODE, [BIN, ...args], options);
}

/** True when GNU time is there to report the peak RSS of a child (`/usr/bin/time -f %M`, in KiB). */
export function haveGnuTime() {
  return existsSync(TIME_BIN);
}

/** Like timeProcess, under /usr/bin/time: also returns peakRssKiB (maximum resident set size). */
export async function timeProcessWithRss(cmd, args, options = {}) {
  const marker = 'LC_BENCH_MAXRSS_KIB=';
  const result = await timeProcess(TIME_BIN, ['-f', `${marker}%M`, cmd, ...args], options);
  const line = result.stderr.split('\n').find((l) => l.startsWith(marker));
  if (!line) throw new Error(`no peak RSS in the output of ${TIME_BIN}: ${result.stderr.slice(-500)}`);
  return { ...result, peakRssKiB: Number(line.slice(marker.length)) };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs the cases alternately (A, B, A, B, ...) `runs` times after `warmup` untimed rounds. Each case is
 * { label, prepare?(): args for run (untimed), run(prepared): Promise<{ ms }>, cleanup?(prepared) }.
 * Returns, per label, the times in ms and their median, min and max.
 */
export async function alternate(cases, { runs, warmup = 1, log = process.stderr.isTTY } = {}) {
  const times = new Map(cases.map((c) => [c.label, []]));
  for (let round = -warmup; round < runs; round++) {
    for (const c of cases) {
      const prepared = c.prepare ? await c.prepare() : undefined;
      let result;
      try {
        result = await c.run(prepared);
      } finally {
        if (c.cleanup) await c.cleanup(prepared);
      }
      if (round >= 0) times.get(c.label).push(result.ms);
    }
    if (log && round >= 0) process.stderr.write(`\r  round ${round + 1}/${runs}`);
  }
  if (log) process.stderr.write('\n');
  const stats = {};
  for (const [label, values] of times) {
    stats[label] = { times: values, median: median(values), min: Math.min(...values), max: Math.max(...values) };
  }
  return stats;
}

// ---------------------------------------------------------------------------------------------------
// output

export const fmtMs = (ms) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
export const fmtRatio = (ratio) => `${ratio.toFixed(2)}x`;

/** Prints the stats of alternate() as a small table. */
export function printStats(stats) {
  const rows = Object.entries(stats).map(([label, s]) => [label, fmtMs(s.median), fmtMs(s.min), fmtMs(s.max), String(s.times.length)]);
  printTable(['command', 'median', 'min', 'max', 'runs'], rows);
}

export function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `  ${cells.map((cell, i) => cell.padEnd(widths[i])).join('  ')}`.trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  rows.forEach((row) => console.log(line(row)));
}

/** A reference figure, not a target: shown in the summary as `info`. */
export function info(benchmark, measure, value) {
  console.log(`  info  ${measure}: ${value}`);
  return { benchmark, measure, value, target: '-', pass: null };
}

/** A target line: { benchmark, measure, value (text), target (text), pass }; printed right away too. */
export function target(benchmark, measure, value, targetText, pass) {
  console.log(`  ${pass ? 'PASS' : 'MISS'}  ${measure}: ${value} (target ${targetText})`);
  return { benchmark, measure, value, target: targetText, pass };
}

// ---------------------------------------------------------------------------------------------------
// blobs, formats as in src/core/blob.ts

export function kidOf(keyHex) {
  return createHash('sha256').update(Buffer.from(keyHex, 'hex')).digest('hex').slice(0, 8);
}

export function fingerprintOf(keyHex) {
  return createHash('sha256').update(Buffer.from(keyHex, 'hex')).digest('hex');
}

/** `ENC:v2:<kid>:<base64url(nonce12 | ct | tag16)>`, AAD = the ascii header `ENC:v2:<kid>:`. */
export function sealV2(keyHex, plaintext) {
  const kid = kidOf(keyHex);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`ENC:v2:${kid}:`, 'ascii'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `ENC:v2:${kid}:${Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString('base64url')}`;
}

/** `ENC:<base64(salt64 | iv16 | tag16 | ct)>`, key = PBKDF2-HMAC-SHA512(utf8 key string, salt, 2145, 32), no AAD. */
export function sealLegacy(keyString, plaintext) {
  const salt = randomBytes(64);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(keyString, 'utf8'), salt, 2145, 32, 'sha512');
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `ENC:${Buffer.concat([salt, iv, cipher.getAuthTag(), ct]).toString('base64')}`;
}

// ---------------------------------------------------------------------------------------------------
// settings directories

/**
 * app.toml: [crypto] with the master (and legacy) key references, and a few plain settings. `format`: the
 * write format (`[crypto] format`), left out when not given (the CLI then writes v1, the framework's default).
 */
export function appToml({ legacy = false, fingerprint, format } = {}) {
  const lines = [
    '# Liberty application settings (benchmark data)',
    '[app]',
    'name = "bench-portal"',
    'environment = "staging"',
    'log_level = "info"',
    '',
    '[crypto]',
    'master_key = "${LIBERTY_MASTER_KEY}"',
    `legacy_keys = [${legacy ? '"${LIBERTY_MASTER_KEY_OLD}"' : ''}]`,
  ];
  if (fingerprint) lines.push(`fingerprint = "${fingerprint}"`);
  if (format) lines.push(`format = "${format}"`);
  return `${lines.join('\n')}\n`;
}

const SECRET_NAMES = ['password', 'api_key', 'auth_token', 'client_secret', 'auth_password'];

/**
 * One settings file: `blobs` encrypted fields spread over tables of two secrets each, with plain settings
 * and comments around them, the way a connectors file looks. `seal(plaintext)` makes each blob.
 */
export function settingsFileText(fileIndex, blobs, seal) {
  const lines = [`# connectors file ${fileIndex} (benchmark data)`, '# every secret below is an ENC: blob', ''];
  for (let b = 0; b < blobs; b += 2) {
    const table = `connectors.c${fileIndex}_${b / 2}`;
    lines.push(`[${table}]`);
    lines.push(`url = "https://service-${fileIndex}-${b}.example.com/api/v2"`);
    lines.push(`timeout_ms = ${1000 + ((fileIndex * 7 + b) % 9000)}`);
    lines.push('enabled = true');
    for (let k = b; k < Math.min(b + 2, blobs); k++) {
      const name = SECRET_NAMES[k % SECRET_NAMES.length];
      const secret = `secret-${fileIndex}-${k}-${randomBytes(12).toString('hex')}`;
      lines.push(`${k % 2 === 0 ? name : `${name}_${k}`} = "${seal(secret)}"   # rotated by ops`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Writes a settings directory: app.toml plus `files` files (in subfolders of 100) of `blobsPerFile`
 * blobs each. Returns { dir, blobs }.
 */
export function writeSettingsDir(dir, { files, blobsPerFile, seal, legacy = false, fingerprint, format }) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.toml'), appToml({ legacy, fingerprint, format }));
  for (let f = 0; f < files; f++) {
    const rel = files > 100 ? join(`group${String(Math.floor(f / 100)).padStart(2, '0')}`, `connectors-${f}.toml`) : `connectors-${f}.toml`;
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, settingsFileText(f, blobsPerFile, seal));
  }
  return { dir, blobs: files * blobsPerFile };
}

/** The environment of a CLI run against a directory made by writeSettingsDir. */
export function keyEnv(extra = {}) {
  return cleanEnv({ LIBERTY_MASTER_KEY: KEY_NEW, LIBERTY_MASTER_KEY_OLD: KEY_OLD, ...extra });
}

/** Runs `main` when the module is the script node was started with (each benchmark runs on its own too). */
export function isMain(moduleUrl) {
  return process.argv[1] && fileURLToPath(moduleUrl) === process.argv[1];
}
