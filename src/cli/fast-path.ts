/**
 * Start-up without oclif's Config.load: `--version` and every command the manifest names are run
 * directly, the way oclif would run them, and everything else is left to oclif (src/run.ts).
 *
 * Config.load reads the package.json and manifest of the CLI and of each plugin, asks the platform, the
 * shell and the theme, and evaluates oclif's main module and help on the way: about as long as the work of
 * `status` itself. A command needs none of it. Here the command id comes from oclif's own normalizeArgv
 * (the same words make the same id), the flags and arguments from oclif's own parser (the command's
 * `_run`, with its flags), and the command's run, catch and --json output are the command's own. The
 * config it gets is a small object with what Command reads (bin, user agent, scoped env vars, hooks).
 *
 * Left to oclif, so nothing of theirs changes: no arguments (the help), `--help` anywhere before `--`,
 * a word that names no command of the manifest (`help`, `autocomplete`, topics, typos and the
 * command_not_found hook), a manifest that is missing or of another version, and any process with oclif's
 * debug output or settings in the environment (DEBUG, OCLIF_*, LIBERTY_CRYPTO_*). LIBERTY_CRYPTO_FULL_OCLIF=1
 * (internal, for the tests that compare the two paths) forces oclif's path.
 *
 * Only node built-ins are imported up front: `--version` loads no oclif code at all.
 */
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { environmentForOclif } from './command-argv.js';

interface PackageJson {
  name: string;
  version: string;
  oclif: {
    bin?: string;
    binAliases?: string[];
    topicSeparator?: string;
    additionalVersionFlags?: string[];
    additionalHelpFlags?: string[];
    flexibleTaxonomy?: boolean;
  };
}

interface ManifestCommand {
  id: string;
  strict?: boolean;
  args?: Record<string, unknown>;
  aliases?: string[];
  hiddenAliases?: string[];
  relativePath?: string[];
}

interface Manifest {
  version: string;
  commands: Record<string, ManifestCommand>;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Loads a command's module from its manifest path (the package's files below `root`). */
export type CommandLoader = (relativePath: string[]) => Promise<{ default?: unknown } | undefined>;

/**
 * Runs `argv` without Config.load when it can, and says whether it did. `root` is the package root (where
 * package.json and oclif.manifest.json are). Errors of the command are the command's (BaseCommand.catch);
 * what is thrown past it goes to the caller, as from oclif's run. `loadCommand` is how the command's module
 * is loaded: by default the ES module the manifest names; the code-cached bundle (src/run.ts) passes its own.
 */
export async function runFast(argv: readonly string[], root: string, loadCommand?: CommandLoader): Promise<boolean> {
  if (environmentForOclif(process.env)) return false;
  const pjson = readJson<PackageJson>(join(root, 'package.json'));
  if (!pjson?.oclif || pjson.oclif.flexibleTaxonomy) return false;

  // oclif's order: the version flag (first word) before the help flags, before the command
  const versionFlags = new Set(['--version', ...(pjson.oclif.additionalVersionFlags ?? [])]);
  if (versionFlags.has(argv[0] ?? '')) {
    process.stdout.write(`${await userAgent(pjson)}\n`);
    return true;
  }
  if (argv.length === 0) return false;
  const helpFlags = new Set([...(pjson.oclif.additionalHelpFlags ?? []), '--help']);
  for (const arg of argv) {
    if (arg === '--') break;
    if (helpFlags.has(arg)) return false;
  }

  const manifest = readJson<Manifest>(join(root, 'oclif.manifest.json'));
  if (!manifest?.commands || manifest.version !== pjson.version) return false;
  const config = fastConfig(pjson, manifest);
  // oclif's own id resolution (oclif-ids.ts)
  const { normalizeArgv } = await import('./oclif-ids.js');
  const [id, ...rest] = normalizeArgv(config, [...argv]);
  const entry = id === undefined ? undefined : manifest.commands[id];
  if (!entry?.relativePath || entry.id !== id) return false;

  const module = (await (loadCommand ?? importCommand(root))(entry.relativePath)) as { default?: CommandClass } | undefined;
  const Command = module?.default;
  if (typeof Command?.prototype?._run !== 'function') return false;
  config.userAgent = await userAgent(pjson);
  // as oclif's plugin loader and Command.run do: the class knows its id, the instance runs with the argv after it
  Command.id = id;
  await new Command(rest, config)._run();
  return true;
}

const importCommand =
  (root: string): CommandLoader =>
  (relativePath) =>
    import(pathToFileURL(join(root, ...relativePath)).href) as Promise<{ default?: unknown }>;

interface CommandClass {
  id?: string;
  prototype: { _run?: unknown };
  new (argv: string[], config: FastConfig): { _run(): Promise<unknown> };
}

type FastConfig = ReturnType<typeof fastConfig>;

/** What oclif's Command (and its parser) reads of a Config, with oclif's own definitions. */
function fastConfig(pjson: PackageJson, manifest: Manifest) {
  const bin = pjson.oclif.bin || pjson.name;
  const binAliases = pjson.oclif.binAliases;
  const scopedEnvVarKeys = (k: string) =>
    [bin, ...(binAliases ?? [])]
      .filter(Boolean)
      .map((alias) => [alias.replaceAll('@', '').replaceAll(/[/-]/g, '_'), k].join('_').toUpperCase());
  return {
    name: pjson.name,
    version: pjson.version,
    bin,
    binAliases,
    pjson,
    topicSeparator: pjson.oclif.topicSeparator && [' ', ':'].includes(pjson.oclif.topicSeparator) ? pjson.oclif.topicSeparator : ':',
    userAgent: '',
    commandIDs: Object.keys(manifest.commands),
    findCommand: (id: string) => manifest.commands[id],
    scopedEnvVarKeys,
    scopedEnvVarKey: (k: string) =>
      [bin, k]
        .map((p) => p.replaceAll('@', '').replaceAll(/[/-]/g, '_'))
        .join('_')
        .toUpperCase(),
    scopedEnvVar: (k: string) => process.env[scopedEnvVarKeys(k).find((key) => process.env[key])!],
    // no plugin of this CLI has init, prerun, preparse, postrun or finally hooks (the tests hold it)
    runHook: async () => ({ successes: [], failures: [] }),
  };
}

/**
 * oclif's Config.userAgent: `liberty-crypto/0.1.0 linux-x64 node-v20.20.2` (platform `wsl` under WSL, as oclif
 * asks it). oclif takes `isWsl` from wsl-utils, which re-exports is-wsl's answer; is-wsl is imported here
 * directly because wsl-utils also loads node:child_process (and with it dgram and net) at its top, a few
 * milliseconds of every start-up for a value that is one file read.
 */
async function userAgent(pjson: PackageJson): Promise<string> {
  const { default: isWsl } = await import('is-wsl');
  const cpu = arch() === 'ia32' ? 'x86' : arch();
  return `${pjson.name}/${pjson.version || '0.0.0'} ${isWsl ? 'wsl' : platform()}-${cpu} node-${process.version}`;
}
