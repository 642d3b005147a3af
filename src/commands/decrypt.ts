import { Args } from '@oclif/core';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { currentEnvironment } from '../cli/context.js';
import { dropTrailingNewline, readStdin, stdinIsTerminal } from '../cli/io.js';
import { LibertyError, locateError } from '../core/errors.js';
import { formatFieldRef, looksLikeFieldRef, parseFieldRef } from '../core/field-ref.js';
import { stringAt } from '../core/field-value.js';
import { openBlob } from '../core/keyring.js';
import { loadSettings, readSettingsFile, settingsKeyring } from '../core/settings.js';

export default class Decrypt extends BaseCommand {
  static override summary = 'print the plaintext of a blob or of an encrypted field';
  static override description =
    'Takes a blob as argument, a field reference FILE:KEY (FILE relative to the settings directory, KEY a TOML ' +
    'dotted key), or a blob on stdin when no argument is given (one trailing newline is ignored), and prints ' +
    'the plaintext exactly, with no newline added when stdout is not a terminal.';
  static override examples = [
    { description: 'a field of a settings file', command: '<%= config.bin %> decrypt connectors.toml:pools.main.password' },
    { description: 'a blob from a pipe, as JSON', command: 'echo "$BLOB" | <%= config.bin %> decrypt --json' },
  ];
  static override args = {
    source: Args.string({ ignoreStdin: true, description: 'a blob, or FILE:KEY; omitted: the blob is read from stdin' }),
  };
  static override flags = {
    ...settingsFlag,
  };

  async run(): Promise<{ plaintext: string }> {
    const { args, flags } = await this.parse(Decrypt);
    const where = this.settingsLocation(flags.settings);
    const isField = args.source !== undefined && looksLikeFieldRef(args.source);
    const settings = await loadSettings(where.dir, { mustExist: where.explicit || isField });
    const keyring = settingsKeyring(settings, currentEnvironment());

    let blob: string;
    let label = 'blob';
    if (args.source === undefined) {
      if (stdinIsTerminal()) {
        throw new LibertyError('E_USAGE', 'no blob given', { hint: 'pass a blob or FILE:KEY, or pipe the blob on stdin' });
      }
      blob = dropTrailingNewline(await readStdin());
    } else if (isField) {
      const ref = parseFieldRef(args.source);
      const document = await readSettingsFile(settings.dir, ref.file);
      blob = stringAt(document.data, ref);
      label = formatFieldRef(ref);
    } else {
      blob = args.source;
    }

    const opened = await openBlob(keyring, blob).catch((error: unknown) => {
      throw isField ? locateError(error, label) : error;
    });
    if (!this.jsonEnabled()) process.stdout.write(process.stdout.isTTY ? `${opened.plaintext}\n` : opened.plaintext);
    return { plaintext: opened.plaintext };
  }
}
