#!/usr/bin/env node
// The oclif entry. `npm run build` bundles the commands and @oclif/core into dist/ and lists the commands
// in oclif.manifest.json, so start-up loads no TypeScript tooling and scans no directories.
import { execute } from '../dist/run.js';

await execute({ dir: import.meta.url });
