import { auditLogPath, loadSettings } from '../core/settings.js';
import { currentEnvironment, resolveSettingsDir } from './context.js';

/** The audit log for reading commands; the settings directory may be absent when LIBERTY_AUDIT_LOG names the log. */
export async function locateAuditLog(settingsFlag: string | undefined): Promise<string> {
  const env = currentEnvironment();
  const location = resolveSettingsDir(settingsFlag, env);
  const settings = await loadSettings(location.dir, { mustExist: !env.LIBERTY_AUDIT_LOG });
  return auditLogPath(settings, env);
}
