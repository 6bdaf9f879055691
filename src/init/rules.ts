/**
 * From what the probes observed to the spec's rule vocabulary. The observed
 * access matrix of a run (`MatrixCell.observed`) gives, per actor and
 * operation, the outcomes per row class (own, other, anonymous: relative to
 * the caller; any: no owner column). A class is allowed when every outcome
 * of it was, refused when none was, mixed otherwise. The allowed classes
 * name the rule: none, all, own, owner_null, or a `where` over the owner
 * column for other combinations. A mixed class depends on more than the
 * owner (a state, a membership): no built-in rule says that, so the draft
 * gets the placeholder `{ "where": "false" }` and a note, which fails `rls`
 * until a person writes the condition — never a guess that passes.
 */
import type { MatrixCell, Operation, Rule } from '../rls/index.ts';

export type ClassVerdict = 'allowed' | 'refused' | 'mixed';

const allowedOutcomes = new Set(['visible', 'allowed', 'allowed (blocked by FK)']);
const refusedOutcome = (outcome: string): boolean =>
  outcome === 'hidden' || outcome === 'denied' || outcome === 'zero rows' || outcome === 'no effect' || outcome.startsWith('error ') || outcome.startsWith('refused for everyone');

/**
 * Outcomes of the plain variants (a row by its id, `touch`, a new row), and
 * of new rows in and out of their initial state (and a view's `default
 * values` insert); the others (owner moves,
 * reparenting, blind statements) carry a `variant: ` prefix and say more
 * than the rule does.
 */
const countedVariants = ['initial: ', 'non_initial: ', 'default_values: '];
const plainOutcomes = (outcomes: readonly string[]): string[] =>
  outcomes.flatMap((outcome) => {
    const prefix = countedVariants.find((variant) => outcome.startsWith(variant));
    if (prefix) return [outcome.slice(prefix.length)];
    return outcome.includes(': ') ? [] : [outcome];
  });

/**
 * A DELETE that fails on a foreign key reached the row: the policy let it
 * through and only the reference held it (a refused row is never seen, so
 * it never meets the key). The judge calls it allowed too.
 */
const deleteBlockedByKey = 'error 23503';

/** Per row class: allowed, refused or mixed (classes without a plain outcome are left out). */
export function classVerdicts(observed: MatrixCell['observed'], operation: Operation): Map<string, ClassVerdict> {
  const verdicts = new Map<string, ClassVerdict>();
  for (const [rowClass, outcomes] of Object.entries(observed)) {
    if (rowClass === 'mixed') continue;
    const plain = plainOutcomes(outcomes).map((outcome) => (operation === 'delete' && outcome === deleteBlockedByKey ? 'allowed (blocked by FK)' : outcome));
    if (plain.length === 0) continue;
    const allowed = plain.filter((outcome) => allowedOutcomes.has(outcome)).length;
    const refused = plain.filter(refusedOutcome).length;
    verdicts.set(rowClass, allowed === plain.length ? 'allowed' : refused === plain.length ? 'refused' : 'mixed');
  }
  return verdicts;
}

/**
 * SQLSTATEs other than 42501 that refused an operation (a trigger's own
 * code, a constraint): worth a note, never a rule. Not 55000 on a view (a
 * view that cannot be written counts as a refusal already) nor 23503 on a
 * delete (the policy allowed it).
 */
export function refusalSqlstates(observed: MatrixCell['observed'], operation: Operation, isView: boolean): string[] {
  const states = new Set<string>();
  for (const outcomes of Object.values(observed)) {
    for (const outcome of outcomes) {
      const match = /(?:^|: )(?:error |refused for everyone \()([0-9A-Z]{5})/.exec(outcome);
      const state = match?.[1];
      if (!state || state === '42501' || (isView && state === '55000') || (operation === 'delete' && state === '23503')) continue;
      states.add(state);
    }
  }
  return [...states].sort();
}

export interface DraftedRule {
  readonly rule: Rule;
  /** Why the rule is not a plain reading of the observation (a placeholder, nothing observed). */
  readonly note?: string;
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function describe(verdicts: ReadonlyMap<string, ClassVerdict>): string {
  return [...verdicts].map(([rowClass, verdict]) => `${rowClass} rows ${verdict}`).join(', ');
}

/**
 * The rule that says what was observed. `ownerColumn` is the relation's
 * (null: every row is of class `any`); `subject`: the actor has a user id.
 */
export function ruleFor(verdicts: ReadonlyMap<string, ClassVerdict>, ownerColumn: string | null, subject: boolean): DraftedRule {
  if (verdicts.size === 0) return { rule: 'none', note: 'not observed (no case ran): drafted as none' };
  const classes = [...verdicts.keys()];
  if (classes.some((rowClass) => verdicts.get(rowClass) === 'mixed')) {
    return {
      rule: { where: 'false' },
      note: `observed ${describe(verdicts)}: whether a row is allowed depends on more than its owner; the placeholder "false" fails rls until the condition is written`,
    };
  }
  const allowed = classes.filter((rowClass) => verdicts.get(rowClass) === 'allowed');
  if (allowed.length === 0) return { rule: 'none' };
  if (allowed.length === classes.length) return { rule: 'all' };
  if (ownerColumn === null)
    return { rule: { where: 'false' }, note: `observed ${describe(verdicts)} on a relation without an owner column: the placeholder "false" fails rls until the condition is written` };
  const only = allowed.length === 1 ? allowed[0] : null;
  if (only === 'own' && subject) return { rule: 'own' };
  if (only === 'anonymous') return { rule: 'owner_null' };
  const owner = `row.${ident(ownerColumn)}`;
  const condition = allowed
    .map((rowClass) => (rowClass === 'own' ? `${owner} = auth.uid()` : rowClass === 'anonymous' ? `${owner} is null` : subject ? `${owner} <> auth.uid()` : `${owner} is not null`))
    .join(' or ');
  return { rule: { where: condition }, note: `observed ${describe(verdicts)}: no built-in rule says that, so it is written over the owner column` };
}

const moveVariant = /^(move_to_[a-z_]+): (.*)$/;

/**
 * UPDATE: `all` lets a row change owner too. When every row was updatable
 * but no row could be given to another owner (a column grant or a check
 * kept the owner), the rule that says so keeps the owner column; moves
 * allowed sometimes and refused other times get the placeholder.
 */
export function updateRuleFor(observed: MatrixCell['observed'], ownerColumn: string | null, subject: boolean): DraftedRule {
  const drafted = ruleFor(classVerdicts(observed, 'update'), ownerColumn, subject);
  if (drafted.rule !== 'all' || ownerColumn === null) return drafted;
  const moves = Object.values(observed).flatMap((outcomes) => outcomes.map((outcome) => moveVariant.exec(outcome)?.[2]).filter((outcome): outcome is string => outcome !== undefined));
  if (moves.length === 0 || moves.every((outcome) => allowedOutcomes.has(outcome))) return drafted;
  const owner = ident(ownerColumn);
  if (moves.every(refusedOutcome))
    return { rule: { where: `row.${owner} is not distinct from old.${owner}` }, note: 'observed every row updatable but none given to another owner: written as "the owner stays"' };
  return {
    rule: { where: 'false' },
    note: 'observed every row updatable, but moving a row to another owner allowed in some cases and refused in others: the placeholder "false" fails rls until the condition is written',
  };
}
