// Nonce pool (src/core/aead.ts NoncePool): what handing out v2 nonces from a 4 KiB CSPRNG pool saves over
// one `randomBytes(12)` per blob. In-process, 100,000 nonces each way, alternated, 5 runs; information
// for the design note in aead.ts (the keyring keeps no other process-wide state), not a target.
import { randomBytes } from 'node:crypto';
import { fmtMs, fmtRatio, info, median } from './lib.mjs';

export const name = 'nonce';
const NONCES = 100_000;
const RUNS = 5;
const POOL_BYTES = 4096 - (4096 % 12);

function timeIt(fn) {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function perBlob() {
  for (let i = 0; i < NONCES; i += 1) randomBytes(12);
}

function pooled() {
  let pool = Buffer.alloc(0);
  let offset = 0;
  for (let i = 0; i < NONCES; i += 1) {
    if (offset + 12 > pool.length) {
      pool = randomBytes(POOL_BYTES);
      offset = 0;
    }
    Buffer.from(pool.subarray(offset, offset + 12));
    offset += 12;
  }
}

export async function run() {
  const single = [];
  const pool = [];
  for (let round = 0; round < RUNS; round += 1) {
    single.push(timeIt(perBlob));
    pool.push(timeIt(pooled));
  }
  const [a, b] = [median(single), median(pool)];
  console.log(`100,000 nonces: randomBytes(12) each ${fmtMs(a)}, from the pool ${fmtMs(b)} (medians of ${RUNS})`);
  return [info(name, 'randomBytes(12) per nonce / pool, 100k nonces', `${fmtMs(a)} / ${fmtMs(b)} = ${fmtRatio(a / b)}`)];
}
