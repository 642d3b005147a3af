// The settings files of a directory, as the floors see them: every *.toml below it, hidden entries skipped.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function listToml(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listToml(path);
      return entry.isFile() && entry.name.endsWith('.toml') ? [path] : [];
    });
}
