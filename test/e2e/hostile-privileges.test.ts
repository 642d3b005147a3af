// Root and a second local user ("mallory", uid 4242) who owns or can write the settings directory: what
// root's command may touch, and as whom (issue 12: sshd's StrictModes, logrotate's `su`). As root, a
// command works on a directory owned by another user as that user, so a link she plants reaches nothing
// root owns; and it refuses (exit 8, writing nothing) a settings directory, a directory on the way to it,
// or an audit log place that someone other than its owner can write to.
import {
  chmodSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runningAsRoot, startReadableCli } from '../support/unprivileged.js';
import { KEY_A, KEY_B, parseJson, runCli, type RunResult } from '../support/cli.js';
import { requires } from '../support/requires.js';
import { holdAuditLock } from '../support/audit-lock.js';

/** The CLI as root, from the copy of the build the directory's owner can read once root drops to it. */
const runReadable = (args: string[], options: Parameters<typeof startReadableCli>[1] = {}) => startReadableCli(args, options).done;
import { appToml, seal } from '../support/settings.js';
import { snapshotTree } from '../support/snapshot.js';

const MALLORY = 4242;
const OUTSIDE_TEXT = '# root only\n[pools.main]\npassword = ""\n';
const env = { LIBERTY_MASTER_KEY: KEY_A, NEW_KEY: KEY_B, OLD: KEY_B, V: 'new-secret' };
const FIELD = 'connectors.toml:pools.main.password';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface Layout {
  /** world-traversable (0755), root's */
  root: string;
  dir: string;
  /** root's own folder beside the settings, with a root-only 0600 file */
  outside: string;
  outsideFile: string;
}

/** root/<between...>/config with app.toml and connectors.toml, and root/outside/root.toml (root, 0600). */
function layout(between: string[] = []): Layout {
  const root = mkdtempSync(join(tmpdir(), 'lc-privileges-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755); // mallory must reach her own directory
  const dir = join(root, ...between, 'config');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.toml'), appToml({ legacy: ['OLD'] }));
  writeFileSync(join(dir, 'connectors.toml'), `[pools.main]\npassword = ""\n[pools.old]\npassword = "${seal(KEY_B, 'old-secret')}"\n`);
  const outside = join(root, 'outside');
  mkdirSync(outside, { mode: 0o755 });
  const outsideFile = join(outside, 'root.toml');
  writeFileSync(outsideFile, OUTSIDE_TEXT, { mode: 0o600 });
  return { root, dir, outside, outsideFile };
}

/** chown -R, links themselves included (not what they point to). */
function chownTree(path: string, uid: number, gid = uid): void {
  lchownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else lchownSync(child, uid, gid);
  }
}

function expectRefused(result: RunResult, label: string): void {
  expect(result.code, `${label}\n${result.stdout}${result.stderr}`).toBe(8);
  expect(parseJson(result).error.code, label).toBe('E_PERMISSION_DENIED');
}

/** Every command that works on a settings directory, each with what it needs to get past its own checks. */
const EVERY_COMMAND: string[][] = [
  ['status'],
  ['encrypt', '--from-env', 'V'],
  ['encrypt', FIELD, '--from-env', 'V'],
  ['encrypt', '--all'],
  ['decrypt', 'connectors.toml:pools.old.password'],
  ['decrypt', 'connectors.toml:pools.old.password', '--to-plain', '--yes'],
  ['rewrap'],
  ['rewrap', '--check'],
  ['fingerprint'],
  ['fingerprint', '--write'],
  ['keys', 'rotate', '--to', 'NEW_KEY'],
  ['keys', 'add-legacy', 'NEW_KEY'],
  ['keys', 'drop-legacy', 'OLD', '--force', '--yes'],
  ['audit'],
  ['audit', 'verify'],
];

/** A reader, a writer and the audit log reader: the three ways into the checks. */
const SOME_COMMANDS = [['status'], ['encrypt', FIELD, '--from-env', 'V'], ['audit', 'verify']];

describe.runIf(requires(runningAsRoot(), 'the privilege tests: liberty-crypto drops to the directory owner only when run as root'))(
  'root on a directory another user owns: the work is done as that user',
  () => {
    it('files the command creates belong to the owner, and the audit log names who ran it', async () => {
      const { dir } = layout();
      chownTree(dir, MALLORY);
      const result = await runReadable(['encrypt', FIELD, '--from-env', 'V', '-s', dir, '--json'], { env: { ...env, SUDO_USER: 'alice' } });
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(join(dir, 'connectors.toml'), 'utf8')).toMatch(/^password = "ENC:/m);
      for (const file of ['audit.jsonl', 'connectors.toml', 'app.toml']) {
        expect(statSync(join(dir, file)), file).toMatchObject({ uid: MALLORY, gid: MALLORY });
      }
      // the operator is fixed before the drop: alice through sudo, not whoever uid 4242 is
      const [line] = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((text) => JSON.parse(text));
      expect(line).toMatchObject({ event: 'encrypt', outcome: 'ok', operator: 'alice', osUser: 'root' });
    });

    it('a link planted at audit.jsonl does not make root append to, or create, a file outside', async () => {
      const { dir, outside, outsideFile } = layout();
      symlinkSync(outsideFile, join(dir, 'audit.jsonl'));
      chownTree(dir, MALLORY);
      const before = readFileSync(join(dir, 'connectors.toml'));
      const appended = await runReadable(['encrypt', FIELD, '--from-env', 'V', '-s', dir, '--json'], { env });
      expect(appended.code, appended.stdout + appended.stderr).toBe(6);
      expect(readFileSync(outsideFile, 'utf8')).toBe(OUTSIDE_TEXT);
      expect(readFileSync(join(dir, 'connectors.toml')).equals(before)).toBe(true);

      // a dangling link: root would create the file it names
      rmSync(join(dir, 'audit.jsonl'));
      symlinkSync(join(outside, 'created.jsonl'), join(dir, 'audit.jsonl'));
      lchownSync(join(dir, 'audit.jsonl'), MALLORY, MALLORY);
      const created = await runReadable(['encrypt', FIELD, '--from-env', 'V', '-s', dir, '--json'], { env });
      expect(created.code, created.stdout + created.stderr).toBe(6);
      expect(existsSync(join(outside, 'created.jsonl'))).toBe(false);
    });

    it('connectors.toml swapped for a link to a root-only file while root waits on the audit lock: that file is untouched', async () => {
      const { dir, outsideFile } = layout();
      writeFileSync(join(dir, 'audit.jsonl'), '');
      // mallory holds the audit log's lock, naming a live process (this one): root's write-ahead append waits
      const lock = holdAuditLock(dir);
      cleanups.push(() => lock.release());
      chownTree(dir, MALLORY);
      // root tries the audit lock only after it has read the field: it stages a file named after the lock (seen
      // by inotify), and its first read of the lock moves the atime (seen on a relatime mount)
      utimesSync(lock.path, 0, new Date());

      const run = startReadableCli(['encrypt', FIELD, '--from-env', 'V', '-s', dir, '--json'], { env });
      cleanups.push(() => run.child.kill('SIGKILL'));
      let exited = false;
      void run.done.then(() => (exited = true));
      const deadline = Date.now() + 15_000;
      while (!exited && Date.now() < deadline && !lock.tried() && statSync(lock.path).atimeMs < 1000)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(exited, 'the command ended before it waited on the audit lock').toBe(false);
      // the settings lock it holds while it waits, and the log it opened: checked at the end
      const owners = { lock: statSync(join(dir, '.liberty-crypto.lock')).uid, log: statSync(join(dir, 'audit.jsonl')).uid };

      renameSync(join(dir, 'connectors.toml'), join(dir, 'connectors.toml.read'));
      symlinkSync(outsideFile, join(dir, 'connectors.toml'));
      lchownSync(join(dir, 'connectors.toml'), MALLORY, MALLORY);
      lock.release();
      const result = await run.done;
      expect(readFileSync(outsideFile, 'utf8')).toBe(OUTSIDE_TEXT);
      expect(result.code, result.stdout + result.stderr).not.toBe(0);
      expect(statSync(outsideFile).uid).toBe(0);
      expect(statSync(outsideFile).mode & 0o777).toBe(0o600);
      expect(owners).toEqual({ lock: MALLORY, log: MALLORY });
    }, 30_000);

    it('a directory of a uid /etc/passwd does not list, in group root, is refused: there is no group to act as', async () => {
      const { dir } = layout();
      chownTree(dir, MALLORY, 0);
      const before = snapshotTree(dir);
      expectRefused(await runReadable(['encrypt', FIELD, '--from-env', 'V', '-s', dir, '--json'], { env }), 'group root');
      expect(snapshotTree(dir)).toEqual(before);
    });
  },
);

describe.runIf(runningAsRoot())('root refuses places another local user can write (exit 8, nothing written)', () => {
  it.each([
    ['group-writable (0770): every command', 0o770, EVERY_COMMAND],
    ['world-writable (0777, no sticky bit)', 0o777, SOME_COMMANDS],
    ['world-writable and sticky (1777): others could still add files', 0o1777, SOME_COMMANDS],
  ])(
    'a settings directory that is %s',
    async (_name, mode, commands) => {
      const { dir } = layout();
      chmodSync(dir, mode);
      const before = snapshotTree(dir);
      for (const args of commands) {
        const result = await runCli([...args, '-s', dir, '--json'], { env });
        expectRefused(result, args.join(' '));
        expect(snapshotTree(dir), args.join(' ')).toEqual(before);
      }
      expect(parseJson(await runCli(['status', '-s', dir, '--json'], { env })).error.hint).toBe(`chmod go-w ${dir}`);
    },
    120_000,
  );

  it('a directory on the way that others can write without the sticky bit, or that another user owns, is refused; a sticky one like /tmp is not', async () => {
    const open = layout(['shared']);
    const shared = join(open.root, 'shared');
    chmodSync(shared, 0o777);
    const before = snapshotTree(open.dir);
    for (const args of [['status'], ['encrypt', FIELD, '--from-env', 'V'], ['audit']]) {
      expectRefused(await runCli([...args, '-s', open.dir, '--json'], { env }), `0777 parent: ${args[0]}`);
    }
    expect(snapshotTree(open.dir)).toEqual(before);

    // reached through a link that sits in that directory: the link could be swapped, so it counts too
    const viaLink = layout(['safe']);
    chmodSync(shared, 0o777);
    symlinkSync(viaLink.dir, join(shared, 'config-link'));
    expectRefused(await runCli(['status', '-s', join(shared, 'config-link'), '--json'], { env }), 'link in a 0777 directory');

    // a parent owned by another user (mode 0755): she could rename the settings directory away
    const owned = layout(['hers']);
    chownTree(join(owned.root, 'hers'), MALLORY);
    chownTree(owned.dir, 0);
    expectRefused(await runCli(['status', '-s', owned.dir, '--json'], { env }), 'parent owned by uid 4242');

    chmodSync(shared, 0o1777);
    const allowed = await runCli(['encrypt', FIELD, '--from-env', 'V', '-s', open.dir, '--json'], { env });
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
  }, 60_000);

  it('an audit log in a group-writable directory, or writable itself by others, is refused', async () => {
    const { root, dir } = layout();
    const logs = join(root, 'logs');
    mkdirSync(logs);
    chmodSync(logs, 0o770);
    const log = join(logs, 'audit.jsonl');
    const before = snapshotTree(dir);
    for (const args of [
      ['encrypt', FIELD, '--from-env', 'V'],
      ['decrypt', 'connectors.toml:pools.old.password'],
      ['audit'],
      ['audit', 'verify'],
    ]) {
      const result = await runCli([...args, '-s', dir, '--json'], { env: { ...env, LIBERTY_AUDIT_LOG: log } });
      expectRefused(result, `LIBERTY_AUDIT_LOG in a 0770 directory: ${args.join(' ')}`);
      expect(result.stdout).not.toContain('old-secret');
    }
    expect(existsSync(log)).toBe(false);
    expect(snapshotTree(dir)).toEqual(before);

    // the log itself writable by others, in a directory only root can write
    chmodSync(logs, 0o755);
    writeFileSync(log, '');
    chmodSync(log, 0o666);
    expectRefused(
      await runCli(['encrypt', FIELD, '--from-env', 'V', '-s', dir, '--json'], { env: { ...env, LIBERTY_AUDIT_LOG: log } }),
      'a 0666 log',
    );
    expect(readFileSync(log, 'utf8')).toBe('');

    // app.toml [audit] path naming a folder of the directory that others can write to
    mkdirSync(join(dir, 'logs'));
    chmodSync(join(dir, 'logs'), 0o777);
    writeFileSync(join(dir, 'app.toml'), `${appToml({ legacy: ['OLD'] })}\n[audit]\npath = "logs/audit.jsonl"\n`);
    const configured = snapshotTree(dir);
    expectRefused(await runCli(['encrypt', FIELD, '--from-env', 'V', '-s', dir, '--json'], { env }), '[audit] path in a 0777 folder');
    expect(snapshotTree(dir)).toEqual(configured);
  }, 60_000);
});
