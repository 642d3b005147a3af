/**
 * Tests that need something of the machine (root, setpriv, chattr +i, python3 with pyca/cryptography) run
 * only where it is there. Elsewhere they are skipped with one line saying why; with LIBERTY_TEST_STRICT=1
 * (as .ci/run sets) nothing is skipped: a missing prerequisite is a failing test of its own.
 *
 * Call it while tests are collected, as the condition of `describe.runIf` or `it.runIf`.
 */
import { it } from 'vitest';

export const STRICT = process.env.LIBERTY_TEST_STRICT === '1';

/**
 * Whether the tests that need `met` run. When it is not met: prints `skipped: <reason>` and returns false,
 * or, strict, adds a test that fails with the reason and returns true (the tests run, and fail their own way).
 */
export function requires(met: boolean, reason: string): boolean {
  if (met) return true;
  if (!STRICT) {
    console.log(`skipped: ${reason}`);
    return false;
  }
  it(`prerequisite: ${reason}`, () => {
    throw new Error(`${reason} (LIBERTY_TEST_STRICT=1: a missing prerequisite is a failure, not a skip)`);
  });
  return true;
}
