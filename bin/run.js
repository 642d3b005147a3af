#!/usr/bin/env node
// The liberty-crypto entry. CommonJS (bin/package.json), so that a command starts without Node's ES module
// loader: dist/launch.cjs runs it from the code-cached command bundle and hands anything else to the ES
// entry, dist/run.js (see src/launch.ts). `npm run build` makes both.
require('../dist/launch.cjs').launch(__filename);
