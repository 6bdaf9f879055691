/**
 * The rules as the database enforces them now, observed by the RLS engine
 * itself: a provisional spec (every rule `none`) goes through `runRls`
 * (visibility and write isolation), whose observed access matrix says, per
 * actor and operation, what happened to rows of each class; the rules that
 * say so replace the provisional ones and the run is repeated with them,
 * until a run agrees with its rules or the rules stop changing. Each run
 * stops at its first disagreeing world, and every world checks every
 * relation, so each round observes at least one whole world; observations
 * accumulate over the rounds.
 */
import type { PostgresServer } from '../postgres/index.ts';
import { learnRowModel, parseAccessSpec, runRls, type AccessSpec, type Operation, operations } from '../rls/index.ts';
import { classVerdicts, refusalSqlstates, ruleFor, updateRuleFor, type DraftedRule } from './rules.ts';

/** A relation entry as written in the spec file, before rules. */
export type RawRelation = Record<string, unknown>;

export interface ObserveOptions {
  readonly server: PostgresServer;
  readonly template: string;
  /** The spec's top level (version, exposedSchemas, actors) without relations. */
  readonly header: Record<string, unknown>;
  /** Relations to observe, keyed by name, without `rules`. */
  readonly relations: Readonly<Record<string, RawRelation>>;
  /** Entries kept as they are (e.g. reviewed tables a drafted view shows), with their rules. */
  readonly context?: Readonly<Record<string, RawRelation>>;
  readonly runs: number;
  readonly seed: number;
  /** At most this many rounds (default 4). */
  readonly maxRounds?: number;
}

export interface ObservedRelation {
  /** Per actor, per operation. */
  readonly rules: Record<string, Record<Operation, DraftedRule>>;
  /** SQLSTATEs other than 42501 that refused an operation. */
  readonly refusalSqlstates: readonly string[];
  /** What the row generator could not learn (no row could be built: nothing observed). */
  readonly rowNotes: readonly string[];
}

export interface Observation {
  readonly relations: Readonly<Record<string, ObservedRelation>>;
  readonly rounds: number;
  /** The last round agreed with the drafted rules. */
  readonly settled: boolean;
  readonly cases: number;
  /** Harness failures of a round (a world that did not load), as the engine said them. */
  readonly errors: readonly string[];
}

type Outcomes = Map<string, Map<string, Set<string>>>;

const cellKey = (relation: string, actor: string, operation: Operation): string => `${relation}|${actor}|${operation}`;

function rulesJson(rules: Record<string, Record<Operation, DraftedRule>>): Record<string, Record<Operation, unknown>> {
  return Object.fromEntries(
    Object.entries(rules).map(([actor, byOperation]) => [actor, Object.fromEntries(operations.map((operation) => [operation, byOperation[operation].rule])) as Record<Operation, unknown>]),
  );
}

/** Every rule `none`: nothing assumed. */
function provisionalRules(actors: readonly string[]): Record<string, Record<Operation, DraftedRule>> {
  return Object.fromEntries(actors.map((actor) => [actor, Object.fromEntries(operations.map((operation) => [operation, { rule: 'none' } as DraftedRule])) as Record<Operation, DraftedRule>]));
}

function buildSpec(options: ObserveOptions, drafted: Readonly<Record<string, ObservedRelation>>): AccessSpec {
  const relations: Record<string, unknown> = { ...(options.context ?? {}) };
  for (const [name, relation] of Object.entries(options.relations)) relations[name] = { ...relation, rules: rulesJson(drafted[name]!.rules) };
  return parseAccessSpec({ ...options.header, relations }, '(draft)');
}

export async function observeRules(options: ObserveOptions): Promise<Observation> {
  const maxRounds = options.maxRounds ?? 4;
  const actorNames = (probe: AccessSpec): string[] => probe.actors.map((actor) => actor.name);
  let drafted: Record<string, ObservedRelation> = {};
  const emptySpec = parseAccessSpec({ ...options.header, relations: {} }, '(draft)');
  for (const name of Object.keys(options.relations)) drafted[name] = { rules: provisionalRules(actorNames(emptySpec)), refusalSqlstates: [], rowNotes: [] };
  let spec = buildSpec(options, drafted);
  const model = await learnRowModel(options.server, options.template, spec, options.seed);
  const outcomes: Outcomes = new Map();
  const errors: string[] = [];
  let rounds = 0;
  let settled = false;
  let cases = 0;
  while (rounds < maxRounds) {
    rounds += 1;
    const result = await runRls({
      server: options.server,
      template: options.template,
      spec,
      specFile: '(draft)',
      runs: options.runs,
      seed: options.seed,
      properties: ['visibility', 'write_isolation'],
      endOnFailure: true,
      checkExercise: false,
      rowModel: model,
    });
    cases += result.cases;
    for (const property of result.properties) if (property.error && !errors.includes(property.error)) errors.push(property.error);
    for (const cell of result.observedMatrix) {
      if (!(cell.relation in options.relations)) continue;
      const key = cellKey(cell.relation, cell.actor, cell.operation);
      const byClass = outcomes.get(key) ?? new Map<string, Set<string>>();
      for (const [rowClass, seen] of Object.entries(cell.observed)) {
        const set = byClass.get(rowClass) ?? new Set<string>();
        for (const outcome of seen) set.add(outcome);
        byClass.set(rowClass, set);
      }
      outcomes.set(key, byClass);
    }
    const next: Record<string, ObservedRelation> = {};
    for (const [name, relation] of Object.entries(options.relations)) {
      const ownerColumn = (relation.ownerColumn as string | null | undefined) ?? null;
      const rules: Record<string, Record<Operation, DraftedRule>> = {};
      const states = new Set<string>();
      for (const actor of spec.actors) {
        const byOperation = {} as Record<Operation, DraftedRule>;
        for (const operation of operations) {
          const observed = Object.fromEntries([...(outcomes.get(cellKey(name, actor.name, operation)) ?? new Map<string, Set<string>>())].map(([rowClass, set]) => [rowClass, [...set].sort()]));
          byOperation[operation] = operation === 'update' ? updateRuleFor(observed, ownerColumn, actor.subject) : ruleFor(classVerdicts(observed, operation), ownerColumn, actor.subject);
          for (const state of refusalSqlstates(observed, operation, relation.kind === 'view')) states.add(state);
        }
        rules[actor.name] = byOperation;
      }
      const recipeName = relation.kind === 'view' ? ((relation.of as string | undefined) ?? name) : name;
      next[name] = { rules, refusalSqlstates: [...states].sort(), rowNotes: result.rowNotes[recipeName] ?? [] };
    }
    const changed = JSON.stringify(Object.values(next).map((entry) => rulesJson(entry.rules))) !== JSON.stringify(Object.values(drafted).map((entry) => rulesJson(entry.rules)));
    drafted = next;
    settled = result.passed;
    if (result.passed || !changed) break;
    spec = buildSpec(options, drafted);
  }
  return { relations: drafted, rounds, settled, cases, errors };
}
