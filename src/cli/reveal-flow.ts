/**
 * reveal's flow, for an operator at a terminal: the permission, the field (given, or picked from the
 * list), the fingerprint typed, the value opened, the audit line on disk, then the plaintext on the
 * alternate screen and one line that names the field and the audit entry, never the value.
 */
import { readEncryptedValue } from '../core/encrypted-fields.js';
import { LibertyError } from '../core/errors.js';
import { formatFieldRef, type FieldRef } from '../core/field-ref.js';
import { requireMaster, type Keyring } from '../core/keyring.js';
import type { Settings } from '../core/settings.js';
import { openAudited, recordPlaintextShown, requirePermission } from './audit-events.js';
import type { CommandOutput } from './base-command.js';
import { pickEncryptedField } from './field-picker.js';
import { confirmFingerprint } from './fingerprint-prompt.js';
import { stdinIsTerminal, stdoutIsTerminal } from './io.js';
import { showOnAlternateScreen } from './reveal-screen.js';

export interface RevealResult {
  field: string;
  keyId: string;
  seconds: number;
  auditSeq: number;
  hiddenEarly: boolean;
}

/** reveal is for a person: stdin and stdout must be a terminal (scripts use decrypt). */
export function requireRevealTerminal(): void {
  if (!stdinIsTerminal() || !stdoutIsTerminal()) {
    throw new LibertyError('E_NO_TERMINAL', 'reveal shows a secret on the terminal screen: stdin and stdout must be a terminal', {
      hint: 'to print a plaintext in a script, use liberty-crypto decrypt',
    });
  }
}

export async function revealField(
  settings: Settings,
  keyring: Keyring,
  given: FieldRef | undefined,
  seconds: number,
  out: CommandOutput,
): Promise<RevealResult> {
  await requirePermission(settings, 'settings:reveal-secrets', { event: 'reveal', field: given && formatFieldRef(given) });
  const master = requireMaster(keyring);
  const note = (line: string) => out.note(line);

  const ref = given ?? (await pickEncryptedField(settings, note));
  const field = formatFieldRef(ref);
  const value = await readEncryptedValue(settings, ref);
  await confirmFingerprint(settings, master, field, note);
  const opened = await openAudited(settings, keyring, value, { event: 'reveal', field });
  const keyId = opened.opened[0].slot.key.kid;

  // fail closed: the audit line is on disk before anything is shown
  const entry = await recordPlaintextShown(settings, 'reveal', field, keyId);
  const { hiddenEarly } = await showOnAlternateScreen(opened.text, { title: field, seconds });
  out.say(
    hiddenEarly
      ? `revealed ${field}, hidden early by a key press (audit entry ${entry.seq})`
      : `revealed ${field} for ${seconds} s (audit entry ${entry.seq})`,
  );
  return { field, keyId, seconds, auditSeq: entry.seq, hiddenEarly };
}
