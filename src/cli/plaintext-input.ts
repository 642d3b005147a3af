/** Where a new plaintext comes from: --from-env, piped stdin, or a hidden prompt. Never argv. */
import { LibertyError } from '../core/errors.js';
import type { Environment } from '../core/keyring.js';
import { dropTrailingNewline, readStdin, stdinIsTerminal } from './io.js';
import { promptNewSecret } from './prompter.js';

export async function readNewPlaintext(fromEnv: string | undefined, env: Environment, label = 'secret'): Promise<string> {
  if (fromEnv !== undefined) {
    const value = env[fromEnv];
    if (value === undefined) {
      throw new LibertyError('E_USAGE', `--from-env: environment variable ${fromEnv} is not set`, {
        hint: `export ${fromEnv} first (an empty value is allowed)`,
      });
    }
    return value;
  }
  if (!stdinIsTerminal()) return dropTrailingNewline(await readStdin());
  return promptNewSecret(label);
}
