import { Args, Flags } from '../cli/oclif.js';
import { auditWrites, openAudited, recordAudit, requirePermission } from '../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { currentEnvironment } from '../cli/context.js';
import { dropTrailingNewline, readStdin, stdinIsTerminal, stdoutIsTerminal } from '../cli/io.js';
import { confirmOrRequireYes } from '../cli/confirm.js';
import { printableSecret } from '../cli/secret-text.js';
import { withSettingsLock } from '../cli/with-lock.js';
import { LibertyError } from '../core/errors.js';
import { formatFieldRef, looksLikeFieldRef, parseFieldRef, type FieldRef } from '../core/field-ref.js';
import { stringAt } from '../core/field-value.js';
import { writeFieldPlain } from '../core/field-writes.js';
import type { Keyring } from '../core/keyring.js';
import { readSettingsFile, settingsKeyring, type Settings } from '../core/settings.js';

export interface ToPlainResult {
  field: string;
  /** the key that opened the blob; null when the field was already plain */
  keyId: string | null;
  written: boolean;
}

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
    const isField = args.source !== undefined && looksLikeFieldRef(args.source);

    if (flags['to-plain']) {
      if (!isField) throw new LibertyError('E_USAGE', '--to-plain needs FILE:KEY');
      return this.toPlain(settings, keyring, parseFieldRef(args.source!), flags.yes);
    }

    const ref = isField ? parseFieldRef(args.source!) : undefined;
    const field = ref ? formatFieldRef(ref) : undefined;
    await requirePermission(settings, 'settings:reveal-secrets', { event: 'decrypt', field });
    const blob = await this.readBlob(settings, args.source, ref);
    const opened = await openAudited(settings, keyring, blob, { event: 'decrypt', field });
    // fail closed: the audit line is on disk before any plaintext leaves
    await recordAudit(settings, { event: 'decrypt', outcome: 'ok', field, keyId: opened.opened[0].slot.key.kid });
    // piped: the bytes exactly; on a terminal: control characters shown, never acted on (as reveal does)
    if (!this.jsonEnabled()) process.stdout.write(stdoutIsTerminal() ? `${printableSecret(opened.text)}\n` : opened.text);
    return { plaintext: opened.text };
  }

  private async readBlob(settings: Settings, source: string | undefined, ref: FieldRef | undefined): Promise<string> {
    if (ref) return stringAt((await readSettingsFile(settings.dir, ref.file)).data, ref);
    if (source !== undefined) return source;
    if (stdinIsTerminal()) {
      throw new LibertyError('E_USAGE', 'no blob given', { hint: 'pass a blob or FILE:KEY, or pipe the blob on stdin' });
    }
    return dropTrailingNewline(await readStdin());
  }

  private async toPlain(settings: Settings, keyring: Keyring, ref: FieldRef, yes: boolean): Promise<ToPlainResult> {
    const field = formatFieldRef(ref);
    await requirePermission(settings, 'settings:reveal-secrets', { event: 'to-plain', field });
    await confirmOrRequireYes({
      yes,
      needs: `${field}: --to-plain writes the plaintext to disk`,
      question: `write the plaintext of ${field} into ${ref.file}, unencrypted?`,
      declined: `${field}: not confirmed; nothing written`,
    });
    const result = await withSettingsLock(settings, 'decrypt --to-plain', () =>
      writeFieldPlain(
        { settings, keyring },
        ref,
        auditWrites(settings, () => ({ event: 'to-plain', field })),
      ),
    );
    if (!result) {
      this.say(`${field} is already plain text; nothing written`);
      return { field, keyId: null, written: false };
    }
    this.say(`${result.field} is now plain text in ${ref.file}`);
    return { field: result.field, keyId: result.keyId, written: true };
  }
}
