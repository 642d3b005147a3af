/**
 * `status --files F...` takes paths as git passes them to a hook: relative to the repository root, which
 * is the hook's working directory. Each is resolved against the working directory and named relative to
 * the settings directory; one outside it is ignored (a commit may stage any file) and listed as such.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { GivenFile, IgnoredFile } from '../core/status-scope.js';

export function settingsRelativePaths(
  settingsDir: string,
  paths: readonly string[],
  cwd = process.cwd(),
): { inside: GivenFile[]; ignored: IgnoredFile[] } {
  const inside: GivenFile[] = [];
  const ignored: IgnoredFile[] = [];
  for (const path of paths) {
    const rel = relative(settingsDir, resolve(cwd, path));
    if (rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel))
      ignored.push({ path, reason: 'outside the settings directory' });
    else inside.push({ path, file: rel });
  }
  return { inside, ignored };
}
