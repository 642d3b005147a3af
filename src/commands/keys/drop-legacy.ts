import { Args, Flags } from '../../cli/oclif.js';
import { auditWrites, envNameDetail, requirePermission } from '../../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { loadSettingsDirectory } from '../../cli/settings-directory.js';
import { currentEnvironment } from '../../cli/context.js';
import { confirmOrRequireYes } from '../../cli/confirm.js';
import { withSettingsLock } from '../../cli/with-lock.js';
import { LibertyError } from '../../core/errors.js';
import { checkEnvName, dropLegacyKey, findLegacyKeyUsage, type LegacyKeyUsage } from '../../core/key-rotation.js';
import { settingsKeyring } from '../../core/settings.js';

interface DropResult {
  dropped: boolean;
  env: string;
  legacy: string[];
  usage: LegacyKeyUsage | null;
  forced: boolean;
}

export default class KeysDropLegacy extends BaseCommand {
  static override summary = 'remove a legacy key from app.toml once no blob needs it';
  static override description =
    'Phase 5 of a rotation. Removes NAME from app.toml [crypto] legacy_keys only when no blob in the directory ' +
    'still needs it (v2 blobs by key id, v1 blobs by trying the key; blobs inside URLs too); otherwise exits 1 and lists the ' +
    'count per file. --force drops it anyway after confirmation (--yes off a terminal): blobs that need it become ' +
    'unreadable. Needs the permission settings:framework. Afterwards unset the variable and restart.';
  static override examples = [
    { description: 'after rewrap reports 0 still using legacy keys', command: '<%= config.bin %> keys drop-legacy LIBERTY_MASTER_KEY_OLD' },
  ];
  static override args = {
    name: Args.string({ ignoreStdin: true, required: true, description: 'the environment variable name of the legacy key' }),
  };
  static override flags = {
    ...settingsFlag,
    force: Flags.boolean({ summary: 'drop it even though blobs still need it (asks for confirmation)' }),
    yes: Flags.boolean({ char: 'y', summary: 'confirm --force without a prompt (needed off a terminal)' }),
  };

  async run(): Promise<DropResult> {
    const { args, flags } = await this.parse(KeysDropLegacy);
    checkEnvName(args.name, 'NAME');
    const settings = await loadSettingsDirectory(this.settingsLocation(flags.settings));
    const details = envNameDetail('env', args.name, settings.crypto.legacyEnvs);
    await requirePermission(settings, 'settings:framework', { event: 'keys.drop-legacy', details });
    if (!settings.crypto.legacyEnvs.includes(args.name)) {
      throw new LibertyError('E_USAGE', `${args.name} is not a legacy key in app.toml [crypto] legacy_keys`, {
        hint: 'see liberty-crypto fingerprint for the configured keys',
      });
    }
    const keyring = settingsKeyring(settings, currentEnvironment());
    return withSettingsLock(settings, 'keys drop-legacy', async () => {
      const usage = await findLegacyKeyUsage(settings, keyring, args.name).catch((error: unknown) => {
        if (flags.force && error instanceof LibertyError && error.code === 'E_KEY_NOT_SET') return null;
        throw error;
      });
      if (usage && usage.total > 0 && !flags.force) {
        this.say(`${args.name} is still needed by ${usage.total} blobs; nothing changed`);
        usage.files.forEach((entry) => this.say(`  ${entry.file}: ${entry.count}`));
        this.say('run liberty-crypto rewrap first (or --force to drop it anyway)');
        this.reportProblems();
        return { dropped: false, env: args.name, legacy: settings.crypto.legacyEnvs, usage, forced: false };
      }
      const forced = Boolean(flags.force) && (usage === null || usage.total > 0);
      if (forced && !flags.yes) await this.confirmForce(args.name, usage);
      const audit = auditWrites(settings, () => ({
        event: 'keys.drop-legacy',
        details: { env: args.name, forced, stillNeededBy: usage?.total ?? -1 },
      }));
      const legacy = await dropLegacyKey(settings, args.name, audit);
      this.say(`dropped ${args.name} from legacy_keys; unset it in the environment and restart the framework`);
      return { dropped: true, env: args.name, legacy, usage, forced };
    });
  }

  private async confirmForce(name: string, usage: LegacyKeyUsage | null): Promise<void> {
    const what = usage ? `${usage.total} blobs still need ${name}` : `${name} is not set, so its use cannot be checked`;
    await confirmOrRequireYes({
      yes: false,
      needs: `--force: ${name} may still be needed by blobs`,
      question: `${what}; they become unreadable. drop it anyway?`,
      declined: 'not confirmed; nothing changed',
    });
  }
}
