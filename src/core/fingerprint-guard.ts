/**
 * Before `fingerprint --write` makes a key the one app.toml vouches for: a key that opens none of the blobs
 * sealed under the stored master would orphan them all (and every later mismatch hint would point here).
 * v2 blobs name their key id, so they are counted without opening; v1 blobs name no key, so they are
 * tried with the new key alone until one opens (one PBKDF2 per blob tried, stopping at the first success).
 */
import { tryParseBlob, type Blob } from './blob.js';
import { LibertyError } from './errors.js';
import { createOpener, type Keyring } from './keyring.js';
import { keyIdOf, type Key } from './keys.js';
import { plural } from './plural.js';
import { mapLimit, scanFile, selectFiles } from './settings-scan.js';
import type { Settings } from './settings.js';

/** Throws E_FINGERPRINT_MISMATCH (exit 3) when `key` opens none of the blobs of the stored master. */
export async function refuseOrphaningFingerprint(settings: Settings, keyring: Keyring, key: Key): Promise<void> {
  const stored = settings.crypto.storedFingerprint;
  if (!stored || stored === key.fingerprint) return;
  const storedKid = keyIdOf(stored);
  const alone = createOpener(keyring, { only: { env: key.env, role: 'master', key } });
  const files = await selectFiles(settings.dir);
  const scans = await mapLimit(files, 8, (file) => scanFile(settings.dir, file, settings.fields));
  let underStored = 0;
  const v1: Blob[] = [];
  for (const scan of scans) {
    if (!scan.ok) continue;
    for (const span of scan.fields.flatMap((field) => field.blobs)) {
      const blob = tryParseBlob(span.text);
      if (blob?.format === 'v2' && blob.kid === storedKid) underStored += 1;
      else if (blob?.format === 'v1') v1.push(blob);
    }
  }
  let unopened = underStored;
  if (keyring.format === 'v1' && v1.length > 0) {
    let opens = false;
    for (const blob of v1) {
      opens = await alone.open(blob).then(
        () => true,
        () => false,
      );
      if (opens) break;
    }
    if (!opens) unopened += v1.length;
  }
  if (unopened === 0) return;
  throw new LibertyError(
    'E_FINGERPRINT_MISMATCH',
    `crypto: ${key.env} (key id ${key.kid}) opens none of ${plural(unopened, 'blob')} sealed under the stored master (key id ${storedKid}): storing its fingerprint would orphan them`,
    {
      hint: `load the key app.toml stores (key id ${storedKid}); to replace it on purpose, rotate (liberty-crypto keys rotate --to NAME), or pass --force`,
    },
  );
}
