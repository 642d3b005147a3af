import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { removeStaleTempFiles } from '../../src/core/fs-atomic.js';
import {
  acquireLockFile,
  acquireSettingsLock,
  LOCK_FILE_NAME,
  MAX_LOCK_FILE_BYTES,
  realWorld,
  type LockHolder,
  type LockWorld,
} from '../../src/core/lock-file.js';
import { bundleWorker, runWorker } from '../support/esbuild-worker.js';
import { rejection } from '../support/errors.js';

const HOST = hostname();
const holder = (command: string, pid = process.pid): LockHolder => ({ pid, host: HOST, user: 'tester', command });

let worker: string;
let dir: string;

beforeAll(async () => {
  worker = await bundleWorker('test/support/lock-worker.ts');
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lc-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A world whose time moves only when the lock sleeps: a wait of any length takes no real time, and what
 * a test asserts about waiting is the time the lock believed passed, never the wall clock.
 */
function fakeWorld(start = 1_700_000_000_000, alive: (pid: number) => boolean = (pid) => realWorld.isAlive(pid)) {
  const world: LockWorld & { time: number; slept: number } = {
    time: start,
    slept: 0,
    now: () => world.time,
    sleep: async (ms: number) => {
      world.time += ms;
      world.slept += ms;
      await Promise.resolve();
    },
    isAlive: alive,
  };
  return world;
}

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const run = (args: string[]) => runWorker(worker, args);

describe('acquireSettingsLock', () => {
  it('writes the holder into the lock file and removes it on release', async () => {
    const clock = () => new Date('2024-05-01T10:00:00.000Z');
    const lock = await acquireSettingsLock(dir, { holder: holder('rewrap'), clock });
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
    const record = JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'));
    expect(record).toMatchObject({ pid: process.pid, host: HOST, user: 'tester', command: 'rewrap', since: '2024-05-01T10:00:00.000Z' });
    await lock.release();
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('makes a second acquirer wait, then fail with E_LOCK_HELD naming the holder', async () => {
    const clock = () => new Date('2024-05-01T10:00:00.000Z');
    const first = await acquireSettingsLock(dir, { holder: holder('keys rotate'), clock });
    const world = fakeWorld();
    const error = await rejection(acquireSettingsLock(dir, { holder: holder('rewrap'), waitMs: 400, world }));
    expect(error.code).toBe('E_LOCK_HELD');
    expect(error.exitCode).toBe(6);
    // it waited out the whole wait, polling, and gave up within one poll after it
    expect(world.slept).toBeGreaterThanOrEqual(400);
    expect(world.slept).toBeLessThan(400 + 2 * 75);
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain('tester');
    expect(error.message).toContain('keys rotate');
    expect(error.message).toContain('2024-05-01T10:00:00.000Z');
    expect(error.message).toContain(join(dir, LOCK_FILE_NAME));
    expect(error.hint).toMatch(/wait .* or remove/);
    await first.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gets the lock once the holder releases it while waiting', async () => {
    const first = await acquireSettingsLock(dir, { holder: holder('a') });
    setTimeout(() => void first.release(), 150);
    const second = await acquireSettingsLock(dir, { holder: holder('b'), waitMs: 3000 });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).command).toBe('b');
    await second.release();
  });

  it('release does not remove a lock that is no longer ours', async () => {
    const lock = await acquireSettingsLock(dir, { holder: holder('a') });
    const other = { pid: process.pid, host: HOST, user: 'x', command: 'other', since: 'now', token: '1-ab' };
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify(other));
    await lock.release();
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
  });

  it('takes over at once a lock whose holder on this host is gone', async () => {
    const stale = { pid: await deadPid(), host: HOST, user: 'ghost', command: 'rewrap', since: '2020-01-01T00:00:00.000Z', token: '9-ff' };
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify(stale));
    const world = fakeWorld();
    const lock = await acquireSettingsLock(dir, { holder: holder('b'), waitMs: 5000, world });
    expect(world.slept).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).command).toBe('b');
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['alive', true, 'E_LOCK_HELD'],
    ['gone', false, undefined],
  ] as const)('a holder on this host the process table calls %s: waited on, or taken over at once', async (_state, alive, code) => {
    const record = { pid: 424_242, host: HOST, user: 'ghost', command: 'rewrap', since: 'then', token: '424242-ab' };
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify(record));
    const asked: number[] = [];
    const world = fakeWorld(undefined, (pid) => (asked.push(pid), alive));
    const attempt = acquireSettingsLock(dir, { holder: holder('b'), waitMs: 1000, world });
    if (code === undefined) {
      await (await attempt).release();
      expect(world.slept).toBe(0);
    } else {
      expect((await rejection(attempt)).code).toBe(code);
      expect(world.slept).toBeGreaterThanOrEqual(1000);
    }
    expect(new Set(asked)).toEqual(new Set([424_242]));
  });

  it('never takes over a lock held on another host', async () => {
    const remote = {
      pid: await deadPid(),
      host: `${HOST}-elsewhere`,
      user: 'bob',
      command: 'rewrap',
      since: '2024-01-01T00:00:00.000Z',
      token: '9-ee',
    };
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify(remote));
    const error = await rejection(acquireSettingsLock(dir, { holder: holder('b'), waitMs: 200 }));
    expect(error.code).toBe('E_LOCK_HELD');
    expect(error.message).toContain(`${HOST}-elsewhere`);
  });

  it('treats an unreadable lock file as held until it is 30 s old, then takes it over', async () => {
    const path = join(dir, LOCK_FILE_NAME);
    writeFileSync(path, 'garbage');
    const written = new Date('2024-05-01T10:00:00.000Z');
    utimesSync(path, written, written);
    const young = fakeWorld(written.getTime() + 29_000);
    const error = await rejection(acquireSettingsLock(dir, { holder: holder('b'), waitMs: 200, world: young }));
    expect(error.code).toBe('E_LOCK_HELD');
    expect(readFileSync(path, 'utf8')).toBe('garbage');
    // the same file, 30 s after it was written: taken over at once
    const old = fakeWorld(written.getTime() + 30_000);
    const lock = await acquireSettingsLock(dir, { holder: holder('b'), waitMs: 200, world: old });
    expect(old.slept).toBe(0);
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails with E_IO for a missing directory or a file', async () => {
    expect((await rejection(acquireSettingsLock(join(dir, 'nope'), { holder: holder('a') }))).code).toBe('E_IO');
    writeFileSync(join(dir, 'file'), '');
    expect((await rejection(acquireSettingsLock(join(dir, 'file'), { holder: holder('a') }))).code).toBe('E_IO');
  });

  it('leaves a stale lock alone while a live contender holds its claim', async () => {
    const stale = { pid: await deadPid(), host: HOST, user: 'ghost', command: 'x', since: 'then', token: '6-aa' };
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify(stale));
    const claim = { pid: process.pid, host: HOST, user: 'other', command: 'claim', since: 'now', token: `${process.pid}-cc` };
    writeFileSync(join(dir, `${LOCK_FILE_NAME}.lc-tmp-6-aa`), JSON.stringify(claim));
    const error = await rejection(acquireSettingsLock(dir, { holder: holder('b'), waitMs: 200 }));
    expect(error.code).toBe('E_LOCK_HELD');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).token).toBe('6-aa');
  });

  it('breaks the claim of a contender that died mid-takeover, then the stale lock', async () => {
    const stale = { pid: await deadPid(), host: HOST, user: 'ghost', command: 'x', since: 'then', token: '6-aa' };
    writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify(stale));
    const claim = { pid: await deadPid(), host: HOST, user: 'other', command: 'claim', since: 'then', token: '8-cc' };
    writeFileSync(join(dir, `${LOCK_FILE_NAME}.lc-tmp-6-aa`), JSON.stringify(claim));
    const lock = await acquireSettingsLock(dir, { holder: holder('b'), waitMs: 1000 });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).command).toBe('b');
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lets one of many contenders in this process take over a stale lock', async () => {
    const stale = { pid: await deadPid(), host: HOST, user: 'ghost', command: 'x', since: 'then', token: '7-aa' };
    const lockPath = join(dir, 'custom.lock');
    writeFileSync(lockPath, JSON.stringify(stale));
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const lock = await acquireLockFile(lockPath, { holder: holder(`c${i}`), waitMs: 10_000, pollMs: 5 });
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside -= 1;
        await lock.release();
      }),
    );
    expect(maxInside).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a lock someone planted', () => {
  const lockPath = () => join(dir, LOCK_FILE_NAME);
  // a wait far longer than the test's own timeout: only a refusal at once passes
  const acquire = () => acquireSettingsLock(dir, { holder: holder('encrypt'), waitMs: 60_000 });

  it.each<[string, () => void, (path: string) => boolean]>([
    ['a FIFO', () => execFileSync('mkfifo', [lockPath()]), (path) => lstatSync(path).isFIFO()],
    ['a link to /dev/zero', () => symlinkSync('/dev/zero', lockPath()), (path) => lstatSync(path).isSymbolicLink()],
    ['a directory', () => mkdirSync(lockPath()), (path) => lstatSync(path).isDirectory()],
    [
      'a file larger than any lock record',
      () => writeFileSync(lockPath(), 'x'.repeat(MAX_LOCK_FILE_BYTES + 1)),
      (path) => lstatSync(path).isFile(),
    ],
  ])('refuses %s at once with E_LOCK_HELD naming it, and leaves it there', async (_name, plant, stillThere) => {
    plant();
    const error = await rejection(acquire());
    expect(error.code).toBe('E_LOCK_HELD');
    expect(error.message).toContain(lockPath());
    expect(stillThere(lockPath())).toBe(true);
  });

  it('never follows a link at the lock, to a lock-shaped file or to nothing', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    const record = { pid: await deadPid(), host: HOST, user: 'ghost', command: 'x', since: 'then', token: '3-ab' };
    writeFileSync(join(outside, 'record'), JSON.stringify(record));
    symlinkSync(join(outside, 'record'), lockPath());
    expect((await rejection(acquire())).code).toBe('E_LOCK_HELD');
    expect(readFileSync(join(outside, 'record'), 'utf8')).toBe(JSON.stringify(record));
    rmSync(lockPath());
    symlinkSync(join(outside, 'created'), lockPath());
    expect((await rejection(acquire())).code).toBe('E_LOCK_HELD');
    expect(readdirSync(outside)).toEqual(['record']);
  });

  it('never follows a link planted at the claim file of a stale lock', async () => {
    const stale = { pid: await deadPid(), host: HOST, user: 'ghost', command: 'x', since: 'then', token: '6-aa' };
    writeFileSync(lockPath(), JSON.stringify(stale));
    const target = join(dir, 'elsewhere');
    symlinkSync(target, `${lockPath()}.lc-tmp-6-aa`);
    expect((await rejection(acquire())).code).toBe('E_LOCK_HELD');
    expect(existsSync(target)).toBe(false);
    expect(JSON.parse(readFileSync(lockPath(), 'utf8')).token).toBe('6-aa');
  });

  it('release leaves alone what was planted in place of its lock', async () => {
    const lock = await acquire();
    rmSync(lockPath());
    execFileSync('mkfifo', [lockPath()]);
    await lock.release();
    expect(lstatSync(lockPath()).isFIFO()).toBe(true);
  });
});

describe('the lock and the clean-up of temporary files', () => {
  // a holder clears leftover temporary files (withSettingsLock does), which may include a contender's
  // staged lock file between its write and its link: the contender must try again, not fail
  it('contenders whose staged file a holder removed keep waiting and get the lock in turn', async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        for (let round = 0; round < 15; round += 1) {
          const lock = await acquireSettingsLock(dir, { holder: holder(`c${i}`), waitMs: 20_000, pollMs: 2 });
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await removeStaleTempFiles(dir);
          inside -= 1;
          await lock.release();
        }
      }),
    );
    expect(maxInside).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});

describe('settings lock across processes', () => {
  it('takes over immediately a lock left by a killed process', async () => {
    const child = spawn(process.execPath, [worker, 'hold', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
      child.on('exit', () => reject(new Error('worker exited before locking')));
    });
    const held = JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'));
    expect(held.pid).toBe(child.pid);
    // while it lives, the lock is held
    expect((await rejection(acquireSettingsLock(dir, { holder: holder('b'), waitMs: 150 }))).code).toBe('E_LOCK_HELD');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    // the real process table says it is gone; the fake time shows the lock did not wait for it
    const world = fakeWorld();
    const lock = await acquireSettingsLock(dir, { holder: holder('b'), waitMs: 5000, world });
    expect(world.slept).toBe(0);
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives the lock to one process at a time', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'lc-counter-'));
    try {
      const counter = join(shared, 'counter');
      writeFileSync(counter, '0');
      const processes = 8;
      const rounds = 5;
      const results = await Promise.all(
        Array.from({ length: processes }, () => run(['count', dir, counter, join(shared, 'inside'), String(rounds), '20000'])),
      );
      for (const result of results) expect(result).toEqual({ code: 0, stderr: '' });
      expect(Number(readFileSync(counter, 'utf8'))).toBe(processes * rounds);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('lets exactly one of many processes take over a stale lock at a time', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'lc-counter-'));
    try {
      const stale = { pid: await deadPid(), host: HOST, user: 'ghost', command: 'x', since: 'then', token: '5-bb' };
      writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify(stale));
      const counter = join(shared, 'counter');
      writeFileSync(counter, '0');
      const results = await Promise.all(
        Array.from({ length: 8 }, () => run(['count', dir, counter, join(shared, 'inside'), '1', '20000'])),
      );
      for (const result of results) expect(result).toEqual({ code: 0, stderr: '' });
      expect(Number(readFileSync(counter, 'utf8'))).toBe(8);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
