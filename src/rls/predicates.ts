/**
 * What a built-in rule allows for one row: it looks only at the row's owner
 * relative to the caller (own, other, anonymous, any). `where` rules are
 * decided by the oracle in the database (oracle.ts).
 */
import type { SimpleRule } from './spec.ts';

/** A row's owner relative to the caller; `any` for relations without an owner column. */
export type RowClass = 'own' | 'other' | 'anonymous' | 'any';

export function classOf(owner: string | null, callerId: string | null, hasOwner: boolean): RowClass {
  if (!hasOwner) return 'any';
  if (owner === null) return 'anonymous';
  return callerId !== null && owner === callerId ? 'own' : 'other';
}

export function simpleAllows(rule: SimpleRule, rowClass: RowClass): boolean {
  switch (rule) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'own':
      return rowClass === 'own';
    case 'owner_null':
      return rowClass === 'anonymous';
  }
}

/** An UPDATE needs the rule to hold for the row before and after (an owner move changes the class). */
export function simpleAllowsChange(rule: SimpleRule, before: RowClass, after: RowClass): boolean {
  return simpleAllows(rule, before) && simpleAllows(rule, after);
}
