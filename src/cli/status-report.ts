/**
 * Collecting the status report: the whole settings directory, or only the files of `--files` (a
 * pre-commit hook), with a spinner on long runs, and the metrics file when asked for.
 */
import { formatMetrics, writeMetricsFile } from '../core/metrics.js';
import { settingsKeyring, type Settings } from '../core/settings.js';
import { collectFileStatus, type ScopedStatusReport } from '../core/status-scope.js';
import { collectStatus, type StatusReport } from '../core/status.js';
import { currentEnvironment, systemClock } from './context.js';
import { NO_PROGRESS, startProgress } from './progress.js';
import { settingsRelativePaths } from './status-files.js';

/** A directory this large gets a spinner with the files read so far (on a terminal); a smaller one is read at once. */
const PROGRESS_MIN_FILES = 100;

/**
 * The report of the directory, or of `files` only (paths relative to the working directory, as git gives
 * them). `spinner`: whether a long run may show one (a terminal, and not --json).
 */
export async function collectStatusReport(
  settings: Settings,
  files: readonly string[] | undefined,
  spinner: boolean,
): Promise<StatusReport | ScopedStatusReport> {
  const env = currentEnvironment();
  let progress = NO_PROGRESS;
  const onFiles = async (total: number) => {
    if (total >= PROGRESS_MIN_FILES) progress = await startProgress('reading', spinner);
  };
  const options = { onFiles, onProgress: (done: number, total: number) => progress.update(done, total) };
  const keyring = settingsKeyring(settings, env);
  const scoped = files ? settingsRelativePaths(settings.dir, files) : undefined;
  return (
    scoped
      ? collectFileStatus(settings, keyring, env, scoped.inside, scoped.ignored, options)
      : collectStatus(settings, keyring, env, options)
  ).finally(() => progress.stop());
}

/** The files `--files` named that the report leaves out, each with why (outside the directory, not .toml). */
export const ignoredFiles = (report: StatusReport | ScopedStatusReport) => (report as Partial<ScopedStatusReport>).ignoredFiles ?? [];

/** `--metrics FILE`: the report for node_exporter's textfile collector, written atomically. */
export function writeStatusMetrics(file: string, report: StatusReport, settingsDir: string): Promise<void> {
  return writeMetricsFile(file, formatMetrics(report, { settingsDir, checkedAt: systemClock() }));
}
