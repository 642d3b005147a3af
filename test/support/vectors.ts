import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The shared vectors: $LIBERTY_VECTORS, else ../shared/vectors beside the clone (as CI has it), else beside
 * the repository this one was cloned from (a check clone in /tmp). Never skipped: missing vectors fail.
 */
function locateVectors(): string {
  const candidates = [process.env.LIBERTY_VECTORS, join(REPO, '../shared/vectors')];
  try {
    const origin = execFileSync('git', ['config', '--get', 'remote.origin.url'], { cwd: REPO, encoding: 'utf8' }).trim();
    if (isAbsolute(origin)) candidates.push(join(origin, '../shared/vectors'));
  } catch {
    // not a clone of a local repository
  }
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'liberty-blobs.json')));
  if (!found) throw new Error(`shared vectors not found (looked in ${candidates.filter(Boolean).join(', ')}); set LIBERTY_VECTORS`);
  return found;
}

export const VECTORS_DIR = pathToFileURL(`${locateVectors()}/`);

export function readVector(name: string): string {
  return readFileSync(new URL(name, VECTORS_DIR), 'utf8');
}

export interface RspRecord {
  [field: string]: string | boolean;
}

/** Parses a NIST CAVP .rsp file into records, each carrying its section header values. */
export function parseRsp(text: string): RspRecord[] {
  const records: RspRecord[] = [];
  let section: Record<string, string> = {};
  let current: RspRecord | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+) = (\d+)\]$/.exec(line);
    if (header) {
      if (current) records.push(current);
      current = undefined;
      if (Object.keys(section).length >= 5) section = {};
      section[header[1]] = header[2]!;
      continue;
    }
    if (line === 'FAIL') {
      current!.FAIL = true;
      continue;
    }
    const field = /^(\w+) = ?(.*)$/.exec(line);
    if (!field) throw new Error(`unexpected rsp line: ${line}`);
    if (field[1] === 'Count') {
      if (current) records.push(current);
      current = { ...section };
    }
    current![field[1]] = field[2]!;
  }
  if (current) records.push(current);
  return records;
}
