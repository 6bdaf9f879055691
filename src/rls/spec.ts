/**
 * The access matrix as data (tests/access/access-spec.json): for every table
 * and view, every operation and every actor, who may do what. Validated with
 * zod; every problem is reported at once as `access_spec_invalid`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SchemaproofError } from '../errors/index.ts';

export const actorKinds = ['anon', 'user', 'admin', 'service'] as const;
export type ActorKind = (typeof actorKinds)[number];
export const operations = ['select', 'insert', 'update', 'delete'] as const;
export type Operation = (typeof operations)[number];

/** Built-in rules: `own` = owner column equals the caller; `owner_null` = rows without an owner. */
export const simpleRules = ['none', 'all', 'own', 'owner_null'] as const;
export type SimpleRule = (typeof simpleRules)[number];

/** Named predicates implemented in src/rls/predicates.ts. */
export const customPredicates = ['own_initial_status', 'own_cancel_pending', 'workflow_transition'] as const;
export type CustomPredicate = (typeof customPredicates)[number];

export type Rule = SimpleRule | { readonly custom: CustomPredicate };

const ruleSchema = z.union([z.enum(simpleRules), z.object({ custom: z.enum(customPredicates) }).strict()]);
const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier');

const operationRules = z.object({
  select: ruleSchema,
  insert: ruleSchema,
  update: ruleSchema,
  delete: ruleSchema,
}).strict();

const stateMachineSchema = z.object({
  column: identifier,
  initial: z.string().min(1),
  terminal: z.array(z.string().min(1)),
  transitions: z.record(z.string(), z.array(z.string().min(1))),
}).strict();

const relationSchema = z.object({
  kind: z.enum(['table', 'view']),
  schema: identifier.default('public'),
  /** Column identifying a row (for views: the underlying row's id). */
  idColumn: identifier.default('id'),
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
  audit: z.object({
    of: z.array(identifier).min(1),
    targetColumn: identifier,
    /** A function returning the first broken link of the chain (no rows when intact). */
    verifyFunction: z.object({ schema: identifier, name: identifier }).strict(),
  }).strict().optional(),
  note: z.string().optional(),
  rules: z.object({ anon: operationRules, user: operationRules, admin: operationRules, service: operationRules }).strict(),
}).strict();

export const accessSpecSchema = z.object({
  $schema: z.string().optional(),
  version: z.literal(1),
  description: z.string().optional(),
  /** Schemas the API exposes: every relation in them must be in the spec. */
  exposedSchemas: z.array(identifier).min(1),
  relations: z.record(identifier, relationSchema),
  /** SECURITY DEFINER functions anon/authenticated may execute, each with why it is safe. */
  securityDefinerFunctions: z.record(z.string(), z.string().min(1)).default({}),
  /**
   * Generated mutants that change no behaviour (another layer enforces the
   * same rule), by name, each with the reason. They are listed as equivalent
   * in the mutation result, not run and not counted in the score.
   */
  equivalentMutants: z.record(z.string(), z.string().min(20, 'say why the mutant cannot change behaviour')).default({}),
}).strict().superRefine((spec, ctx) => {
  for (const [name, relation] of Object.entries(spec.relations)) {
    const path = ['relations', name];
    if (relation.kind === 'view' && !relation.of) ctx.addIssue({ code: 'custom', path: [...path, 'of'], message: 'a view needs `of` (the table it shows)' });
    if (relation.kind === 'view' && relation.of && !spec.relations[relation.of]) {
      ctx.addIssue({ code: 'custom', path: [...path, 'of'], message: `unknown relation ${relation.of}` });
    }
    if (relation.kind === 'view' && relation.partitioned) ctx.addIssue({ code: 'custom', path: [...path, 'partitioned'], message: 'a view cannot be partitioned' });
    for (const actor of actorKinds) {
      for (const operation of operations) {
        const rule = relation.rules[actor][operation];
        const where = [...path, 'rules', actor, operation];
        if ((rule === 'own' || rule === 'owner_null') && relation.ownerColumn === null) {
          ctx.addIssue({ code: 'custom', path: where, message: `rule "${rule}" needs an ownerColumn` });
        }
        if (rule === 'own' && (actor === 'anon' || actor === 'service')) {
          ctx.addIssue({ code: 'custom', path: where, message: `${actor} has no user id, so "own" means nothing; use none, owner_null or all` });
        }
        if (typeof rule === 'object') {
          const allowed: Record<CustomPredicate, readonly Operation[]> = {
            own_initial_status: ['insert'],
            own_cancel_pending: ['update'],
            workflow_transition: ['update'],
          };
          if (!allowed[rule.custom].includes(operation)) {
            ctx.addIssue({ code: 'custom', path: where, message: `predicate ${rule.custom} applies to ${allowed[rule.custom].join('/')}, not ${operation}` });
          }
          if (!relation.stateMachine) ctx.addIssue({ code: 'custom', path: where, message: `predicate ${rule.custom} needs a stateMachine on the relation` });
          if (rule.custom !== 'workflow_transition' && relation.ownerColumn === null) {
            ctx.addIssue({ code: 'custom', path: where, message: `predicate ${rule.custom} needs an ownerColumn` });
          }
        }
      }
    }
    if (relation.stateMachine) {
      const states = new Set([relation.stateMachine.initial, ...relation.stateMachine.terminal, ...Object.keys(relation.stateMachine.transitions)]);
      for (const [from, targets] of Object.entries(relation.stateMachine.transitions)) {
        if (relation.stateMachine.terminal.includes(from)) ctx.addIssue({ code: 'custom', path: [...path, 'stateMachine', 'transitions', from], message: 'a terminal state has no transitions' });
        for (const target of targets) if (!states.has(target)) ctx.addIssue({ code: 'custom', path: [...path, 'stateMachine', 'transitions', from], message: `unknown state ${target}` });
      }
    }
  }
});

export type AccessSpec = z.output<typeof accessSpecSchema>;
export type RelationSpec = AccessSpec['relations'][string];

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

export function qualifiedName(spec: AccessSpec, name: string): string {
  const relation = spec.relations[name];
  return `${relation?.schema ?? 'public'}.${name}`;
}

/** The Postgres role an actor runs as. */
export function roleOf(actor: ActorKind): 'anon' | 'authenticated' | 'service_role' {
  return actor === 'anon' ? 'anon' : actor === 'service' ? 'service_role' : 'authenticated';
}

/**
 * Least privilege: when no actor that runs as `role` may ever do `operation`
 * on the relation, that role must not hold the privilege at all, so the
 * refusal has to be a permission error (42501), not merely zero rows.
 */
export function privilegeMustBeAbsent(relation: RelationSpec, actor: ActorKind, operation: Operation): boolean {
  const role = roleOf(actor);
  return actorKinds.filter((other) => roleOf(other) === role).every((other) => relation.rules[other][operation] === 'none');
}

export function describeRule(rule: Rule): string {
  return typeof rule === 'string' ? rule : `custom:${rule.custom}`;
}
