/**
 * Faults through the built CLI: a rewrap killed at random moments, writers racing on one directory, and
 * writes that fail (full disk, read-only directory). After each, the files are read with the library.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../../src/core/lock-file.js';
import { fileSizeLimit, fillLeavingOneBlock, mountTmpfs, unmount } from '../support/small-disk.js';
import { giveToUnprivileged, runCliUnprivileged, unprivilegedUserAvailable } from '../support/unprivileged.js';
import { startCli, runWrapped } from '../support/cli-process.js';
import { KEY_A, KEY_A_FP, KEY_B, KEY_B_FP, parseJson, runCli, type RunResult } from '../support/cli.js';
import { leftovers, openFiles } from '../support/settings-check.js';
import { appToml, makeSettings, seal, type TempSettings } from '../support/settings.js';

const KID_MASTER = KEY_A_FP.slice(0, 8);
const KID_OLD = KEY_B_FP.slice(0, 8);
/** After a rotation: KEY_A is the master, KEY_B the legacy key every blob is still under. */
const env = { LIBERTY_MASTER_KEY: KEY_A, LIBERTY_MASTER_KEY_OLD: KEY_B };
const APP = appToml({ legacy: ['LIBERTY_MASTER_KEY_OLD'], fingerprint: KEY_A_FP });
const SECRETS = ['svc.password', 'svc.api_key', 'db.main.password', 'hooks.webhook_url'];

const cleanups: Array<() => void> = [];
afterEach(() => {
  // newest first (an unmount before the removal of its folder); one failing does not stop the others
  const failures = cleanups
    .splice(0)
    .reverse()
    .flatMap((cleanup) => {
      try {
        cleanup();
        return [];
      } catch (error) {
        return [error];
      }
    });
  if (failures.length > 0) throw failures[0];
});

function settingsDir(files: Record<string, string>): TempSettings {
  const settings = makeSettings(files);
  cleanups.push(() => settings.cleanup());
  return settings;
}

/** One settings file with four secrets (one in an array of tables); `value` gives each secret's TOML text. */
function settingsFile(i: number, value: (secret: string) => string): string {
  return [
    `# service ${i}`,
    '[svc]',
    `host = "h-${i}"`,
    `password = ${value('svc.password')}`,
    `api_key = ${value('svc.api_key')}`,
    '',
    '[db.main]',
    `password = ${value('db.main.password')}`,
    '',
    '[[hooks]]',
    `webhook_url = ${value('hooks.webhook_url')}`,
    '',
  ].join('\n');
}

/** `count` files sealed under the old key, and what each parses to once its blobs are opened. */
function legacyFiles(count: number): { texts: Record<string, string>; plain: Record<string, any> } {
  const texts: Record<string, string> = {};
  const plain: Record<string, any> = {};
  for (let i = 0; i < count; i++) {
    const file = `s${String(i).padStart(3, '0')}.toml`;
    const secrets = Object.fromEntries(SECRETS.map((name) => [name, `${name}-${i}-${randomBytes(6).toString('hex')}`]));
    texts[file] = settingsFile(i, (name) => JSON.stringify(seal(KEY_B, secrets[name])));
    plain[file] = parse(settingsFile(i, (name) => JSON.stringify(secrets[name])));
  }
  return { texts, plain };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid in the settings lock of `dir`; undefined when there is none or it is being written. */
function lockPid(dir: string): number | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).pid;
  } catch {
    return undefined;
  }
}

/** Polls until process `pid` holds the settings lock of `dir` (true) or has exited (false). */
async function holdsLock(dir: string, pid: number, exited: () => boolean): Promise<boolean> {
  while (!exited()) {
    if (lockPid(dir) === pid) return true;
    await sleep(2);
  }
  return false;
}

/** Starts a rewrap; `lockedAt` resolves with the ms from the start until it holds the lock (or exited). */
function startRewrap(dir: string) {
  const started = Date.now();
  const run = startCli(['rewrap', '-s', dir], { env });
  let exited = false;
  void run.done.then(() => (exited = true));
  const lockedAt = holdsLock(dir, run.child.pid!, () => exited).then((held) => (held ? Date.now() - started : undefined));
  return { ...run, started, lockedAt };
}

describe('a rewrap killed with SIGKILL at random moments', () => {
  it('leaves every file parseable and every blob opening to its plaintext; the next run finishes clean', async () => {
    // two directories of 300 files, killed side by side to halve the wall time on a busy machine
    const lanes = [0, 1].map(() => {
      const { texts, plain } = legacyFiles(300);
      const { dir } = settingsDir({ 'app.toml': APP, ...texts });
      const restore = () => Object.entries(texts).forEach(([file, text]) => writeFileSync(join(dir, file), text));
      return { dir, files: Object.keys(texts), plain, restore };
    });
    const blobs = 300 * SECRETS.length;

    // full runs tell how long start-up and the locked part (reading, sealing, writing) take on this
    // machine, as loaded as it is now
    const timings = await Promise.all(
      lanes.map(async ({ dir }) => {
        const run = startRewrap(dir);
        const result = await run.done;
        expect(result.code, result.stderr).toBe(0);
        const fullRun = Date.now() - run.started;
        return { fullRun, lockedPart: fullRun - ((await run.lockedAt) ?? 0) };
      }),
    );
    const fullRun = Math.max(...timings.map((t) => t.fullRun));
    const lockedPart = Math.max(...timings.map((t) => t.lockedPart));

    const seen = { untouched: 0, partial: 0, done: 0, exitedBeforeKill: 0, lockLeft: 0, tempLeft: 0 };
    const kills: string[] = [];
    let failed = false;
    const enough = () => failed || (kills.length >= 20 && ((seen.partial >= 5 && seen.tempLeft >= 1) || kills.length >= 40));
    const started = Date.now();
    const laneResults = await Promise.allSettled(
      lanes
        .map(async ({ dir, files, plain, restore }) => {
          while (!enough()) {
            // fresh copies: the files go back to the old key, but what the previous kill left (the lock,
            // temporary files) stays, so every run after the first in a lane starts from a crashed one
            restore();
            const run = startRewrap(dir);
            // one kill in four at any moment of a full run, start-up included; the others once it holds the
            // lock, anywhere from before its first write to after its last (the locked part ends with the
            // audit line and the exit)
            let at: string;
            if (kills.length % 4 === 0) {
              const delay = Math.random() * fullRun;
              await sleep(delay);
              at = `${Math.round(delay)}ms`;
            } else {
              await run.lockedAt;
              const delay = Math.random() * lockedPart;
              await sleep(delay);
              at = `lock+${Math.round(delay)}ms`;
            }
            kills.push(at);
            run.child.kill('SIGKILL');
            const result = await run.done;
            if (result.signal !== 'SIGKILL') {
              expect(result.code, result.stderr).toBe(0);
              seen.exitedBeforeKill++;
            }
            const opened = await openFiles(dir, files, env);
            expect(opened.plain, `after the kill at ${at}`).toEqual(plain);
            const onMaster = opened.kids[KID_MASTER] ?? 0;
            expect(onMaster + (opened.kids[KID_OLD] ?? 0)).toBe(blobs);
            if (onMaster === 0) seen.untouched++;
            else if (onMaster === blobs) seen.done++;
            else seen.partial++;
            // what this run, not an earlier one, left behind
            const pid = run.child.pid!;
            if (lockPid(dir) === pid) seen.lockLeft++;
            if (leftovers(dir).some((name) => name.includes(`.toml.lc-tmp-${pid}-`))) seen.tempLeft++;
          }
        })
        .map((lane) => lane.catch((error: unknown) => ((failed = true), Promise.reject(error as Error)))),
    );
    // both lanes have stopped (no process left running in a folder about to be removed); report a failure
    for (const result of laneResults) if (result.status === 'rejected') throw result.reason;
    console.log(
      `faults: rewrap ${fullRun} ms (locked ${lockedPart} ms); ${kills.length} kills in ${Date.now() - started} ms: ${JSON.stringify(seen)}`,
    );
    // the kills must have landed while files were being written, not only before start-up or after the
    // end, and some must have left temporary files for the next run to clear
    expect(seen.partial, `kills at ${kills.join(', ')}`).toBeGreaterThanOrEqual(5);
    expect(seen.tempLeft).toBeGreaterThanOrEqual(1);

    for (const { dir, files, plain } of lanes) {
      const final = await runCli(['rewrap', '-s', dir, '--json'], { env });
      expect(final.code, final.stderr).toBe(0);
      expect(parseJson(final)).toMatchObject({ legacy: 0, unreadable: 0, problems: [] });
      const opened = await openFiles(dir, files, env);
      expect(opened.plain).toEqual(plain);
      expect(opened.kids).toEqual({ [KID_MASTER]: blobs });
      expect(leftovers(dir)).toEqual([]);
    }
  }, 180_000); // 20 to 80 s, as busy as the two cores are: each kill waits for a start-up
});

describe('writers racing on one directory', () => {
  /** the field each `encrypt FILE:KEY` writes: three in one file, two in another, all new */
  const WRITES: Array<[file: string, path: string]> = [
    ['s000.toml', 'svc.token'],
    ['s000.toml', 'svc.auth_token'],
    ['s000.toml', 'extra.password'],
    ['s001.toml', 'svc.token'],
    ['s001.toml', 'db.main.auth_password'],
    ['s002.toml', 'new.api_key'],
  ];

  it('two rewraps and six encrypts at once: no write is lost, every blob still opens, the audit chain holds', async () => {
    const { texts, plain } = legacyFiles(40);
    const { dir, audit } = settingsDir({ 'app.toml': APP, ...texts });
    const writes = WRITES.map(([file, path]) => ({ file, path, plaintext: `new-${path}-${randomBytes(6).toString('hex')}` }));

    const runs = [
      ...[0, 1].map(() => runCli(['rewrap', '-s', dir, '--json'], { env })),
      ...writes.map((w) => runCli(['encrypt', `${w.file}:${w.path}`, '-s', dir, '--json'], { env, input: w.plaintext })),
    ];
    const results = await Promise.all(runs);
    const [rewraps, encrypts] = [results.slice(0, 2), results.slice(2)];

    // a writer may exit 6 when the lock stayed held past its 5 s wait (documented); then it wrote nothing
    const lockHeld = (result: RunResult) => result.code === 6 && parseJson(result).error.code === 'E_LOCK_HELD';
    for (const result of results)
      expect(result.code === 0 || lockHeld(result), `${result.code}: ${result.stdout}${result.stderr}`).toBe(true);
    const expected = structuredClone(plain);
    writes.forEach((w, i) => {
      if (encrypts[i].code === 0) setPath(expected[w.file], w.path.split('.'), w.plaintext);
    });
    console.log(`faults: exits of 2 rewraps and 6 encrypts: ${results.map((r) => r.code).join(' ')}`);
    // the race proves something only if writers of both kinds got through
    expect(rewraps.some((r) => r.code === 0) && encrypts.some((r) => r.code === 0)).toBe(true);

    // every file parses; every old blob opens to its plaintext; each successful encrypt is there, no other
    const files = Object.keys(texts);
    expect((await openFiles(dir, files, env)).plain).toEqual(expected);
    const final = await runCli(['rewrap', '-s', dir, '--json'], { env });
    expect(final.code, final.stderr).toBe(0);
    const opened = await openFiles(dir, files, env);
    expect(opened.plain).toEqual(expected);
    const written = encrypts.filter((r) => r.code === 0).length;
    expect(opened.kids).toEqual({ [KID_MASTER]: files.length * SECRETS.length + written });
    expect(leftovers(dir)).toEqual([]);

    // one line per successful encrypt, and a single rewrap that re-wrapped: the runs never overlapped
    const verify = await runCli(['audit', 'verify', '-s', dir, '--json']);
    expect(verify.code).toBe(0);
    expect(parseJson(verify)).toMatchObject({ ok: true });
    const events = readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).event);
    expect(events.filter((e) => e === 'encrypt')).toHaveLength(written);
    expect(events.filter((e) => e === 'rewrap')).toHaveLength(1);
  }, 90_000);
});

function setPath(target: any, path: string[], value: string): void {
  for (const key of path.slice(0, -1)) target = target[key] ??= {};
  target[path.at(-1)!] = value;
}

describe('a write that fails', () => {
  // a.toml is bigger than the 4 KiB file-size limit below, and holds a blob on the old key for rewrap
  const A_TOML = `# ${'padding '.repeat(1100)}\n[svc]\nhost = "h"\npassword = "${seal(KEY_B, 'old-pw')}"\n`;
  const COMMANDS = {
    encrypt: { args: ['encrypt', 'a.toml:svc.token'], input: 'new-token' },
    rewrap: { args: ['rewrap'], input: '' },
  };
  const CASES = (['a full disk', 'a file size limit'] as const).flatMap((fault) =>
    (['encrypt', 'rewrap'] as const).map((command) => [fault, command] as const),
  );

  /** The error a user sees: the file, what went wrong (the errno), and a hint what to do. */
  const errorNaming = (path: string, errno: string) =>
    new RegExp(
      `^liberty-crypto: error: cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+ \\(${errno}\\)\nliberty-crypto: hint: .+\n$`,
    );

  /**
   * A settings directory on a tmpfs filled to its last block (root only), else under `ulimit -f 4`: either
   * way the rewritten a.toml cannot be written. `lift()` removes the fault.
   */
  function faultyDirectory(fault: (typeof CASES)[number][0]) {
    const root = mkdtempSync(join(tmpdir(), 'lc-faults-'));
    const dir = join(root, 'config');
    mkdirSync(dir);
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const mounted = fault === 'a full disk' && mountTmpfs(dir, 256 * 1024);
    if (mounted)
      cleanups.push(() => unmount(dir)); // runs before the removal above
    else if (fault === 'a full disk') console.log('faults: mounting a tmpfs is not permitted here; a file size limit makes the write fail');
    writeFileSync(join(dir, 'app.toml'), APP);
    writeFileSync(join(dir, 'a.toml'), A_TOML);
    const filler = join(dir, 'filler');
    if (mounted) expect(fillLeavingOneBlock(filler)).toBe(1); // one block: the lock fits, the new a.toml not
    return {
      dir,
      // the audit log sits outside, so only the settings file write meets the fault
      env: { ...env, LIBERTY_AUDIT_LOG: join(root, 'audit.jsonl') },
      wrapper: mounted ? [] : fileSizeLimit(4),
      errno: mounted ? 'ENOSPC' : 'EFBIG',
      lift: () => (mounted ? unlinkSync(filler) : undefined),
      others: mounted ? ['a.toml', 'app.toml', 'filler'] : ['a.toml', 'app.toml'],
    };
  }

  it.each(CASES)('%s: %s exits 6 naming the file, which stays byte-identical; no temporary file is left', async (fault, command) => {
    const disk = faultyDirectory(fault);
    const { args, input } = COMMANDS[command];
    const failed = await runWrapped(disk.wrapper, [...args, '-s', disk.dir], { env: disk.env, input });
    expect(failed.code, failed.stderr).toBe(6);
    expect(failed.stderr).toMatch(errorNaming(join(disk.dir, 'a.toml'), disk.errno));
    expect(readFileSync(join(disk.dir, 'a.toml'), 'utf8')).toBe(A_TOML);
    expect(readdirSync(disk.dir).sort()).toEqual(disk.others);

    // the same command succeeds once the fault is gone: the fault, nothing else, made it fail
    disk.lift();
    const retried = await runCli([...args, '-s', disk.dir], { env: disk.env, input });
    expect(retried.code, retried.stderr).toBe(0);
    expect(readFileSync(join(disk.dir, 'a.toml'), 'utf8')).not.toBe(A_TOML);
  });

  it.runIf(unprivilegedUserAvailable()).each(['encrypt', 'rewrap'] as const)(
    '%s into a read-only directory exits 6 naming the file, which stays byte-identical',
    async (command) => {
      // root ignores modes: the CLI runs as an unprivileged user (test/support/unprivileged.ts)
      const { root, dir } = settingsDir({ 'app.toml': APP, 'sub/a.toml': A_TOML });
      const sub = join(dir, 'sub');
      const target = join(sub, 'a.toml');
      giveToUnprivileged(root, dir, join(dir, 'app.toml'), sub, target);
      // only sub/ is read-only (the lock and the audit log go in the settings directory); a.toml itself stays
      // writable: an in-place write would succeed, the atomic one cannot create its temporary file
      chmodSync(sub, 0o555);
      cleanups.push(() => chmodSync(sub, 0o755));
      const args = [...COMMANDS[command].args.map((arg) => arg.replace('a.toml', 'sub/a.toml')), '-s', dir];
      const options = { env: { ...env, HOME: root }, input: COMMANDS[command].input };

      const failed = await runCliUnprivileged(args, options);
      expect(failed.code, failed.stderr).toBe(6);
      expect(failed.stderr).toMatch(errorNaming(target, 'EACCES'));
      expect(readFileSync(target, 'utf8')).toBe(A_TOML);
      expect(readdirSync(sub)).toEqual(['a.toml']);
      expect(leftovers(dir)).toEqual([]);

      chmodSync(sub, 0o755);
      const retried = await runCliUnprivileged(args, options);
      expect(retried.code, retried.stderr).toBe(0);
      expect(readFileSync(target, 'utf8')).not.toBe(A_TOML);
    },
  );
});
