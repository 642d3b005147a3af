/**
 * Loading the settings directory for a command that needs one: it must exist and hold app.toml (see
 * core/settings-directory.ts), else the command is refused before it reads or creates anything.
 */
import { loadSettings, type Settings } from '../core/settings.js';
import type { SettingsLocation } from './context.js';

export function loadSettingsDirectory(location: SettingsLocation): Promise<Settings> {
  return loadSettings(location.dir, { mustExist: true, requireApp: { shown: location.shown } });
}

/**
 * For the commands that also work on a blob alone (encrypt to stdout, fingerprint without --write): the
 * directory is read when it is there (app.toml names the keys and the format), and may be absent unless named.
 */
export function loadOptionalSettings(location: SettingsLocation): Promise<Settings> {
  return loadSettings(location.dir, { mustExist: location.explicit });
}
