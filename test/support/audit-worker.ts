/**
 * Worker for the audit-log concurrency test, run as a separate process.
 *   append <logPath> <n> <startAt>   waits until the wall clock reaches <startAt> (ms), then appends n events
 */
import { hostname } from 'node:os';

import { appendAuditEvent } from '../../src/core/audit/index.js';

const [mode, logPath, times, startAt] = process.argv.slice(2);
if (mode !== 'append') {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
const delay = Number(startAt) - Date.now();
if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
const identity = { operator: 'worker', osUser: 'worker', host: hostname(), pid: process.pid };
for (let i = 0; i < Number(times); i += 1) {
  await appendAuditEvent(
    logPath,
    { event: 'reveal', outcome: 'ok', field: `app.toml:w${process.pid}.n${i}`, details: { round: i } },
    { clock: () => new Date(), identity },
  );
}
