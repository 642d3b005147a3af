/**
 * Planning an edit batch from the index: each edit becomes a splice (a token replaced, a line or an inline
 * entry added, a table header appended), and the new text is built front to back from the sorted splices.
 */
import type { AST } from 'toml-eslint-parser';
import { LibertyError, where } from '../errors.js';
import type { FieldEdit, TomlDocument } from './document.js';
import { encodeTomlString, formatKeyPath, LONE_SURROGATE, type KeyPath } from './keys.js';
import { isStringNode, keyOf, notAString, type Index, type Owner } from './key-index.js';
import { editArrayToken, restyleToken } from './token-style.js';

export function checkEdits(file: string, edits: readonly FieldEdit[]): void {
  const targets = new Set<string>();
  const parents = new Set<string>();
  for (const { path, value } of edits) {
    if (path.length === 0) throw new LibertyError('E_BAD_FIELD_REF', `${file}: empty field reference`, { file });
    if (path.some((part) => LONE_SURROGATE.test(part))) {
      throw new LibertyError('E_BAD_FIELD_REF', `${file}: a field name is not valid unicode`, { file });
    }
    const refuse = (code: 'E_BAD_FIELD_REF' | 'E_BAD_SETTINGS', reason: string): never => {
      const field = formatKeyPath(path);
      throw new LibertyError(code, `${where(file, field)}${reason}`, { file, field });
    };
    if ((typeof value === 'string' ? [value] : value).some((item) => LONE_SURROGATE.test(item))) {
      refuse('E_BAD_SETTINGS', 'the new value is not valid unicode');
    }
    const key = keyOf(path);
    if (targets.has(key) || parents.has(key)) refuse('E_BAD_FIELD_REF', 'edited twice, or also edited as a table');
    for (let depth = 1; depth < path.length; depth += 1) {
      const parent = keyOf(path.slice(0, depth));
      if (targets.has(parent)) refuse('E_BAD_FIELD_REF', 'its parent is also edited as a string');
      parents.add(parent);
    }
    targets.add(key);
  }
}

interface Splice {
  start: number;
  end: number;
  text: string;
  /** insertions that must begin on a new line (block lines, appended headers) */
  atLineStart: boolean;
  order: number;
}

interface LineGroup {
  at: number;
  indent: string;
  lines: string[];
  order: number;
}

interface InlineGroup {
  node: AST.TOMLInlineTable;
  entries: string[];
  order: number;
}

export class SplicePlanner {
  private readonly replacements: Splice[] = [];
  private readonly lineGroups = new Map<number, LineGroup>();
  private readonly inlineGroups = new Map<AST.TOMLInlineTable, InlineGroup>();
  /** appended `[table]` headers, by header text, in the order of the edits */
  private readonly headerGroups = new Map<string, string[]>();
  private readonly eol: string;
  private order = 0;

  constructor(
    private readonly doc: TomlDocument,
    private readonly index: Index,
  ) {
    const firstNewline = doc.text.indexOf('\n');
    this.eol = firstNewline > 0 && doc.text[firstNewline - 1] === '\r' ? '\r\n' : '\n';
  }

  add({ path, value }: FieldEdit): void {
    const token = typeof value === 'string' ? encodeTomlString(value) : `[${value.map(encodeTomlString).join(', ')}]`;
    const entry = this.index.get(keyOf(path));
    if (entry !== undefined) {
      if (entry.kind !== 'value') throw notAString(this.doc.file, formatKeyPath(path));
      const sameKind = typeof value === 'string' ? isStringNode(entry.node) : entry.node.type === 'TOMLArray';
      if (!sameKind) throw notAString(this.doc.file, formatKeyPath(path));
      const [start, end] = entry.node.range;
      const raw = this.doc.text.slice(start, end);
      const text =
        typeof value === 'string'
          ? restyleToken(raw, entry.node as AST.TOMLStringValue, value)
          : (editArrayToken(raw, entry.node as AST.TOMLArray, value, this.eol) ?? token);
      this.replacements.push({ start, end, text, atLineStart: false, order: this.order++ });
      return;
    }
    this.planCreation(path, token);
  }

  private planCreation(path: KeyPath, token: string): void {
    const parent = path.slice(0, -1);
    let depth = parent.length;
    while (depth > 0 && !this.index.has(keyOf(parent.slice(0, depth)))) depth -= 1;
    const existing = parent.slice(0, depth);
    const entry = this.index.get(keyOf(existing))!;
    if (entry.kind !== 'table') {
      const what =
        entry.kind === 'array-of-tables' ? 'an array of tables' : entry.node.type === 'TOMLArray' ? 'an inline array' : 'not a table';
      this.refuse(path, `${formatKeyPath(existing)} is ${what}`);
    }
    const missingTables = depth < parent.length;
    const crossesArray = this.crossesArrayOfTables(existing);
    switch (entry.how) {
      case 'root':
      case 'header':
        if (missingTables && !crossesArray) return this.appendHeader(parent, path.at(-1)!, token);
        return this.insertInto(entry.owner!, path, token);
      case 'implicit':
        if (crossesArray) this.refuse(path, `${formatKeyPath(existing)} is only implied by deeper table headers`);
        return this.appendHeader(parent, path.at(-1)!, token);
      case 'element':
      case 'dotted':
      case 'inline':
        return this.insertInto(entry.owner!, path, token);
    }
  }

  private crossesArrayOfTables(path: KeyPath): boolean {
    for (let depth = 1; depth < path.length; depth += 1) {
      if (this.index.get(keyOf(path.slice(0, depth)))?.kind === 'array-of-tables') return true;
    }
    return false;
  }

  private refuse(path: KeyPath, reason: string): never {
    const field = formatKeyPath(path);
    throw new LibertyError('E_BAD_SETTINGS', `${where(this.doc.file, field)}cannot create the field: ${reason}`, {
      file: this.doc.file,
      field,
      hint: 'add the field to the file by hand, then run the command again',
    });
  }

  private insertInto(owner: Owner, path: KeyPath, token: string): void {
    const entry = `${formatKeyPath(path.slice(owner.path.length))} = ${token}`;
    if (owner.kind === 'inline') {
      const group = this.inlineGroups.get(owner.node) ?? { node: owner.node, entries: [], order: this.order++ };
      group.entries.push(entry);
      this.inlineGroups.set(owner.node, group);
      return;
    }
    const text = this.doc.text;
    let at = 0;
    let indent = '';
    const anchor = owner.lastKv ?? owner.header;
    if (anchor !== undefined) {
      const from = owner.lastKv ? owner.lastKv.range[1] : owner.header!.key.range[1];
      const newline = text.indexOf('\n', from);
      at = newline === -1 ? text.length : newline + 1;
      if (owner.lastKv) {
        const lineStart = text.lastIndexOf('\n', owner.lastKv.range[0] - 1) + 1;
        const lead = text.slice(lineStart, owner.lastKv.range[0]);
        if (/^[ \t]*$/.test(lead)) indent = lead;
      }
    }
    const group = this.lineGroups.get(at) ?? { at, indent, lines: [], order: this.order++ };
    group.lines.push(entry);
    this.lineGroups.set(at, group);
  }

  private appendHeader(table: KeyPath, key: string, token: string): void {
    const header = `[${formatKeyPath(table)}]`;
    const lines = this.headerGroups.get(header) ?? [];
    lines.push(`${formatKeyPath([key])} = ${token}`);
    this.headerGroups.set(header, lines);
  }

  /** Builds the new text front to back from the sorted splices: linear in the file size. */
  /** True when the plan adds lines, entries or headers, not only value tokens swapped in place. */
  insertsText(): boolean {
    return this.lineGroups.size > 0 || this.inlineGroups.size > 0 || this.headerGroups.size > 0;
  }

  render(): string {
    const { text } = this.doc;
    const eol = this.eol;
    const splices = [...this.replacements];
    for (const group of this.lineGroups.values()) {
      const body = group.lines.map((line) => group.indent + line + eol).join('');
      splices.push({ start: group.at, end: group.at, text: body, atLineStart: true, order: group.order });
    }
    for (const group of this.inlineGroups.values()) {
      const { node } = group;
      if (node.body.length > 0) {
        const at = node.body.at(-1)!.range[1];
        splices.push({ start: at, end: at, text: group.entries.map((e) => `, ${e}`).join(''), atLineStart: false, order: group.order });
      } else {
        const at = node.range[0] + 1;
        const closes = text[at] === '}';
        const body = ` ${group.entries.join(', ')}${closes ? ' ' : ''}`;
        splices.push({ start: at, end: at, text: body, atLineStart: false, order: group.order });
      }
    }
    if (this.headerGroups.size > 0) {
      let appended = '';
      const linesAtEnd = this.lineGroups.has(text.length);
      let endsWithBlankLine = !linesAtEnd && (text.length === 0 || /(^|\n)[ \t]*\r?\n$/.test(text));
      for (const [header, lines] of this.headerGroups) {
        if (!endsWithBlankLine) appended += eol;
        appended += header + eol + lines.map((line) => line + eol).join('');
        endsWithBlankLine = false;
      }
      splices.push({ start: text.length, end: text.length, text: appended, atLineStart: true, order: Number.MAX_SAFE_INTEGER });
    }
    splices.sort((a, b) => a.start - b.start || a.order - b.order);

    const parts: string[] = [];
    let cursor = 0;
    let newlineAdded = false;
    const missingFinalNewline = text.length > 0 && !text.endsWith('\n');
    for (const splice of splices) {
      parts.push(text.slice(cursor, splice.start));
      if (splice.atLineStart && splice.start === text.length && missingFinalNewline && !newlineAdded) {
        parts.push(eol);
        newlineAdded = true;
      }
      parts.push(splice.text);
      cursor = splice.end;
    }
    parts.push(text.slice(cursor));
    return parts.join('');
  }
}
