import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(REPO, 'bin/run.js');
export const FIXTURES = join(REPO, 'test/fixtures');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
}

/** A clean environment: nothing of the developer's own LIBERTY_* variables leaks into a test. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('LIBERTY_') && name !== 'NO_COLOR' && name !== 'SUDO_USER') env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Spawns the built binary; stdin is the given input (or empty), never a terminal. */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: baseEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.input ?? '');
  return collectOutput(child);
}

/** What a child process prints, and how it ended (with the signal when it was killed). */
export function collectOutput(child: ChildProcess): Promise<RunResult & { signal: NodeJS.Signals | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function parseJson(result: RunResult): any {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}): ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** A temporary copy of a fixture directory (or an empty one); removed by the returned cleanup. */
export function tempSettings(fixture?: string): { dir: string; root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'lc-test-'));
  const dir = join(root, 'config');
  if (fixture) cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return { dir, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export const KEY_A = '1f0e2d3c4b5a69788796a5b4c3d2e1f001122334455667788899aabbccddeeff';
export const KEY_B = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
export const KEY_A_FP = '439d87b032d1bb8d230100e37fcc9b01a829ac53b101f56330b5b0546ab70ddb';
export const KEY_B_FP = '1f94eb635fe8b4b9f1f6110b84d7f9ea9a8d030082e2a9e2def9a8bae4adb556';
export const LEGACY_PASSPHRASE = '3zTvzr3p67VC61jmV54rIYu1545x4TlY';
