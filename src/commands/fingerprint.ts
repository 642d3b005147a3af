import { Args, Flags } from '../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { loadOptionalSettings, loadSettingsDirectory } from '../cli/settings-directory.js';
import { currentEnvironment } from '../cli/context.js';
import { dropTrailingNewline, readStdin } from '../cli/io.js';
import type { StoredFingerprint } from '../core/field-writes.js';
import { describeBlob, describeKeys, type BlobDescription, type KeyDescription, type KeyReport } from '../core/key-report.js';
import { requireMaster, type Keyring } from '../core/keyring.js';
import { loadSettings, settingsKeyring, type Settings } from '../core/settings.js';

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
      const text = args.blob === '-' ? dropTrailingNewline(await readStdin()) : args.blob;
      const description = await describeBlob(keyring, text);
      this.say(`format    ${description.format}`);
      this.say(`key id    ${description.keyId ?? '(none: v1 blobs name no key)'}`);
      this.say(`opens with ${description.opensWith} (${description.role})`);
      return description;
    }

    if (flags.write) await this.writeFingerprint(settings, keyring, flags.force);
    const report = describeKeys(flags.write ? settingsKeyring(await loadSettings(settings.dir), currentEnvironment()) : keyring);
    this.say(describeLine('master', report.master));
    report.legacy.forEach((legacy) => this.say(describeLine('legacy', legacy)));
    this.say(`stored  ${report.stored ?? '(none)'}  ${matchWord(report.matches)}`.trimEnd());
    if (flags.check && report.matches !== true) this.reportProblems();
    return report;
  }

  private async writeFingerprint(settings: Settings, keyring: Keyring, force: boolean): Promise<void> {
    // loaded only here: reading fingerprints is what scripts call often, and it must start fast
    const [{ auditWrites, requirePermission }, { withSettingsLock }, { storeMasterFingerprint }, { refuseOrphaningFingerprint }] =
      await Promise.all([
        import('../cli/audit-trail.js'),
        import('../cli/with-lock.js'),
        import('../core/field-writes.js'),
        import('../core/fingerprint-guard.js'),
      ]);
    await requirePermission(settings, 'settings:framework', { event: 'fingerprint.write' });
    const master = keyring.master.key;
    if (!master) requireMaster(keyring);
    if (!force) await refuseOrphaningFingerprint(settings, keyring, master!);
    const audit = auditWrites(settings, (stored: StoredFingerprint) => ({
      event: 'fingerprint.write',
      keyId: stored.keyId,
      details: { env: stored.env },
    }));
    const written = await withSettingsLock(settings, 'fingerprint --write', () =>
      storeMasterFingerprint({ settings, keyring }, master!, audit),
    );
    this.note(written ? `stored the fingerprint of ${master!.env} in app.toml [crypto]` : 'app.toml already stores this fingerprint');
  }
}

function describeLine(role: string, key: KeyDescription): string {
  if (!key.set) return `${role}  ${key.env}  (not set)`;
  const note = key.passphrase ? '  (passphrase key: v1 blobs only)' : '';
  return `${role}  ${key.env}  ${key.keyId}  ${key.fingerprint}${note}`;
}

function matchWord(matches: boolean | null): string {
  if (matches === null) return '';
  return matches ? 'matches the master key' : 'MISMATCH: the loaded master key differs (wrong key for this host?)';
}
