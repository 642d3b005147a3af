import { Flags } from '../cli/oclif.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { initLines, initSettingsDirectory, type InitOutput } from '../cli/init-flow.js';
import type { BlobFormat } from '../core/blob.js';
import { BLOB_FORMATS, DEFAULT_MASTER_ENV } from '../core/crypto-config.js';
import { checkEnvName } from '../core/key-rotation.js';

export type { InitOutput };

export default class Init extends BaseCommand {
  static override summary = 'start a new settings directory: a minimal app.toml and the first audit line';
  static override description =
    'Writes app.toml with [crypto] master_key = "${NAME}" (--master, default LIBERTY_MASTER_KEY) and format ' +
    '(v1, the layout every Liberty runtime reads, unless --format v2), plus the fingerprint of the key when NAME ' +
    'is set in the environment (else the first write stores it); no key is ever written. The audit log starts ' +
    'with an init line, written before app.toml. A directory that already has an app.toml, or one with an ' +
    'app.toml up to two levels below or above it (the files of one install would become settings files of the ' +
    'other), is refused (exit 9, nothing written). A missing settings directory is created with mode 0700, never ' +
    'its parents. Every other command but genkey, and fingerprint and encrypt on a blob alone, refuses a directory without app.toml ' +
    '(exit 6). Grant [permissions] in app.toml next (reveal, decrypt and the keys commands need them).';
  static override examples = [
    { description: 'a new install in ./staging, with LIBERTY_MASTER_KEY exported', command: '<%= config.bin %> init --settings ./staging' },
    {
      description: 'another variable and the v2 format, as JSON',
      command: '<%= config.bin %> init --settings ./next --master LIBERTY_KEY --format v2 --json',
    },
  ];
  static override flags = {
    ...settingsFlag,
    master: Flags.string({
      summary: 'the environment variable that will hold the master key',
      helpValue: 'NAME',
      default: DEFAULT_MASTER_ENV,
    }),
    format: Flags.string({
      summary: 'the format new blobs are written in (v1: every Liberty runtime reads it)',
      options: [...BLOB_FORMATS],
      default: 'v1',
    }),
  };

  async run(): Promise<InitOutput> {
    const { flags } = await this.parse(Init);
    checkEnvName(flags.master, '--master'); // a key typed in place of its name goes nowhere
    const location = this.settingsLocation(flags.settings);
    const output = await initSettingsDirectory(location, flags.master, flags.format as BlobFormat);
    initLines(output, location).forEach((line) => this.say(line));
    return output;
  }
}
