import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { loadPaint } from '../cli/colors.js';
import { stdoutIsTerminal } from '../cli/io.js';
import { Flags } from '../cli/oclif.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { collectStatusReport, ignoredFiles, writeStatusMetrics } from '../cli/status-report.js';
import { statusLines } from '../cli/status-view.js';
import type { ScopedStatusReport } from '../core/status-scope.js';
import type { StatusReport } from '../core/status.js';

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
    const report = await collectStatusReport(settings, flags.files, !this.jsonEnabled() && stdoutIsTerminal());
    if (flags.metrics) await writeStatusMetrics(flags.metrics, report, location.dir);
    for (const file of ignoredFiles(report)) this.note(`note: ignored ${file.path}: ${file.reason}`);
    if (!this.jsonEnabled()) this.sayLines(statusLines(report, await loadPaint()));
    if (report.problems.length > 0) this.reportProblems();
    return report;
  }
}
