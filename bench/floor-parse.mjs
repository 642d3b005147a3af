// The floor of `rewrap --check`: read every *.toml file under the directory and parse it with smol-toml,
// one file after the other. No crypto, nothing written.
// usage: node bench/floor-parse.mjs DIR
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { listToml } from './list-toml.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/floor-parse.mjs DIR');
const files = listToml(dir).sort();
let keys = 0;
for (const file of files) keys += Object.keys(parse(readFileSync(file, 'utf8'))).length;
console.log(`${files.length} files parsed (${keys} top-level keys)`);
