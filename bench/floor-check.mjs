// The floor of `rewrap --check` (v2 blobs): the same work done minimally. Read every *.toml file under the
// directory, parse it with smol-toml, and open (authenticate and decrypt) every `ENC:v2:` string in its data
// with node:crypto under the key whose id it names (LIBERTY_MASTER_KEY, LIBERTY_MASTER_KEY_OLD: 64 hex),
// one file after the other. No path checks, no strict TOML 1.0 parse, no report beyond a count; a blob no
// key opens makes it exit 1. Blobs embedded in a longer string (a URL's password) are not looked for: the
// benchmark data has none.
// usage: node bench/floor-check.mjs DIR
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { listToml } from './list-toml.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/floor-check.mjs DIR');
const keys = new Map();
for (const name of ['LIBERTY_MASTER_KEY', 'LIBERTY_MASTER_KEY_OLD']) {
  const hex = process.env[name];
  if (!hex) continue;
  const key = Buffer.from(hex, 'hex');
  const kid = createHash('sha256').update(key).digest('hex').slice(0, 8);
  keys.set(kid, { key, aad: Buffer.from(`ENC:v2:${kid}:`, 'ascii') });
}

let opened = 0;
function open(text) {
  const rest = text.slice(7);
  const { key, aad } = keys.get(rest.slice(0, 8)) ?? {};
  if (!key) throw new Error('no key for a blob');
  const bytes = Buffer.from(rest.slice(9), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  decipher.update(bytes.subarray(12, bytes.length - 16));
  decipher.final();
  opened += 1;
}

function walk(value) {
  if (typeof value === 'string') {
    if (value.startsWith('ENC:v2:')) open(value);
  } else if (Array.isArray(value)) {
    value.forEach(walk);
  } else if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    for (const key of Object.keys(value)) walk(value[key]);
  }
}

const files = listToml(dir).sort();
for (const file of files) walk(parse(readFileSync(file, 'utf8')));
console.log(`${files.length} files parsed, ${opened} blobs opened`);
