// The audit log's lock held by "mallory" for an e2e test: a lock record naming a live process (this one), as
// src/core/lock-file.ts writes it, so a command pauses at its write-ahead append until the test releases it.
import { rmSync, watch, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface HeldAuditLock {
  /** the lock file */
  path: string;
  /**
   * Resolves once the command with pid `pid` tries to take the lock (its staged lock file appears): by
   * then it has read the file it is about to write.
   */
  attempted(pid: number): Promise<void>;
  /** whether any process has made a file to take the lock (for a command whose pid is not the child's) */
  tried(): boolean;
  /** stops watching and removes the lock; safe to call twice */
  release(): void;
}

/** Writes the lock record of the audit log `dir/audit.jsonl` and watches `dir` for commands trying to take it. */
export function holdAuditLock(dir: string): HeldAuditLock {
  const path = join(dir, 'audit.jsonl.lock');
  const record = {
    pid: process.pid,
    host: hostname(),
    user: 'mallory',
    command: 'sleep',
    since: new Date().toISOString(),
    token: `${process.pid}-6d616c6c6f7279`,
  };
  writeFileSync(path, `${JSON.stringify(record)}\n`);
  const staged = (name: string, pid: number) => name.startsWith(`.audit.jsonl.lock.lc-tmp-${pid}-`);
  const seen = new Set<string>();
  const waiters: Array<{ pid: number; resolve: () => void }> = [];
  const watcher = watch(dir, (_event, name) => {
    if (!name) return;
    seen.add(String(name));
    for (const waiter of waiters) if (staged(String(name), waiter.pid)) waiter.resolve();
  });
  return {
    path,
    attempted(pid) {
      return new Promise((resolve) => {
        if ([...seen].some((name) => staged(name, pid))) resolve();
        else waiters.push({ pid, resolve });
      });
    },
    tried: () => [...seen].some((name) => name !== 'audit.jsonl.lock' && name.includes('audit.jsonl.lock')),
    release() {
      watcher.close();
      rmSync(path, { force: true });
    },
  };
}
