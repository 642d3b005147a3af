// What a file's bytes mean to an independent TOML parser (smol-toml, called directly): the reference the
// editor's output is checked against.
import { parse } from 'smol-toml';

/** The data of `text` (a leading BOM dropped, integers as bigint so that none loses precision). */
export function dataOf(text: string): Record<string, unknown> {
  return parse(text.replace(/^\uFEFF/, ''), { integersAsBigInt: true });
}
