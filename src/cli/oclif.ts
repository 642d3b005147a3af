/**
 * The parts of @oclif/core the commands use, imported from its subpaths: the package index pulls in
 * every module of oclif (help, ux, logger, ...), which costs start-up time on every call.
 */
export { Command } from '@oclif/core/command';
export * as Flags from '@oclif/core/flags';
export * as Args from '@oclif/core/args';
