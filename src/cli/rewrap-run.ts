/**
 * Running rewrap for the command: a spinner on a terminal, the settings lock for a run (a check writes
 * nothing and takes none), the audit summary afterwards (audit-events.ts says why after, not before),
 * and the exit code the report calls for.
 */
import { EXIT } from '../core/errors.js';
import { rewrapSettings, worstExitCode, type RewrapReport } from '../core/rewrap.js';
import { settingsKeyring, type Settings } from '../core/settings.js';
import { recordRewrapSummary } from './audit-events.js';
import { currentEnvironment } from './context.js';
import { startProgress } from './progress.js';
import { withSettingsLock } from './with-lock.js';

export interface RewrapRun {
  /** only these files (relative to the settings directory), else every settings file */
  files: string[] | undefined;
  all: boolean;
  check: boolean;
  /** whether a spinner may show (a terminal, not --json, not --quiet) */
  spinner: boolean;
}

export async function runRewrap(settings: Settings, run: RewrapRun): Promise<RewrapReport> {
  const keyring = settingsKeyring(settings, currentEnvironment());
  const progress = await startProgress(run.check ? 'checking' : 're-wrapping', run.spinner);
  const rewrap = () =>
    rewrapSettings(settings.dir, keyring, {
      files: run.files,
      all: run.all,
      check: run.check,
      onProgress: (done, total) => progress.update(done, total),
    });
  let report: RewrapReport;
  try {
    report = run.check ? await rewrap() : await withSettingsLock(settings, 'rewrap', rewrap);
  } finally {
    progress.stop();
  }
  await recordRewrapSummary(settings, report, keyring.master.key?.kid);
  return report;
}

/** `--files a.toml, b.toml`: the names, trimmed, empty ones left out. */
export const splitFileList = (list: string | undefined): string[] | undefined =>
  list
    ?.split(',')
    .map((file) => file.trim())
    .filter(Boolean);

/**
 * The exit code: that of the worst problem (3, 4, 5 or 6); else, for a check, 1 when a blob is not
 * current or no settings file was read (a cron job pointed at the wrong place is not green); else none.
 */
export function rewrapExitCode(report: RewrapReport): number | undefined {
  const worst = worstExitCode(report.problems);
  if (worst !== undefined) return worst;
  if (report.check && (report.onLegacy.length > 0 || report.filesRead === 0)) return EXIT.CHECK_FAILED;
  return undefined;
}
