/**
 * What a rule allows for one row. Built-in rules look only at the row's class
 * relative to the caller (own, other, anonymous, any); the named predicates
 * of the spec also look at the state column and the attempted change.
 */
import type { Operation, RelationSpec, Rule } from './spec.ts';

/** A row's owner relative to the caller; `any` for tables without an owner column. */
export type RowClass = 'own' | 'other' | 'anonymous' | 'any';

export function classOf(owner: string | null, callerId: string | null, hasOwner: boolean): RowClass {
  if (!hasOwner) return 'any';
  if (owner === null) return 'anonymous';
  return callerId !== null && owner === callerId ? 'own' : 'other';
}

function simpleAllows(rule: Rule, rowClass: RowClass): boolean {
  switch (rule) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'own':
      return rowClass === 'own';
    case 'owner_null':
      return rowClass === 'anonymous';
    default:
      return false;
  }
}

export interface Attempt {
  readonly operation: Operation;
  /** Class of the row before (update/delete/select) or of the new row (insert). */
  readonly rowClass: RowClass;
  /** Class of the row after an UPDATE (differs only for owner moves). */
  readonly newClass?: RowClass;
  readonly variant: string;
  readonly state: string | null;
  readonly toState?: string;
}

export function allows(relation: RelationSpec, rule: Rule, attempt: Attempt): boolean {
  if (typeof rule === 'string') {
    if (attempt.operation === 'update') return simpleAllows(rule, attempt.rowClass) && simpleAllows(rule, attempt.newClass ?? attempt.rowClass);
    return simpleAllows(rule, attempt.rowClass);
  }
  const machine = relation.stateMachine;
  if (!machine) return false;
  const isMove = attempt.variant.startsWith('move_');
  switch (rule.custom) {
    case 'own_initial_status':
      return attempt.rowClass === 'own' && attempt.variant === 'initial';
    case 'own_cancel_pending':
      return !isMove && attempt.rowClass === 'own' && attempt.state === machine.initial && attempt.toState === 'cancelled';
    case 'workflow_transition': {
      if (isMove || attempt.state === null) return false;
      if (attempt.toState !== undefined) return (machine.transitions[attempt.state] ?? []).includes(attempt.toState);
      return !machine.terminal.includes(attempt.state);
    }
  }
}
