// planRewrap is the pure middle of rewrap (classify, plan, apply): what a run re-seals and what a check
// reports, for each kind of blob. Each row names the rule it holds.
import { describe, expect, it } from 'vitest';
import { planRewrap, type ClassifiedBlob } from '../../src/core/rewrap.js';

const blob = (name: string, kind: 'current' | 'legacy-key' | 'format', format: 'v1' | 'v2' = 'v2'): ClassifiedBlob => ({
  name,
  current: kind === 'current',
  byMaster: kind !== 'legacy-key',
  kid: format === 'v2' ? (kind === 'legacy-key' ? 'aaaaaaaa' : 'bbbbbbbb') : null,
  format,
  opensWith: kind === 'legacy-key' ? 'OLD' : 'MASTER',
});

const CURRENT = blob('a.password', 'current');
const ON_OLD_KEY = blob('b.password', 'legacy-key');
const OTHER_FORMAT = blob('c.password', 'format', 'v1');
const URL_PART = blob('d.url#2', 'legacy-key', 'v1');

describe('planRewrap', () => {
  it.each<
    [
      string,
      ClassifiedBlob[],
      { all?: boolean; check?: boolean },
      { reseal: string[]; current: number; legacy: number; onLegacy: Array<[string, string]> },
    ]
  >([
    ['nothing to do when every blob is current', [CURRENT], {}, { reseal: [], current: 1, legacy: 0, onLegacy: [] }],
    [
      'a run re-seals the blobs on a legacy key and in the other format',
      [CURRENT, ON_OLD_KEY, OTHER_FORMAT],
      {},
      { reseal: ['b.password', 'c.password'], current: 3, legacy: 0, onLegacy: [] },
    ],
    [
      '--all re-seals the current ones too (fresh nonces)',
      [CURRENT, ON_OLD_KEY],
      { all: true },
      { reseal: ['a.password', 'b.password'], current: 2, legacy: 0, onLegacy: [] },
    ],
    [
      'a check names what is not current, and why',
      [CURRENT, ON_OLD_KEY, OTHER_FORMAT],
      { check: true },
      {
        reseal: ['b.password', 'c.password'],
        current: 1,
        legacy: 2,
        onLegacy: [
          ['b.password', 'legacy-key'],
          ['c.password', 'format'],
        ],
      },
    ],
    [
      'a check with --all counts every blob but names only those not current',
      [CURRENT, ON_OLD_KEY],
      { check: true, all: true },
      { reseal: ['a.password', 'b.password'], current: 1, legacy: 1, onLegacy: [['b.password', 'legacy-key']] },
    ],
    [
      'a blob inside a value is named with #N',
      [URL_PART],
      { check: true },
      { reseal: ['d.url#2'], current: 0, legacy: 1, onLegacy: [['d.url#2', 'legacy-key']] },
    ],
    ['no readable blob: nothing planned', [], { check: true }, { reseal: [], current: 0, legacy: 0, onLegacy: [] }],
  ])('%s', (_rule, blobs, options, expected) => {
    const plan = planRewrap('f.toml', blobs, options);
    expect(plan.reseal.map((b) => b.name)).toEqual(expected.reseal);
    expect(plan.current).toBe(expected.current);
    expect(plan.legacy).toBe(expected.legacy);
    expect(plan.onLegacy.map((entry) => [entry.key, entry.reason])).toEqual(expected.onLegacy);
    for (const entry of plan.onLegacy) expect(entry.file).toBe('f.toml');
  });

  it('is pure: the blobs it is given stay as they were, and the same input gives the same plan', () => {
    const blobs = [CURRENT, ON_OLD_KEY];
    const copy = structuredClone(blobs);
    expect(planRewrap('f.toml', blobs, { check: true })).toEqual(planRewrap('f.toml', blobs, { check: true }));
    expect(blobs).toEqual(copy);
  });
});
