/** What `edit` says once the editor is done: each changed field (and the key that sealed it), then the totals. Pure. */
import { plural } from '../core/plural.js';
import type { EditResult } from './edit-file.js';

export function editResultLines(result: EditResult): { lines: string[]; notes: string[] } {
  if (!result.written) return { lines: [`${result.file}: no change; nothing written`], notes: [] };
  const lines = result.changes.map(
    (change) => `${change.change} ${change.field}${change.sealed ? ` (sealed with key ${change.keyId})` : ''}`,
  );
  const sealed = result.changes.filter((change) => change.sealed).length;
  lines.push(`wrote ${result.file}: ${plural(result.changes.length, 'field')} changed, ${sealed} sealed`);
  return { lines, notes: result.storedFingerprint ? ['stored the master key fingerprint in app.toml [crypto]'] : [] };
}
