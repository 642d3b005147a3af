/**
 * The ENC: grammar, both formats, parse and format only (no keys, no I/O).
 *   v1: ENC:<standard base64, padded, of salt(64) | iv(16) | tag(16) | ciphertext>  (the framework's layout)
 *   v2: ENC:v2:<kid>:<base64url, no padding, of nonce(12) | ciphertext | tag(16)>
 * Only canonical encodings are accepted, so every accepted blob re-encodes to the same text.
 * A blob is a whole string value, or embedded in a longer one (the password of a pool URL): findBlobs
 * finds both, as the framework does.
 */
import { TAG_BYTES, V2_NONCE_BYTES } from './aead.js';
import { LibertyError } from './errors.js';

export const BLOB_PREFIX = 'ENC:';
const V2_PREFIX = 'ENC:v2:';
const KID = /^[0-9a-f]{8}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
export const V1_SALT_BYTES = 64;
export const V1_IV_BYTES = 16;

export interface V2Blob {
  format: 'v2';
  kid: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export interface V1Blob {
  format: 'v1';
  salt: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export type Blob = V1Blob | V2Blob;
export type BlobFormat = Blob['format'];

/** True when the value is meant to be a blob (it may still be malformed). */
export function isBlobText(value: string): boolean {
  return value.startsWith(BLOB_PREFIX);
}

/** The additional authenticated data of a v2 blob: its header, so the kid cannot be swapped. */
export function v2Aad(kid: string): Buffer {
  return Buffer.from(`${V2_PREFIX}${kid}:`, 'ascii');
}

function malformed(reason: string): LibertyError {
  return new LibertyError('E_MALFORMED_BLOB', `malformed blob: ${reason}`, {
    hint: 'a blob is ENC:<base64> (v1) or ENC:v2:<kid>:<base64url>; never edit it by hand',
  });
}

/** The bytes of a base64 text whose alphabet, padding and length were checked, when it is their one encoding. */
function decodeCanonical(text: string, encoding: 'base64' | 'base64url'): Buffer | undefined {
  return hasZeroSpareBits(text) ? Buffer.from(text, encoding) : undefined;
}

/**
 * Whether the bits the last character carries beyond the last whole byte are zero. With the alphabet,
 * the padding and the length checked, that is the only way a decodable text differs from the encoding of
 * its bytes (`AB` and `AA` both decode to one zero byte), and checking it spares encoding every blob again.
 */
function hasZeroSpareBits(text: string): boolean {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end -= 1; // '=' padding
  const remainder = end % 4; // 2: one byte, 4 spare bits; 3: two bytes, 2 spare bits
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  return (sextet(text.charCodeAt(end - 1)) & (remainder === 2 ? 0x0f : 0x03)) === 0;
}

/** The 6-bit value of a base64 or base64url character. */
function sextet(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41; // A-Z
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 26; // a-z
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 52; // 0-9
  return code === 0x2b || code === 0x2d ? 62 : 63; // + or -, / or _
}

/** Parses a blob; throws E_NOT_ENCRYPTED for a plain value, E_MALFORMED_BLOB for a broken one. */
export function parseBlob(value: string): Blob {
  if (!isBlobText(value)) {
    throw new LibertyError('E_NOT_ENCRYPTED', 'value is not encrypted', {
      hint: 'an encrypted value starts with ENC:',
    });
  }
  const body = value.slice(BLOB_PREFIX.length);
  return body.includes(':') ? parseVersioned(value) : parseV1(body);
}

function parseVersioned(value: string): V2Blob {
  if (!value.startsWith(V2_PREFIX)) throw malformed('unknown format version');
  const rest = value.slice(V2_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw malformed('missing key id');
  const kid = rest.slice(0, colon);
  const payload = rest.slice(colon + 1);
  if (!KID.test(kid)) throw malformed('key id must be 8 lower-case hex characters');
  if (!BASE64URL.test(payload) || payload.length % 4 === 1) throw malformed('payload is not base64url without padding');
  const bytes = decodeCanonical(payload, 'base64url');
  if (!bytes) throw malformed('payload is not canonical base64url');
  if (bytes.length < V2_NONCE_BYTES + TAG_BYTES) throw malformed('payload too short');
  return {
    format: 'v2',
    kid,
    nonce: bytes.subarray(0, V2_NONCE_BYTES),
    ciphertext: bytes.subarray(V2_NONCE_BYTES, bytes.length - TAG_BYTES),
    tag: bytes.subarray(bytes.length - TAG_BYTES),
  };
}

function parseV1(body: string): V1Blob {
  if (!BASE64.test(body) || body.length % 4 !== 0) throw malformed('v1 payload is not padded base64');
  const bytes = decodeCanonical(body, 'base64');
  if (!bytes) throw malformed('v1 payload is not canonical base64');
  const header = V1_SALT_BYTES + V1_IV_BYTES + TAG_BYTES;
  if (bytes.length < header) throw malformed('v1 payload too short');
  return {
    format: 'v1',
    salt: bytes.subarray(0, V1_SALT_BYTES),
    iv: bytes.subarray(V1_SALT_BYTES, V1_SALT_BYTES + V1_IV_BYTES),
    tag: bytes.subarray(V1_SALT_BYTES + V1_IV_BYTES, header),
    ciphertext: bytes.subarray(header),
  };
}

export function formatBlob(blob: Blob): string {
  if (blob.format === 'v2') {
    const payload = Buffer.concat([blob.nonce, blob.ciphertext, blob.tag]).toString('base64url');
    return `${V2_PREFIX}${blob.kid}:${payload}`;
  }
  return BLOB_PREFIX + Buffer.concat([blob.salt, blob.iv, blob.tag, blob.ciphertext]).toString('base64');
}

/** Parses without throwing: undefined for anything that is not a well-formed blob. */
export function tryParseBlob(value: string): Blob | undefined {
  try {
    return parseBlob(value);
  } catch {
    return undefined;
  }
}

/** Where a blob sits in a string value: the whole value, or a part of it. */
export interface BlobSpan {
  start: number;
  end: number;
  text: string;
}

/**
 * The smallest embedded blob taken as one: a v1 header (96 bytes, 128 base64 characters) or a v2 header
 * with a payload. Shorter `ENC:` text inside a longer string (prose, a path) is not a blob.
 */
const EMBEDDED_BLOB = /ENC:(?:v2:[0-9a-f]{8}:[A-Za-z0-9_-]{38,}|[A-Za-z0-9+/]{128,}={0,2})/g;
const MIN_V1_BODY = Math.ceil(((V1_SALT_BYTES + V1_IV_BYTES + TAG_BYTES) * 4) / 3);

/**
 * The blobs of a string value, in order: the whole value when it starts with ENC: (it may still be
 * malformed: parseBlob says why), else every blob embedded in it, like the password in
 * `oracle+oracledb://system:ENC:...@db:1521/`. A blob embedded after a letter or digit is not one (it
 * would be the tail of some other token).
 */
export function findBlobs(value: string): BlobSpan[] {
  if (isBlobText(value)) return [{ start: 0, end: value.length, text: value }];
  if (!value.includes(BLOB_PREFIX)) return [];
  const spans: BlobSpan[] = [];
  for (const match of value.matchAll(EMBEDDED_BLOB)) {
    const start = match.index;
    if (start > 0 && /[A-Za-z0-9]/.test(value[start - 1])) continue;
    const text = match[0];
    if (!text.startsWith('ENC:v2:') && text.length - BLOB_PREFIX.length < MIN_V1_BODY) continue;
    spans.push({ start, end: start + text.length, text });
  }
  return spans;
}

/** The value with each span replaced by the text at the same index; the rest byte for byte. */
export function replaceBlobs(value: string, spans: readonly BlobSpan[], texts: readonly string[]): string {
  let result = '';
  let cursor = 0;
  spans.forEach((span, index) => {
    result += value.slice(cursor, span.start) + texts[index];
    cursor = span.end;
  });
  return result + value.slice(cursor);
}

/** Whether a string value holds a blob, whole or embedded. */
export function holdsBlob(value: string): boolean {
  return findBlobs(value).length > 0;
}
