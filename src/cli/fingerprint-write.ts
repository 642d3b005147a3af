/**
 * `fingerprint --write`: the master fingerprint stored in app.toml [crypto], with the permission
 * settings:framework, under the settings lock, audit-logged write-ahead. Refuses a key that opens none of
 * the stored master's blobs (it would orphan them) unless forced. The fingerprint command imports this
 * module only for --write: reading fingerprints is what scripts call often, and it must start fast.
 */
import { storeMasterFingerprint } from '../core/field-writes.js';
import { refuseOrphaningFingerprint } from '../core/fingerprint-guard.js';
import { requireMaster, type Keyring } from '../core/keyring.js';
import type { Settings } from '../core/settings.js';
import { auditFingerprintWrite, requirePermission } from './audit-events.js';
import type { CommandOutput } from './base-command.js';
import { withSettingsLock } from './with-lock.js';

export async function writeFingerprint(settings: Settings, keyring: Keyring, force: boolean, out: CommandOutput): Promise<void> {
  await requirePermission(settings, 'settings:framework', { event: 'fingerprint.write' });
  const master = keyring.master.key;
  if (!master) requireMaster(keyring);
  if (!force) await refuseOrphaningFingerprint(settings, keyring, master!);
  const written = await withSettingsLock(settings, 'fingerprint --write', () =>
    storeMasterFingerprint({ settings, keyring }, master!, auditFingerprintWrite(settings)),
  );
  out.note(written ? `stored the fingerprint of ${master!.env} in app.toml [crypto]` : 'app.toml already stores this fingerprint');
}
