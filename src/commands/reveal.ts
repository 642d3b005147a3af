import { Args, Flags } from '../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { currentEnvironment } from '../cli/context.js';
import { requireRevealTerminal, revealField, type RevealResult } from '../cli/reveal-flow.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { parseFieldRef } from '../core/field-ref.js';
import { settingsKeyring } from '../core/settings.js';

export type { RevealResult };

export default class Reveal extends BaseCommand {
  static override summary = 'show the plaintext of an encrypted field on the terminal for a few seconds, then wipe it';
  static override description =
    'For an operator at a terminal (stdin and stdout must be one; scripts use decrypt). Without FILE:KEY it ' +
    'offers a searchable list of every encrypted field in the settings directory. Needs the permission ' +
    'settings:reveal-secrets in app.toml [permissions], and asks you to type the fingerprint of the master key ' +
    '(all 64 hex characters or at least the first 16; case, spaces and colons do not matter) in a hidden ' +
    'prompt; three wrong tries end it, each one audit-logged (an entry shorter than 16 characters, such as the ' +
    'key id, is asked for again and uses no try). The reveal is audit-logged (and fsynced) before ' +
    'anything is shown. The plaintext is drawn on the alternate screen with a countdown for --seconds, or until ' +
    'a key is pressed, then the screen and the scrollback are cleared and the screen left: nothing of it stays ' +
    'on the screen or in the scrollback, also on a terminal without an alternate screen. Afterwards one line ' +
    'names the field and the audit entry, never the value; --json prints that summary as JSON.';
  static override examples = [
    { description: 'pick a field from a searchable list', command: '<%= config.bin %> reveal --settings ./config' },
    { description: 'one field, shown for 5 seconds', command: '<%= config.bin %> reveal connectors.toml:pools.main.password --seconds 5' },
    { description: 'the summary as JSON', command: '<%= config.bin %> reveal connectors.toml:pools.main.password --json' },
  ];
  static override args = {
    field: Args.string({ ignoreStdin: true, description: 'FILE:KEY of an encrypted field; omitted: pick one from a list' }),
  };
  static override flags = {
    ...settingsFlag,
    seconds: Flags.integer({ summary: 'how long the plaintext stays on the screen', min: 1, max: 60, default: 10, helpValue: 'N' }),
  };

  async run(): Promise<RevealResult> {
    const { args, flags } = await this.parse(Reveal);
    requireRevealTerminal();
    const location = this.settingsLocation(flags.settings);
    const settings = await loadSettingsDirectory(location);
    const keyring = settingsKeyring(settings, currentEnvironment());
    const given = args.field === undefined ? undefined : parseFieldRef(args.field);
    return revealField(settings, keyring, given, flags.seconds, this);
  }
}
