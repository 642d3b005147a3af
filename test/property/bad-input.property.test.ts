/**
 * Bad input, by property: plaintexts of any shape round-trip (library and CLI), mutated blobs of both
 * formats end in our own error (library and CLI), and rewrap through the CLI changes exactly the bytes
 * of the blobs it re-seals in random TOML files. blob.property.test.ts covers character-level
 * mutations of v2 blobs and shorter plaintexts; this file adds the legacy format, header changes,
 * payload-byte flips that still parse, lone surrogates, a leading BOM, 64 KiB values and the CLI.
 */
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LibertyError } from '../../src/core/errors.js';
import { loadKeyring, openBlob, sealValue } from '../../src/core/keyring.js';
import { KEY_A, KEY_B, KEY_B_FP, LEGACY_PASSPHRASE, parseJson, runCli } from '../support/cli.js';
import { thrown } from '../support/errors.js';
import { appToml, makeSettings, seal, type TempSettings, cryptoConfig } from '../support/settings.js';

const keyring = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: ['L', 'P'] }), { M: KEY_A, L: KEY_B, P: LEGACY_PASSPHRASE });
const LONE_SURROGATE = /\p{Cs}/u;
const STACK_LINE = /^\s+at .+[(:]\d+/m;

/** A legacy-format blob as old Liberty installs wrote them (the CLI only reads this format). */
function sealLegacy(passphrase: string, plaintext: string): string {
  const salt = randomBytes(64);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, 2145, 32, 'sha512');
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `ENC:${Buffer.concat([salt, iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

/** stdin as the CLI reads it: one trailing newline (\n or \r\n) dropped. */
function dropTrailingNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

async function outcome(text: string): Promise<{ ok: true; plaintext: string } | { ok: false; error: unknown }> {
  try {
    return { ok: true, plaintext: (await openBlob(keyring, text)).plaintext };
  } catch (error) {
    return { ok: false, error };
  }
}

const astral = fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));
const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((cu) => String.fromCharCode(cu));
const anyUnit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  astral,
  surrogate,
  fc.constantFrom('\uFEFF', '\n', '\r', '\0', 'é'),
);
/** Any JavaScript string: astral characters, lone surrogates, a BOM, controls. */
const anyText = fc.oneof(fc.string({ unit: anyUnit, maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }));
/** Text that has a UTF-8 form (what stdin or an environment variable can carry), up to 64 KiB when repeated. */
const validText = fc.string({ unit: anyUnit, maxLength: 40 }).map((text) => text.replace(/\p{Cs}/gu, '\uFFFD'));
const longText = fc
  .tuple(fc.string({ unit: anyUnit, minLength: 1, maxLength: 16 }), fc.integer({ min: 0, max: 64 * 1024 }))
  .map(([unit, length]) =>
    unit
      .replace(/\p{Cs}/gu, 'x')
      .repeat(Math.ceil(length / unit.length))
      .slice(0, length)
      .replace(/\p{Cs}$/u, ''),
  );

describe('plaintexts of any shape (library)', () => {
  it('v2: text with a UTF-8 form round-trips exactly, a lone surrogate is refused with exit 5', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyText,
          fc.constant('\uFEFF'),
          anyText.map((t) => `\uFEFF${t}`),
        ),
        async (plaintext) => {
          if (LONE_SURROGATE.test(plaintext)) {
            const error = thrown(() => sealValue(keyring, plaintext));
            expect(error.exitCode).toBe(5);
            return;
          }
          expect((await openBlob(keyring, sealValue(keyring, plaintext))).plaintext).toBe(plaintext);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('v2: values up to 64 KiB round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(longText, async (plaintext) => {
        expect((await openBlob(keyring, sealValue(keyring, plaintext))).plaintext).toBe(plaintext);
      }),
      { numRuns: 40 },
    );
  });

  it('legacy format: blobs of old installs open to their exact plaintext, a leading BOM included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          validText,
          validText.map((t) => `\uFEFF${t}`),
        ),
        fc.constantFrom(LEGACY_PASSPHRASE, KEY_B),
        async (plaintext, passphrase) => {
          const opened = await openBlob(keyring, sealLegacy(passphrase, plaintext));
          expect(opened.plaintext).toBe(plaintext);
          expect(opened.slot.env).toBe(passphrase === KEY_B ? 'L' : 'P');
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// mutations

type Mutation =
  | { kind: 'payload-bit'; at: number; bit: number }
  | { kind: 'payload-truncate'; at: number }
  | { kind: 'payload-extend'; extra: number[] }
  | { kind: 'char-flip'; at: number; bit: number }
  | { kind: 'char-swap'; at: number; other: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; extra: string }
  | { kind: 'header'; header: string }
  | { kind: 'alphabet' }
  | { kind: 'padding'; change: number }
  | { kind: 'whitespace'; at: number; space: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('payload-bit' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('payload-truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('payload-extend' as const),
    extra: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('char-flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('char-swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.string({ unit: anyUnit, minLength: 1, maxLength: 6 }) }),
  fc.record({
    kind: fc.constant('header' as const),
    header: fc.constantFrom(
      '',
      'ENC:v2:',
      'ENC:v3:439d87b0:',
      'ENC:V2:439d87b0:',
      'enc:v2:439d87b0:',
      'ENC:v2:439D87B0:',
      'ENC:v2:439d87b:',
      'ENC:v2::',
      'ENC:v2:439d87b0::',
      `ENC:v2:${KEY_B_FP.slice(0, 8)}:`,
      'ENC:v2:00000000:',
      'ENC:',
      'ENC:v1:',
      ' ENC:',
    ),
  }),
  fc.record({ kind: fc.constant('alphabet' as const) }),
  fc.record({ kind: fc.constant('padding' as const), change: fc.integer({ min: -2, max: 2 }) }),
  fc.record({ kind: fc.constant('whitespace' as const), at: fc.nat(), space: fc.constantFrom(' ', '\t', '\n', '\r\n', '\u00a0') }),
);

/** Splits a blob into its header (`ENC:v2:<kid>:` or `ENC:`) and its encoded payload. */
function split(blob: string): { header: string; payload: string; encoding: 'base64' | 'base64url' } {
  const v2 = /^(ENC:v2:[0-9a-f]{8}:)(.*)$/.exec(blob);
  return v2 ? { header: v2[1], payload: v2[2], encoding: 'base64url' } : { header: 'ENC:', payload: blob.slice(4), encoding: 'base64' };
}

function mutate(blob: string, change: Mutation): string {
  const { header, payload, encoding } = split(blob);
  const bytes = Buffer.from(payload, encoding);
  const chars = [...blob];
  switch (change.kind) {
    case 'payload-bit':
      bytes[change.at % bytes.length] ^= 1 << change.bit;
      return header + bytes.toString(encoding);
    case 'payload-truncate':
      return header + bytes.subarray(0, change.at % bytes.length).toString(encoding);
    case 'payload-extend':
      return header + Buffer.concat([bytes, Buffer.from(change.extra)]).toString(encoding);
    case 'char-flip': {
      const at = change.at % chars.length;
      chars[at] = String.fromCharCode(chars[at].charCodeAt(0) ^ (1 << change.bit));
      return chars.join('');
    }
    case 'char-swap': {
      const [a, b] = [change.at % chars.length, change.other % chars.length];
      [chars[a], chars[b]] = [chars[b], chars[a]];
      return chars.join('');
    }
    case 'truncate':
      return blob.slice(0, change.at % blob.length);
    case 'extend':
      return blob + change.extra;
    case 'header':
      return change.header + payload;
    case 'alphabet':
      // the other base64 alphabet: padded standard base64 in a v2 blob, base64url in a legacy one
      return header + bytes.toString(encoding === 'base64' ? 'base64url' : 'base64');
    case 'padding':
      return change.change >= 0 ? blob + '='.repeat(change.change) : blob.replace(new RegExp(`={1,${-change.change}}$`), '');
    case 'whitespace': {
      const at = change.at % (blob.length + 1);
      return blob.slice(0, at) + change.space + blob.slice(at);
    }
  }
}

/** The plaintexts sealed once per format (legacy sealing costs a PBKDF2); mutations are what varies. */
const SEALED = ['', 'p', 'Main-Pa55w0rd-q7Zx', 'wörd 🔐 \uFEFF'.repeat(5)].flatMap((plaintext) => [
  { format: 'v2', plaintext, blob: sealValue(keyring, plaintext) },
  { format: 'v2-legacy-key', plaintext, blob: seal(KEY_B, plaintext) },
  { format: 'legacy', plaintext, blob: sealLegacy(LEGACY_PASSPHRASE, plaintext) },
  { format: 'legacy-hex-key', plaintext, blob: sealLegacy(KEY_B, plaintext) },
]);

describe('mutated blobs', () => {
  it('sealed fixtures open before they are mutated', async () => {
    for (const { blob, plaintext } of SEALED) expect((await openBlob(keyring, blob)).plaintext).toBe(plaintext);
  });

  it('every mutation of a v2 or legacy blob ends in a LibertyError with exit 3, 4 or 5, or opens to the same plaintext', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEALED), mutation, async (sealed, change) => {
        const mutated = mutate(sealed.blob, change);
        const result = await outcome(mutated);
        if (result.ok) {
          // only a text that decodes to the same authenticated bytes can open, and then to the same plaintext
          expect(result.plaintext).toBe(sealed.plaintext);
          return;
        }
        expect(result.error).toBeInstanceOf(LibertyError);
        const error = result.error as LibertyError;
        expect([3, 4, 5]).toContain(error.exitCode);
        seen.add(`${sealed.format}:${error.code}`);
        if (sealed.plaintext.length > 1) expect(error.message + (error.hint ?? '')).not.toContain(sealed.plaintext);
      }),
      { numRuns: 1200 },
    );
    // the mutations reach the authentication step of both formats, not only the parser
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'v2:E_AUTH_FAILED',
        'v2:E_MALFORMED_BLOB',
        'v2:E_NO_MATCHING_KEY',
        'legacy:E_AUTH_FAILED',
        'legacy:E_MALFORMED_BLOB',
        'legacy:E_NOT_ENCRYPTED',
      ]),
    );
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// through the CLI (few runs: each one spawns the built binary)

let settings: TempSettings | undefined;
afterEach(() => {
  settings?.cleanup();
  settings = undefined;
});

const cliEnv = { LIBERTY_MASTER_KEY: KEY_A, OLD: KEY_B, PASS: LEGACY_PASSPHRASE };

function cliSettings(): TempSettings {
  settings = makeSettings({ 'app.toml': appToml({ legacy: ['OLD', 'PASS'] }) });
  return settings;
}

/** Runs `work` on every item, `limit` at a time (the machine is shared: two CLI processes at once). */
async function inPool<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index], index);
      }
    }),
  );
}

describe('the CLI', () => {
  it('encrypt (stdin or --from-env) then decrypt gives the plaintext back byte for byte', async () => {
    const { dir } = cliSettings();
    const cases = fc.sample(
      fc.record({
        text: fc.oneof(
          validText,
          longText,
          validText.map((t) => `\uFEFF${t}\r\n`),
        ),
        via: fc.constantFrom('stdin', 'stdin+newline', 'env'),
      }),
      { numRuns: 12, seed: 20240501 },
    );
    await inPool(cases, 2, async ({ text, via }, i) => {
      const plaintext = via === 'env' ? text.replace(/\0/g, '') : text;
      const encrypted =
        via === 'env'
          ? await runCli(['encrypt', '-s', dir, '--allow-empty', '--from-env', 'SECRET_VALUE'], {
              env: { ...cliEnv, SECRET_VALUE: plaintext },
            })
          : await runCli(['encrypt', '-s', dir, '--allow-empty'], { env: cliEnv, input: via === 'stdin' ? plaintext : `${plaintext}\n` });
      expect(encrypted.code, `case ${i} ${encrypted.stderr}`).toBe(0);
      const blob = encrypted.stdout.trim();
      const decrypted = await runCli(['decrypt', '-s', dir], { env: cliEnv, input: `${blob}\n` });
      expect(decrypted.code, `case ${i}`).toBe(0);
      // piped stdin drops one trailing newline (\n or \r\n), --from-env is exact
      expect(decrypted.stdout, `case ${i} via ${via}`).toBe(via === 'stdin' ? dropTrailingNewline(plaintext) : plaintext);
    });
  }, 90_000);

  it('text on stdin that is not UTF-8 is refused (exit 5), never altered and sealed', async () => {
    const { dir } = cliSettings();
    for (const bytes of [Buffer.from([0x70, 0xe4, 0x73, 0x73]), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('ed a0 80', 'hex')]) {
      const result = await runCli(['encrypt', '-s', dir], { env: cliEnv, input: bytes as unknown as string });
      expect(result.code).toBe(5);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^liberty-crypto: error: .*utf-8/m);
    }
  });

  it('30 mutated blobs on stdin: decrypt exits 3, 4 or 5 with one error line and no stack trace', async () => {
    const { dir } = cliSettings();
    const cases = fc.sample(fc.tuple(fc.constantFrom(...SEALED), mutation), { numRuns: 30, seed: 424242 });
    const codes = new Set<number>();
    await inPool(cases, 2, async ([sealed, change], i) => {
      const mutated = mutate(sealed.blob, change);
      const json = i % 3 === 0;
      const result = await runCli(['decrypt', '-s', dir, ...(json ? ['--json'] : [])], { env: cliEnv, input: mutated });
      const label = `case ${i}: ${sealed.format} ${JSON.stringify(change)}`;
      expect(result.stderr + result.stdout, label).not.toMatch(STACK_LINE);
      if (result.code === 0) {
        // the CLI reads one line: a mutation that only added a trailing newline, or an equivalent text
        expect(json ? parseJson(result).plaintext : result.stdout, label).toBe(sealed.plaintext);
        return;
      }
      codes.add(result.code!);
      expect([3, 4, 5], label).toContain(result.code);
      if (json) {
        expect(parseJson(result).error.code, label).toMatch(/^E_[A-Z_]+$/);
      } else {
        expect(result.stdout, label).toBe('');
        expect(result.stderr, label).toMatch(/^liberty-crypto: error: \S/);
      }
      if (sealed.plaintext.length > 1) expect(result.stdout + result.stderr, label).not.toContain(sealed.plaintext);
    });
    expect(codes.size).toBeGreaterThanOrEqual(2);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------
// rewrap through the CLI on random TOML files: the output is the input with only the blob tokens spliced

type Segment = { kind: 'text'; text: string } | { kind: 'target'; token: string; plaintext: string };

const eol = fc.constantFrom('\n', '\r\n');
const space = fc.constantFrom('', ' ', '\t', '  ', ' \t ');
/** Comment text: anything TOML allows in a comment (no control characters but tab). */
const commentText = fc.string({ unit: anyUnit, maxLength: 20 }).map((t) => t.replace(/[\u0000-\u0008\n-\u001f\u007f\p{Cs}]/gu, ''));
const secretText = fc.string({ unit: 'grapheme-ascii', minLength: 3, maxLength: 20 });

type Line =
  | { kind: 'blank'; space: string }
  | { kind: 'comment'; space: string; text: string }
  | {
      kind: 'blob';
      sealedWith: 'old-v2' | 'old-legacy' | 'current' | 'old-in-array';
      plaintext: string;
      literal: boolean;
      before: string;
      around: string;
      after: string;
      comment: string | null;
    }
  | { kind: 'plain'; value: string; comment: string | null };

const line: fc.Arbitrary<Line> = fc.oneof(
  fc.record({ kind: fc.constant('blank' as const), space }),
  fc.record({ kind: fc.constant('comment' as const), space, text: commentText }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('blob' as const),
      sealedWith: fc.constantFrom('old-v2' as const, 'old-legacy' as const, 'current' as const, 'old-in-array' as const),
      plaintext: secretText,
      literal: fc.boolean(),
      before: space,
      around: space,
      after: space,
      comment: fc.option(commentText),
    }),
  },
  fc.record({ kind: fc.constant('plain' as const), value: commentText, comment: fc.option(commentText) }),
);

const tomlFile = fc.record({
  bom: fc.boolean(),
  sections: fc.array(fc.array(fc.tuple(line, eol), { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  finalEol: fc.boolean(),
});

function buildToml(spec: typeof tomlFile extends fc.Arbitrary<infer T> ? T : never): Segment[] {
  const segments: Segment[] = [];
  const text = (t: string) => segments.push({ kind: 'text', text: t });
  if (spec.bom) text('\uFEFF');
  let n = 0;
  spec.sections.forEach((lines, s) => {
    if (s > 0) text(`[section${s}]${lines[0]?.[1] ?? '\n'}`);
    for (const [entry, end] of lines) {
      const last = s === spec.sections.length - 1 && entry === lines.at(-1)?.[0];
      const lineEnd = last && !spec.finalEol ? '' : end;
      if (entry.kind === 'blank') text(entry.space + lineEnd);
      if (entry.kind === 'comment') text(`${entry.space}#${entry.text}${lineEnd}`);
      if (entry.kind === 'plain')
        text(`plain${n++} = ${JSON.stringify(entry.value)}${entry.comment === null ? '' : ` #${entry.comment}`}${lineEnd}`);
      if (entry.kind === 'blob') {
        const blob =
          entry.sealedWith === 'old-legacy'
            ? sealLegacy(LEGACY_PASSPHRASE, entry.plaintext)
            : seal(entry.sealedWith === 'current' ? KEY_A : KEY_B, entry.plaintext);
        const token = entry.literal ? `'${blob}'` : `"${blob}"`;
        const key = entry.literal ? `'field ${n++}'` : `field${n++}`;
        text(`${entry.before}${key}${entry.around}=${entry.around}`);
        if (entry.sealedWith === 'old-in-array') {
          // a blob inside an inline array is re-wrapped like any other (its field is `key.0`)
          text('[');
          segments.push({ kind: 'target', token, plaintext: entry.plaintext });
          text(']');
        } else if (entry.sealedWith === 'current')
          text(token); // already v2 under the master: left alone
        else segments.push({ kind: 'target', token, plaintext: entry.plaintext });
        text(`${entry.after}${entry.comment === null ? '' : `#${entry.comment}`}${lineEnd}`);
      }
    }
  });
  return segments;
}

describe('rewrap through the CLI on random TOML files', () => {
  it('replaces exactly the tokens of blobs on legacy keys and keeps every other byte', async () => {
    const runs = fc.sample(fc.array(tomlFile, { minLength: 4, maxLength: 4 }), { numRuns: 6, seed: 77 });
    const master = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: [] }), { M: KEY_A });
    let targets = 0;
    for (const [run, specs] of runs.entries()) {
      settings?.cleanup();
      const { dir } = cliSettings();
      const documents = specs.map(buildToml);
      documents.forEach((segments, f) =>
        writeFileSync(join(dir, `f${f}.toml`), segments.map((s) => (s.kind === 'text' ? s.text : s.token)).join('')),
      );
      const result = await runCli(['rewrap', '-s', dir, '--json'], { env: cliEnv });
      expect(result.code, `run ${run}: ${result.stdout}`).toBe(0);
      const expected = documents.reduce((total, segments) => total + segments.filter((s) => s.kind === 'target').length, 0);
      expect(parseJson(result).rewrapped, `run ${run}`).toBe(expected);
      for (const [f, segments] of documents.entries()) {
        const output = readFileSync(join(dir, `f${f}.toml`), 'utf8');
        // walk the output: text segments must be there byte for byte, each target a fresh v2 blob under the master in its old quotes
        let at = 0;
        for (const segment of segments) {
          if (segment.kind === 'text') {
            expect(output.slice(at, at + segment.text.length), `run ${run} f${f}.toml at ${at}`).toBe(segment.text);
            at += segment.text.length;
            continue;
          }
          // the new blob in the old token's quotes: a literal string stays literal
          const quote = segment.token[0];
          const token = new RegExp(`${quote}(ENC:v2:439d87b0:[A-Za-z0-9_-]+)${quote}`, 'y');
          token.lastIndex = at;
          const match = token.exec(output);
          expect(match, `run ${run} f${f}.toml: a re-sealed blob at ${at}`).not.toBeNull();
          expect((await openBlob(master, match![1])).plaintext).toBe(segment.plaintext);
          at += match![0].length;
          targets += 1;
        }
        expect(at, `run ${run} f${f}.toml: nothing after the end`).toBe(output.length);
      }
    }
    expect(targets).toBeGreaterThan(10);
  }, 90_000);
});
