import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN, parseId } from '../../src/core/http/schemas.ts';
import { normalizeKey } from '../../src/core/normalize.ts';
import { AppError } from '../../src/core/errors.ts';
import { runSeed } from '../support/seeds.ts';

const seed = runSeed('normalize');
const numRuns = Number(process.env.PBT_RUNS ?? 2000);

describe('normalizeKey', () => {
  it('is idempotent over all of Unicode: the key of a key is itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), (a, b) => {
        for (const value of [a, b]) expect(normalizeKey(normalizeKey(value))).toBe(normalizeKey(value));
      }),
      { seed, numRuns },
    );
  });

  it('folds case, compatibility forms and surrounding space', () => {
    expect(normalizeKey('  Ａnn@Example.COM ')).toBe('ann@example.com');
    expect(normalizeKey('ﬁle')).toBe(normalizeKey('FILE'));
  });
});

describe('parseId', () => {
  it('accepts exactly ^[1-9][0-9]{0,15}$ and maps ids beyond storage to not-found', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789-+e. x'.split('')), maxLength: 18 }), (text) => {
        const valid = new RegExp(ID_PATTERN).test(text);
        let outcome: number | 'not-found';
        try {
          outcome = parseId(text, 'USER.NOT_FOUND');
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          outcome = 'not-found';
        }
        if (!valid) expect(outcome).toBe('not-found');
        else if (Number(text) <= 2_147_483_647) expect(outcome).toBe(Number(text));
        else expect(outcome).toBe('not-found');
      }),
      { seed, numRuns },
    );
  });
});
