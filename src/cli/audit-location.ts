import { auditLogPath, loadSettings } from '../core/settings.js';
import { currentEnvironment, resolveSettingsDir } from './context.js';
import { actAsSettingsOwner, checkAuditLogPlace } from './file-authority.js';

export interface AuditLogLocation {
  path: string;
  /** app.toml stores a master fingerprint: writes have happened, so the log must hold lines */
  fingerprintStored: boolean;
}

/** The audit log for reading commands; the settings directory may be absent when LIBERTY_AUDIT_LOG names the log. */
export async function locateAuditLog(settingsFlag: string | undefined): Promise<AuditLogLocation> {
  const env = currentEnvironment();
  const location = resolveSettingsDir(settingsFlag, env);
  actAsSettingsOwner(location.dir, env);
  // LIBERTY_AUDIT_LOG names the log on its own: the directory is then read only for its stored fingerprint
  const settings = env.LIBERTY_AUDIT_LOG
    ? await loadSettings(location.dir, { mustExist: false })
    : await loadSettings(location.dir, { mustExist: true, requireApp: { shown: location.shown } });
  const path = auditLogPath(settings, env);
  checkAuditLogPlace(path);
  return { path, fingerprintStored: settings.crypto.storedFingerprint !== undefined };
}
