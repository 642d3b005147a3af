/** Where a new plaintext comes from: --from-env, piped stdin, or a hidden prompt. Never argv. */
import { LibertyError } from '../core/errors.js';
import type { Environment } from '../core/keyring.js';
import { dropTrailingNewline, readStdin, stdinIsTerminal } from './io.js';
import { promptNewSecret } from './prompter.js';

export interface PlaintextOptions {
  /** accept an empty plaintext (refused by default: an empty pipe is usually a failed command before it) */
  allowEmpty?: boolean;
  label?: string;
}

export async function readNewPlaintext(fromEnv: string | undefined, env: Environment, options: PlaintextOptions = {}): Promise<string> {
  const plaintext = await readFromSource(fromEnv, env, options.label ?? 'secret');
  if (plaintext === '' && !options.allowEmpty) {
    const source = fromEnv !== undefined ? `--from-env ${fromEnv}` : stdinIsTerminal() ? 'the prompt' : 'stdin';
    throw new LibertyError('E_USAGE', `the plaintext from ${source} is empty; nothing written`, {
      hint: 'an empty pipe is often a command that failed before it (use set -o pipefail); pass --allow-empty to store an empty value',
    });
  }
  return plaintext;
}

async function readFromSource(fromEnv: string | undefined, env: Environment, label: string): Promise<string> {
  if (fromEnv !== undefined) {
    const value = env[fromEnv];
    if (value === undefined) {
      throw new LibertyError('E_USAGE', `--from-env: environment variable ${fromEnv} is not set`, {
        hint: `export ${fromEnv} first`,
      });
    }
    return value;
  }
  if (!stdinIsTerminal()) return dropTrailingNewline(await readStdin());
  return promptNewSecret(label);
}
