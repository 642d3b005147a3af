import { BaseCommand } from '../cli/base-command.js';
import { generateKey } from '../core/keygen.js';

export default class Genkey extends BaseCommand {
  static override summary = 'generate a new 32-byte master key';
  static override description =
    'Prints 32 bytes from the system CSPRNG as 64 lower-case hex characters on stdout and nothing else. ' +
    'The key is never written to disk: export it under an environment variable and reference that variable ' +
    'from app.toml [crypto] master_key.';
  static override examples = [
    { description: 'generate a key into a variable', command: 'export LIBERTY_MASTER_KEY_NEW=$(<%= config.bin %> genkey)' },
    { description: 'the key with its fingerprint, as JSON', command: '<%= config.bin %> genkey --json' },
  ];

  async run(): Promise<{ key: string; fingerprint: string }> {
    await this.parse(Genkey);
    const generated = generateKey();
    this.say(generated.key);
    return generated;
  }
}
