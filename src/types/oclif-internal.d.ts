/**
 * oclif's own id resolution, which @oclif/core does not export: scripts/build.mjs resolves this path to
 * the module inside @oclif/core (the same one its Command uses), so the fast path (cli/fast-path.ts)
 * turns words into a command id exactly as oclif does.
 */
declare module '@oclif/core/lib/help/util.js' {
  export function normalizeArgv(config: unknown, argv?: string[]): string[];
}
