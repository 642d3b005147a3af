// When an audit line is written, and what it says: each helper of audit-events.ts against a real log in
// a temporary settings directory. The table is the one in audit-events.ts's header.
import { readFileSync, existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  auditAddLegacy,
  auditDropLegacy,
  auditEditChanges,
  auditEncrypts,
  auditFingerprintWrite,
  auditInit,
  auditRotation,
  auditToPlain,
  openAudited,
  recordEditReveal,
  recordOpenFailed,
  recordPlaintextShown,
  recordRewrapSummary,
  recordWrongFingerprint,
  requirePermission,
} from '../../src/cli/audit-events.js';
import { loadKeyring } from '../../src/core/keyring.js';
import type { RewrapReport } from '../../src/core/rewrap.js';
import { loadSettings, type Settings } from '../../src/core/settings.js';
import { appToml, settingsPerTest } from '../support/settings.js';

const makeSettings = settingsPerTest();

/** The lines of the log, without what changes from run to run (time, pid, chain, who). */
function logged(settings: Settings): Array<Record<string, unknown>> {
  const path = `${settings.dir}/audit.jsonl`;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { event, outcome, field, keyId, details } = JSON.parse(line) as Record<string, unknown>;
      return {
        event,
        outcome,
        ...(field === undefined ? {} : { field }),
        ...(keyId === undefined ? {} : { keyId }),
        ...(details === undefined ? {} : { details }),
      };
    });
}

async function settingsWith(permissions?: string[]): Promise<Settings> {
  const dir = makeSettings({ 'app.toml': appToml({ permissions }) }).dir;
  return loadSettings(dir);
}

beforeEach(() => {
  vi.stubEnv('LIBERTY_AUDIT_LOG', undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const rewrapReport = (over: Partial<RewrapReport>): RewrapReport => ({
  check: false,
  rewrapped: 2,
  format: 'v1',
  current: 5,
  legacy: 0,
  onLegacyKeys: 0,
  otherFormat: 0,
  onLegacy: [],
  unreadable: 0,
  files: [{ file: 'a.toml', rewrapped: 2 }],
  filesRead: 1,
  empty: false,
  problems: [],
  ...over,
});

describe('write-ahead: ok before the change, failed after a failed one', () => {
  it.each<
    [
      string,
      (settings: Settings) => {
        before(subjects: readonly never[]): Promise<unknown>;
        failed(subjects: readonly never[]): Promise<unknown>;
      },
      unknown[],
      Array<Record<string, unknown>>,
    ]
  >([
    [
      'init',
      auditInit,
      [{ masterEnv: 'K', format: 'v2', fingerprint: null, keyId: 'abcd1234' }],
      [{ event: 'init', keyId: 'abcd1234', details: { env: 'K', format: 'v2' } }],
    ],
    [
      'init, key not set: no keyId',
      auditInit,
      [{ masterEnv: 'K', format: 'v1', fingerprint: null, keyId: null }],
      [{ event: 'init', details: { env: 'K', format: 'v1' } }],
    ],
    [
      'encrypt: one line per field',
      auditEncrypts,
      [
        { field: 'a.toml:x', keyId: 'abcd1234' },
        { field: 'a.toml:y', keyId: 'abcd1234' },
      ],
      [
        { event: 'encrypt', field: 'a.toml:x', keyId: 'abcd1234' },
        { event: 'encrypt', field: 'a.toml:y', keyId: 'abcd1234' },
      ],
    ],
    ['to-plain', (settings) => auditToPlain(settings, 'a.toml:x'), [{}], [{ event: 'to-plain', field: 'a.toml:x' }]],
    [
      'edit.change: sealed ones with their key',
      auditEditChanges,
      [
        { field: 'a.toml:host', change: 'changed', sealed: false },
        { field: 'a.toml:password', change: 'added', sealed: true, keyId: 'abcd1234' },
      ],
      [
        { event: 'edit.change', field: 'a.toml:host', details: { change: 'changed', sealed: false } },
        { event: 'edit.change', field: 'a.toml:password', keyId: 'abcd1234', details: { change: 'added', sealed: true } },
      ],
    ],
    [
      'keys.rotate',
      auditRotation,
      [{ from: 'OLD', to: 'NEW', keyId: 'abcd1234', fingerprint: 'f', legacy: ['OLD'] }],
      [{ event: 'keys.rotate', keyId: 'abcd1234', details: { from: 'OLD', to: 'NEW', legacy: ['OLD'] } }],
    ],
    [
      'keys.add-legacy',
      (settings) => auditAddLegacy(settings, 'OLD'),
      [['OLD']],
      [{ event: 'keys.add-legacy', details: { env: 'OLD', legacy: ['OLD'] } }],
    ],
    [
      'keys.drop-legacy',
      (settings) => auditDropLegacy(settings, { env: 'OLD', forced: true, stillNeededBy: -1 }),
      [{}],
      [{ event: 'keys.drop-legacy', details: { env: 'OLD', forced: true, stillNeededBy: -1 } }],
    ],
    [
      'fingerprint.write',
      auditFingerprintWrite,
      [{ env: 'K', keyId: 'abcd1234' }],
      [{ event: 'fingerprint.write', keyId: 'abcd1234', details: { env: 'K' } }],
    ],
  ])('%s', async (_name, hooksOf, subjects, events) => {
    const settings = await settingsWith();
    const hooks = hooksOf(settings);
    await hooks.before(subjects as never[]);
    expect(logged(settings)).toEqual(events.map((event) => ({ ...event, outcome: 'ok' })));
    await hooks.failed(subjects as never[]);
    expect(logged(settings).slice(events.length)).toEqual(events.map((event) => ({ ...event, outcome: 'failed' })));
  });
});

describe('ahead of plaintext output, and failures that reveal nothing', () => {
  it('decrypt and reveal log ok with the key that opened it; edit a line per field opened', async () => {
    const settings = await settingsWith();
    await recordPlaintextShown(settings, 'decrypt', undefined, 'abcd1234');
    await recordPlaintextShown(settings, 'reveal', 'a.toml:x', 'abcd1234');
    await recordEditReveal(settings, 'a.toml:y', 'abcd1234');
    await recordWrongFingerprint(settings, 'a.toml:x');
    await recordOpenFailed(settings, 'edit.reveal', 'a.toml:z');
    expect(logged(settings)).toEqual([
      { event: 'decrypt', outcome: 'ok', keyId: 'abcd1234' },
      { event: 'reveal', outcome: 'ok', field: 'a.toml:x', keyId: 'abcd1234' },
      { event: 'edit.reveal', outcome: 'ok', field: 'a.toml:y', keyId: 'abcd1234' },
      { event: 'reveal', outcome: 'wrong-fingerprint', field: 'a.toml:x' },
      { event: 'edit.reveal', outcome: 'failed', field: 'a.toml:z' },
    ]);
  });

  it('openAudited: a value no key opens is logged failed, and the error names the field', async () => {
    const settings = await settingsWith();
    const keyring = loadKeyring(settings.crypto, { LIBERTY_MASTER_KEY: 'c0ffee00'.repeat(8) });
    await expect(openAudited(settings, keyring, 'ENC:AAAA', { event: 'reveal', field: 'a.toml:x' })).rejects.toThrow(/a\.toml:x/);
    expect(logged(settings)).toEqual([{ event: 'reveal', outcome: 'failed', field: 'a.toml:x' }]);
  });

  it('requirePermission: a denial is logged before it is thrown; a grant writes nothing', async () => {
    const granted = await settingsWith();
    await requirePermission(granted, 'settings:framework', { event: 'keys.rotate' });
    expect(logged(granted)).toEqual([]);
    const denied = await settingsWith([]);
    await expect(requirePermission(denied, 'settings:framework', { event: 'keys.rotate', details: { to: 'NEW' } })).rejects.toMatchObject({
      code: 'E_PERMISSION_DENIED',
    });
    expect(logged(denied)).toEqual([{ event: 'keys.rotate', outcome: 'denied', details: { to: 'NEW', permission: 'settings:framework' } }]);
  });
});

describe('rewrap: a summary after the run', () => {
  it.each<[string, Partial<RewrapReport>, Array<Record<string, unknown>>]>([
    ['a check writes nothing', { check: true }, []],
    ['a run that re-wrapped nothing writes nothing', { rewrapped: 0 }, []],
    [
      'a run that re-wrapped blobs',
      {},
      [{ event: 'rewrap', outcome: 'ok', keyId: 'abcd1234', details: { rewrapped: 2, current: 5, legacy: 0, unreadable: 0, files: 1 } }],
    ],
    [
      'with a problem: failed',
      { unreadable: 1, problems: [{ file: 'a.toml', key: 'x', kid: null, code: 'E_NO_KEY', exitCode: 3, message: 'm' }] },
      [
        {
          event: 'rewrap',
          outcome: 'failed',
          keyId: 'abcd1234',
          details: { rewrapped: 2, current: 5, legacy: 0, unreadable: 1, files: 1 },
        },
      ],
    ],
  ])('%s', async (_name, over, events) => {
    const settings = await settingsWith();
    await recordRewrapSummary(settings, rewrapReport(over), 'abcd1234');
    expect(logged(settings)).toEqual(events);
  });
});
