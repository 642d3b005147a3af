import { Args } from '../cli/oclif.js';
import { requirePermission } from '../cli/audit-events.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { currentEnvironment } from '../cli/context.js';
import { editSettingsFile, type EditResult } from '../cli/edit-file.js';
import { editResultLines } from '../cli/edit-view.js';
import { stdinIsTerminal } from '../cli/io.js';
import { requireMaster } from '../core/keyring.js';
import { selectFiles } from '../core/settings-scan.js';
import { loadSettings, settingsKeyring } from '../core/settings.js';

export default class Edit extends BaseCommand {
  static override summary = 'edit a settings file in $VISUAL or $EDITOR with its secrets opened; changed secrets are sealed on save';
  static override description =
    "Opens every blob of FILE (whole values and blobs inside values, such as a pool URL's password) and runs " +
    '$VISUAL, else $EDITOR, else vi on the file with the plaintexts in place, in a private temporary file ' +
    '(mode 0600, in a folder of mode 0700 under $XDG_RUNTIME_DIR, else /dev/shm, else the temporary directory). ' +
    'When the editor exits, the settings file is written back as you left it, with every changed secret sealed ' +
    "under the master key in the directory's format: a value that was encrypted, and a value changed or added " +
    'in a secret field; a ${NAME} reference is never sealed. Unchanged secrets keep their exact old blob, so a ' +
    'diff shows only what you changed, and an unchanged file is not written at all. The temporary file is ' +
    'overwritten with zeros and removed on every exit: an editor that exits non-zero (exit 7), invalid TOML ' +
    '(on a terminal you may re-open the editor; else exit 5), SIGINT (exit 130), SIGTERM (exit 143) and SIGHUP (exit 129, ' +
    'the terminal or SSH session gone) leave ' +
    'the settings file untouched. Needs the permission settings:reveal-secrets; every field opened and every ' +
    'field changed is audit-logged. Holds the settings lock throughout: a second edit waits for the first.';
  static override examples = [
    { description: 'edit a file in your editor, its secrets opened', command: '<%= config.bin %> edit connectors.toml' },
    {
      description: 'a scripted change: any command that edits the file it is given',
      command: "EDITOR='sed -i s/db.internal/db2.internal/' <%= config.bin %> edit connectors.toml",
    },
    {
      description: 'what changed, as JSON',
      command: "EDITOR='sed -i s/cache-password/new-cache-password/' <%= config.bin %> edit connectors.toml --json",
    },
  ];
  static override args = {
    file: Args.string({ required: true, ignoreStdin: true, description: 'the settings file, relative to the settings directory' }),
  };
  static override flags = { ...settingsFlag };

  async run(): Promise<EditResult> {
    const { args, flags } = await this.parse(Edit);
    const location = this.settingsLocation(flags.settings);
    const settings = await loadSettings(location.dir, { mustExist: true });
    const keyring = settingsKeyring(settings, currentEnvironment());
    const [file] = await selectFiles(settings.dir, [args.file]);
    await requirePermission(settings, 'settings:reveal-secrets', { event: 'edit.reveal', details: { file: file } });
    requireMaster(keyring);
    const interactive = stdinIsTerminal() && Boolean(process.stderr.isTTY);
    const result = await editSettingsFile(settings, keyring, file, { interactive, note: (text) => this.note(text) });
    const { lines, notes } = editResultLines(result);
    lines.forEach((line) => this.say(line));
    notes.forEach((line) => this.note(line));
    return result;
  }
}
