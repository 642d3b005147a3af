/**
 * `status --files F...`: the report of some files only, what a git pre-commit hook asks about the files a
 * commit stages. Their blobs, plaintext secrets and findings are reported, and decide the exit status;
 * the findings about the host rather than the files (keys not set, fingerprint, published or mixed-case
 * keys, a passphrase master, legacy keys no blob of the directory uses, temporary files left behind) are
 * left out: a developer committing usually has no key loaded, and that is no reason to refuse a commit.
 * `status` without --files reports them. A plaintext secret, which `status` only warns about, is a problem
 * here: the guard is there to keep it out of the repository's history.
 */
import { canonicalSettingsPath } from './crawl.js';
import type { Environment, Keyring } from './keyring.js';
import { selectFiles } from './settings-scan.js';
import { APP_FILE, type Settings } from './settings.js';
import { collectStatus, type StatusOptions, type StatusReport } from './status.js';

/** A path given to --files that names no settings file, and why. */
export interface IgnoredFile {
  path: string;
  reason: string;
}

export interface ScopedStatusReport extends StatusReport {
  /** the settings files the report covers (relative to the settings directory) */
  only: string[];
  ignoredFiles: IgnoredFile[];
}

/** Warnings of status that are problems for a commit: plaintext where a secret belongs. */
const PLAINTEXT_FINDINGS: ReadonlySet<string> = new Set(['PLAINTEXT_SECRET', 'PLAINTEXT_URL_PASSWORD', 'NON_STRING_SECRET']);

/** Findings about the host and its keys, not about a file's content. */
const HOST_FINDINGS: ReadonlySet<string> = new Set([
  'E_FINGERPRINT_MISMATCH',
  'E_KEY_PUBLISHED',
  'MIXED_CASE_KEY',
  'E_MASTER_KEY_NOT_SET',
  'E_MASTER_KEY_MALFORMED',
  'PASSPHRASE_MASTER',
  'UNUSED_LEGACY_KEY',
  'LEFTOVER_TEMP_FILE',
]);

/** A path as given (`path`, shown in notes) and as named relative to the settings directory (`file`). */
export interface GivenFile {
  path: string;
  file: string;
}

/**
 * The report of the files `given` names (the caller has dropped those outside the directory, listed in
 * `ignored`). A path that is not a settings file the directory holds (another extension, a hidden folder,
 * a deleted file) is ignored and listed with the reason.
 */
export async function collectFileStatus(
  settings: Settings,
  keyring: Keyring,
  env: Environment,
  given: readonly GivenFile[],
  ignored: readonly IgnoredFile[] = [],
  options: StatusOptions = {},
): Promise<ScopedStatusReport> {
  const all = new Set(await selectFiles(settings.dir));
  const only: string[] = [];
  const skipped: IgnoredFile[] = [...ignored];
  for (const { path, file: relative } of given) {
    let file: string;
    try {
      file = canonicalSettingsPath(relative);
    } catch {
      skipped.push({ path, reason: 'outside the settings directory' });
      continue;
    }
    if (all.has(file)) {
      if (!only.includes(file)) only.push(file);
    } else {
      const reason = file.endsWith('.toml')
        ? 'not a settings file the directory holds (deleted, or in a hidden folder)'
        : 'not a .toml file';
      skipped.push({ path, reason });
    }
  }
  only.sort();
  const report = await collectStatus(settings, keyring, env, { ...options, only });
  const keep = (finding: { code: string }) =>
    !HOST_FINDINGS.has(finding.code) && (finding.code !== 'E_KEY_ON_DISK' || only.includes(APP_FILE));
  return {
    ...report,
    unusedLegacyKeys: [],
    leftoverTempFiles: [],
    problems: [
      ...report.problems.filter(keep),
      ...report.warnings.filter((finding) => keep(finding) && PLAINTEXT_FINDINGS.has(finding.code)),
    ],
    warnings: report.warnings.filter((finding) => keep(finding) && !PLAINTEXT_FINDINGS.has(finding.code)),
    only,
    ignoredFiles: skipped,
  };
}
