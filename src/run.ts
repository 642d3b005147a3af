// The CLI entry, bundled with @oclif/core into dist/ so start-up reads a few files instead of hundreds.
export { execute } from '@oclif/core/execute';
