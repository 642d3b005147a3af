/**
 * What `fingerprint` prints: the keys with their fingerprints and the stored one (whether it matches),
 * or what a blob is and which key opens it. Pure: a report in, lines out.
 */
import type { BlobDescription, KeyDescription, KeyReport } from '../core/key-report.js';

export function keyReportLines(report: KeyReport): string[] {
  return [
    describeKey('master', report.master),
    ...report.legacy.map((legacy) => describeKey('legacy', legacy)),
    `stored  ${report.stored ?? '(none)'}  ${matchWord(report.matches)}`.trimEnd(),
  ];
}

export function blobLines(description: BlobDescription): string[] {
  return [
    `format    ${description.format}`,
    `key id    ${description.keyId ?? '(none: v1 blobs name no key)'}`,
    `opens with ${description.opensWith} (${description.role})`,
  ];
}

function describeKey(role: string, key: KeyDescription): string {
  if (!key.set) return `${role}  ${key.env}  (not set)`;
  const note = key.passphrase ? '  (passphrase key: v1 blobs only)' : '';
  return `${role}  ${key.env}  ${key.keyId}  ${key.fingerprint}${note}`;
}

function matchWord(matches: boolean | null): string {
  if (matches === null) return '';
  return matches ? 'matches the master key' : 'MISMATCH: the loaded master key differs (wrong key for this host?)';
}
