/**
 * "Confirm on a terminal or require --yes": the one rule for a change an operator must agree to. With
 * --yes it goes ahead; on a terminal it asks (declined: E_NOT_CONFIRMED, exit 7); anywhere else it stops
 * with E_NO_TERMINAL (exit 7) naming what needs the confirmation, never with a prompt nobody sees.
 */
import { LibertyError } from '../core/errors.js';
import { stdinIsTerminal } from './io.js';
import { promptConfirm } from './prompter.js';

export interface Confirmation {
  /** --yes was given */
  yes: boolean;
  /** what needs confirming, for the error off a terminal (`connectors.toml:x: --to-plain writes ...`) */
  needs: string;
  /** the question asked on a terminal */
  question: string;
  /** the message when the operator declines */
  declined: string;
}

export async function confirmOrRequireYes({ yes, needs, question, declined }: Confirmation): Promise<void> {
  if (yes) return;
  if (!stdinIsTerminal() || !process.stderr.isTTY) {
    throw new LibertyError('E_NO_TERMINAL', `${needs} and needs confirmation`, { hint: 'pass --yes to confirm off a terminal' });
  }
  if (!(await promptConfirm(question))) throw new LibertyError('E_NOT_CONFIRMED', declined);
}
