/**
 * What a run actually tried, and whether that earns its verdict: every
 * relation of the spec had rows, every actor tried every operation on it,
 * and every rule that depends on the row (own, owner_null, where) was seen
 * both allowing and refusing. A gap is a coverage failure with its reason,
 * never a silent pass: a rule whose refusing side was never tried is exactly
 * where a widened policy would go unnoticed.
 */
import { isSpecActor } from './actors.ts';
import type { Case, Judgement, RelationInfo } from './cases.ts';
import type { CoverageFinding } from './catalog.ts';
import { describeRule, isWhereRule, operations, type AccessSpec, type Operation } from './spec.ts';

interface Cell {
  readonly relation: string;
  readonly actor: string;
  readonly operation: Operation;
  readonly expected: string;
  readonly observed: Map<string, Set<string>>;
  cases: number;
  violations: number;
}

export interface Tally {
  cases: number;
  readonly cells: Map<string, Cell>;
  /** Rows seen per relation over all worlds. */
  readonly rows: Map<string, number>;
  /** Per relation|actor|operation (spec actors, exact cases): cases and what the rule said. */
  readonly exercise: Map<string, { cases: number; allowed: number; refused: number }>;
}

export function newTally(): Tally {
  return { cases: 0, cells: new Map(), rows: new Map(), exercise: new Map() };
}

const plainVariants = new Set(['by_id', 'row', 'all_rows', 'touch']);

export function record(tally: Tally, testCase: Case, judgement: Judgement, failed: boolean): void {
  const actor = testCase.actor.actor;
  const relation = testCase.target === testCase.relation ? testCase.relation : `${testCase.relation} (partition ${testCase.target})`;
  const key = `${relation}|${actor}|${testCase.operation}|${testCase.variant === 'owner_without_bypassrls' ? 'owner' : ''}`;
  let cell = tally.cells.get(key);
  if (!cell) {
    cell = { relation, actor, operation: testCase.operation, expected: testCase.expectedRule, observed: new Map(), cases: 0, violations: 0 };
    tally.cells.set(key, cell);
  }
  cell.cases += 1;
  if (failed) cell.violations += 1;
  for (const [rowClass, outcome] of judgement.observed) {
    const set = cell.observed.get(rowClass) ?? new Set<string>();
    set.add(plainVariants.has(testCase.variant) ? outcome : `${testCase.variant}: ${outcome}`);
    cell.observed.set(rowClass, set);
  }
  if (isSpecActor(testCase.actor) && testCase.mode === 'exact' && (testCase.property === 'visibility' || testCase.property === 'write_isolation')) {
    const exerciseKey = `${testCase.relation}|${actor}|${testCase.operation}`;
    const entry = tally.exercise.get(exerciseKey) ?? { cases: 0, allowed: 0, refused: 0 };
    entry.cases += 1;
    for (const allowed of judgement.ruleOutcomes) {
      if (allowed) entry.allowed += 1;
      else entry.refused += 1;
    }
    tally.exercise.set(exerciseKey, entry);
  }
}

export function exerciseFindings(spec: AccessSpec, relations: ReadonlyMap<string, RelationInfo>, tally: Tally, rowNotes: Readonly<Record<string, readonly string[]>>): CoverageFinding[] {
  const findings: CoverageFinding[] = [];
  for (const [name, relation] of relations) {
    const object = `${relation.schema}.${name}`;
    const why = rowNotes[relation.spec.kind === 'view' ? relation.spec.of! : name]?.join('; ');
    if ((tally.rows.get(name) ?? 0) === 0) {
      findings.push({ kind: 'no_rows', object, detail: `no world had a row of it, so no rule on it was tested${why ? ` (${why})` : ''}` });
      continue;
    }
    for (const actor of spec.actors) {
      for (const operation of operations) {
        const rule = relation.spec.rules[actor.name]![operation];
        const entry = tally.exercise.get(`${name}|${actor.name}|${operation}`);
        if (!entry || entry.cases === 0) {
          findings.push({ kind: 'no_cases', object, detail: `${actor.name} ${operation.toUpperCase()} (rule ${describeRule(rule)}): no case ran${why ? ` (${why})` : ''}` });
          continue;
        }
        const dependsOnRow = rule === 'own' || rule === 'owner_null' || isWhereRule(rule);
        if (dependsOnRow && (entry.allowed === 0 || entry.refused === 0)) {
          const side = entry.allowed === 0 ? 'allowed' : 'refused';
          findings.push({
            kind: 'rule_unexercised',
            object,
            detail: `${actor.name} ${operation.toUpperCase()} (rule ${describeRule(rule)}): in ${entry.cases} case(s) the rule never ${side} anything, so that side is untested; run more worlds or give hints that generate the rows it reads`,
          });
        }
      }
    }
  }
  return findings;
}
