import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBlob, parseBlob } from '../../src/core/blob.js';
import { LibertyError } from '../../src/core/errors.js';
import { loadKeyring, openBlob, sealValue } from '../../src/core/keyring.js';
import { cryptoConfig } from '../support/settings.js';
import { KEY_A, KEY_B, LEGACY_PASSPHRASE } from '../support/cli.js';

const keyring = loadKeyring(cryptoConfig({ masterEnv: 'M', legacyEnvs: ['L', 'P'] }), { M: KEY_A, L: KEY_B, P: LEGACY_PASSPHRASE });

/** Any text, including lone surrogates replaced by the encoder: what a TOML string can hold. */
const plaintexts = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constant(''),
  fc.string({ minLength: 2000, maxLength: 5000 }),
);

async function outcome(text: string): Promise<{ ok: true; plaintext: string } | { ok: false; error: unknown }> {
  try {
    return { ok: true, plaintext: (await openBlob(keyring, text)).plaintext };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('blob properties', () => {
  it('every plaintext round-trips through seal and open', async () => {
    await fc.assert(
      fc.asyncProperty(plaintexts, async (plaintext) => {
        const valid = Buffer.from(plaintext, 'utf8').toString('utf8');
        const opened = await openBlob(keyring, sealValue(keyring, valid));
        expect(opened.plaintext).toBe(valid);
      }),
      { numRuns: 200 },
    );
  });

  it('any accepted blob re-encodes to the same text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 120 }),
          fc.stringMatching(/^[A-Za-z0-9_-]{36,80}$/),
          fc.stringMatching(/^[A-Za-z0-9+/]{128,160}={0,2}$/),
        ),
        fc.constantFrom('ENC:v2:439d87b0:', 'ENC:', 'ENC:v2:'),
        (tail, prefix) => {
          const text = prefix + tail;
          let parsed;
          try {
            parsed = parseBlob(text);
          } catch (error) {
            expect(error).toBeInstanceOf(LibertyError);
            return;
          }
          expect(formatBlob(parsed)).toBe(text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('mutations of valid blobs end in our own error (exit 3, 4 or 5), never a crash or a wrong plaintext', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.string({ minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), mutation, async (plaintext, change) => {
        const blob = sealValue(keyring, plaintext);
        const chars = [...blob];
        let mutated: string;
        if (change.kind === 'flip') {
          const at = change.at % chars.length;
          chars[at] = String.fromCharCode(chars[at].charCodeAt(0) ^ (1 << change.bit));
          mutated = chars.join('');
        } else if (change.kind === 'truncate') {
          mutated = blob.slice(0, change.at % blob.length);
        } else if (change.kind === 'extend') {
          mutated = blob + change.extra;
        } else {
          const a = change.at % chars.length;
          const b = change.other % chars.length;
          [chars[a], chars[b]] = [chars[b], chars[a]];
          mutated = chars.join('');
        }
        const result = await outcome(mutated);
        if (mutated === blob) return;
        if (result.ok) {
          // a mutation can only "succeed" if it leaves the same authenticated bytes: the plaintext must match
          expect(result.plaintext).toBe(plaintext);
          return;
        }
        expect(result.error).toBeInstanceOf(LibertyError);
        const code = (result.error as LibertyError).exitCode;
        expect([3, 4, 5]).toContain(code);
      }),
      { numRuns: 1500 },
    );
  });
});
