/**
 * The access matrix as data (tests/access/access-spec.json, format in
 * docs/access-spec.md): for every table and view, every operation and every
 * actor, who may do what — and, optionally, what the catalog cannot say about
 * a relation's rows (hints). Validated with zod; every problem is reported
 * at once as `access_spec_invalid`.
 *
 * Version 1 files load unchanged and keep their meaning; version 2 adds
 * declared actors, `where` rules, row hints and the `reviewed` flag.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SchemaproofError } from '../errors/index.ts';
import { quoteLiteral } from './literal.ts';

export const operations = ['select', 'insert', 'update', 'delete'] as const;
export type Operation = (typeof operations)[number];

/** Built-in rules: `own` = owner column equals the caller; `owner_null` = rows without an owner. */
export const simpleRules = ['none', 'all', 'own', 'owner_null'] as const;
export type SimpleRule = (typeof simpleRules)[number];

/**
 * Version 1 named predicates, kept as deprecated aliases. Each is defined by
 * the relation's own `stateMachine` and `ownerColumn` and becomes a `where`
 * rule when the spec is loaded (see `aliasWhere`).
 */
export const deprecatedPredicates = ['own_initial_status', 'own_cancel_pending', 'workflow_transition'] as const;
export type DeprecatedPredicate = (typeof deprecatedPredicates)[number];

/** A SQL boolean over the row (alias `row`; for UPDATE also `old`), evaluated by the oracle. */
export interface WhereRule {
  readonly where: string;
  /** The deprecated predicate this rule was written as, if any. */
  readonly alias?: DeprecatedPredicate;
}

export type Rule = SimpleRule | WhereRule;

export const isWhereRule = (rule: Rule): rule is WhereRule => typeof rule === 'object';

/** The actors every version 1 spec has (and a version 2 spec that declares none). */
export const defaultActorNames = ['anon', 'user', 'admin', 'service'] as const;

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier');
const roleName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]*$/, 'must be a role name');

const ruleInput = z.union([
  z.enum(simpleRules),
  z.object({ custom: z.enum(deprecatedPredicates) }).strict(),
  z.object({ where: z.string().trim().min(1, 'a where rule needs a SQL boolean') }).strict(),
]);
type RuleInput = z.output<typeof ruleInput>;

const operationRules = z.object({ select: ruleInput, insert: ruleInput, update: ruleInput, delete: ruleInput }).strict();

const stateMachineSchema = z
  .object({
    column: identifier,
    initial: z.string().min(1),
    terminal: z.array(z.string().min(1)),
    transitions: z.record(z.string(), z.array(z.string().min(1))),
    /** The state `own_cancel_pending` moves to (default `cancelled`). */
    cancelState: z.string().min(1).optional(),
  })
  .strict();

const columnHint = z.union([
  z.object({ values: z.array(z.union([z.string(), z.number(), z.boolean(), z.null(), z.record(z.string(), z.unknown()), z.array(z.unknown())])).min(1) }).strict(),
  z.object({ pattern: z.string().min(1) }).strict(),
  z.object({ sql: z.string().trim().min(1) }).strict(),
]);

const hintsSchema = z
  .object({
    /** Per column: the values to use, a regular expression they match, or a SQL expression computing one. */
    columns: z.record(identifier, columnHint).default({}),
    /** A state column and the states a new row starts in (drawn about half of the time). */
    state: z
      .object({ column: identifier, initial: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    /** Foreign keys (named by constraint or by one of their columns) whose parent must have the row's owner. */
    sameOwner: z.array(identifier).default([]),
    /** Rows per world (default 1 to 4). */
    rows: z
      .object({ min: z.number().int().min(0).max(20), max: z.number().int().min(1).max(20) })
      .strict()
      .optional(),
  })
  .strict();

export type RelationHints = z.output<typeof hintsSchema>;
export type ColumnHint = z.output<typeof columnHint>;

const actorSchema = z
  .object({
    /** The database role the actor's transactions run as (PostgREST's `role` claim). */
    role: roleName,
    /** JWT claims merged (deeply) over the generated ones, e.g. `{ "app_metadata": { "role": "admin" } }`. */
    claims: z.record(z.string(), z.unknown()).default({}),
    /** The actor has a user id (`sub`); default: any role but anon and service_role. */
    subject: z.boolean().optional(),
    /** People of this actor per world (subject actors only). */
    people: z
      .object({ min: z.number().int().min(1).max(8), max: z.number().int().min(1).max(8) })
      .strict()
      .optional(),
    description: z.string().optional(),
  })
  .strict();

export type ActorInput = z.output<typeof actorSchema>;

export interface ActorSpec {
  readonly name: string;
  readonly role: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly subject: boolean;
  readonly people: { readonly min: number; readonly max: number };
  readonly description?: string;
}

const relationSchema = z
  .object({
    kind: z.enum(['table', 'view']),
    schema: identifier.default('public'),
    /** Column identifying a row (for views: the underlying row's id). Default `id`, else the primary key. */
    idColumn: identifier.optional(),
    /** The owner column (`own` rules compare it with auth.uid()); null for shared data. */
    ownerColumn: identifier.nullable(),
    /** For views: the table whose rows the view shows. */
    of: identifier.optional(),
    /** Partitioned table: its partitions are covered by this entry and must never give more than these rules. */
    partitioned: z.boolean().default(false),
    /** Besides 42501 and "zero rows", SQLSTATEs that count as a clean refusal (e.g. an append-only trigger). */
    refusalSqlstates: z.array(z.string().regex(/^[0-9A-Z]{5}$/, 'must be a 5-character SQLSTATE')).default([]),
    stateMachine: stateMachineSchema.optional(),
    /** Nobody may UPDATE or DELETE rows, not even the table owner (checked as the owner too). */
    immutable: z.boolean().default(false),
    /** Audit trail (property 6): every row of these tables is logged here, found by `targetColumn`. */
    audit: z
      .object({
        of: z.array(identifier).min(1),
        targetColumn: identifier,
        /** A function returning the first broken link of the chain (no rows when intact). */
        verifyFunction: z.object({ schema: identifier, name: identifier }).strict(),
        /** The column rewritten behind the triggers to prove tampering is found (default: the first jsonb, else text column). */
        tamperColumn: identifier.optional(),
      })
      .strict()
      .optional(),
    /** What the catalog cannot say about the rows (version 2). */
    hints: hintsSchema.optional(),
    /** A person has checked these rules (false: drafted by a tool; counted and warned about). */
    reviewed: z.boolean().default(true),
    note: z.string().optional(),
    rules: z.record(z.string(), operationRules),
  })
  .strict();

const specInput = z
  .object({
    $schema: z.string().optional(),
    version: z.union([z.literal(1), z.literal(2)]),
    description: z.string().optional(),
    /** Schemas the API exposes: every relation in them must be in the spec. */
    exposedSchemas: z.array(identifier).min(1),
    /** Who acts (version 2); default anon, user, admin, service. */
    actors: z.record(identifier, actorSchema).optional(),
    relations: z.record(identifier, relationSchema),
    /** SECURITY DEFINER functions anon/authenticated may execute, each with why it is safe. */
    securityDefinerFunctions: z.record(z.string(), z.string().min(1)).default({}),
    /**
     * Generated mutants that change no behaviour (another layer enforces the
     * same rule), by name, each with the reason. They are listed as equivalent
     * in the mutation result, not run and not counted in the score.
     */
    equivalentMutants: z.record(z.string(), z.string().min(20, 'say why the mutant cannot change behaviour')).default({}),
  })
  .strict();

type SpecInput = z.output<typeof specInput>;
type RelationInput = z.output<typeof relationSchema>;

export interface RelationSpec extends Omit<RelationInput, 'rules' | 'hints'> {
  readonly hints: RelationHints;
  readonly rules: Readonly<Record<string, Readonly<Record<Operation, Rule>>>>;
}

export interface AccessSpec extends Omit<SpecInput, 'actors' | 'relations'> {
  readonly actors: readonly ActorSpec[];
  readonly relations: Readonly<Record<string, RelationSpec>>;
}

const defaultActors: readonly ActorSpec[] = [
  { name: 'anon', role: 'anon', claims: {}, subject: false, people: { min: 1, max: 1 }, description: 'not signed in' },
  { name: 'user', role: 'authenticated', claims: {}, subject: true, people: { min: 2, max: 6 }, description: 'a signed-in user; the others are "other users"' },
  { name: 'admin', role: 'authenticated', claims: { app_metadata: { role: 'admin' } }, subject: true, people: { min: 1, max: 1 }, description: 'app_metadata.role = admin' },
  { name: 'service', role: 'service_role', claims: {}, subject: false, people: { min: 1, max: 1 }, description: 'the service role (BYPASSRLS)' },
];

function resolveActors(input: SpecInput['actors']): ActorSpec[] {
  if (!input) return [...defaultActors];
  return Object.entries(input).map(([name, actor]) => {
    const subject = actor.subject ?? !(actor.role === 'anon' || actor.role === 'service_role');
    return {
      name,
      role: actor.role,
      claims: actor.claims,
      subject,
      people: actor.people ?? (subject ? { min: 1, max: 3 } : { min: 1, max: 1 }),
      ...(actor.description ? { description: actor.description } : {}),
    };
  });
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The SQL a deprecated predicate stands for. Everything in it comes from the
 * relation's own stateMachine and ownerColumn.
 */
export function aliasWhere(predicate: DeprecatedPredicate, relation: Pick<RelationInput, 'ownerColumn' | 'stateMachine'>): string {
  const machine = relation.stateMachine!;
  const state = (alias: string): string => `${alias}.${ident(machine.column)}::text`;
  const owner = relation.ownerColumn ? ident(relation.ownerColumn) : null;
  const keepsOwner = owner ? `row.${owner} is not distinct from old.${owner}` : 'true';
  switch (predicate) {
    case 'own_initial_status':
      return `row.${owner} = auth.uid() and ${state('row')} = ${quoteLiteral(machine.initial)}`;
    case 'own_cancel_pending':
      return `old.${owner} = auth.uid() and ${keepsOwner} and ${state('old')} = ${quoteLiteral(machine.initial)} and ${state('row')} = ${quoteLiteral(machine.cancelState ?? 'cancelled')}`;
    case 'workflow_transition': {
      const pairs = Object.entries(machine.transitions).flatMap(([from, targets]) => targets.map((to) => `${quoteLiteral(`${from}>${to}`)}`));
      const terminal = machine.terminal.map((value) => quoteLiteral(value));
      const stays = `${state('old')} = ${state('row')}${terminal.length > 0 ? ` and ${state('old')} not in (${terminal.join(', ')})` : ''}`;
      const moves = pairs.length > 0 ? `(${state('old')} || '>' || ${state('row')}) in (${pairs.join(', ')})` : 'false';
      return `${keepsOwner} and ((${stays}) or ${moves})`;
    }
  }
}

const aliasOperations: Record<DeprecatedPredicate, readonly Operation[]> = {
  own_initial_status: ['insert'],
  own_cancel_pending: ['update'],
  workflow_transition: ['update'],
};

function normaliseRule(rule: RuleInput, relation: RelationInput): Rule {
  if (typeof rule === 'string') return rule;
  if ('where' in rule) return { where: rule.where };
  return { where: aliasWhere(rule.custom, relation), alias: rule.custom };
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Cross-field checks. They also run when the shape has problems (so every
 * problem is listed at once), hence the defensive reading of the input.
 */
function checkSpec(spec: SpecInput, ctx: z.RefinementCtx): void {
  if (!isRecord(spec) || !isRecord(spec.relations)) return;
  const actors = isRecord(spec.actors) || spec.actors === undefined ? resolveActors(spec.actors).filter((actor) => typeof actor.role === 'string') : [];
  const actorNames = actors.map((actor) => actor.name);
  const usesVersion2 = (path: (string | number)[], what: string): void => {
    if (spec.version !== 2) ctx.addIssue({ code: 'custom', path, message: `${what} needs "version": 2` });
  };
  if (spec.actors) {
    usesVersion2(['actors'], 'declared actors');
    if (actors.length === 0) ctx.addIssue({ code: 'custom', path: ['actors'], message: 'declare at least one actor' });
    for (const actor of actors) {
      if (actor.people.min > actor.people.max) ctx.addIssue({ code: 'custom', path: ['actors', actor.name, 'people'], message: 'min is larger than max' });
    }
  }
  for (const [name, relation] of Object.entries(spec.relations)) {
    if (!isRecord(relation) || !isRecord(relation.rules)) continue;
    const path = ['relations', name];
    if (relation.kind === 'view' && !relation.of) ctx.addIssue({ code: 'custom', path: [...path, 'of'], message: 'a view needs `of` (the table it shows)' });
    if (relation.kind === 'view' && relation.of && !spec.relations[relation.of]) {
      ctx.addIssue({ code: 'custom', path: [...path, 'of'], message: `unknown relation ${relation.of}` });
    }
    if (relation.kind === 'view' && relation.partitioned) ctx.addIssue({ code: 'custom', path: [...path, 'partitioned'], message: 'a view cannot be partitioned' });
    if (relation.hints) usesVersion2([...path, 'hints'], 'hints');
    if (isRecord(relation.hints?.rows) && relation.hints.rows.min > relation.hints.rows.max) ctx.addIssue({ code: 'custom', path: [...path, 'hints', 'rows'], message: 'min is larger than max' });
    if (relation.reviewed === false) usesVersion2([...path, 'reviewed'], '"reviewed"');
    for (const actor of actorNames) {
      if (!relation.rules[actor]) ctx.addIssue({ code: 'custom', path: [...path, 'rules', actor], message: `missing: every actor (${actorNames.join(', ')}) needs its rules` });
    }
    for (const [actorName, rules] of Object.entries(relation.rules)) {
      const actor = actors.find((candidate) => candidate.name === actorName);
      if (!actor) {
        ctx.addIssue({ code: 'custom', path: [...path, 'rules', actorName], message: `unknown actor; declared: ${actorNames.join(', ')}` });
        continue;
      }
      if (!isRecord(rules)) continue;
      for (const operation of operations) {
        const rule = rules[operation] as RuleInput | undefined;
        if (rule === undefined) continue;
        const where = [...path, 'rules', actorName, operation];
        if ((rule === 'own' || rule === 'owner_null') && relation.ownerColumn === null) {
          ctx.addIssue({ code: 'custom', path: where, message: `rule "${rule}" needs an ownerColumn` });
        }
        if (rule === 'own' && !actor.subject) {
          ctx.addIssue({ code: 'custom', path: where, message: `${actorName} has no user id, so "own" means nothing; use none, owner_null, all or a where rule` });
        }
        const object: Record<string, unknown> | null = isRecord(rule) ? (rule as Record<string, unknown>) : null;
        const whereText = typeof object?.where === 'string' ? object.where : null;
        if (whereText !== null) {
          usesVersion2(where, 'a where rule');
          if (operation !== 'update' && /\bold\s*\./i.test(whereText)) {
            ctx.addIssue({ code: 'custom', path: where, message: '`old` (the row before the change) exists only in update rules' });
          }
          if (whereText.includes(';')) ctx.addIssue({ code: 'custom', path: where, message: 'a where rule is one SQL expression (no ";")' });
        }
        const custom = typeof object?.custom === 'string' && object.custom in aliasOperations ? (object.custom as DeprecatedPredicate) : null;
        if (custom !== null) {
          if (!aliasOperations[custom].includes(operation)) {
            ctx.addIssue({ code: 'custom', path: where, message: `predicate ${custom} applies to ${aliasOperations[custom].join('/')}, not ${operation}` });
          }
          if (!relation.stateMachine) ctx.addIssue({ code: 'custom', path: where, message: `predicate ${custom} needs a stateMachine on the relation` });
          if (custom !== 'workflow_transition' && relation.ownerColumn === null) {
            ctx.addIssue({ code: 'custom', path: where, message: `predicate ${custom} needs an ownerColumn` });
          }
        }
      }
    }
    if (isRecord(relation.stateMachine) && Array.isArray(relation.stateMachine.terminal) && isRecord(relation.stateMachine.transitions)) {
      const states = new Set([relation.stateMachine.initial, ...relation.stateMachine.terminal, ...Object.keys(relation.stateMachine.transitions)]);
      for (const [from, targets] of Object.entries(relation.stateMachine.transitions)) {
        if (relation.stateMachine.terminal.includes(from)) ctx.addIssue({ code: 'custom', path: [...path, 'stateMachine', 'transitions', from], message: 'a terminal state has no transitions' });
        for (const target of targets) if (!states.has(target)) ctx.addIssue({ code: 'custom', path: [...path, 'stateMachine', 'transitions', from], message: `unknown state ${target}` });
      }
    }
  }
}

export const accessSpecSchema = specInput.superRefine(checkSpec, { when: () => true }).transform((input): AccessSpec => {
  const { actors: _actors, relations, ...rest } = input;
  return {
    ...rest,
    actors: resolveActors(input.actors),
    relations: Object.fromEntries(
      Object.entries(relations).map(([name, relation]) => {
        const { rules, hints, ...relationRest } = relation;
        const normalised: Record<string, Record<Operation, Rule>> = {};
        for (const [actor, byOperation] of Object.entries(rules)) {
          normalised[actor] = {
            select: normaliseRule(byOperation.select, relation),
            insert: normaliseRule(byOperation.insert, relation),
            update: normaliseRule(byOperation.update, relation),
            delete: normaliseRule(byOperation.delete, relation),
          };
        }
        return [name, { ...relationRest, hints: hints ?? { columns: {}, sameOwner: [] }, rules: normalised }];
      }),
    ),
  };
});

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/** Validate raw JSON; throws `access_spec_invalid` listing every problem. */
export function parseAccessSpec(raw: unknown, file = '(inline)'): AccessSpec {
  const parsed = accessSpecSchema.safeParse(raw);
  if (!parsed.success) throw new SchemaproofError({ code: 'access_spec_invalid', file, problems: formatIssues(parsed.error) });
  return parsed.data;
}

export function loadAccessSpec(file: string): AccessSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SchemaproofError({ code: 'access_spec_invalid', file, problems: [`cannot be read: ${(error as Error).message}`] });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SchemaproofError({ code: 'access_spec_invalid', file, problems: [`not valid JSON: ${(error as Error).message}`] });
  }
  return parseAccessSpec(raw, file);
}

export function actorNamed(spec: AccessSpec, name: string): ActorSpec {
  const actor = spec.actors.find((candidate) => candidate.name === name);
  if (!actor) throw new Error(`unknown actor ${name}`);
  return actor;
}

/** The Postgres role an actor runs as. */
export function roleOf(spec: AccessSpec, actor: string): string {
  return actorNamed(spec, actor).role;
}

/**
 * Least privilege: when no actor that runs as the same role may ever do
 * `operation` on the relation, that role must not hold the privilege at all,
 * so the refusal has to be a permission error (42501), not merely zero rows.
 */
export function privilegeMustBeAbsent(spec: AccessSpec, relation: RelationSpec, actor: string, operation: Operation): boolean {
  const role = roleOf(spec, actor);
  return spec.actors.filter((other) => other.role === role).every((other) => relation.rules[other.name]?.[operation] === 'none');
}

/** Short text of a rule for the matrix and the counterexamples. */
export function describeRule(rule: Rule): string {
  if (typeof rule === 'string') return rule;
  return rule.alias ? `custom:${rule.alias}` : `where ${rule.where.replace(/\s+/g, ' ')}`;
}

/** Relations whose rules nobody has reviewed yet (`"reviewed": false`). */
export function unreviewedRelations(spec: AccessSpec): string[] {
  return Object.entries(spec.relations)
    .filter(([, relation]) => !relation.reviewed)
    .map(([name]) => name);
}
