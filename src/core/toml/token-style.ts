/**
 * Keeping a string's style when its value changes: literal stays literal, multi-line stays multi-line,
 * an array of key references is edited entry by entry. Each candidate token is parsed back before use.
 */
import { parse as parseData } from 'smol-toml';
import type { AST } from 'toml-eslint-parser';
import { encodeTomlString } from './keys.js';
import { isStringNode } from './key-index.js';

/** Control characters no TOML string holds raw (tab is allowed everywhere, newlines in multi-line ones). */
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const RAW_CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\r(?!\n)/;

export function fitsLiteral(value: string): boolean {
  return !value.includes("'") && !RAW_CONTROL.test(value);
}

/**
 * The token for a string value that replaces `node` (whose source text is `raw`), in the node's own style:
 * literal stays literal, multi-line stays multi-line, basic stays basic. First the smallest change: the
 * part of the value that differs (a re-sealed blob inside a URL) swapped inside the old token, so every
 * other byte stays; else the value encoded in the same style; else a basic string. Each candidate must
 * parse back to the value, so a style that cannot hold it falls through to the next.
 */
export function restyleToken(raw: string, node: AST.TOMLStringValue, value: string): string {
  const candidates = [swapInsideToken(raw, node.value, value), encodeInStyle(raw, node, value)];
  for (const candidate of candidates) {
    if (candidate !== undefined && tokenHolds(candidate, value)) return candidate;
  }
  return encodeTomlString(value);
}

/** The old token with the changed middle of the value replaced, when that middle is plain text in it. */
function swapInsideToken(raw: string, old: string, value: string): string | undefined {
  let prefix = 0;
  while (prefix < old.length && prefix < value.length && old[prefix] === value[prefix]) prefix += 1;
  let suffix = 0;
  while (
    suffix < old.length - prefix &&
    suffix < value.length - prefix &&
    old[old.length - 1 - suffix] === value[value.length - 1 - suffix]
  )
    suffix += 1;
  const oldPart = old.slice(prefix, old.length - suffix);
  const newPart = value.slice(prefix, value.length - suffix);
  // only text that reads the same in every string style: what blobs are made of
  if (oldPart === '' || !/^[A-Za-z0-9+/=:_.-]*$/.test(oldPart) || !/^[A-Za-z0-9+/=:_.-]*$/.test(newPart)) return undefined;
  const at = raw.indexOf(oldPart);
  if (at === -1 || raw.indexOf(oldPart, at + 1) !== -1 || old.indexOf(oldPart) !== old.lastIndexOf(oldPart)) return undefined;
  return raw.slice(0, at) + newPart + raw.slice(at + oldPart.length);
}

function encodeInStyle(raw: string, node: AST.TOMLStringValue, value: string): string | undefined {
  if (!node.multiline) return node.style === 'literal' && fitsLiteral(value) ? `'${value}'` : undefined;
  const opening = node.style === 'literal' ? "'''" : '"""';
  // a newline right after the opening delimiter is trimmed by TOML: keep it, as the file had it
  // a value that itself starts with a newline needs one there too, or TOML would trim the value's own
  const lead = /^.{3}(\r?\n)/.exec(raw)?.[1] ?? (/^\r?\n/.test(value) ? '\n' : '');
  const fitsMultilineLiteral = !value.includes("'''") && !value.endsWith("'") && !RAW_CONTROL_MULTILINE.test(value);
  if (node.style === 'literal' && fitsMultilineLiteral) return `${opening}${lead}${value}${opening}`;
  // a multi-line string stays multi-line: basic when a literal one cannot hold the value
  const body = value.replace(/[\\"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\r(?!\n)/g, (char) => encodeTomlString(char).slice(1, -1));
  return `"""${lead}${body}"""`;
}

/**
 * The array token with one run of entries added at its end or its start, or some entries removed, every
 * other byte (comments, line breaks, quoting of the entries kept) as it was: `keys add-legacy` appends one
 * key reference, `keys drop-legacy` removes one. Undefined when the change is not of that shape, or the
 * result does not parse back to `value`: the caller then writes the whole array anew.
 */
export function editArrayToken(raw: string, node: AST.TOMLArray, value: readonly string[], eol: string): string | undefined {
  const base = node.range[0];
  const elements = node.elements.map((element) => ({ start: element.range[0] - base, end: element.range[1] - base }));
  const old = node.elements.map((element) => (isStringNode(element) ? element.value : undefined));
  if (old.some((item) => item === undefined)) return undefined;
  const multiline = elements.length > 0 && raw.slice(0, elements[0].start).includes('\n');
  const indentOf = (at: number) => /^[ \t]*/.exec(raw.slice(raw.lastIndexOf('\n', at) + 1))![0];
  const tokens = (items: readonly string[]) => items.map(encodeTomlString);
  let candidate: string | undefined;
  if (elements.length === 0) {
    candidate = `[${tokens(value).join(', ')}]`;
  } else if (value.length > old.length && old.every((item, i) => item === value[i])) {
    const added = tokens(value.slice(old.length));
    const last = elements.at(-1)!;
    const comma = /^[ \t]*,/.exec(raw.slice(last.end));
    const lineEnd = raw.indexOf('\n', last.end);
    if (!multiline || lineEnd === -1) {
      candidate = `${raw.slice(0, last.end)}${added.map((t) => `, ${t}`).join('')}${raw.slice(last.end)}`;
    } else {
      const at = raw[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
      const indent = indentOf(last.start);
      const lines = added.map((t) => `${eol}${indent}${t}${comma ? ',' : ''}`).join('');
      const head = comma ? raw.slice(0, at) : `${raw.slice(0, last.end)},${raw.slice(last.end, at)}`;
      candidate = `${head}${lines}${raw.slice(at)}`;
    }
  } else if (value.length > old.length && old.every((item, i) => item === value[value.length - old.length + i])) {
    const added = tokens(value.slice(0, value.length - old.length));
    const first = elements[0];
    const separator = multiline ? `,${eol}${indentOf(first.start)}` : ', ';
    candidate = `${raw.slice(0, first.start)}${added.map((t) => `${t}${separator}`).join('')}${raw.slice(first.start)}`;
  } else if (value.length === old.length - 1) {
    const gone = old.findIndex((item, i) => item !== value[i]);
    if (gone === -1 || old.slice(gone + 1).some((item, i) => item !== value[gone + i])) return undefined;
    const element = elements[gone];
    if (elements.length === 1) candidate = '[]';
    else if (gone < elements.length - 1) candidate = raw.slice(0, element.start) + raw.slice(elements[gone + 1].start);
    else candidate = raw.slice(0, elements[gone - 1].end) + raw.slice(element.end);
  }
  if (candidate === undefined) return undefined;
  try {
    const parsed = parseData(`v = ${candidate}`).v as unknown[];
    return parsed.length === value.length && parsed.every((item, i) => item === value[i]) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

function tokenHolds(token: string, value: string): boolean {
  try {
    return parseData(`v = ${token}`).v === value;
  } catch {
    return false;
  }
}
