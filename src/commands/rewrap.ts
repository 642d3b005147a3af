import { Flags } from '../cli/oclif.js';
import { recordAudit } from '../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { currentEnvironment } from '../cli/context.js';
import { stdoutIsTerminal } from '../cli/io.js';
import { startProgress } from '../cli/progress.js';
import { withSettingsLock } from '../cli/with-lock.js';
import type { BlobFormat } from '../core/blob.js';
import { rewrapSettings, worstExitCode, type LegacyBlob, type RewrapReport } from '../core/rewrap.js';
import { plural } from '../core/plural.js';
import { EMPTY_SETTINGS_DIR } from '../core/settings-directory.js';
import { settingsKeyring } from '../core/settings.js';

export default class Rewrap extends BaseCommand {
  static override summary = 're-encrypt every blob under the current master key';
  static override description =
    'Crawls every *.toml file of the settings directory (or only --files), opens each blob (whole values and ' +
    'blobs embedded in longer strings, like the password of a pool URL) with whichever configured key works, ' +
    'and re-encrypts under the current master key, in the format app.toml [crypto] format names (v1 when ' +
    'absent), every blob that is not current: in that format under the master key. Everything else in a string, ' +
    'and its quoting, stays as it was. Idempotent. A blob no key opens, or a file that does not parse, is ' +
    'reported and left untouched; the exit code is then that of the worst problem (the highest of 3, 4, 5 and ' +
    '6). With --check nothing is written: it lists every blob that is not current (FILE:KEY, with #N when a ' +
    'value holds several, and why) and exits 0 only when every blob is current and readable, else 1 (or 3/4/5 ' +
    'for unreadable ones). This is what a nightly cron job runs; --quiet leaves out the list and prints only ' +
    'the counts (the exit code is the same). A directory with no settings file beside app.toml and no blob is ' +
    'said to be empty (on stderr, also under --quiet; "empty": true in --json).';
  static override examples = [
    { description: 'after a rotation', command: '<%= config.bin %> rewrap --settings ./config' },
    { description: 'nightly cron check', command: '<%= config.bin %> rewrap --check --json' },
    { description: 'fresh nonces for two files', command: '<%= config.bin %> rewrap --all --files app.toml,connectors.toml' },
  ];
  static override flags = {
    ...settingsFlag,
    check: Flags.boolean({ summary: 'write nothing; exit 1 when any blob is on a legacy key or in the other format' }),
    all: Flags.boolean({ summary: 're-encrypt every blob, also those already under the master (new nonces)' }),
    files: Flags.string({ summary: 'only these files, comma-separated, relative to the settings directory', helpValue: 'A.toml,B.toml' }),
    quiet: Flags.boolean({
      char: 'q',
      summary: 'print only the counts: no list of blobs, no advice, no spinner (problems still go to stderr)',
    }),
  };

  async run(): Promise<RewrapReport> {
    const { flags } = await this.parse(Rewrap);
    const location = this.settingsLocation(flags.settings);
    const settings = await loadSettingsDirectory(location);
    const keyring = settingsKeyring(settings, currentEnvironment());
    const files = flags.files
      ?.split(',')
      .map((file) => file.trim())
      .filter(Boolean);
    const label = flags.check ? 'checking' : 're-wrapping';
    const progress = await startProgress(label, !this.jsonEnabled() && !flags.quiet && stdoutIsTerminal());
    const rewrap = () =>
      rewrapSettings(settings.dir, keyring, {
        files,
        all: flags.all,
        check: flags.check,
        onProgress: (done, total) => progress.update(done, total),
      });
    let report: RewrapReport;
    try {
      report = flags.check ? await rewrap() : await withSettingsLock(settings, 'rewrap', rewrap);
    } finally {
      progress.stop();
    }
    // a summary after the run, not write-ahead: rewrap reveals nothing and leaves the key setup alone (every
    // blob opens as before), it is idempotent, and a line per file of a concurrent crawl would flood the log
    if (!flags.check && report.rewrapped > 0) {
      await recordAudit(settings, {
        event: 'rewrap',
        outcome: report.problems.length > 0 ? 'failed' : 'ok',
        keyId: keyring.master.key?.kid,
        details: {
          rewrapped: report.rewrapped,
          current: report.current,
          legacy: report.legacy,
          unreadable: report.unreadable,
          files: report.files.length,
        },
      });
    }
    this.render(report, flags.quiet);
    const worst = worstExitCode(report.problems);
    if (worst !== undefined) process.exitCode = worst;
    // a check that read no settings file at all checked nothing: a cron job pointed at the wrong place is not green
    else if (flags.check && (report.onLegacy.length > 0 || report.filesRead === 0)) this.reportProblems();
    return report;
  }

  /** The problems on stderr; on stdout the blobs not current (unless quiet), the counts, and what to do next (unless quiet). */
  private render(report: RewrapReport, quiet: boolean): void {
    for (const problem of report.problems) {
      const where = [problem.file, problem.key].filter(Boolean).join(':');
      const kid = problem.kid ? ` (key id ${problem.kid})` : '';
      this.note(`liberty-crypto: problem: ${where}${kid}: ${problem.message.replace(`${where}: `, '')}`);
    }
    // a check names every blob still on an old key: that list is what the nightly job is for
    if (!quiet) {
      for (const blob of report.onLegacy) this.say(`${blob.file}:${blob.key}  ${describeNotCurrent(blob, report.format)}`);
    }
    const verb = report.check ? 'would be re-wrapped' : 're-wrapped';
    this.say(`${plural(report.rewrapped, 'encrypted field')} ${verb} with the current master key`);
    this.say(`${report.onLegacyKeys} still using legacy keys`);
    if (report.otherFormat > 0) {
      const other = report.format === 'v1' ? 'v2' : 'v1';
      this.say(`${report.otherFormat} ${other} under the master key (this directory writes ${report.format})`);
    }
    if (report.unreadable > 0) this.say(`${report.unreadable} unreadable`);
    if (report.check && report.rewrapped > 0 && !quiet) this.say(`check only, nothing written: run liberty-crypto rewrap to re-wrap them`);
    // on stderr, so --quiet keeps it: the counts alone (all 0) would look like a healthy install
    if (report.filesRead === 0) this.note('liberty-crypto: problem: no settings file in the directory: nothing was checked');
    else if (report.empty) {
      this.note(`liberty-crypto: warning: ${EMPTY_SETTINGS_DIR.message}`);
      this.note(`liberty-crypto: hint: ${EMPTY_SETTINGS_DIR.hint}`);
    }
  }
}

/** Why a blob is not current: a legacy key opens it, or it is under the master in the other format. */
function describeNotCurrent(blob: LegacyBlob, format: BlobFormat): string {
  const kid = blob.kid ? ` (key id ${blob.kid})` : '';
  if (blob.reason === 'legacy-key') return `on legacy key ${blob.opensWith}${kid}, ${blob.format}`;
  return `${blob.format} under the master key${kid}: this directory writes ${format}`;
}
