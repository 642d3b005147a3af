// The floor of the v1-format runs: N PBKDF2-HMAC-SHA512 derivations (2145 iterations, 32 bytes, a fresh
// 64-byte salt each, over the UTF-8 text of a 64-hex key, as a v1 blob needs) and nothing else. All N are
// queued at once with the async node:crypto pbkdf2, so they run on the default libuv thread pool
// (UV_THREADPOOL_SIZE as inherited); the process exits when the last one is done. No files, no AES.
// usage: node bench/floor-pbkdf2.mjs N
import { pbkdf2, randomBytes } from 'node:crypto';

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 1) throw new Error('usage: node bench/floor-pbkdf2.mjs N (a positive integer)');
const password = Buffer.from('0123456789abcdef'.repeat(4), 'utf8');
const salts = randomBytes(64 * count);
let left = count;
for (let i = 0; i < count; i++) {
  pbkdf2(password, salts.subarray(64 * i, 64 * (i + 1)), 2145, 32, 'sha512', (error) => {
    if (error) throw error;
    if (--left === 0) console.log(`${count} PBKDF2-HMAC-SHA512 derivations`);
  });
}
