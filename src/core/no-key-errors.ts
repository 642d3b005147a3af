/**
 * The errors for a blob that no configured key opens, each naming what to export or add: v2 names its key
 * id, so the key is missing; under v1 a missing key and a changed blob look the same.
 */
import { authFailed } from './aead.js';
import { LibertyError } from './errors.js';
import type { Keyring, KeySlot } from './keyring.js';

export function noMatchingKey(keyring: Keyring, kid: string): LibertyError {
  const unset = keyring.legacy.filter((slot) => !slot.key).map((slot) => slot.env);
  const note = unset.length > 0 ? ` (unset legacy keys: ${unset.join(', ')})` : '';
  // a master that is not 64 hex characters (stray whitespace, a passphrase) can never match a v2 key id
  const master = keyring.master.key;
  const hint =
    master && !master.aesKey
      ? `${master.env} must hold 64 hex characters to open v2 blobs (a passphrase?)`
      : unset.length > 0
        ? `export ${unset.join(' and ')}: app.toml lists ${unset.length === 1 ? 'it as a legacy key' : 'them as legacy keys'}, but the environment holds no value`
        : 'add the old key back as a legacy key (liberty-crypto keys add-legacy NAME), then run liberty-crypto rewrap';
  return new LibertyError(
    'E_NO_MATCHING_KEY',
    `crypto: no configured key matches key id ${kid}: it is neither the master nor a legacy key${note}`,
    { hint },
  );
}

/** Under v1 a missing key and a changed blob look the same: the tag fails under every key tried. */
export function v1Unopened(keyring: Keyring, slots: ReadonlyArray<KeySlot>): LibertyError {
  const tried = slots.filter((slot) => slot.key !== undefined).map((slot) => slot.env);
  const unset = keyring.legacy.filter((slot) => !slot.key).map((slot) => slot.env);
  const base = authFailed();
  const note = unset.length > 0 ? ` (unset legacy keys: ${unset.join(', ')})` : '';
  return new LibertyError('E_AUTH_FAILED', `${base.message}: no configured key opens this v1 blob (tried ${tried.join(', ')})${note}`, {
    hint:
      unset.length > 0
        ? `export ${unset.join(', ')} and try again`
        : 'under v1 a missing key and an edited blob look the same: if its key is missing, export it and add it with liberty-crypto keys add-legacy NAME; if the blob was edited, re-encrypt the value from its plaintext source',
  });
}
