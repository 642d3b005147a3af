import { Args, Flags } from '../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { loadOptionalSettings, loadSettingsDirectory } from '../cli/settings-directory.js';
import { currentEnvironment } from '../cli/context.js';
import { blobLines, keyReportLines } from '../cli/fingerprint-view.js';
import { dropTrailingNewline, readStdin } from '../cli/io.js';
import { describeBlob, describeKeys, type BlobDescription, type KeyReport } from '../core/key-report.js';
import { loadSettings, settingsKeyring } from '../core/settings.js';

export default class Fingerprint extends BaseCommand {
  static override summary = 'show the fingerprints of the configured keys, or which key opens a blob';
  static override description =
    'Without an argument: the master key (env var, fingerprint, key id), each legacy key, and the fingerprint ' +
    'stored in app.toml [crypto] with whether it matches. A mismatch is reported, not an error. ' +
    'With a BLOB (or - to read it from stdin): its format, key id and the configured key that opens it; ' +
    'the plaintext is never printed. --write stores the current master fingerprint in app.toml (for an install ' +
    'that has none, or after a deliberate change); it refuses (exit 3) a key that opens none of the blobs of the ' +
    'stored master, which would orphan them, unless --force. The fingerprint is the SHA-256 of the key bytes: ' +
    '`printf %s "$KEY" | xxd -r -p | sha256sum` gives the same.';
  static override examples = [
    { description: 'the key setup at a glance', command: '<%= config.bin %> fingerprint --settings ./config' },
    { description: 'for a cron job: exit 0 only when the loaded key matches app.toml', command: '<%= config.bin %> fingerprint --check' },
    { description: 'which key opens a blob', command: '<%= config.bin %> fingerprint - < blob.txt' },
    {
      description: 'store the master fingerprint in app.toml (a new install, or after a deliberate change)',
      command: '<%= config.bin %> fingerprint --write',
    },
  ];
  static override args = {
    blob: Args.string({ ignoreStdin: true, description: 'a blob to inspect, or - to read it from stdin' }),
  };
  static override flags = {
    ...settingsFlag,
    check: Flags.boolean({ summary: 'exit 0 only when the master key is loaded and matches the stored fingerprint, else 1' }),
    write: Flags.boolean({
      summary: 'store the current master fingerprint in app.toml [crypto] (needs settings:framework)',
      exclusive: ['check'],
    }),
    force: Flags.boolean({
      summary: 'with --write: store it even when the key opens none of the blobs of the stored master',
      dependsOn: ['write'],
    }),
  };

  async run(): Promise<KeyReport | BlobDescription> {
    const { args, flags } = await this.parse(Fingerprint);
    const location = this.settingsLocation(flags.settings);
    const settings = await (flags.write ? loadSettingsDirectory(location) : loadOptionalSettings(location));
    const keyring = settingsKeyring(settings, currentEnvironment());

    if (args.blob !== undefined) {
      const description = await describeBlob(keyring, args.blob === '-' ? dropTrailingNewline(await readStdin()) : args.blob);
      blobLines(description).forEach((line) => this.say(line));
      return description;
    }
    if (flags.write) {
      // loaded only here: reading fingerprints is what scripts call often, and it must start fast
      const { writeFingerprint } = await import('../cli/fingerprint-write.js');
      await writeFingerprint(settings, keyring, flags.force, this);
    }
    const report = describeKeys(flags.write ? settingsKeyring(await loadSettings(settings.dir), currentEnvironment()) : keyring);
    keyReportLines(report).forEach((line) => this.say(line));
    if (flags.check && report.matches !== true) this.reportProblems();
    return report;
  }
}
