// One temporary folder for what the test helpers build (bundled workers), removed after the whole run.
// As root it also holds a copy of the built CLI that uid 65534 can read (test/support/unprivileged.ts):
// the checkout itself may sit under a folder only root can traverse (a clone in `mktemp -d`, in /root).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'lc-test-run-'));
  chmodSync(dir, 0o755); // workers run as an unprivileged user in some tests; the folder holds code only
  process.env.LC_TEST_TMP = dir;
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (process.getuid?.() === 0) process.env.LC_TEST_UNPRIVILEGED_CLI = copyBuild(join(dir, 'cli'));
  } catch (error) {
    cleanup();
    throw error;
  }
  return cleanup;
}

/** What `node bin/run.js` reads: the build, the manifest, package.json and the production dependencies. */
function copyBuild(to: string): string {
  const entries = ['bin', 'dist', 'package.json', 'oclif.manifest.json', ...productionPackages()];
  for (const entry of entries) if (existsSync(join(REPO, entry))) cpSync(join(REPO, entry), join(to, entry), { recursive: true });
  execFileSync('chmod', ['-R', 'a+rX', to]); // readable whatever the umask of the checkout was
  return to;
}

/** The folders (relative to the checkout) of `dependencies`, followed transitively, resolved as node does. */
function productionPackages(): string[] {
  const found = new Set<string>();
  const visit = (packageDir: string) => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    const optional = new Set(Object.keys(manifest.optionalDependencies ?? {}));
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const at = locate(packageDir, name);
      if (at === undefined && optional.has(name)) continue;
      if (at === undefined)
        throw new Error(`global-setup: ${name} (a dependency of ${relative(REPO, packageDir) || 'the project'}) is not installed`);
      if (!found.has(at)) {
        found.add(at);
        visit(at);
      }
    }
  };
  visit(REPO);
  // a package nested in another's node_modules comes with that one's folder
  const folders = [...found].map((path) => relative(REPO, path)).sort();
  return folders.filter((folder, i) => !folders.slice(0, i).some((outer) => folder.startsWith(`${outer}/`)));
}

/** node_modules/<name> in `from` or the nearest folder above it, up to the checkout. */
function locate(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === REPO || dir === dirname(dir)) return undefined;
  }
}
