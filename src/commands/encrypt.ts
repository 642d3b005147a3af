import { Args, Flags } from '@oclif/core';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { currentEnvironment } from '../cli/context.js';
import { readNewPlaintext } from '../cli/plaintext-input.js';
import { requireSealingKey, sealWithKey } from '../core/keyring.js';
import { loadSettings, settingsKeyring } from '../core/settings.js';

export interface EncryptResult {
  blob: string;
  keyId: string;
}

export default class Encrypt extends BaseCommand {
  static override summary = 'encrypt a secret under the current master key';
  static override description =
    'Reads the plaintext from stdin when it is piped (one trailing newline is dropped), from --from-env VAR, ' +
    'or from a hidden prompt asked twice on a terminal, and prints an ENC:v2 blob. ' +
    'The plaintext is never accepted as a command-line argument: it would land in shell history and ps.';
  static override examples = [
    { description: 'encrypt a secret piped from a vault', command: 'vault kv get -field=password secret/db | <%= config.bin %> encrypt' },
    { description: 'encrypt a CI variable', command: '<%= config.bin %> encrypt --from-env DB_PASSWORD --json' },
  ];
  static override args = {
    field: Args.string({ ignoreStdin: true, description: 'FILE:KEY to write the blob into (instead of printing it)' }),
  };
  static override flags = {
    ...settingsFlag,
    'from-env': Flags.string({ summary: 'read the plaintext from this environment variable', helpValue: 'VAR' }),
  };

  async run(): Promise<EncryptResult> {
    const { flags } = await this.parse(Encrypt);
    const env = currentEnvironment();
    const location = this.settingsLocation(flags.settings);
    const settings = await loadSettings(location.dir, { mustExist: location.explicit });
    const key = requireSealingKey(settingsKeyring(settings, env));
    const plaintext = await readNewPlaintext(flags['from-env'], env);
    const blob = sealWithKey(key, plaintext);
    this.say(blob);
    return { blob, keyId: key.kid };
  }
}
