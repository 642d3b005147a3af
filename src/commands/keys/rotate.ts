import { Flags } from '../../cli/oclif.js';
import { auditRotation, requirePermission } from '../../cli/audit-events.js';
import { envNameDetail } from '../../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { loadSettingsDirectory } from '../../cli/settings-directory.js';
import { currentEnvironment } from '../../cli/context.js';
import { withSettingsLock } from '../../cli/with-lock.js';
import { checkEnvName, rotateMasterKey, type RotationResult } from '../../core/key-rotation.js';

export default class KeysRotate extends BaseCommand {
  static override summary = 'make a new key the master; the previous master becomes a legacy key';
  static override description =
    'Phase 2 of a rotation. NAME must be set in the environment and hold a 64-hex key. Sets app.toml [crypto] ' +
    'master_key = "${NAME}", puts the previous master reference first in legacy_keys (no duplicates) and stores ' +
    'the new fingerprint, preserving every other byte of app.toml. Needs the permission settings:framework. ' +
    'Next: restart the framework, then run liberty-crypto rewrap.';
  static override examples = [
    {
      description: 'rotate to a freshly generated key (export it on every replica too)',
      command: 'export LIBERTY_MASTER_KEY_NEW=$(<%= config.bin %> genkey) && <%= config.bin %> keys rotate --to LIBERTY_MASTER_KEY_NEW',
    },
  ];
  static override flags = {
    ...settingsFlag,
    to: Flags.string({ summary: 'the environment variable holding the new master key', helpValue: 'NAME', required: true }),
  };

  async run(): Promise<RotationResult> {
    const { flags } = await this.parse(KeysRotate);
    checkEnvName(flags.to, '--to'); // before anything is logged: a key given as NAME goes nowhere
    const settings = await loadSettingsDirectory(this.settingsLocation(flags.settings));
    await requirePermission(settings, 'settings:framework', { event: 'keys.rotate', details: envNameDetail('to', flags.to) });
    const result = await withSettingsLock(settings, 'keys rotate', () =>
      rotateMasterKey(settings, currentEnvironment(), flags.to, auditRotation(settings)),
    );
    this.say(`master key is now ${result.to} (key id ${result.keyId}); ${result.from} is the first legacy key`);
    this.say('next steps:');
    this.say('  1. restart the framework, so it loads the new master key');
    this.say('  2. run liberty-crypto rewrap, until it reports 0 still using legacy keys');
    this.say(`  3. liberty-crypto keys drop-legacy ${result.from}, then unset ${result.from} and restart`);
    return result;
  }
}
