import { Args, Flags } from '../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { printPlaintext, writeBackPlain, type ToPlainResult } from '../cli/decrypt-flow.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { currentEnvironment } from '../cli/context.js';
import { LibertyError } from '../core/errors.js';
import { looksLikeFieldRef, parseFieldRef } from '../core/field-ref.js';
import { settingsKeyring } from '../core/settings.js';

export type { ToPlainResult };

export default class Decrypt extends BaseCommand {
  static override summary = 'print the plaintext of a blob or of an encrypted field';
  static override description =
    'Takes a blob as argument, a field reference FILE:KEY (FILE relative to the settings directory, KEY a TOML ' +
    'dotted key), or a blob on stdin when no argument is given (one trailing newline is ignored), and prints ' +
    'the plaintext exactly (for a value with a blob embedded in it, like a pool URL, the value with the blob ' +
    'opened, as the framework sees it), with no newline added when stdout is not a terminal. On a terminal its ' +
    'control characters other than line breaks are shown as \\xNN in reverse video, so a stored value cannot ' +
    'retitle or rewrite the terminal; piped, the bytes are exact. Needs the permission ' +
    'settings:reveal-secrets in app.toml [permissions]; every plaintext output is audit-logged (and fsynced) ' +
    'before it is shown. --to-plain writes the plaintext back into the field instead (the toggle from encrypted ' +
    'to plain): it asks for confirmation on a terminal, needs --yes elsewhere, and is refused on a locked field.';
  static override examples = [
    { description: 'a field of a settings file', command: '<%= config.bin %> decrypt connectors.toml:pools.main.password' },
    { description: 'a blob from stdin, as JSON', command: '<%= config.bin %> decrypt --json < blob.txt' },
    {
      description: 'switch a field back to plain',
      command: '<%= config.bin %> decrypt connectors.toml:pools.cache.password --to-plain --yes',
    },
  ];
  static override args = {
    source: Args.string({ ignoreStdin: true, description: 'a blob, or FILE:KEY; omitted: the blob is read from stdin' }),
  };
  static override flags = {
    ...settingsFlag,
    'to-plain': Flags.boolean({ summary: 'write the plaintext back into FILE:KEY instead of printing it' }),
    yes: Flags.boolean({ char: 'y', summary: 'confirm --to-plain without a prompt (needed off a terminal)' }),
  };

  async run(): Promise<{ plaintext: string } | ToPlainResult> {
    const { args, flags } = await this.parse(Decrypt);
    const location = this.settingsLocation(flags.settings);
    const settings = await loadSettingsDirectory(location);
    const keyring = settingsKeyring(settings, currentEnvironment());
    const ref = args.source !== undefined && looksLikeFieldRef(args.source) ? parseFieldRef(args.source) : undefined;
    if (!flags['to-plain']) return printPlaintext(settings, keyring, args.source, ref, this.jsonEnabled());
    if (!ref) throw new LibertyError('E_USAGE', '--to-plain needs FILE:KEY');
    return writeBackPlain(settings, keyring, ref, flags.yes, this);
  }
}
