import { describe, expect, it } from 'vitest';
import { openGcm, sealGcm } from '../../src/core/aead.js';
import { LibertyError } from '../../src/core/errors.js';
import { parseRsp, readVector } from '../support/vectors.js';

const hex = (value: string | boolean | undefined) => Buffer.from(String(value ?? ''), 'hex');

function expectAuthFailure(run: () => unknown) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(LibertyError);
  expect((caught as LibertyError).code).toBe('E_AUTH_FAILED');
}

describe('Wycheproof AES-GCM (256-bit key, 96-bit iv, 128-bit tag)', () => {
  const suite = JSON.parse(readVector('aes_gcm_test.json'));
  const cases = suite.testGroups
    .filter((group: any) => group.keySize === 256 && group.ivSize === 96 && group.tagSize === 128)
    .flatMap((group: any) => group.tests);

  it('finds the 66 cases', () => {
    expect(cases.length).toBe(66);
    expect(cases.filter((test: any) => test.result === 'invalid').length).toBe(27);
  });

  it.each(cases as any[])('case $tcId', (test: any) => {
    const key = hex(test.key);
    const iv = hex(test.iv);
    const aad = hex(test.aad);
    if (test.result === 'valid') {
      const sealed = sealGcm(key, iv, hex(test.msg), aad);
      expect(sealed.ciphertext.toString('hex')).toBe(test.ct);
      expect(sealed.tag.toString('hex')).toBe(test.tag);
      expect(openGcm(key, iv, { ciphertext: hex(test.ct), tag: hex(test.tag) }, aad).toString('hex')).toBe(test.msg);
    } else {
      expectAuthFailure(() => openGcm(key, iv, { ciphertext: hex(test.ct), tag: hex(test.tag) }, aad));
    }
  });
});

const isOurShape = (record: Record<string, unknown>) => record.Keylen === '256' && record.IVlen === '96' && record.Taglen === '128';

describe('NIST CAVP gcmEncryptExtIV256', () => {
  const records = parseRsp(readVector('gcmEncryptExtIV256.rsp')).filter(isOurShape);

  it('finds the 375 records', () => expect(records.length).toBe(375));

  it('seals every record to the expected ciphertext and tag', () => {
    for (const record of records) {
      const sealed = sealGcm(hex(record.Key), hex(record.IV), hex(record.PT), hex(record.AAD));
      expect(sealed.ciphertext.toString('hex')).toBe(record.CT);
      expect(sealed.tag.toString('hex')).toBe(record.Tag);
    }
  });
});

describe('NIST CAVP gcmDecrypt256', () => {
  const records = parseRsp(readVector('gcmDecrypt256.rsp')).filter(isOurShape);

  it('finds the 375 records, 191 of them FAIL', () => {
    expect(records.length).toBe(375);
    expect(records.filter((record) => record.FAIL).length).toBe(191);
  });

  it('opens every valid record and rejects every FAIL record', () => {
    for (const record of records) {
      const open = () => openGcm(hex(record.Key), hex(record.IV), { ciphertext: hex(record.CT), tag: hex(record.Tag) }, hex(record.AAD));
      if (record.FAIL) expectAuthFailure(open);
      else expect(open().toString('hex')).toBe(record.PT);
    }
  });
});
