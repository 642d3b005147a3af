/**
 * `keys drop-legacy`: a legacy key leaves app.toml only when no blob still needs it; --force drops it
 * anyway after confirmation (--yes off a terminal). The count is taken under the settings lock, so no
 * write slips in between the check and the drop.
 */
import { LibertyError } from '../core/errors.js';
import { dropLegacyKey, findLegacyKeyUsage, type LegacyKeyUsage } from '../core/key-rotation.js';
import { settingsKeyring, type Settings } from '../core/settings.js';
import { auditDropLegacy, requirePermission } from './audit-events.js';
import { envNameDetail } from './audit-trail.js';
import type { CommandOutput } from './base-command.js';
import { confirmOrRequireYes } from './confirm.js';
import { currentEnvironment } from './context.js';
import { withSettingsLock } from './with-lock.js';

export interface DropResult {
  dropped: boolean;
  env: string;
  legacy: string[];
  usage: LegacyKeyUsage | null;
  forced: boolean;
}

export interface DropOptions {
  /** oclif leaves a boolean flag that was not given undefined: read as false */
  force: boolean | undefined;
  yes: boolean;
}

/** Not dropped (`dropped: false`, the blobs that need it said): the key is still needed, a problem (exit 1). */
export async function dropLegacyKeyWhenUnused(
  settings: Settings,
  name: string,
  options: DropOptions,
  out: CommandOutput,
): Promise<DropResult> {
  await requirePermission(settings, 'settings:framework', {
    event: 'keys.drop-legacy',
    details: envNameDetail('env', name, settings.crypto.legacyEnvs),
  });
  if (!settings.crypto.legacyEnvs.includes(name)) {
    throw new LibertyError('E_USAGE', `${name} is not a legacy key in app.toml [crypto] legacy_keys`, {
      hint: 'see liberty-crypto fingerprint for the configured keys',
    });
  }
  const keyring = settingsKeyring(settings, currentEnvironment());
  return withSettingsLock(settings, 'keys drop-legacy', async () => {
    const usage = await findLegacyKeyUsage(settings, keyring, name).catch((error: unknown) => {
      if (options.force && error instanceof LibertyError && error.code === 'E_KEY_NOT_SET') return null;
      throw error;
    });
    if (usage && usage.total > 0 && !options.force) {
      out.say(`${name} is still needed by ${usage.total} blobs; nothing changed`);
      usage.files.forEach((entry) => out.say(`  ${entry.file}: ${entry.count}`));
      out.say('run liberty-crypto rewrap first (or --force to drop it anyway)');
      return { dropped: false, env: name, legacy: settings.crypto.legacyEnvs, usage, forced: false };
    }
    const forced = Boolean(options.force) && (usage === null || usage.total > 0);
    if (forced && !options.yes) await confirmForce(name, usage);
    const legacy = await dropLegacyKey(settings, name, auditDropLegacy(settings, { env: name, forced, stillNeededBy: usage?.total ?? -1 }));
    out.say(`dropped ${name} from legacy_keys; unset it in the environment and restart the framework`);
    return { dropped: true, env: name, legacy, usage, forced };
  });
}

async function confirmForce(name: string, usage: LegacyKeyUsage | null): Promise<void> {
  const what = usage ? `${usage.total} blobs still need ${name}` : `${name} is not set, so its use cannot be checked`;
  await confirmOrRequireYes({
    yes: false,
    needs: `--force: ${name} may still be needed by blobs`,
    question: `${what}; they become unreadable. drop it anyway?`,
    declined: 'not confirmed; nothing changed',
  });
}
