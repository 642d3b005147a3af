#!/usr/bin/env node
// The oclif entry. Commands are prebuilt into dist/ by `npm run build` and listed in oclif.manifest.json,
// so start-up loads no TypeScript tooling and scans no directories.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
