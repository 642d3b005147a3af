import { Args, Flags } from '../cli/oclif.js';
import { openAudited, recordAudit, requirePermission } from '../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { loadSettingsDirectory } from '../cli/settings-directory.js';
import { currentEnvironment } from '../cli/context.js';
import { stdinIsTerminal, stdoutIsTerminal } from '../cli/io.js';
import { promptSearch, promptSecret, type Choice } from '../cli/prompter.js';
import { showOnAlternateScreen } from '../cli/reveal-screen.js';
import { findBlobs, parseBlob } from '../core/blob.js';
import { LibertyError, locateError } from '../core/errors.js';
import { formatFieldRef, parseFieldRef, type FieldRef } from '../core/field-ref.js';
import { stringAt } from '../core/field-value.js';
import { requireMaster, type Keyring } from '../core/keyring.js';
import { FINGERPRINT_MIN_PREFIX, fingerprintConfirms, fingerprintEntryTooShort, type Key } from '../core/keys.js';
import { mapLimit, scanFile, selectFiles } from '../core/settings-scan.js';
import { readSettingsFile, settingsKeyring, type Settings } from '../core/settings.js';

const FINGERPRINT_TRIES = 3;

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

    const ref = given ?? (await this.pickField(settings));
    const field = formatFieldRef(ref);
    const blob = await readFieldBlob(settings, ref);
    await this.confirmFingerprint(settings, master, field);
    const opened = await this.open(settings, keyring, blob, field);

    // fail closed: the audit line is on disk before anything is shown
    const entry = await recordAudit(settings, { event: 'reveal', outcome: 'ok', field, keyId: opened.keyId });
    const { hiddenEarly } = await showOnAlternateScreen(opened.plaintext, { title: field, seconds: flags.seconds });
    this.say(
      hiddenEarly
        ? `revealed ${field}, hidden early by a key press (audit entry ${entry.seq})`
        : `revealed ${field} for ${flags.seconds} s (audit entry ${entry.seq})`,
    );
    return { field, keyId: opened.keyId, seconds: flags.seconds, auditSeq: entry.seq, hiddenEarly };
  }

  /** The searchable list of every encrypted field of the directory. */
  private async pickField(settings: Settings): Promise<FieldRef> {
    const files = await selectFiles(settings.dir);
    const scans = await mapLimit(files, 8, (file) => scanFile(settings.dir, file, settings.fields));
    const refs = new Map<string, FieldRef>();
    for (const scan of scans) {
      if (!scan.ok) {
        this.note(`skipped ${scan.error.message}`);
        continue;
      }
      for (const found of scan.fields) {
        if (!found.encrypted) continue;
        const ref = { file: scan.file, path: found.path };
        refs.set(formatFieldRef(ref), ref);
      }
    }
    if (refs.size === 0) {
      throw new LibertyError('E_FIELD_NOT_FOUND', `no encrypted field in the settings directory ${settings.dir}`, {
        hint: 'encrypt one with liberty-crypto encrypt FILE:KEY, or pass --settings DIR',
      });
    }
    const choices: Choice[] = [...refs.keys()].map((name) => ({ name, value: name }));
    const picked = await promptSearch(`field to reveal (${choices.length} encrypted; type to filter):`, choices);
    return refs.get(picked)!;
  }

  /**
   * Asks for the master key fingerprint in a hidden prompt, up to three tries; each miss is audit-logged.
   * An entry shorter than 16 characters (the key id) is asked for again without using a try.
   */
  private async confirmFingerprint(settings: Settings, master: Key, field: string): Promise<void> {
    for (let attempt = 1; attempt <= FINGERPRINT_TRIES; ) {
      const again = attempt > 1 ? ` again (try ${attempt} of ${FINGERPRINT_TRIES})` : '';
      const typed = await promptSecret(`type the master key fingerprint${again} to reveal ${field} (64 hex digits, or the first 16):`);
      if (fingerprintEntryTooShort(typed)) {
        this.note(`type at least ${FINGERPRINT_MIN_PREFIX} characters of the fingerprint (the 8-character key id is not enough); that did not use a try`);
        continue;
      }
      if (fingerprintConfirms(typed, master.fingerprint)) return;
      await recordAudit(settings, { event: 'reveal', outcome: 'wrong-fingerprint', field });
      if (attempt < FINGERPRINT_TRIES) this.note(`that is not the fingerprint of ${master.env}`);
      attempt += 1;
    }
    throw new LibertyError('E_WRONG_FINGERPRINT', `${field}: master key fingerprint not confirmed after ${FINGERPRINT_TRIES} tries; nothing revealed`, {
      hint: 'liberty-crypto fingerprint prints the fingerprint of the loaded master key',
    });
  }

  private async open(settings: Settings, keyring: Keyring, value: string, field: string): Promise<{ plaintext: string; keyId: string }> {
    const opened = await openAudited(settings, keyring, value, { event: 'reveal', field });
    return { plaintext: opened.text, keyId: opened.opened[0].slot.key.kid };
  }
}

/** The value of a field holding a blob (whole or embedded), each blob checked to parse; a plain value is E_NOT_ENCRYPTED. */
async function readFieldBlob(settings: Settings, ref: FieldRef): Promise<string> {
  const field = formatFieldRef(ref);
  const value = stringAt((await readSettingsFile(settings.dir, ref.file)).data, ref);
  const spans = findBlobs(value);
  if (spans.length === 0) {
    throw new LibertyError('E_NOT_ENCRYPTED', `${field}: not encrypted: the field holds a plain value`, {
      file: ref.file,
      hint: 'reveal shows encrypted fields only; encrypt it with liberty-crypto encrypt FILE:KEY --existing',
    });
  }
  try {
    spans.forEach((span) => parseBlob(span.text));
    return value;
  } catch (error) {
    throw locateError(error, field, ref.file);
  }
}
