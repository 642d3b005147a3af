/**
 * oclif's command_not_found hook: a mistyped command is a usage error (exit 2) with the closest command
 * as its hint, written by src/run.ts like any other error (text, or the error object under --json).
 */
import type { Hook } from '@oclif/core/hooks';
import { knownCommands } from '../cli/known-commands.js';
import { unknownCommandError } from '../cli/usage-errors.js';

const hook: Hook<'command_not_found'> = async function (options) {
  // the words as typed: oclif's id joins them with colons, and an argument may hold colons itself (FILE:KEY)
  throw unknownCommandError(process.argv.slice(2), knownCommands(options.config));
};

export default hook;
