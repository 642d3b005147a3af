import { Flags } from '../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { stdoutIsTerminal } from '../cli/io.js';
import { rewrapExitCode, runRewrap, splitFileList } from '../cli/rewrap-run.js';
import { rewrapView, showRewrapView } from '../cli/rewrap-view.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import type { RewrapReport } from '../core/rewrap.js';

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
    const settings = await loadSettingsDirectory(this.settingsLocation(flags.settings));
    const spinner = !this.jsonEnabled() && !flags.quiet && stdoutIsTerminal();
    const report = await runRewrap(settings, { files: splitFileList(flags.files), all: flags.all, check: flags.check, spinner });
    showRewrapView(rewrapView(report, flags.quiet), this);
    const exitCode = rewrapExitCode(report);
    if (exitCode !== undefined) process.exitCode = exitCode;
    return report;
  }
}
