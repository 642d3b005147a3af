/**
 * Bundles a TypeScript worker entry (and the src modules it imports) into one temporary .mjs file, so
 * multi-process tests can spawn `node <file>` without a build of the project.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Returns the path of the bundled worker; `entry` is relative to the project root. */
export async function bundleWorker(entry: string): Promise<string> {
  // inside the run's folder (test/global-setup.ts), which is removed when the run ends
  const outDir = mkdtempSync(join(process.env.LC_TEST_TMP ?? tmpdir(), 'lc-worker-'));
  const outfile = join(outDir, `${basename(entry, '.ts')}.mjs`);
  await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

/** Runs a bundled worker with `args` in its own node process; resolves with its exit code and stderr. */
export function runWorker(worker: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}
