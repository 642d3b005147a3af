// `node --import ./record-imports.mjs ...`: appends the URL of every module the process imports to the file
// named by LC_RECORD_IMPORTS (one a line), so a test can tell which code a run evaluated.
import { register } from 'node:module';

if (process.env.LC_RECORD_IMPORTS) register('./record-imports-hooks.mjs', import.meta.url, { data: { file: process.env.LC_RECORD_IMPORTS } });
