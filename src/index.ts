/**
 * The library API of liberty-crypto, for programs that read Liberty settings (the framework runtime
 * first). It never loads oclif. Errors are LibertyError with the same codes as the CLI.
 */
export { LibertyError, EXIT, EXIT_CODES, type ErrorCode } from './core/errors.js';
export { parseBlob, formatBlob, isBlobText, type Blob } from './core/blob.js';
export { parseKey, fingerprintOf, type Key } from './core/keys.js';
export { readCryptoConfig, type CryptoConfig } from './core/crypto-config.js';
export {
  loadKeyring,
  openBlob,
  sealValue,
  requireMaster,
  type Environment,
  type Keyring,
  type OpenedBlob,
} from './core/keyring.js';
export { loadSettings, settingsKeyring, type Settings } from './core/settings.js';
