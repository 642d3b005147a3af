/**
 * The first test of an argv, shared by both entries (src/launch.ts, src/run.ts) and the fast path: what
 * goes to oclif's own start-up whatever the command. Built-ins only: the CommonJS entry bundles this file.
 */

/** The environment variables that change what oclif does (its debug output, its settings): oclif's path. */
export function environmentForOclif(env: NodeJS.ProcessEnv): boolean {
  if (env.DEBUG !== undefined) return true;
  return Object.keys(env).some((name) => name.startsWith('OCLIF_') || name.startsWith('LIBERTY_CRYPTO_'));
}

/**
 * Whether `argv` names a command the fast path may run: a first word that is not a flag, no `--help` before
 * `--`, nothing of oclif's in the environment. Only a cheap first test, so that help and `--version` do not
 * load the command bundle (src/command-bundle.ts); runFast decides.
 */
export function mayRunCommand(argv: readonly string[]): boolean {
  if (environmentForOclif(process.env) || argv.length === 0 || argv[0].startsWith('-')) return false;
  const end = argv.indexOf('--');
  return !(end === -1 ? argv : argv.slice(0, end)).includes('--help');
}
