import { describe, expect, it } from 'vitest';
import { findOwnerComparison } from '../../src/rls/index.ts';
import { readsNoColumn } from '../../src/rls/mutants.ts';

describe('owner comparisons are found in the policy expression, whatever the column is called', () => {
  it.each([
    ['(user_id = ( SELECT auth.uid() AS uid))', 'user_id', '(user_id <> ( SELECT auth.uid() AS uid))'],
    ['((author = ( SELECT auth.uid() AS uid)) OR ( SELECT private_x.is_staff() AS is_staff))', 'author', '((author <> ( SELECT auth.uid() AS uid)) OR ( SELECT private_x.is_staff() AS is_staff))'],
    ['(owner_id = auth.uid())', 'owner_id', '(owner_id <> auth.uid())'],
    ['(( SELECT auth.uid() AS uid) = created_by)', 'created_by', '(created_by <> ( SELECT auth.uid() AS uid))'],
    [
      '(EXISTS ( SELECT 1 FROM members m WHERE ((m.team_id = t.id) AND (m.member = ( SELECT auth.uid() AS uid)))))',
      'm.member',
      '(EXISTS ( SELECT 1 FROM members m WHERE ((m.team_id = t.id) AND (m.member <> ( SELECT auth.uid() AS uid)))))',
    ],
  ])('%s', (expression, column, negated) => {
    const found = findOwnerComparison(expression)!;
    expect(found.column).toBe(column);
    expect(found.rewrite((name, uid) => `${name} <> ${uid}`)).toBe(negated);
  });

  it('finds none where auth.uid() is not compared with a column', () => {
    expect(findOwnerComparison('( SELECT private_x.is_staff() AS is_staff)')).toBeNull();
    expect(findOwnerComparison('(auth.uid() IS NOT NULL)')).toBeNull();
  });

  it('tells an expression over no column (a helper call) from one that reads the row', () => {
    expect(readsNoColumn('( SELECT private_x.is_staff() AS is_staff)')).toBe(true);
    expect(readsNoColumn('(( SELECT private_x.is_staff() AS is_staff) AND true)')).toBe(true);
    expect(readsNoColumn('( SELECT private_x.is_owner(team_id) AS is_owner)')).toBe(false);
    expect(readsNoColumn('(owner_id = ( SELECT auth.uid() AS uid))')).toBe(false);
  });
});
