/**
 * oclif's own start-up (Config.load, help, the command_not_found hook) and error handler, for what the fast
 * path (fast-path.ts) leaves to oclif. src/run.ts imports this module only then, so a command that starts
 * without it does not evaluate oclif's main module. (Imported statically here: a dynamic import of oclif's
 * CommonJS modules would give only their default export.)
 */
export { run } from '@oclif/core/run';
export { handle } from '@oclif/core/handle';
export { Config } from '@oclif/core/config';
