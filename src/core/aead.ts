/**
 * The only module that touches node:crypto ciphers: AES-256-GCM with a 128-bit tag, and the PBKDF2
 * derivation of the v1 format. The tag is checked by OpenSSL before `final()` returns, and no
 * plaintext is handed out before that.
 */
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { LibertyError } from './errors.js';

export const KEY_BYTES = 32;
export const TAG_BYTES = 16;
export const V2_NONCE_BYTES = 12;

export interface Sealed {
  ciphertext: Buffer;
  tag: Buffer;
}

function checkKeyAndIv(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new LibertyError('E_INTERNAL', `aes-256-gcm needs a ${KEY_BYTES}-byte key`);
  if (iv.length === 0) throw new LibertyError('E_INTERNAL', 'aes-256-gcm needs a non-empty iv');
}

export function sealGcm(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Sealed {
  checkKeyAndIv(key, iv);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (aad && aad.length > 0) cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/** Opens a GCM box; a wrong tag (tampered data or wrong key) throws E_AUTH_FAILED, never returns bytes. */
export function openGcm(key: Uint8Array, iv: Uint8Array, sealed: Sealed, aad?: Uint8Array): Buffer {
  checkKeyAndIv(key, iv);
  if (sealed.tag.length !== TAG_BYTES) throw authFailed();
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.tag);
  if (aad && aad.length > 0) decipher.setAAD(aad);
  const head = decipher.update(sealed.ciphertext);
  try {
    const tail = decipher.final(); // empty for GCM: no copy then
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head.fill(0);
    throw authFailed();
  }
}

export function authFailed(): LibertyError {
  return new LibertyError('E_AUTH_FAILED', 'crypto: authentication tag mismatch', {
    hint: 'never edit ciphertext by hand; re-encrypt the value from its plaintext source',
  });
}

/**
 * Fresh 96-bit GCM nonces from a pool of CSPRNG bytes refilled 4 KiB at a time: one call into the CSPRNG
 * per 341 nonces instead of one per blob. That call costs far more than the AES of a short secret
 * (bench/nonce.mjs: the pool hands out 100,000 nonces in a small fraction of the time of 100,000
 * `randomBytes(12)`), and re-sealing 100,000 blobs makes 100,000 nonces.
 * Each byte is handed out once, then the pool is replaced; nonces are independent random values, so one
 * pool serves every key of the process. Nothing else is kept: the pool holds no key and no plaintext.
 */
export class NoncePool {
  static readonly BYTES = 4096 - (4096 % V2_NONCE_BYTES);
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): Buffer {
    if (this.offset + V2_NONCE_BYTES > this.pool.length) {
      this.pool = randomBytes(NoncePool.BYTES);
      this.offset = 0;
    }
    const nonce = Buffer.from(this.pool.subarray(this.offset, this.offset + V2_NONCE_BYTES));
    this.offset += V2_NONCE_BYTES;
    return nonce;
  }
}

/** The process's nonces (see NoncePool). */
const nonces = new NoncePool();

export function randomNonce(): Buffer {
  return nonces.next();
}

export function randomKeyBytes(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function randomBytesOf(length: number): Buffer {
  return randomBytes(length);
}

/** v1 key derivation, as the framework does it: PBKDF2-HMAC-SHA512(key text, salt, 2145, 32). */
export const V1_PBKDF2_ITERATIONS = 2145;

/** Runs on the libuv thread pool, so many v1 blobs derive their keys in parallel. */
export function deriveV1Key(secret: Uint8Array, salt: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(secret, salt, V1_PBKDF2_ITERATIONS, KEY_BYTES, 'sha512', (error, derived) => (error ? reject(error) : resolve(derived)));
  });
}
