/**
 * The `edit FILE` workflow: under the settings lock for its whole length, open every blob of FILE (each
 * audit-logged before any plaintext is written), hand the opened text to the operator's editor in a
 * private temporary file, and write back what the editor left with the secrets sealed (core/edit-session.ts),
 * each changed field audit-logged ahead of the write. The temporary file is wiped on every way out:
 * success, no change, an editor failure, invalid TOML, an error, SIGINT and SIGTERM.
 */
import { tmpdir } from 'node:os';
import { shellCommand } from '../core/shell-quote.js';
import { LibertyError, locateError } from '../core/errors.js';
import {
  EditOpenError,
  isInvalidToml,
  openForEdit,
  planEditedWrite,
  type EditChange,
  type EditOpening,
  type EditPlan,
  type PlanContext,
} from '../core/edit-session.js';
import { storeMasterFingerprint } from '../core/field-writes.js';
import { requireMaster, type Keyring } from '../core/keyring.js';
import { createPrivateTempFile, privateTempBase, type PrivateTempFile } from '../core/private-temp.js';
import { sameFile } from '../core/safe-fs.js';
import { APP_FILE, readSettingsFile, writeSettingsFile, type Settings, type SettingsDocument } from '../core/settings.js';
import { writeAhead } from '../core/write-ahead.js';
import { auditEditChanges, recordEditReveal, recordOpenFailed } from './audit-events.js';
import { currentEnvironment } from './context.js';
import { chooseEditor, runEditor } from './editor.js';
import { promptConfirm } from './prompter.js';
import { trapSignals, type SignalTrap } from './signal-trap.js';
import { withSettingsLock } from './with-lock.js';

export interface EditResult {
  file: string;
  /** the fields whose blobs were opened for the editor */
  revealed: string[];
  /** false when the editor left the file as it was: nothing written */
  written: boolean;
  changes: EditChange[];
  /** true when this edit sealed the directory's first blob and so stored the master fingerprint in app.toml */
  storedFingerprint: boolean;
}

export interface EditUi {
  /** stdin and stderr are a terminal: invalid TOML offers to re-open the editor */
  interactive: boolean;
  note(text: string): void;
}

/** Waits for the lock as long as another edit may take: an operator in an editor holds it for minutes. */
const EDIT_LOCK_WAIT_MS = 24 * 60 * 60 * 1000;

export async function editSettingsFile(settings: Settings, keyring: Keyring, file: string, ui: EditUi): Promise<EditResult> {
  const editor = chooseEditor(currentEnvironment());
  if (editor.fallback && !ui.interactive) {
    throw new LibertyError('E_NO_TERMINAL', `${file}: no editor set and no terminal to run vi on`, {
      hint: 'set VISUAL or EDITOR to a command that edits the file it is given (EDITOR="sed -i s/old/new/" in a script)',
    });
  }
  const onWait = (holder: { user: string; command: string; pid: number } | undefined) =>
    ui.note(
      holder ? `waiting for the settings lock: ${holder.user} runs ${holder.command} (pid ${holder.pid})` : 'waiting for the settings lock',
    );
  return withSettingsLock(settings, 'edit', () => editLocked(settings, keyring, file, editor.command, ui), {
    waitMs: EDIT_LOCK_WAIT_MS,
    onWait,
  });
}

async function editLocked(settings: Settings, keyring: Keyring, file: string, editor: string, ui: EditUi): Promise<EditResult> {
  const document = await readSettingsFile(settings.dir, file);
  const opening = await openAudited(settings, keyring, document);
  const revealed = opening.opened.map((entry) => entry.field);
  const unchanged: EditResult = { file, revealed, written: false, changes: [], storedFingerprint: false };
  const ctx: PlanContext = { keyring, rules: settings.fields, isAppFile: document.origin.file === APP_FILE };
  const trap = trapSignals(file);
  const initial = Buffer.from(opening.text, 'utf8');
  let temp: PrivateTempFile | undefined;
  try {
    temp = createPrivateTempFile(privateTempBase(currentEnvironment(), tmpdir()), file, initial);
    const plan = await editUntilValid({ ctx, document, opening, initial, temp, editor, trap, ui });
    trap.throwIfReceived();
    if (!plan.changed) return unchanged;
    await checkUnchangedOnDisk(settings, document);
    await writeAhead(auditEditChanges(settings), plan.changes, () => writeSettingsFile(document, plan.text));
    // as every first write of a blob does: from now on a wrong master key is refused, not used
    const sealed = plan.changes.some((change) => change.sealed);
    const storedFingerprint =
      sealed && !settings.crypto.storedFingerprint && (await storeMasterFingerprint({ settings, keyring }, requireMaster(keyring)));
    return { file, revealed, written: true, changes: plan.changes, storedFingerprint };
  } finally {
    initial.fill(0);
    try {
      temp?.wipe();
    } finally {
      trap.release();
    }
  }
}

/** Opens every blob; each opened field is audit-logged (fsynced) before its plaintext goes anywhere. */
async function openAudited(settings: Settings, keyring: Keyring, document: SettingsDocument): Promise<EditOpening> {
  let opening: EditOpening;
  try {
    opening = await openForEdit(document, keyring);
  } catch (error) {
    if (!(error instanceof EditOpenError)) throw error;
    await recordOpenFailed(settings, 'edit.reveal', error.field);
    throw locateError(error.reason, error.field, document.origin.file);
  }
  for (const entry of opening.opened) {
    await recordEditReveal(settings, entry.field, entry.keyId);
  }
  return opening;
}

interface EditRound {
  ctx: PlanContext;
  document: SettingsDocument;
  opening: EditOpening;
  initial: Buffer;
  temp: PrivateTempFile;
  editor: string;
  trap: SignalTrap;
  ui: EditUi;
}

/** Runs the editor until it leaves valid TOML (re-opened on a terminal, if the operator wants), then plans the write. */
async function editUntilValid(round: EditRound): Promise<EditPlan> {
  const { ctx, document, opening, initial, temp, editor, trap, ui } = round;
  const file = document.origin.file;
  for (;;) {
    await runEditor(editor, temp.path, file, trap.signal);
    trap.throwIfReceived();
    const edited = temp.read();
    try {
      if (edited.equals(initial)) return { text: '', changed: false, changes: [] };
      return await planEditedWrite(ctx, document, opening, edited);
    } catch (error) {
      if (!isInvalidToml(error)) throw error;
      const invalid = new LibertyError('E_INVALID_TOML', `${error.message}; nothing was written`, {
        file,
        hint: `the settings file is as it was and the edit was discarded: run ${shellCommand('liberty-crypto', 'edit', file)} again`,
      });
      if (!ui.interactive) throw invalid;
      ui.note(`liberty-crypto: ${error.message}`);
      // a signal during the question ends it: the trap's error (exit 130 or 143), not a plain cancel
      const again = await promptConfirm('re-open the editor to fix it? (no: discard the edit, nothing is written)', trap.signal).catch(
        (cancel: unknown) => {
          trap.throwIfReceived();
          throw cancel;
        },
      );
      if (!again) throw invalid;
    } finally {
      edited.fill(0);
    }
  }
}

/**
 * Others should wait on the lock, but a process that ignores it (an editor of its own, a deploy) may change
 * the file while the operator edits: writing over that would lose its change without a word.
 */
async function checkUnchangedOnDisk(settings: Settings, document: SettingsDocument): Promise<void> {
  const now = await readSettingsFile(settings.dir, document.origin.file);
  const [was, is] = [document.origin.identity, now.origin.identity];
  const same = now.text === document.text && now.bom === document.bom && was !== undefined && is !== undefined && sameFile(was, is);
  if (same) return;
  throw new LibertyError(
    'E_IO',
    `refusing to write ${document.origin.file}: it was changed by another program while you edited it; nothing was written`,
    {
      file: document.origin.file,
      hint: `something changed it without taking the settings lock: look at the change, then run ${shellCommand('liberty-crypto', 'edit', document.origin.file)} again`,
    },
  );
}
