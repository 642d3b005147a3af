import { expect } from 'vitest';
import { LibertyError } from '../../src/core/errors.js';

/** The LibertyError that `fn` throws; fails the test when it throws something else or nothing. */
export function thrown(fn: () => unknown): LibertyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LibertyError);
    return error as LibertyError;
  }
  throw new Error('expected a LibertyError');
}

/** The LibertyError that `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<LibertyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibertyError);
  return error as LibertyError;
}
