import { randomKeyBytes } from './aead.js';
import { fingerprintOf } from './keys.js';

/** A fresh master key: 32 CSPRNG bytes as 64 lower-case hex, with its fingerprint. */
export function generateKey(): { key: string; fingerprint: string } {
  const bytes = randomKeyBytes();
  const result = { key: bytes.toString('hex'), fingerprint: fingerprintOf(bytes) };
  bytes.fill(0);
  return result;
}
