import { Args, Flags } from '../../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../../cli/base-command.js';
import { dropLegacyKeyWhenUnused, type DropResult } from '../../cli/drop-legacy-flow.js';
import { loadSettingsDirectory } from '../../cli/settings-directory.js';
import { checkEnvName } from '../../core/key-rotation.js';

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
    const result = await dropLegacyKeyWhenUnused(settings, args.name, { force: flags.force, yes: flags.yes }, this);
    if (!result.dropped) this.reportProblems();
    return result;
  }
}
