import { describe, expect, it } from 'vitest';
import { normaliseExpression } from '../../src/inventory/index.ts';

describe('expression normalisation for the restore comparison', () => {
  it('treats the AND-chain flattening of a dump/restore as the same expression', () => {
    expect(normaliseExpression('CHECK ((((y >= 1976) AND (y <= 2999)) AND ((y % 2) = 0)))')).toBe(normaliseExpression('CHECK (((y >= 1976) AND (y <= 2999) AND ((y % 2) = 0)))'));
  });
  it('still tells different expressions apart', () => {
    expect(normaliseExpression('CHECK ((y >= 1976))')).not.toBe(normaliseExpression('CHECK ((y > 1976))'));
    expect(normaliseExpression('(user_id = auth.uid())')).not.toBe(normaliseExpression('(id = auth.uid())'));
  });
});
