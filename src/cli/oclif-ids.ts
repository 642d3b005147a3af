/**
 * oclif's own command-id resolution for the fast path (fast-path.ts), imported statically here: a dynamic
 * import of oclif's CommonJS module would give only its default export. The path is not in @oclif/core's
 * exports map; scripts/build.mjs resolves it to the module inside @oclif/core (types: src/types).
 */
export { normalizeArgv } from '@oclif/core/lib/help/util.js';
