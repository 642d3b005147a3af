/**
 * What `status` prints on stdout, as lines: the keys table, the fingerprint, the format, the blob counts
 * (per key), the values taken from the environment, then every problem and warning with its hint. Pure:
 * a report and a paint in, lines out; the command says them.
 */
import { plural } from '../core/plural.js';
import type { StatusFinding, StatusReport } from '../core/status.js';
import type { LinePart } from './base-command.js';
import type { Paint, Painted } from './colors.js';
import { renderTable } from './table.js';

export function statusLines(report: StatusReport, paint: Paint): LinePart[][] {
  const lines: LinePart[][] = [];
  const say = (...parts: LinePart[]) => lines.push(parts);
  const { keys } = report;
  const keyRows = [keys.master, ...keys.legacy].map((key, index) => [
    index === 0 ? 'master' : 'legacy',
    key.env,
    key.set ? (key.keyId ?? '') : '-',
    key.set ? (key.passphrase ? 'set (passphrase: v1 blobs only)' : 'set') : 'NOT SET',
    key.source ?? '-',
  ]);
  renderTable(['role', 'env', 'key id', 'state', 'source'], keyRows).forEach((line) => say(line));
  const stored = keys.stored
    ? `${keys.stored.slice(0, 8)} (${keys.matches === false ? 'MISMATCH' : keys.matches ? 'matches' : 'master not set'})`
    : 'none stored';
  say(`fingerprint: ${stored}`);
  say('');
  say(`format: writes ${describeFormat(report.format)}`);
  const malformed = report.blobs.malformed > 0 ? `, ${report.blobs.malformed} malformed` : '';
  say(
    `${plural(report.blobs.total, 'blob')} in ${plural(report.files, 'file')}: ${report.blobs.v1} v1, ${report.blobs.v2} v2${malformed}; ${report.current} current`,
  );
  if (report.byKey.length > 0) {
    const rows = report.byKey.map((use) => [
      use.env ?? '(no configured key)',
      use.keyId ?? '-',
      use.role ?? '-',
      String(use.v1),
      String(use.v2),
    ]);
    renderTable(['key', 'key id', 'role', 'v1', 'v2'], rows).forEach((line) => say(`  ${line}`));
  }
  if (report.envReferences.length > 0) {
    say(`${plural(report.envReferences.length, 'value')} from the environment:`);
    const rows = report.envReferences.map((ref) => [
      `${ref.file}:${ref.key}`,
      ref.env,
      ref.set ? 'set' : ref.hasDefault ? 'unset (default used)' : 'unset',
    ]);
    renderTable(['field', 'variable', 'state'], rows).forEach((line) => say(`  ${line}`));
  }
  const emptyPlain = report.plaintextSecrets.filter((field) => field.empty).length;
  if (emptyPlain > 0) say(`${plural(emptyPlain, 'empty secret field')} left plain (no secret to protect)`);
  say('');
  if (report.problems.length === 0 && report.warnings.length === 0) say(paint.ok('ok: nothing to do'));
  for (const problem of report.problems) lines.push(...findingLines(paint.problem('problem:'), problem));
  for (const warning of report.warnings) lines.push(...findingLines(paint.warning('warning:'), warning));
  return lines;
}

function findingLines(label: Painted, finding: StatusFinding): LinePart[][] {
  const lines: LinePart[][] = [[label, ` ${finding.message}`]];
  if (finding.hint) lines.push([`  hint: ${finding.hint}`]);
  return lines;
}

export function describeFormat(format: StatusReport['format']): string {
  if (format.writes === 'v2') return 'v2 (app.toml [crypto] format): only runtimes that read v2 open these blobs';
  return `v1 (${format.explicit ? 'app.toml [crypto] format' : 'the default'}): the layout every Liberty runtime reads`;
}
