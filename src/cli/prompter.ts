/**
 * Interactive prompts on the terminal. Each @inquirer prompt costs milliseconds to import, so it is
 * loaded only when a prompt is really shown; only the three used are bundled (@inquirer/prompts would
 * bring its editor prompt's character-set tables, a third of the command bundle). Prompts draw on stderr: stdout stays for data. Messages
 * and choices name fields and files, so their control characters are escaped before they are drawn.
 */
import { LibertyError } from '../core/errors.js';
import { escapeControlChars } from '../core/terminal-text.js';

const context = () => ({ output: process.stderr, clearPromptOnDone: true });

function notConfirmed(error: unknown): never {
  if ((error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError') {
    throw new LibertyError('E_NOT_CONFIRMED', 'cancelled at the prompt');
  }
  throw error;
}

/** A masked prompt; ctrl+t cannot unmask it (@inquirer offers that by default): nothing typed is ever shown. */
export async function promptSecret(message: string): Promise<string> {
  const { default: password } = await import('@inquirer/password');
  return password({ message: escapeControlChars(message), mask: '*', toggleMask: false }, context()).catch(notConfirmed);
}

/** Asks for a new secret twice; a mismatch is not a confirmation (exit 7). */
export async function promptNewSecret(label: string): Promise<string> {
  const first = await promptSecret(`${label}:`);
  const second = await promptSecret(`${label} (again):`);
  if (first !== second) throw new LibertyError('E_NOT_CONFIRMED', 'the two entries differ; nothing was encrypted');
  return first;
}

/** A yes/no question (default no); `signal` ends it early, as a cancel (E_NOT_CONFIRMED). */
export async function promptConfirm(message: string, signal?: AbortSignal): Promise<boolean> {
  const { default: confirm } = await import('@inquirer/confirm');
  return confirm({ message: escapeControlChars(message), default: false }, { ...context(), ...(signal ? { signal } : {}) }).catch(
    notConfirmed,
  );
}

export interface Choice {
  name: string;
  value: string;
}

/** A searchable list: typing filters the choices (by the name as shown); the picked choice's value is returned. */
export async function promptSearch(message: string, choices: Choice[]): Promise<string> {
  const { default: search } = await import('@inquirer/search');
  const shown = choices.map((choice) => ({ name: escapeControlChars(choice.name), value: choice.value }));
  return search(
    {
      message: escapeControlChars(message),
      source: (term) => {
        const needle = (term ?? '').toLowerCase();
        return shown.filter((choice) => choice.name.toLowerCase().includes(needle));
      },
    },
    context(),
  ).catch(notConfirmed);
}
