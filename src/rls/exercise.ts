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
import type { MatrixCell } from './properties.ts';
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

/**
 * Add `source` to `target` (properties judged side by side keep a tally
 * each; added in property order, the result is the tally one after the
 * other would have built, down to the order of cells and outcomes).
 */
export function addTally(target: Tally, source: Tally): void {
  target.cases += source.cases;
  for (const [key, cell] of source.cells) {
    const existing = target.cells.get(key);
    if (!existing) {
      target.cells.set(key, { ...cell, observed: new Map([...cell.observed].map(([rowClass, outcomes]) => [rowClass, new Set(outcomes)])) });
      continue;
    }
    existing.cases += cell.cases;
    existing.violations += cell.violations;
    for (const [rowClass, outcomes] of cell.observed) {
      const set = existing.observed.get(rowClass) ?? new Set<string>();
      for (const outcome of outcomes) set.add(outcome);
      existing.observed.set(rowClass, set);
    }
  }
  for (const [relation, rows] of source.rows) target.rows.set(relation, (target.rows.get(relation) ?? 0) + rows);
  for (const [key, entry] of source.exercise) {
    const existing = target.exercise.get(key) ?? { cases: 0, allowed: 0, refused: 0 };
    target.exercise.set(key, { cases: existing.cases + entry.cases, allowed: existing.allowed + entry.allowed, refused: existing.refused + entry.refused });
  }
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

/** One relation the exercise check looks at, with what each actor and operation's rule needs (serialisable: a sharded run merges these). */
export interface ExerciseTarget {
  readonly relation: string;
  readonly object: string;
  /** What the row generator could not learn for it, when anything. */
  readonly why?: string;
  readonly rules: readonly { readonly actor: string; readonly operation: Operation; readonly rule: string; readonly dependsOnRow: boolean }[];
}

/** A tally as plain data: what a shard reports so the run's exercise and matrix can be judged after merging. */
export interface TallySnapshot {
  readonly cases: number;
  readonly cells: readonly {
    readonly key: string;
    readonly relation: string;
    readonly actor: string;
    readonly operation: Operation;
    readonly expected: string;
    readonly observed: Readonly<Record<string, readonly string[]>>;
    readonly cases: number;
    readonly violations: number;
  }[];
  readonly rows: Readonly<Record<string, number>>;
  readonly exercise: Readonly<Record<string, { readonly cases: number; readonly allowed: number; readonly refused: number }>>;
}

export function exerciseTargets(spec: AccessSpec, relations: ReadonlyMap<string, RelationInfo>, rowNotes: Readonly<Record<string, readonly string[]>>): ExerciseTarget[] {
  return [...relations].map(([name, relation]) => {
    const why = rowNotes[relation.spec.kind === 'view' ? relation.spec.of! : name]?.join('; ');
    return {
      relation: name,
      object: `${relation.schema}.${name}`,
      ...(why ? { why } : {}),
      rules: spec.actors.flatMap((actor) =>
        operations.map((operation) => {
          const rule = relation.spec.rules[actor.name]![operation];
          return { actor: actor.name, operation, rule: describeRule(rule), dependsOnRow: rule === 'own' || rule === 'owner_null' || isWhereRule(rule) };
        }),
      ),
    };
  });
}

export function snapshotTally(tally: Tally): TallySnapshot {
  return {
    cases: tally.cases,
    cells: [...tally.cells].map(([key, cell]) => ({
      key,
      relation: cell.relation,
      actor: cell.actor,
      operation: cell.operation,
      expected: cell.expected,
      observed: Object.fromEntries([...cell.observed].map(([rowClass, set]) => [rowClass, [...set].sort()])),
      cases: cell.cases,
      violations: cell.violations,
    })),
    rows: Object.fromEntries(tally.rows),
    exercise: Object.fromEntries(tally.exercise),
  };
}

/** A snapshot back as a live tally (to add it to another). */
function tallyOf(snapshot: TallySnapshot): Tally {
  return {
    cases: snapshot.cases,
    cells: new Map(snapshot.cells.map(({ key, observed, ...cell }) => [key, { ...cell, observed: new Map(Object.entries(observed).map(([rowClass, outcomes]) => [rowClass, new Set(outcomes)])) }])),
    rows: new Map(Object.entries(snapshot.rows)),
    exercise: new Map(Object.entries(snapshot.exercise).map(([key, entry]) => [key, { ...entry }])),
  };
}

/** The union of several runs' tallies (the shards of one run): counts add up, observed outcomes are united (addTally). */
export function mergeTallies(snapshots: readonly TallySnapshot[]): TallySnapshot {
  const merged = newTally();
  for (const snapshot of snapshots) addTally(merged, tallyOf(snapshot));
  return snapshotTally(merged);
}

/** The observed access matrix of a tally: one cell per relation, actor and operation, in `actorOrder`. */
export function observedMatrixOf(snapshot: TallySnapshot, actorOrder: readonly string[]): MatrixCell[] {
  return snapshot.cells
    .map((cell) => ({
      key: cell.key,
      matrix: {
        relation: cell.relation,
        actor: cell.actor,
        operation: cell.operation,
        expected: cell.expected,
        observed: cell.observed,
        cases: cell.cases,
        violations: cell.violations,
        agrees: cell.violations === 0,
      },
    }))
    .sort(
      (a, b) =>
        a.matrix.relation.localeCompare(b.matrix.relation) ||
        actorOrder.indexOf(a.matrix.actor) - actorOrder.indexOf(b.matrix.actor) ||
        a.matrix.operation.localeCompare(b.matrix.operation) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    )
    .map((entry) => entry.matrix);
}

/** What was not exercised, judged on a tally (of one run, or the union of a sharded run's). */
export function exerciseFindingsOf(targets: readonly ExerciseTarget[], snapshot: TallySnapshot): CoverageFinding[] {
  const findings: CoverageFinding[] = [];
  for (const target of targets) {
    const why = target.why;
    if ((snapshot.rows[target.relation] ?? 0) === 0) {
      findings.push({ kind: 'no_rows', object: target.object, detail: `no world had a row of it, so no rule on it was tested${why ? ` (${why})` : ''}` });
      continue;
    }
    for (const { actor, operation, rule, dependsOnRow } of target.rules) {
      const entry = snapshot.exercise[`${target.relation}|${actor}|${operation}`];
      if (!entry || entry.cases === 0) {
        findings.push({ kind: 'no_cases', object: target.object, detail: `${actor} ${operation.toUpperCase()} (rule ${rule}): no case ran${why ? ` (${why})` : ''}` });
        continue;
      }
      if (dependsOnRow && (entry.allowed === 0 || entry.refused === 0)) {
        const side = entry.allowed === 0 ? 'allowed' : 'refused';
        findings.push({
          kind: 'rule_unexercised',
          object: target.object,
          detail: `${actor} ${operation.toUpperCase()} (rule ${rule}): in ${entry.cases} case(s) the rule never ${side} anything, so that side is untested; run more worlds or give hints that generate the rows it reads`,
        });
      }
    }
  }
  return findings;
}

export function exerciseFindings(spec: AccessSpec, relations: ReadonlyMap<string, RelationInfo>, tally: Tally, rowNotes: Readonly<Record<string, readonly string[]>>): CoverageFinding[] {
  return exerciseFindingsOf(exerciseTargets(spec, relations, rowNotes), snapshotTally(tally));
}
