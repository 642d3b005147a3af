/**
 * The operator proves they hold the master key's fingerprint before a plaintext is shown (reveal): typed in
 * a hidden prompt, all 64 hex characters or at least the first 16. Three misses end it, each audit-logged;
 * an entry shorter than 16 characters (the 8-character key id) is asked for again and uses no try.
 */
import { LibertyError } from '../core/errors.js';
import { FINGERPRINT_MIN_PREFIX, fingerprintConfirms, fingerprintEntryTooShort, type Key } from '../core/keys.js';
import type { Settings } from '../core/settings.js';
import { recordWrongFingerprint } from './audit-events.js';
import { promptSecret } from './prompter.js';

export const FINGERPRINT_TRIES = 3;

export async function confirmFingerprint(settings: Settings, master: Key, field: string, note: (line: string) => void): Promise<void> {
  for (let attempt = 1; attempt <= FINGERPRINT_TRIES;) {
    const again = attempt > 1 ? ` again (try ${attempt} of ${FINGERPRINT_TRIES})` : '';
    const typed = await promptSecret(`type the master key fingerprint${again} to reveal ${field} (64 hex digits, or the first 16):`);
    if (fingerprintEntryTooShort(typed)) {
      note(
        `type at least ${FINGERPRINT_MIN_PREFIX} characters of the fingerprint (the 8-character key id is not enough); that did not use a try`,
      );
      continue;
    }
    if (fingerprintConfirms(typed, master.fingerprint)) return;
    await recordWrongFingerprint(settings, field);
    if (attempt < FINGERPRINT_TRIES) note(`that is not the fingerprint of ${master.env}`);
    attempt += 1;
  }
  throw new LibertyError(
    'E_WRONG_FINGERPRINT',
    `${field}: master key fingerprint not confirmed after ${FINGERPRINT_TRIES} tries; nothing revealed`,
    {
      hint: 'liberty-crypto fingerprint prints the fingerprint of the loaded master key',
    },
  );
}
