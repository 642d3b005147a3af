import { Args, Flags } from '../cli/oclif.js';
import { openAudited, recordAudit, requirePermission } from '../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { currentEnvironment } from '../cli/context.js';
import { pickEncryptedField } from '../cli/field-picker.js';
import { confirmFingerprint } from '../cli/fingerprint-prompt.js';
import { stdinIsTerminal, stdoutIsTerminal } from '../cli/io.js';
import { showOnAlternateScreen } from '../cli/reveal-screen.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { readEncryptedValue } from '../core/encrypted-fields.js';
import { LibertyError } from '../core/errors.js';
import { formatFieldRef, parseFieldRef } from '../core/field-ref.js';
import { requireMaster } from '../core/keyring.js';
import { settingsKeyring } from '../core/settings.js';

export interface RevealResult {
  field: string;
  keyId: string;
  seconds: number;
  auditSeq: number;
  hiddenEarly: boolean;
}

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
    if (!stdinIsTerminal() || !stdoutIsTerminal()) {
      throw new LibertyError('E_NO_TERMINAL', 'reveal shows a secret on the terminal screen: stdin and stdout must be a terminal', {
        hint: 'to print a plaintext in a script, use liberty-crypto decrypt',
      });
    }
    const location = this.settingsLocation(flags.settings);
    const settings = await loadSettingsDirectory(location);
    const keyring = settingsKeyring(settings, currentEnvironment());
    const given = args.field === undefined ? undefined : parseFieldRef(args.field);
    await requirePermission(settings, 'settings:reveal-secrets', { event: 'reveal', field: given && formatFieldRef(given) });
    const master = requireMaster(keyring);

    const ref = given ?? (await pickEncryptedField(settings, (line) => this.note(line)));
    const field = formatFieldRef(ref);
    const value = await readEncryptedValue(settings, ref);
    await confirmFingerprint(settings, master, field, (line) => this.note(line));
    const opened = await openAudited(settings, keyring, value, { event: 'reveal', field });
    const keyId = opened.opened[0].slot.key.kid;

    // fail closed: the audit line is on disk before anything is shown
    const entry = await recordAudit(settings, { event: 'reveal', outcome: 'ok', field, keyId });
    const { hiddenEarly } = await showOnAlternateScreen(opened.text, { title: field, seconds: flags.seconds });
    this.say(
      hiddenEarly
        ? `revealed ${field}, hidden early by a key press (audit entry ${entry.seq})`
        : `revealed ${field} for ${flags.seconds} s (audit entry ${entry.seq})`,
    );
    return { field, keyId, seconds: flags.seconds, auditSeq: entry.seq, hiddenEarly };
  }
}
