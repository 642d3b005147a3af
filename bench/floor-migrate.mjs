// The floor of the migrate benchmark: the same migration done minimally. Every *.toml under DIR is read,
// each `"ENC:..."` v1 string in it is opened under LIBERTY_MASTER_KEY_OLD (PBKDF2 on the libuv thread
// pool, all blobs of a file at once) and sealed as v2 under LIBERTY_MASTER_KEY (both 64 hex), and the
// file is written atomically: temporary file, fsync, rename, fsync of the directory, all with the async
// fs calls. Eight files at a time, as rewrap does. No parse, no path checks, no re-open of the new blobs,
// no audit log: what is left is what the machine's thread pool allows for this work.
// usage: node bench/floor-migrate.mjs DIR
import { createCipheriv, createDecipheriv, createHash, pbkdf2, randomBytes } from 'node:crypto';
import { close, fsync, open, rename, write, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { listToml } from './list-toml.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/floor-migrate.mjs DIR');
const legacy = Buffer.from(process.env.LIBERTY_MASTER_KEY_OLD ?? '', 'utf8');
const master = Buffer.from(process.env.LIBERTY_MASTER_KEY ?? '', 'hex');
if (legacy.length !== 64 || master.length !== 32) throw new Error('LIBERTY_MASTER_KEY and LIBERTY_MASTER_KEY_OLD: 64 hex each');
const kid = createHash('sha256').update(master).digest('hex').slice(0, 8);
const aad = Buffer.from(`ENC:v2:${kid}:`, 'ascii');
const derive = promisify(pbkdf2);
const [openAsync, writeAsync, fsyncAsync, closeAsync, renameAsync] = [open, write, fsync, close, rename].map((call) => promisify(call));

async function migrateBlob(base64) {
  const bytes = Buffer.from(base64, 'base64');
  const key = await derive(legacy, bytes.subarray(0, 64), 2145, 32, 'sha512');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(64, 80), { authTagLength: 16 });
  decipher.setAuthTag(bytes.subarray(80, 96));
  const plaintext = Buffer.concat([decipher.update(bytes.subarray(96)), decipher.final()]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master, iv, { authTagLength: 16 });
  cipher.setAAD(aad);
  const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `"ENC:v2:${kid}:${sealed.toString('base64url')}"`;
}

async function writeAtomically(file, text) {
  const temporary = `${file}.floor-${process.pid}`;
  const fd = await openAsync(temporary, 'wx', 0o600);
  await writeAsync(fd, text);
  await fsyncAsync(fd);
  await closeAsync(fd);
  await renameAsync(temporary, file);
  const directory = await openAsync(dirname(file), 'r');
  await fsyncAsync(directory);
  await closeAsync(directory);
}

let migrated = 0;
async function migrateFile(file) {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/"ENC:([A-Za-z0-9+/]+={0,2})"/g)];
  if (found.length === 0) return;
  const sealed = await Promise.all(found.map((match) => migrateBlob(match[1])));
  let at = 0;
  const parts = [];
  found.forEach((match, index) => {
    parts.push(text.slice(at, match.index), sealed[index]);
    at = match.index + match[0].length;
  });
  parts.push(text.slice(at));
  await writeAtomically(file, parts.join(''));
  migrated += found.length;
}

const files = listToml(dir).sort();
let next = 0;
const lane = async () => {
  while (next < files.length) await migrateFile(files[next++]);
};
await Promise.all(Array.from({ length: 8 }, lane));
console.log(`${files.length} files, ${migrated} blobs migrated`);
