// The CLI entry, bundled with @oclif/core into dist/ so start-up reads a few files instead of hundreds.
import { userInfo } from 'node:os';
import { execute as executeOclif } from '@oclif/core/execute';

/**
 * oclif's Config.load reads the login shell from the passwd entry when $SHELL is unset, and that lookup
 * throws for a uid without one (containers, `setpriv --reuid=N`, cron with a bare environment): every
 * command would die before it starts. Such a process gets a plain POSIX shell name instead; oclif uses
 * it only to pick an autocomplete script.
 */
function ensureShellKnown(): void {
  if (process.env.SHELL !== undefined) return;
  try {
    userInfo();
  } catch {
    process.env.SHELL = '/bin/sh';
  }
}

export async function execute(options: Parameters<typeof executeOclif>[0]): Promise<unknown> {
  ensureShellKnown();
  return executeOclif(options);
}
