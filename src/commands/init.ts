import { Flags } from '../cli/oclif.js';
import { auditWrites } from '../cli/audit-trail.js';
import { BaseCommand, settingsFlag } from '../cli/base-command.js';
import { currentEnvironment } from '../cli/context.js';
import { withSettingsLock } from '../cli/with-lock.js';
import type { BlobFormat } from '../core/blob.js';
import { BLOB_FORMATS, DEFAULT_MASTER_ENV } from '../core/crypto-config.js';
import { checkEnvName } from '../core/key-rotation.js';
import { auditLogPath, loadSettings } from '../core/settings.js';
import { pathAsNamed } from '../core/settings-directory.js';
import { checkInitTarget, createSettingsDir, initMasterKey, writeInitialApp, type InitResult } from '../core/settings-init.js';

export interface InitOutput extends InitResult {
  dir: string;
  /** whether init created the settings directory (mode 0700) */
  created: boolean;
  auditLog: string;
}

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
    const format = flags.format as BlobFormat;
    const env = currentEnvironment();
    const location = this.settingsLocation(flags.settings);
    checkInitTarget(location.dir, location.shown);
    const master = initMasterKey(flags.master, format, env);
    const created = await createSettingsDir(location.dir);
    const settings = await loadSettings(location.dir, { mustExist: true });
    const audit = auditWrites(settings, (result: InitResult) => ({
      event: 'init',
      ...(result.keyId ? { keyId: result.keyId } : {}),
      details: { env: result.masterEnv, format: result.format },
    }));
    const result = await withSettingsLock(settings, 'init', () =>
      writeInitialApp(settings, { masterEnv: flags.master, format, ...(master ? { master } : {}) }, location.shown, audit),
    );
    const output: InitOutput = { dir: location.dir, created, ...result, auditLog: auditLogPath(settings, env) };
    this.say(
      `${created ? 'created' : 'initialized'} ${location.shown}: app.toml [crypto] master_key = "\${${result.masterEnv}}", format = "${result.format}"`,
    );
    this.say(
      result.keyId
        ? `stored the fingerprint of ${result.masterEnv} (key id ${result.keyId})`
        : `no fingerprint stored: ${result.masterEnv} is not set; the first write stores it`,
    );
    this.say(`audit log started: ${pathAsNamed(location.dir, location.shown, output.auditLog)}`);
    this.say('next: grant [permissions] in app.toml, then liberty-crypto encrypt FILE:KEY');
    return output;
  }
}
