/**
 * Worker for the lock-file tests, run as a separate process.
 *   hold <dir>                                   take the lock, print "locked", wait to be killed
 *   count <dir> <counter> <marker> <n> <waitMs>  n times: take the lock, bump the counter, release
 * `count` proves mutual exclusion: inside the lock it creates <marker> with O_EXCL (which fails if a
 * second process is inside too) and exits 3 on any overlap.
 */
import { openSync, closeSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

import { acquireSettingsLock } from '../../src/core/lock-file.js';

const [mode, dir, ...rest] = process.argv.slice(2);
const holder = { pid: process.pid, host: hostname(), user: 'worker', command: `lock-worker ${mode}` };

async function holdLock(): Promise<void> {
  await acquireSettingsLock(dir, { holder, waitMs: 10_000 });
  process.stdout.write('locked\n');
  setInterval(() => undefined, 1000);
}

async function countUnderLock(counter: string, marker: string, times: number, waitMs: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const lock = await acquireSettingsLock(dir, { holder, waitMs, pollMs: 10 });
    let fd: number;
    try {
      fd = openSync(marker, 'wx');
    } catch {
      process.stderr.write('overlap: another process was inside the lock\n');
      process.exit(3);
    }
    const value = Number(readFileSync(counter, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    writeFileSync(counter, String(value + 1));
    closeSync(fd);
    unlinkSync(marker);
    await lock.release();
  }
}

if (mode === 'hold') {
  await holdLock();
} else if (mode === 'count') {
  const [counter, marker, times, waitMs] = rest;
  await countUnderLock(counter, marker, Number(times), Number(waitMs));
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
