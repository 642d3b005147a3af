/**
 * decrypt's two flows: printing a plaintext (of a field, a blob argument or a blob on stdin), audit-logged
 * before it leaves, and `--to-plain`, writing it back into its field once the operator agreed.
 */
import { LibertyError } from '../core/errors.js';
import { formatFieldRef, type FieldRef } from '../core/field-ref.js';
import { stringAt } from '../core/field-value.js';
import { writeFieldPlain } from '../core/field-writes.js';
import type { Keyring } from '../core/keyring.js';
import { readSettingsFile, type Settings } from '../core/settings.js';
import { auditToPlain, openAudited, recordPlaintextShown, requirePermission } from './audit-events.js';
import type { CommandOutput } from './base-command.js';
import { confirmOrRequireYes } from './confirm.js';
import { dropTrailingNewline, readStdin, stdinIsTerminal, stdoutIsTerminal } from './io.js';
import { printableSecret } from './secret-text.js';
import { withSettingsLock } from './with-lock.js';

export interface ToPlainResult {
  field: string;
  /** the key that opened the blob; null when the field was already plain */
  keyId: string | null;
  written: boolean;
}

/**
 * The plaintext of `ref` (a field), else of `source` (a blob), else of the blob on stdin; printed unless
 * `json`: piped, the bytes exactly; on a terminal, control characters shown, never acted on (as reveal does).
 */
export async function printPlaintext(
  settings: Settings,
  keyring: Keyring,
  source: string | undefined,
  ref: FieldRef | undefined,
  json: boolean,
): Promise<{ plaintext: string }> {
  const field = ref ? formatFieldRef(ref) : undefined;
  await requirePermission(settings, 'settings:reveal-secrets', { event: 'decrypt', field });
  const blob = await readBlob(settings, source, ref);
  const opened = await openAudited(settings, keyring, blob, { event: 'decrypt', field });
  await recordPlaintextShown(settings, 'decrypt', field, opened.opened[0].slot.key.kid);
  if (!json) process.stdout.write(stdoutIsTerminal() ? `${printableSecret(opened.text)}\n` : opened.text);
  return { plaintext: opened.text };
}

async function readBlob(settings: Settings, source: string | undefined, ref: FieldRef | undefined): Promise<string> {
  if (ref) return stringAt((await readSettingsFile(settings.dir, ref.file)).data, ref);
  if (source !== undefined) return source;
  if (stdinIsTerminal()) {
    throw new LibertyError('E_USAGE', 'no blob given', { hint: 'pass a blob or FILE:KEY, or pipe the blob on stdin' });
  }
  return dropTrailingNewline(await readStdin());
}

/** `--to-plain`: the plaintext written back into its field, after confirmation (a terminal) or --yes. */
export async function writeBackPlain(
  settings: Settings,
  keyring: Keyring,
  ref: FieldRef,
  yes: boolean,
  out: CommandOutput,
): Promise<ToPlainResult> {
  const field = formatFieldRef(ref);
  await requirePermission(settings, 'settings:reveal-secrets', { event: 'to-plain', field });
  await confirmOrRequireYes({
    yes,
    needs: `${field}: --to-plain writes the plaintext to disk`,
    question: `write the plaintext of ${field} into ${ref.file}, unencrypted?`,
    declined: `${field}: not confirmed; nothing written`,
  });
  const result = await withSettingsLock(settings, 'decrypt --to-plain', () =>
    writeFieldPlain({ settings, keyring }, ref, auditToPlain(settings, field)),
  );
  if (!result) {
    out.say(`${field} is already plain text; nothing written`);
    return { field, keyId: null, written: false };
  }
  out.say(`${result.field} is now plain text in ${ref.file}`);
  return { field: result.field, keyId: result.keyId, written: true };
}
