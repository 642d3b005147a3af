/** The login shell oclif asks for, known before it asks. */
import { userInfo } from 'node:os';

/**
 * oclif's Config.load reads the login shell from the passwd entry when $SHELL is unset, and that lookup
 * throws for a uid without one (containers, `setpriv --reuid=N`, cron with a bare environment): every
 * command would die before it starts. Such a process gets a plain POSIX shell name instead; oclif uses
 * it only to pick an autocomplete script.
 */
export function ensureShellKnown(): void {
  if (process.env.SHELL !== undefined) return;
  try {
    userInfo();
  } catch {
    process.env.SHELL = '/bin/sh';
  }
}
