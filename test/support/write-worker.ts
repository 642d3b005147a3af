// Runs one failing write as the current (possibly unprivileged) user and prints the error it got.
import { appendAuditEvent } from '../../src/core/audit/index.js';
import { writeFileAtomic } from '../../src/core/fs-atomic.js';

const [operation, path] = process.argv.slice(2);
const identity = { operator: 'op', osUser: 'op', host: 'h', pid: process.pid };
try {
  if (operation === 'atomic') await writeFileAtomic(path, 'new\n');
  else await appendAuditEvent(path, { event: 'reveal', outcome: 'ok' }, { clock: () => new Date(), identity });
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  const failure = error as { code?: string; exitCode?: number; message?: string };
  process.stdout.write(JSON.stringify({ ok: false, code: failure.code, exitCode: failure.exitCode, message: failure.message }));
}
