/**
 * Running command lines through bash, as a user would type them, with `liberty-crypto` on PATH.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, baseEnv, collectOutput, type RunResult } from './cli.js';

export interface ToolDir {
  dir: string;
  /** adds an executable script to the folder */
  add(name: string, text: string): void;
  cleanup(): void;
}

/** A folder to put first on PATH, holding a `liberty-crypto` that runs the given bin (default: the built one). */
export function makeToolDir(bin = BIN): ToolDir {
  const dir = mkdtempSync(join(tmpdir(), 'lc-bin-'));
  const add = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  };
  add('liberty-crypto', `#!/bin/sh\nexec '${process.execPath}' '${bin}' "$@"\n`);
  return { dir, add, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface BashOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** folders put first on PATH */
  path?: string[];
}

/** Runs a command line with `bash -o pipefail -c`; stdin is empty (never a terminal). */
export function runBash(line: string, options: BashOptions): Promise<RunResult> {
  const child = spawn('bash', ['-o', 'pipefail', '-c', line], {
    cwd: options.cwd,
    env: baseEnv({ ...options.env, PATH: [...(options.path ?? []), process.env.PATH].join(':') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectOutput(child);
}

/** HOME and the XDG folders inside `home`, so nothing (the completion cache, say) lands in the real home. */
export function homeEnv(home: string): Record<string, string> {
  return {
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
  };
}
