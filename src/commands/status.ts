import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { loadPaint, type Paint, type Painted } from '../cli/colors.js';
import { currentEnvironment, systemClock } from '../cli/context.js';
import { Flags } from '../cli/oclif.js';
import { settingsRelativePaths } from '../cli/status-files.js';
import { stdoutIsTerminal } from '../cli/io.js';
import { NO_PROGRESS, startProgress } from '../cli/progress.js';
import { renderTable } from '../cli/table.js';
import { plural } from '../core/plural.js';
import { settingsKeyring } from '../core/settings.js';
import { formatMetrics, writeMetricsFile } from '../core/metrics.js';
import { collectFileStatus, type ScopedStatusReport } from '../core/status-scope.js';
import { collectStatus, type StatusFinding, type StatusReport } from '../core/status.js';

/** A directory this large gets a spinner with the files read so far (on a terminal); a smaller one is read at once. */
const PROGRESS_MIN_FILES = 100;

export default class Status extends BaseCommand {
  static override summary = 'the key and blob situation of a settings directory at a glance';
  static override description =
    'Shows the keys (env var, key id, whether set), the stored fingerprint and whether it matches, the blob ' +
    'format the directory writes (app.toml [crypto] format, v1 when absent), blob counts per key and per format ' +
    '(blobs embedded in URLs included), unreadable blobs, values taken from the environment (${NAME}), ' +
    'plaintext values in secret fields, locked fields in plain, legacy keys nothing uses any more, and ' +
    'framework-global secrets found in files. Problems exit 1: blobs on a legacy key or in the other format, ' +
    'unreadable blobs, a fingerprint mismatch, a locked field in plain, a master key that cannot seal, a key ' +
    'written on disk as a ${NAME:-default}, the published stock passphrase in any slot, a hex key with ' +
    'upper-case letters under v1. Warnings keep exit 0: a non-empty plaintext in another secret field, a URL ' +
    'with a plaintext password, a passphrase master under v1, an unused legacy key, env-only secrets in files, an ' +
    'empty settings directory (no settings file beside app.toml and no blob: a new install, or the wrong place). ' +
    'On a terminal, a directory of 100 files or more shows a spinner with the files read so far (on stderr). ' +
    "--metrics FILE also writes the report for node_exporter's textfile collector (Prometheus text format, " +
    'replaced atomically, mode 0644). --files F... reports on those files only, for a git pre-commit hook: ' +
    'paths outside the settings directory or not .toml are ignored with a note, a plaintext secret is a problem, ' +
    'and the checks of the keys and the host are left out.';
  static override examples = [
    { description: 'at a glance', command: '<%= config.bin %> status --settings ./config' },
    { description: 'problems only, for a script', command: "<%= config.bin %> status --json | jq '.problems'" },
    {
      description: "also write the metrics for Prometheus (a file in node_exporter's textfile collector directory)",
      command: '<%= config.bin %> status --metrics liberty.prom',
    },
    {
      description: 'in a git pre-commit hook, from the repository root: the staged settings files only',
      command: '<%= config.bin %> status --settings config --files config/app.toml',
    },
  ];
  static override flags = {
    ...settingsFlag,
    metrics: Flags.string({
      summary: "also write the report to FILE in the Prometheus text format, atomically (for node_exporter's textfile collector)",
      helpValue: 'FILE',
    }),
    files: Flags.string({
      summary:
        'report on these files only, as a pre-commit hook: paths relative to the current directory; a plaintext secret is a problem, key checks are left out',
      helpValue: 'FILE',
      multiple: true,
    }),
  };

  async run(): Promise<StatusReport | ScopedStatusReport> {
    const { flags } = await this.parse(Status);
    const location = this.settingsLocation(flags.settings);
    const settings = await loadSettingsDirectory(location);
    const env = currentEnvironment();
    let progress = NO_PROGRESS;
    const onFiles = async (total: number) => {
      if (total >= PROGRESS_MIN_FILES) progress = await startProgress('reading', !this.jsonEnabled() && stdoutIsTerminal());
    };
    const statusOptions = { onFiles, onProgress: (done: number, total: number) => progress.update(done, total) };
    const keyring = settingsKeyring(settings, env);
    const scoped = flags.files ? settingsRelativePaths(location.dir, flags.files) : undefined;
    const report = await (
      scoped
        ? collectFileStatus(settings, keyring, env, scoped.inside, scoped.ignored, statusOptions)
        : collectStatus(settings, keyring, env, statusOptions)
    ).finally(() => progress.stop());
    if (flags.metrics)
      await writeMetricsFile(flags.metrics, formatMetrics(report, { settingsDir: location.dir, checkedAt: systemClock() }));
    for (const file of (report as Partial<ScopedStatusReport>).ignoredFiles ?? []) this.note(`note: ignored ${file.path}: ${file.reason}`);
    if (!this.jsonEnabled()) this.render(report, await loadPaint());
    if (report.problems.length > 0) this.reportProblems();
    return report;
  }

  private render(report: StatusReport, paint: Paint): void {
    const { keys } = report;
    const keyRows = [keys.master, ...keys.legacy].map((key, index) => [
      index === 0 ? 'master' : 'legacy',
      key.env,
      key.set ? (key.keyId ?? '') : '-',
      key.set ? (key.passphrase ? 'set (passphrase: v1 blobs only)' : 'set') : 'NOT SET',
      key.source ?? '-',
    ]);
    renderTable(['role', 'env', 'key id', 'state', 'source'], keyRows).forEach((line) => this.say(line));
    const stored = keys.stored
      ? `${keys.stored.slice(0, 8)} (${keys.matches === false ? 'MISMATCH' : keys.matches ? 'matches' : 'master not set'})`
      : 'none stored';
    this.say(`fingerprint: ${stored}`);
    this.say('');
    this.say(`format: writes ${describeFormat(report.format)}`);
    const malformed = report.blobs.malformed > 0 ? `, ${report.blobs.malformed} malformed` : '';
    this.say(
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
      renderTable(['key', 'key id', 'role', 'v1', 'v2'], rows).forEach((line) => this.say(`  ${line}`));
    }
    if (report.envReferences.length > 0) {
      this.say(`${plural(report.envReferences.length, 'value')} from the environment:`);
      const rows = report.envReferences.map((ref) => [
        `${ref.file}:${ref.key}`,
        ref.env,
        ref.set ? 'set' : ref.hasDefault ? 'unset (default used)' : 'unset',
      ]);
      renderTable(['field', 'variable', 'state'], rows).forEach((line) => this.say(`  ${line}`));
    }
    const emptyPlain = report.plaintextSecrets.filter((field) => field.empty).length;
    if (emptyPlain > 0) this.say(`${plural(emptyPlain, 'empty secret field')} left plain (no secret to protect)`);
    this.say('');
    if (report.problems.length === 0 && report.warnings.length === 0) this.say(paint.ok('ok: nothing to do'));
    for (const problem of report.problems) this.sayFinding(paint.problem('problem:'), problem);
    for (const warning of report.warnings) this.sayFinding(paint.warning('warning:'), warning);
  }

  private sayFinding(label: Painted, finding: StatusFinding): void {
    this.say(label, ` ${finding.message}`);
    if (finding.hint) this.say(`  hint: ${finding.hint}`);
  }
}

function describeFormat(format: StatusReport['format']): string {
  if (format.writes === 'v2') return 'v2 (app.toml [crypto] format): only runtimes that read v2 open these blobs';
  return `v1 (${format.explicit ? 'app.toml [crypto] format' : 'the default'}): the layout every Liberty runtime reads`;
}
