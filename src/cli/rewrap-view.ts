/**
 * What `rewrap` prints, as lines: its problems on stderr; on stdout the blobs not current (unless quiet),
 * the counts, and what to do next (unless quiet); then, on stderr so --quiet keeps it, a directory where
 * nothing was read or that is empty. Pure: a report in, lines out.
 */
import type { BlobFormat } from '../core/blob.js';
import { plural } from '../core/plural.js';
import type { LegacyBlob, RewrapReport } from '../core/rewrap.js';
import { EMPTY_SETTINGS_DIR } from '../core/settings-directory.js';
import type { CommandOutput } from './base-command.js';

export interface RewrapView {
  /** stderr, first: each problem, named by file and key */
  problems: string[];
  /** stdout */
  lines: string[];
  /** stderr, last */
  notes: string[];
}

export function rewrapView(report: RewrapReport, quiet: boolean): RewrapView {
  const problems = report.problems.map((problem) => {
    const where = [problem.file, problem.key].filter(Boolean).join(':');
    const kid = problem.kid ? ` (key id ${problem.kid})` : '';
    return `liberty-crypto: problem: ${where}${kid}: ${problem.message.replace(`${where}: `, '')}`;
  });
  // a check names every blob still on an old key: that list is what the nightly job is for
  const lines = quiet ? [] : report.onLegacy.map((blob) => `${blob.file}:${blob.key}  ${describeNotCurrent(blob, report.format)}`);
  const verb = report.check ? 'would be re-wrapped' : 're-wrapped';
  lines.push(`${plural(report.rewrapped, 'encrypted field')} ${verb} with the current master key`);
  lines.push(`${report.onLegacyKeys} still using legacy keys`);
  if (report.otherFormat > 0) {
    const other = report.format === 'v1' ? 'v2' : 'v1';
    lines.push(`${report.otherFormat} ${other} under the master key (this directory writes ${report.format})`);
  }
  if (report.unreadable > 0) lines.push(`${report.unreadable} unreadable`);
  if (report.check && report.rewrapped > 0 && !quiet) lines.push(`check only, nothing written: run liberty-crypto rewrap to re-wrap them`);
  // on stderr, so --quiet keeps it: the counts alone (all 0) would look like a healthy install
  const notes: string[] = [];
  if (report.filesRead === 0) notes.push('liberty-crypto: problem: no settings file in the directory: nothing was checked');
  else if (report.empty)
    notes.push(`liberty-crypto: warning: ${EMPTY_SETTINGS_DIR.message}`, `liberty-crypto: hint: ${EMPTY_SETTINGS_DIR.hint}`);
  return { problems, lines, notes };
}

export function showRewrapView(view: RewrapView, out: CommandOutput): void {
  view.problems.forEach((line) => out.note(line));
  view.lines.forEach((line) => out.say(line));
  view.notes.forEach((line) => out.note(line));
}

/** Why a blob is not current: a legacy key opens it, or it is under the master in the other format. */
function describeNotCurrent(blob: LegacyBlob, format: BlobFormat): string {
  const kid = blob.kid ? ` (key id ${blob.kid})` : '';
  if (blob.reason === 'legacy-key') return `on legacy key ${blob.opensWith}${kid}, ${blob.format}`;
  return `${blob.format} under the master key${kid}: this directory writes ${format}`;
}
