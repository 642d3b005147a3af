import { readFileSync } from 'node:fs';

/** ../shared/vectors beside the clone, as CI has it. */
export const VECTORS_DIR = new URL('../../../shared/vectors/', import.meta.url);

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
      section[header[1]!] = header[2]!;
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
    current![field[1]!] = field[2]!;
  }
  if (current) records.push(current);
  return records;
}
