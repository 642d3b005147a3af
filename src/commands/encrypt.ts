import { Args, Flags } from '../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { encryptEverySecretField, encryptField, printBlob, type EncryptResult } from '../cli/encrypt-flow.js';
import { loadOptionalSettings, loadSettingsDirectory } from '../cli/settings-directory.js';
import { currentEnvironment } from '../cli/context.js';
import { readNewPlaintext } from '../cli/plaintext-input.js';
import { LibertyError } from '../core/errors.js';
import { parseFieldRef } from '../core/field-ref.js';
import type { EncryptAllResult, EncryptFieldResult } from '../core/field-writes.js';
import { requireSealingKey } from '../core/keyring.js';
import { settingsKeyring } from '../core/settings.js';

export type { EncryptResult };

export default class Encrypt extends BaseCommand {
  static override summary = 'encrypt a secret under the current master key, to stdout or into a field';
  static override description =
    'Reads the plaintext from stdin when it is piped (one trailing newline is dropped), from --from-env VAR, ' +
    'or from a hidden prompt asked twice on a terminal. Without FILE:KEY it prints a blob in the format of ' +
    'app.toml [crypto] format (v1 when absent); with ' +
    'FILE:KEY it writes the blob into that field, creating the key or table if absent. --existing encrypts ' +
    'the plaintext already in the field; --all does that for every non-empty plaintext in a secret field of ' +
    'the directory. A value that is a ${NAME} reference (the framework reads it from the environment) is never ' +
    'sealed: --all leaves it, --existing refuses it. The plaintext is never accepted as a command-line argument: it would land in shell ' +
    'history and ps. An empty plaintext is refused (exit 2) unless --allow-empty: an empty pipe is usually a ' +
    'command that failed before it. Replacing a value the field already held says so (replaced); --no-replace ' +
    'refuses it instead (exit 9), for pipelines that only fill gaps. The first write into a directory whose ' +
    'app.toml stores no fingerprint stores it.';
  static override examples = [
    { description: 'encrypt a secret piped from a vault', command: 'vault kv get -field=password secret/db | <%= config.bin %> encrypt' },
    {
      description: 'encrypt a CI variable into a field',
      command: '<%= config.bin %> encrypt connectors.toml:pools.main.password --from-env DB_PASSWORD',
    },
    {
      description: 'toggle a plain field to encrypted',
      command: '<%= config.bin %> encrypt connectors.toml:connectors.billing.auth_token --existing',
    },
    { description: 'encrypt every plaintext secret field', command: '<%= config.bin %> encrypt --all --json' },
  ];
  static override args = {
    field: Args.string({ ignoreStdin: true, description: 'FILE:KEY to write the blob into (instead of printing it)' }),
  };
  static override flags = {
    ...settingsFlag,
    'from-env': Flags.string({ summary: 'read the plaintext from this environment variable', helpValue: 'VAR' }),
    existing: Flags.boolean({ summary: 'encrypt the plaintext value already in FILE:KEY', exclusive: ['from-env', 'all'] }),
    all: Flags.boolean({ summary: 'encrypt every non-empty plaintext value in a secret field', exclusive: ['from-env', 'existing'] }),
    'allow-empty': Flags.boolean({ summary: 'accept an empty plaintext (refused by default: an empty pipe is usually a failed command)' }),
    'no-replace': Flags.boolean({
      summary: 'refuse (exit 9) when FILE:KEY already holds a value: only fill gaps',
      exclusive: ['existing', 'all'],
    }),
  };

  async run(): Promise<EncryptResult | EncryptFieldResult | EncryptAllResult> {
    const { args, flags } = await this.parse(Encrypt);
    const env = currentEnvironment();
    const location = this.settingsLocation(flags.settings);
    const writes = args.field !== undefined || flags.all;
    if (flags.existing && args.field === undefined) throw new LibertyError('E_USAGE', '--existing needs FILE:KEY');
    if (flags.all && args.field !== undefined) throw new LibertyError('E_USAGE', '--all takes no FILE:KEY');
    const settings = await (writes ? loadSettingsDirectory(location) : loadOptionalSettings(location));
    const keyring = settingsKeyring(settings, env);
    const key = requireSealingKey(keyring);
    const readPlaintext = () => readNewPlaintext(flags['from-env'], env, { allowEmpty: flags['allow-empty'] });

    if (!writes) return printBlob(keyring, key.kid, await readPlaintext(), this);
    if (flags.all) return encryptEverySecretField(settings, keyring, key.kid, this);
    const ref = parseFieldRef(args.field!);
    const plaintext = flags.existing ? undefined : await readPlaintext();
    return encryptField(settings, keyring, ref, plaintext, flags['no-replace'], this);
  }
}
