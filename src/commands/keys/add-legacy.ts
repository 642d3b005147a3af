import { Args } from '../../cli/oclif.js';
import { auditAddLegacy, requirePermission } from '../../cli/audit-events.js';
import { envNameDetail } from '../../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { loadSettingsDirectory } from '../../cli/settings-directory.js';
import { currentEnvironment } from '../../cli/context.js';
import { withSettingsLock } from '../../cli/with-lock.js';
import { addLegacyKey, checkEnvName } from '../../core/key-rotation.js';

export interface AddLegacyResult {
  added: string;
  legacy: string[];
}

export default class KeysAddLegacy extends BaseCommand {
  static override summary = 'add an old key as a legacy key, for decryption only';
  static override description =
    'For an install whose blobs sit on more than one old key (two generations of passphrases), or a blob no ' +
    'configured key opens. NAME must be set in the environment; it must be neither the master nor already a ' +
    'legacy key. Appends "${NAME}" to app.toml [crypto] legacy_keys, preserving every other byte of app.toml. ' +
    'Needs the permission settings:framework; audit-logged. Next: restart the framework, then liberty-crypto rewrap.';
  static override examples = [
    {
      description: 'the passphrase of two generations ago, exported under its own name',
      command: '<%= config.bin %> keys add-legacy LIBERTY_MASTER_KEY_2019',
    },
  ];
  static override args = {
    name: Args.string({ ignoreStdin: true, required: true, description: 'the environment variable name of the old key' }),
  };
  static override flags = { ...settingsFlag };

  async run(): Promise<AddLegacyResult> {
    const { args, flags } = await this.parse(KeysAddLegacy);
    checkEnvName(args.name, 'NAME'); // before anything is logged: a key given as NAME goes nowhere
    const settings = await loadSettingsDirectory(this.settingsLocation(flags.settings));
    await requirePermission(settings, 'settings:framework', { event: 'keys.add-legacy', details: envNameDetail('env', args.name) });
    const legacy = await withSettingsLock(settings, 'keys add-legacy', () =>
      addLegacyKey(settings, currentEnvironment(), args.name, auditAddLegacy(settings, args.name)),
    );
    this.say(`${args.name} is now a legacy key (legacy keys: ${legacy.join(', ')})`);
    this.say('next: restart the framework, then run liberty-crypto rewrap');
    return { added: args.name, legacy };
  }
}
