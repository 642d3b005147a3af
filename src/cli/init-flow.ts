/**
 * `init`: a new settings directory (created with mode 0700 when missing), its minimal app.toml and the
 * first audit line, written before app.toml (audit-events.ts). Refused where an install already is.
 */
import type { BlobFormat } from '../core/blob.js';
import { auditLogPath, loadSettings } from '../core/settings.js';
import { pathAsNamed } from '../core/settings-directory.js';
import { checkInitTarget, createSettingsDir, initMasterKey, writeInitialApp, type InitResult } from '../core/settings-init.js';
import { auditInit } from './audit-events.js';
import { currentEnvironment, type SettingsLocation } from './context.js';
import { withSettingsLock } from './with-lock.js';

export interface InitOutput extends InitResult {
  dir: string;
  /** whether init created the settings directory (mode 0700) */
  created: boolean;
  auditLog: string;
}

export async function initSettingsDirectory(location: SettingsLocation, masterEnv: string, format: BlobFormat): Promise<InitOutput> {
  const env = currentEnvironment();
  checkInitTarget(location.dir, location.shown);
  const master = initMasterKey(masterEnv, format, env);
  const created = await createSettingsDir(location.dir);
  const settings = await loadSettings(location.dir, { mustExist: true });
  const result = await withSettingsLock(settings, 'init', () =>
    writeInitialApp(settings, { masterEnv, format, ...(master ? { master } : {}) }, location.shown, auditInit(settings)),
  );
  return { dir: location.dir, created, ...result, auditLog: auditLogPath(settings, env) };
}

/** What init says: what it wrote, whether it stored the fingerprint, where the log is, and what comes next. */
export function initLines(output: InitOutput, location: SettingsLocation): string[] {
  return [
    `${output.created ? 'created' : 'initialized'} ${location.shown}: app.toml [crypto] master_key = "\${${output.masterEnv}}", format = "${output.format}"`,
    output.keyId
      ? `stored the fingerprint of ${output.masterEnv} (key id ${output.keyId})`
      : `no fingerprint stored: ${output.masterEnv} is not set; the first write stores it`,
    `audit log started: ${pathAsNamed(location.dir, location.shown, output.auditLog)}`,
    'next: grant [permissions] in app.toml, then liberty-crypto encrypt FILE:KEY',
  ];
}
