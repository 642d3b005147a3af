// The floor of `rewrap`: what it costs at least to rewrite every settings file safely. Reads each *.toml
// file under the directory and writes the same bytes back atomically (temporary file in the same
// directory, fsync, rename, fsync the directory), one file after the other. No parsing, no crypto.
// usage: node bench/floor-rewrite.mjs DIR
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listToml } from './list-toml.mjs';

function writeAtomic(path, bytes) {
  const temp = join(dirname(path), `.floor-tmp-${process.pid}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/floor-rewrite.mjs DIR');
const files = listToml(dir).sort();
for (const file of files) writeAtomic(file, readFileSync(file));
console.log(`${files.length} files rewritten`);
