// One temporary folder for what the test helpers build (bundled workers), removed after the whole run.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'lc-test-run-'));
  chmodSync(dir, 0o755); // workers run as an unprivileged user in some tests; the folder holds code only
  process.env.LC_TEST_TMP = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
