/**
 * Turn one loaded world into checks (cases): for every actor and relation the
 * SELECT, INSERT, UPDATE and DELETE attempts the spec has an opinion on, each
 * with its expected outcome (built-in rules: decided here; `where` rules: by
 * the oracle in the probe); then judge the probe outcomes.
 */
import { sql, type SQLQuery } from '@databases/pg';
import type { JwtClaims } from '../postgres/index.ts';
import { isSpecActor, type WorldActor } from './actors.ts';
import { renderSql } from './literal.ts';
import { blindUpdateOracle, deleteOracle, insertOracle, rowCondition, selectOracle, updateOracle, type OracleTarget } from './oracle.ts';
import { classOf, simpleAllows, simpleAllowsChange, type RowClass } from './predicates.ts';
import { snapshotQuery, type ProbeOutcome, type ProbeRequest } from './probe.ts';
import {
  buildRowRetrying,
  insertSql,
  keyCondition,
  keyExpression,
  keyText,
  keyTextOf,
  mayCollide,
  newContext,
  setSql,
  type PlannedRow,
  type RowModel,
  type SqlValue,
  type TableRecipe,
} from './rows/index.ts';
import { describeRule, isWhereRule, privilegeMustBeAbsent, type AccessSpec, type Operation, type RelationSpec, type Rule } from './spec.ts';
import type { LoadedWorld } from './world.ts';

export const propertyNames = ['coverage', 'visibility', 'write_isolation', 'side_doors', 'audit_trail', 'no_transaction_leak'] as const;
export type PropertyName = (typeof propertyNames)[number];

/** A relation of the spec with what the run knows about it. */
export interface RelationInfo {
  readonly name: string;
  readonly spec: RelationSpec;
  readonly schema: string;
  readonly keyColumns: readonly string[];
  /** Tables: their recipe; views: the recipe of the table they show (for writes). */
  readonly recipe: TableRecipe | null;
  readonly stateColumn: string | null;
  readonly partitionColumn: string | null;
}

export interface TruthRow {
  readonly id: string;
  readonly owner: string | null;
  readonly state: string | null;
  /** Partition holding the row (partitioned tables, schema-qualified). */
  readonly part: string | null;
  /** Partition key value as text (partitioned tables). */
  readonly key: string | null;
}

export type Truth = Readonly<Record<string, readonly TruthRow[]>>;

/** One query returning every relation's rows as the superuser sees them. */
export function truthQuery(relations: readonly RelationInfo[]): SQLQuery {
  const parts = relations.map((relation) => {
    const owner = relation.spec.ownerColumn ? sql`t.${sql.ident(relation.spec.ownerColumn)}::text` : sql`null::text`;
    const state = relation.stateColumn ? sql`t.${sql.ident(relation.stateColumn)}::text` : sql`null::text`;
    const part = relation.spec.partitioned
      ? sql`(select pn.nspname || '.' || pc.relname from pg_catalog.pg_class pc join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace where pc.oid = t.tableoid)`
      : sql`null::text`;
    const key = relation.partitionColumn ? sql`t.${sql.ident(relation.partitionColumn)}::text` : sql`null::text`;
    return sql`${relation.name}::text, (select coalesce(jsonb_agg(jsonb_build_array(${keyExpression('t', relation.keyColumns)}, ${owner}, ${state}, ${part}, ${key})), '[]'::jsonb) from ${sql.ident(relation.schema, relation.name)} as t)`;
  });
  return sql`select jsonb_build_object(${sql.join(parts, ', ')}) as truth`;
}

export function parseTruth(raw: Record<string, unknown>, relations: readonly RelationInfo[]): Truth {
  const truth: Record<string, TruthRow[]> = {};
  for (const relation of relations) {
    const rows = (raw[relation.name] ?? []) as [string, string | null, string | null, string | null, string | null][];
    truth[relation.name] = rows.map(([id, owner, state, part, key]) => ({ id, owner, state, part, key }));
  }
  return truth;
}

export interface Case {
  readonly property: PropertyName;
  readonly relation: string;
  /** The relation the statement names (a schema-qualified partition for direct partition checks). */
  readonly target: string;
  readonly actor: WorldActor;
  readonly operation: Operation;
  readonly mode: 'exact' | 'at_most';
  readonly rowClass: RowClass | 'mixed';
  readonly newClass?: RowClass;
  readonly variant: string;
  readonly targetId?: string | null;
  /** An UPDATE that changes key columns (an owner in the key): the target's key afterwards. */
  readonly movedKey?: string;
  readonly state?: string | null;
  readonly rule: Rule;
  /** Built-in rules: decided here. Where rules: the oracle decides in the probe. */
  readonly expectedAllowed?: boolean;
  readonly expectedIds?: readonly string[];
  readonly expectedOwner?: string | null;
  readonly privilegeAbsent: boolean;
  readonly refusalSqlstates: readonly string[];
  readonly expectedRule: string;
  readonly hasOwner: boolean;
  readonly isView: boolean;
  readonly request: ProbeRequest;
}

export interface Violation {
  readonly property: PropertyName;
  readonly relation: string;
  readonly target: string;
  readonly actor: string;
  /** The spec actor (or owner / owner_probe). */
  readonly actorKind: string;
  readonly claims: JwtClaims | null;
  readonly operation: Operation;
  readonly rowClass: string;
  readonly variant: string;
  readonly sql: string;
  readonly setup?: string;
  readonly expected: string;
  readonly observed: string;
  readonly expectedIds?: readonly string[];
  readonly observedIds?: readonly string[];
  readonly problem: string;
  /** The harness could not run the check (not a finding about the policies). */
  readonly harness?: boolean;
}

function ruleFor(relation: RelationSpec, actor: WorldActor, operation: Operation): Rule {
  if (!isSpecActor(actor)) return 'none';
  return relation.rules[actor.actor]?.[operation] ?? 'none';
}

function claimsText(actor: WorldActor): string | null {
  return actor.claims ? JSON.stringify(actor.claims) : null;
}

function classesFor(relation: RelationInfo, actor: WorldActor): RowClass[] {
  if (relation.spec.ownerColumn === null) return ['any'];
  const classes: RowClass[] = actor.id ? ['own', 'other'] : ['other'];
  if (relation.recipe && [...relation.recipe.bodies.keys()].some((key) => key.startsWith('null|'))) classes.push('anonymous');
  return classes;
}

function ownerForClass(rowClass: RowClass, actor: WorldActor, world: LoadedWorld): string | null {
  if (rowClass === 'own') return actor.id;
  if (rowClass === 'other') return world.people.find((person) => person.id !== actor.id)?.id ?? null;
  return null;
}

/** Rows to try writes on: up to three per owner class, distinct states first. */
function pickTargets(rows: readonly TruthRow[], relation: RelationInfo, actor: WorldActor, limitPerClass = 3): TruthRow[] {
  const picked: TruthRow[] = [];
  const seen = new Set<string>();
  const perClass = new Map<string, number>();
  const take = (row: TruthRow, rowClass: string): void => {
    picked.push(row);
    perClass.set(rowClass, (perClass.get(rowClass) ?? 0) + 1);
  };
  const classOfRow = (row: TruthRow): string => classOf(row.owner, actor.id, relation.spec.ownerColumn !== null);
  for (const row of rows) {
    const rowClass = classOfRow(row);
    const key = `${rowClass}|${row.state ?? ''}`;
    if (seen.has(key) || (perClass.get(rowClass) ?? 0) >= limitPerClass) continue;
    seen.add(key);
    take(row, rowClass);
  }
  for (const row of rows) {
    const rowClass = classOfRow(row);
    if (picked.includes(row) || (perClass.get(rowClass) ?? 0) >= limitPerClass) continue;
    take(row, rowClass);
  }
  return picked;
}

export interface BuildContext {
  readonly spec: AccessSpec;
  readonly model: RowModel;
  readonly relations: ReadonlyMap<string, RelationInfo>;
  readonly world: LoadedWorld;
  readonly truth: Truth;
  readonly actors: readonly WorldActor[];
  /** Roles with BYPASSRLS (owner moves by them are not about RLS). */
  readonly bypassRoles: ReadonlySet<string>;
  /** Values of the spec's SQL hints in this world (computed by the superuser). */
  readonly hintValues: ReadonlyMap<string, readonly string[]>;
}

const isApiActor = (actor: WorldActor): boolean => isSpecActor(actor);

const splitName = (qualified: string): { schema: string; name: string } => {
  const index = qualified.indexOf('.');
  return { schema: qualified.slice(0, index), name: qualified.slice(index + 1) };
};

function targetOf(relation: RelationInfo, target: string): OracleTarget & { readonly ident: SQLQuery } {
  const { schema, name } = target === relation.name ? { schema: relation.schema, name: relation.name } : splitName(target);
  return { schema, name, keyColumns: relation.keyColumns, ident: sql.ident(schema, name) };
}

function selectCase(context: BuildContext, property: PropertyName, relation: RelationInfo, target: string, actor: WorldActor, mode: Case['mode'], rows: readonly TruthRow[]): Case {
  const rule = ruleFor(relation.spec, actor, 'select');
  const where = targetOf(relation, target);
  const hasOwner = relation.spec.ownerColumn !== null;
  const expectedIds = isWhereRule(rule) ? undefined : rows.filter((row) => simpleAllows(rule, classOf(row.owner, actor.id, hasOwner))).map((row) => row.id);
  const statement = renderSql(sql`select ${keyExpression('t', relation.keyColumns)} from ${where.ident} as t`);
  return {
    property,
    relation: relation.name,
    target,
    actor,
    operation: 'select',
    mode,
    rowClass: 'mixed',
    variant: 'all_rows',
    rule,
    ...(expectedIds ? { expectedIds } : {}),
    privilegeAbsent: mode === 'exact' && isApiActor(actor) && privilegeMustBeAbsent(context.spec, relation.spec, actor.actor, 'select'),
    refusalSqlstates: ['42501', ...relation.spec.refusalSqlstates],
    expectedRule: describeRule(rule),
    hasOwner,
    isView: relation.spec.kind === 'view',
    request: {
      kind: 'select',
      role: actor.role,
      claims: claimsText(actor),
      statement,
      ...(isWhereRule(rule) ? { oracle: selectOracle(where, rule.where) } : {}),
    },
  };
}

interface UpdatePlan {
  readonly variant: string;
  readonly set: Readonly<Record<string, SqlValue>>;
  readonly setup?: string;
  /** The owner the row has after the change (undefined: unchanged). */
  readonly movesTo?: string | null;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A fresh row-building context for the rows a case probes with (the world's people and rows, the learned recipes). */
function probeContextFor(context: BuildContext) {
  return newContext({
    recipes: context.model.recipes,
    pools: context.model.pools,
    usersTable: context.model.usersTable,
    people: context.world.people.map((person) => person.id),
    mode: 'probe',
    existing: context.world.rows,
    hintValues: context.hintValues,
  });
}

function typed(value: string, typeName: string): string {
  return `'${value.replace(/'/g, "''")}'::${typeName}`;
}

function updatePlans(context: BuildContext, relation: RelationInfo, recipe: TableRecipe, actor: WorldActor, row: TruthRow, planned: PlannedRow | undefined, mode: Case['mode']): UpdatePlan[] {
  const plans: UpdatePlan[] = [];
  if (recipe.touch) {
    const { column, values } = recipe.touch;
    const current = planned?.values[column];
    const known = current === undefined ? undefined : current === null ? null : 'literal' in current ? current.literal : undefined;
    if (known !== undefined) {
      const value = values.find((candidate) => candidate !== known) ?? values[0]!;
      plans.push({ variant: 'touch', set: { [column]: { literal: value } } });
    } else {
      const typeName = recipe.model.columns.find((candidate) => candidate.name === column)!.typeName;
      const [first, second] = [values[0]!, values[1] ?? values[0]!];
      plans.push({
        variant: 'touch',
        set: { [column]: { sql: `case when ${quoteIdent(column)} is distinct from ${typed(first, typeName)} then ${typed(first, typeName)} else ${typed(second, typeName)} end` } },
      });
    }
  }
  if (recipe.stateColumn && row.state !== null) {
    for (const [state, extras] of recipe.transitions) {
      if (state === row.state) continue;
      plans.push({ variant: `to_${state}`, set: { [recipe.stateColumn]: { literal: state }, ...extras } });
    }
  }
  // Re-parenting: the first foreign key not tied to the owner pointed at
  // other parents (one of the actor's and one of someone else's when parents
  // have owners), so a policy that checks only the old parent is found.
  const reparent = reparentKey(context, relation, recipe);
  const keyParts = relation.keyColumns.length === 1 ? [row.id] : (JSON.parse(row.id) as string[]);
  const current =
    reparent?.columns.map((column): SqlValue | undefined => {
      const index = relation.keyColumns.indexOf(column);
      return index >= 0 ? { literal: keyParts[index]! } : planned?.values[column];
    }) ?? [];
  const updateRule = isSpecActor(actor) ? relation.spec.rules[actor.actor]?.update : 'none';
  if (reparent && mode === 'exact' && isApiActor(actor) && updateRule !== 'all' && current.every((value) => value !== undefined && value !== null && 'literal' in value)) {
    const parents = context.world.rows.filter(
      (candidate) =>
        candidate.recipe.model.qualified === reparent.parent &&
        !reparent.parentColumns.every((column, index) => {
          const value = candidate.values[column];
          const now = current[index];
          return value && now && 'literal' in value && 'literal' in now && value.literal === now.literal;
        }),
    );
    const choices = parents[0]?.recipe.ownerColumn
      ? [parents.find((candidate) => candidate.owner === actor.id), parents.find((candidate) => candidate.owner !== actor.id)]
      : ownerlessParents(context, parents, actor.id);
    [...new Set(choices.filter((choice): choice is PlannedRow => choice !== undefined))].forEach((parent, index) => {
      const set: Record<string, SqlValue> = {};
      reparent.columns.forEach((column, position) => {
        const value = parent.values[reparent.parentColumns[position]!];
        if (value !== undefined) set[column] = value;
      });
      if (Object.keys(set).length === reparent.columns.length) plans.push({ variant: `reparent_${index + 1}`, set });
    });
    if (!parents[0]?.recipe.ownerColumn) plans.push(...freshParentPlans(context, reparent, actor));
  }
  const ownerColumn = relation.spec.ownerColumn;
  if (ownerColumn && isApiActor(actor) && !context.bypassRoles.has(actor.role) && mode === 'exact') {
    const stranger = context.world.people.find((person) => person.id !== actor.id && person.id !== row.owner);
    if (stranger) {
      plans.push({ variant: 'move_to_other', set: { [ownerColumn]: { literal: stranger.id } }, movesTo: stranger.id });
      // Rows tied to a parent of the same owner: move the parent reference too, so the policy (not the key) is what refuses.
      const tied = recipe.model.foreignKeys.filter((fk) => recipe.sameOwner.has(fk.name));
      if (tied.length > 0) {
        const probeContext = probeContextFor(context);
        const set: Record<string, SqlValue> = { [ownerColumn]: { literal: stranger.id } };
        const generated = new Set(recipe.model.columns.filter((column) => column.generated).map((column) => column.name));
        let complete = true;
        for (const fk of tied) {
          const parentRecipe = context.model.recipes.get(fk.parent);
          if (!parentRecipe) {
            complete = false;
            break;
          }
          const parent =
            context.world.rows.find((candidate) => candidate.recipe === parentRecipe && candidate.owner === stranger.id) ??
            buildRowRetrying(probeContext, parentRecipe, { owner: stranger.id, state: parentRecipe.initialStates[0] ?? parentRecipe.states[0] ?? null, pick: 0 });
          if (!parent) {
            complete = false;
            break;
          }
          if (!context.world.rows.includes(parent) && !probeContext.created.includes(parent)) probeContext.created.push(parent);
          fk.columns.forEach((column, index) => {
            if (!generated.has(column) && column !== ownerColumn) set[column] = parent.values[fk.parentColumns[index]!] ?? null;
          });
        }
        if (complete) {
          const setup = probeContext.created.map((created) => `${renderSql(insertSql(created, { skipConflicts: true }))};`).join('\n');
          plans.push({ variant: 'move_to_other_with_parent', set, movesTo: stranger.id, ...(setup ? { setup } : {}) });
        }
      }
    }
    if (actor.id && row.owner !== actor.id) plans.push({ variant: 'move_to_caller', set: { [ownerColumn]: { literal: actor.id } }, movesTo: actor.id });
    const nullable = !recipe.model.columns.find((column) => column.name === ownerColumn)?.notNull;
    if (row.owner !== null && nullable) plans.push({ variant: 'move_to_null', set: { [ownerColumn]: null }, movesTo: null });
  }
  return plans;
}

const literalOf = (value: SqlValue | undefined): string | undefined => (value && 'literal' in value ? value.literal : undefined);

/**
 * Parents without an owner column (a team) that a row may be moved to. Who
 * may use such a parent is decided by other rows (a membership with a role)
 * or by a reference to the users table (its creator), so both sides are
 * taken every time: parents linked to the actor (they made it, or one of
 * their rows points at it) and parents that are not. Without the linked
 * ones, "move my row into a team I own" — the case that finds an UPDATE
 * policy checking only the new parent, or only the old — depended on which
 * two parents came first in the world, and a mutant survived some seeds.
 */
function ownerlessParents(context: BuildContext, parents: readonly PlannedRow[], actorId: string | null): (PlannedRow | undefined)[] {
  if (!actorId) return [parents[0], parents[parents.length - 1]];
  const usersTable = context.model.usersTable;
  const linked = (parent: PlannedRow): boolean => {
    const made = parent.recipe.model.foreignKeys.some((fk) => fk.parent === usersTable && fk.columns.some((column) => literalOf(parent.values[column]) === actorId));
    if (made) return true;
    return context.world.rows.some(
      (row) =>
        row.owner === actorId &&
        row.recipe.model.foreignKeys.some(
          (fk) =>
            fk.parent === parent.recipe.model.qualified &&
            fk.columns.length > 0 &&
            fk.columns.every((column, index) => {
              const value = literalOf(row.values[column]);
              return value !== undefined && value === literalOf(parent.values[fk.parentColumns[index]!]);
            }),
        ),
    );
  };
  const mine = parents.filter(linked);
  const others = parents.filter((parent) => !mine.includes(parent));
  return [...mine.slice(0, 2), ...others.slice(0, 1), ...others.slice(-1)];
}

/**
 * Parents made for the probe (as the superuser, rolled back with it), so
 * whatever the world drew, a row can be moved into a parent of each kind the
 * actor may stand in: one they created, and one someone else created that
 * they belong to through a row of a membership table (a spec table with an
 * owner column and a foreign key to the parent) — one per value of its first
 * flag or label (member, owner). "Move a row into a team I own" and "move a
 * row out of a team I own into one where I am only a member" are then tried
 * in every world: an UPDATE policy that checks only the old parent, or only
 * the new one, is found whatever the seed.
 */
function freshParentPlans(context: BuildContext, reparent: NonNullable<ReturnType<typeof reparentKey>>, actor: WorldActor): UpdatePlan[] {
  const parentRecipe = context.model.recipes.get(reparent.parent);
  if (!actor.id || !parentRecipe || parentRecipe.error !== null || parentRecipe.ownerColumn) return [];
  const stranger = context.world.people.find((person) => person.id !== actor.id)?.id ?? actor.id;
  const membership = context.model.order
    .map((qualified) => context.model.recipes.get(qualified)!)
    .find(
      (candidate) =>
        candidate.error === null &&
        candidate.ownerColumn !== null &&
        context.spec.relations[candidate.relation]?.kind === 'table' &&
        candidate.model.foreignKeys.some((fk) => fk.parent === reparent.parent && !fk.columns.includes(candidate.ownerColumn!)),
    );
  const membershipFk = membership?.model.foreignKeys.find((fk) => fk.parent === reparent.parent && !fk.columns.includes(membership.ownerColumn!));
  const labels = membership ? ([...membership.variedColumns][0] ?? null) : null;
  const kinds: { variant: string; creator: string; label?: string }[] = [{ variant: 'reparent_new_mine', creator: actor.id }];
  if (membership && membershipFk) {
    if (labels) for (const value of labels[1].slice(0, 3)) kinds.push({ variant: `reparent_new_member_${value}`, creator: stranger, label: value });
    else kinds.push({ variant: 'reparent_new_member', creator: stranger });
  }
  const plans: UpdatePlan[] = [];
  for (const kind of kinds) {
    const probeContext = probeContextFor(context);
    const parent = buildRowRetrying(probeContext, parentRecipe, { owner: null, state: parentRecipe.initialStates[0] ?? parentRecipe.states[0] ?? null, pick: 0, userRef: kind.creator });
    if (!parent) continue;
    const rows: PlannedRow[] = [...probeContext.created, parent];
    if (kind.creator !== actor.id && membership && membershipFk) {
      probeContext.existing.push(parent);
      const before = probeContext.created.length;
      const forced: Record<string, SqlValue> = {};
      membershipFk.columns.forEach((column, index) => {
        forced[column] = parent.values[membershipFk.parentColumns[index]!] ?? null;
      });
      if (labels && kind.label !== undefined) forced[labels[0]] = { literal: kind.label };
      const member = buildRowRetrying(probeContext, membership, { owner: actor.id, state: membership.initialStates[0] ?? membership.states[0] ?? null, pick: 0, userRef: actor.id, forced });
      if (!member) continue;
      rows.push(...probeContext.created.slice(before), member);
    }
    const set: Record<string, SqlValue> = {};
    reparent.columns.forEach((column, position) => {
      const value = parent.values[reparent.parentColumns[position]!];
      if (value !== undefined) set[column] = value;
    });
    if (Object.keys(set).length !== reparent.columns.length) continue;
    plans.push({ variant: kind.variant, set, setup: rows.map((row) => `${renderSql(insertSql(row, { skipConflicts: true }))};`).join('\n') });
  }
  return plans;
}

/** The foreign key re-parenting changes: the first one to another table that is not tied to the row's owner. */
function reparentKey(context: BuildContext, relation: RelationInfo, recipe: TableRecipe) {
  return recipe.model.foreignKeys.find((fk) => {
    if (recipe.sameOwner.has(fk.name) || fk.parent === context.model.usersTable || fk.parent === recipe.model.qualified) return false;
    if (relation.spec.ownerColumn && fk.columns.includes(relation.spec.ownerColumn)) return false;
    return !fk.columns.some((column) => recipe.model.columns.find((candidate) => candidate.name === column)?.generated);
  });
}

function writeCases(
  context: BuildContext,
  property: PropertyName,
  relation: RelationInfo,
  target: string,
  actor: WorldActor,
  mode: Case['mode'],
  rows: readonly TruthRow[],
  operations: readonly Operation[],
): Case[] {
  const spec = relation.spec;
  const recipe = relation.recipe;
  const cases: Case[] = [];
  const isView = spec.kind === 'view';
  const snapshotRelation = isView ? context.relations.get(spec.of!)! : relation;
  const snapshotTarget = isView ? targetOf(snapshotRelation, snapshotRelation.name) : targetOf(relation, target);
  const snapshot = renderSql(snapshotQuery(snapshotTarget.ident, keyExpression('t', snapshotRelation.keyColumns), snapshotRelation.spec.ownerColumn));
  const hasOwner = spec.ownerColumn !== null;
  const destination = targetOf(relation, target);
  const base = (operation: Operation) => {
    const rule = ruleFor(spec, actor, operation);
    return {
      property,
      relation: relation.name,
      target,
      actor,
      operation,
      mode,
      rule,
      privilegeAbsent: mode === 'exact' && isApiActor(actor) && privilegeMustBeAbsent(context.spec, spec, actor.actor, operation),
      refusalSqlstates: ['42501', ...spec.refusalSqlstates],
      expectedRule: describeRule(rule),
      hasOwner,
      isView,
    };
  };
  if (operations.includes('insert')) {
    const common = base('insert');
    const rule = common.rule;
    if (isView) {
      const statement = renderSql(sql`insert into ${destination.ident} default values`);
      cases.push({
        ...common,
        rowClass: hasOwner ? 'other' : 'any',
        variant: 'default_values',
        targetId: null,
        ...(isWhereRule(rule) ? {} : { expectedAllowed: simpleAllows(rule, hasOwner ? 'other' : 'any') }),
        request: { kind: 'write', role: actor.role, claims: claimsText(actor), statement, snapshot },
      });
    } else if (recipe && recipe.error === null) {
      const partitionValue = target !== relation.name ? recipe.partitions.find((partition) => partition.leaf === target)?.value : undefined;
      // A new row may collide with one that exists: the superuser's attempt tells a collision from a refusal.
      const collides = mayCollide(recipe);
      for (const rowClass of classesFor(relation, actor)) {
        const owner = ownerForClass(rowClass, actor, context.world);
        if (rowClass === 'other' && owner === null && hasOwner) continue;
        for (const variant of insertVariants(recipe, owner, actor, context)) {
          const probeContext = probeContextFor(context);
          const row = buildRowRetrying(probeContext, recipe, {
            owner,
            state: variant.state,
            pick: variant.pick,
            fillOptional: true,
            ...(variant.userRef ? { userRef: variant.userRef } : {}),
            ...(partitionValue !== undefined ? { partitionValue } : {}),
            ...(variant.parentFilter ? { parentFilter: variant.parentFilter } : {}),
          });
          if (!row) continue;
          const setup = probeContext.created.map((created) => `${renderSql(insertSql(created, { skipConflicts: true }))};`).join('\n');
          cases.push({
            ...common,
            rowClass,
            variant: variant.name,
            targetId: keyTextOf(row),
            ...(isWhereRule(rule) ? {} : { expectedAllowed: simpleAllows(rule, rowClass) }),
            expectedOwner: hasOwner ? owner : null,
            request: {
              kind: 'write',
              role: actor.role,
              claims: claimsText(actor),
              ...(setup ? { setup } : {}),
              statement: renderSql(insertSql(row, { target: destination })),
              snapshot,
              ...(isWhereRule(rule) || collides ? { oracle: insertOracle(destination, insertSql(row, { target: destination, alias: 'row' }), isWhereRule(rule) ? rule.where : null) } : {}),
            },
          });
        }
      }
    }
  }
  const planned = new Map<string, PlannedRow>();
  for (const row of context.world.rows) {
    if (row.recipe.relation !== (isView ? spec.of : relation.name)) continue;
    const key = keyTextOf(row);
    if (key !== null) planned.set(key, row);
  }
  if (operations.includes('delete') && base('delete').rule !== 'all') {
    // A DELETE without WHERE reads no column, so only the DELETE policies
    // decide (no SELECT policy hides rows first): it finds a DELETE policy
    // wider than the SELECT ones.
    const common = base('delete');
    const rule = common.rule;
    cases.push({
      ...common,
      rowClass: 'mixed',
      variant: 'all_rows',
      targetId: null,
      ...(isWhereRule(rule) ? {} : { expectedIds: rows.filter((row) => simpleAllows(rule, classOf(row.owner, actor.id, hasOwner))).map((row) => row.id) }),
      request: {
        kind: 'write',
        role: actor.role,
        claims: claimsText(actor),
        statement: renderSql(sql`delete from ${destination.ident}`),
        snapshot,
        ...(isWhereRule(rule) ? { oracle: selectOracle(destination, rule.where) } : {}),
      },
    });
  }
  if (operations.includes('update') && mode === 'exact' && recipe && !isView && rows.length > 0 && base('update').rule !== 'all') {
    // UPDATEs without WHERE read no column: only the UPDATE policies decide
    // which rows they reach. A harmless change, and pointing every row at a
    // parent of the actor's, find a USING wider than the SELECT policies.
    const common = base('update');
    const rule = common.rule;
    const blind: { variant: string; set: Record<string, string> }[] = [];
    if (recipe.touch) blind.push({ variant: 'all_rows_touch', set: { [recipe.touch.column]: recipe.touch.values[0]! } });
    const reparent = reparentKey(context, relation, recipe);
    if (reparent) {
      const parents = context.world.rows.filter((candidate) => candidate.recipe.model.qualified === reparent.parent);
      const parent = parents.find((candidate) => candidate.owner === actor.id) ?? parents[0];
      const set: Record<string, string> = {};
      reparent.columns.forEach((column, index) => {
        const value = parent?.values[reparent.parentColumns[index]!];
        if (value && 'literal' in value) set[column] = value.literal;
      });
      if (Object.keys(set).length === reparent.columns.length) blind.push({ variant: 'all_rows_reparent', set });
    }
    for (const { variant, set } of blind) {
      const values = Object.fromEntries(Object.entries(set).map(([column, value]) => [column, { literal: value } as SqlValue]));
      cases.push({
        ...common,
        rowClass: 'mixed',
        variant,
        targetId: null,
        ...(isWhereRule(rule) ? {} : { expectedIds: rows.filter((row) => simpleAllows(rule, classOf(row.owner, actor.id, hasOwner))).map((row) => row.id) }),
        request: {
          kind: 'write',
          role: actor.role,
          claims: claimsText(actor),
          statement: renderSql(sql`update ${destination.ident} set ${setSql(values)}`),
          snapshot,
          ...(isWhereRule(rule) ? { oracle: blindUpdateOracle(destination, set, rule.where) } : {}),
        },
      });
    }
  }
  const targets: { row: TruthRow; setup?: string; planned?: PlannedRow }[] = pickTargets(rows, relation, actor).map((row) => ({ row }));
  const own = targets.some((target) => target.row.owner === actor.id);
  if (hasOwner && actor.id && !own && mode === 'exact' && recipe && !isView && (operations.includes('update') || operations.includes('delete'))) {
    // The world gave this actor no row here: one is made for the probe (as
    // the superuser, rolled back with it), so the rule's allowing side of
    // UPDATE and DELETE is tried for every actor in every world.
    const probeContext = probeContextFor(context);
    const state = recipe.initialStates[0] ?? recipe.states[0] ?? null;
    const made = buildRowRetrying(probeContext, recipe, { owner: actor.id, state, pick: 0, fillOptional: true, userRef: actor.id });
    const key = made ? keyTextOf(made) : null;
    if (made && key) {
      const partition = recipe.partitionColumn ? made.values[recipe.partitionColumn] : undefined;
      targets.push({
        row: { id: key, owner: actor.id, state, part: null, key: partition && 'literal' in partition ? partition.literal : null },
        setup: [...probeContext.created, made].map((row) => `${renderSql(insertSql(row, { skipConflicts: true }))};`).join('\n'),
        planned: made,
      });
    }
  }
  for (const { row, setup: targetSetup, planned: made } of targets) {
    const rowClass = classOf(row.owner, actor.id, hasOwner);
    // Naming the partition key lets the planner prune partitions (planning a
    // statement over every partition costs milliseconds per probe).
    const partition = relation.partitionColumn && row.key !== null ? { column: relation.partitionColumn, value: row.key } : undefined;
    const where = partition ? sql`${keyCondition(relation.keyColumns, row.id)} and ${sql.ident(partition.column)} = ${partition.value}` : keyCondition(relation.keyColumns, row.id);
    const condition = rowCondition(relation.keyColumns, row.id, partition);
    if (operations.includes('update')) {
      const common = base('update');
      const rule = common.rule;
      const plans: UpdatePlan[] = !isView && recipe ? updatePlans(context, relation, recipe, actor, row, made ?? planned.get(row.id), mode) : [];
      if (plans.every((plan) => plan.variant.startsWith('move_'))) {
        // Nothing harmless to change: assign a column to itself (RLS and grants still decide).
        const column = spec.ownerColumn ?? relation.keyColumns[0]!;
        plans.push({ variant: 'noop', set: { [column]: { sql: quoteIdent(column) } } });
      }
      for (const plan of plans) {
        const newClass = plan.movesTo === undefined ? rowClass : classOf(plan.movesTo, actor.id, hasOwner);
        const movedKey = keyAfter(relation.keyColumns, row.id, plan.set);
        cases.push({
          ...common,
          rowClass,
          newClass,
          variant: plan.variant,
          targetId: row.id,
          ...(movedKey !== undefined ? { movedKey } : {}),
          state: row.state,
          ...(isWhereRule(rule) ? {} : { expectedAllowed: simpleAllowsChange(rule, rowClass, newClass) }),
          expectedOwner: plan.movesTo === undefined ? row.owner : plan.movesTo,
          request: {
            kind: 'write',
            role: actor.role,
            claims: claimsText(actor),
            statement: renderSql(sql`update ${destination.ident} set ${setSql(plan.set)} where ${where}`),
            snapshot,
            ...(plan.setup || targetSetup ? { setup: [targetSetup, plan.setup].filter(Boolean).join('\n') } : {}),
            ...(isWhereRule(rule)
              ? { oracle: updateOracle(destination, condition, setSql(plan.set), rule.where) }
              : !plan.variant.startsWith('move_')
                ? { oracle: updateOracle(destination, condition, setSql(plan.set), null) }
                : {}),
          },
        });
      }
    }
    if (operations.includes('delete')) {
      const common = base('delete');
      const rule = common.rule;
      cases.push({
        ...common,
        rowClass,
        variant: 'by_id',
        targetId: row.id,
        state: row.state,
        ...(isWhereRule(rule) ? {} : { expectedAllowed: simpleAllows(rule, rowClass) }),
        request: {
          kind: 'write',
          role: actor.role,
          claims: claimsText(actor),
          statement: renderSql(sql`delete from ${destination.ident} where ${where}`),
          snapshot,
          ...(targetSetup ? { setup: targetSetup } : {}),
          ...(isWhereRule(rule) ? { oracle: deleteOracle(destination, condition, rule.where) } : {}),
        },
      });
    }
  }
  return cases;
}

/** The key after an UPDATE that sets key columns to literals (undefined: the key does not change). */
function keyAfter(keyColumns: readonly string[], key: string, set: Readonly<Record<string, SqlValue>>): string | undefined {
  if (!keyColumns.some((column) => column in set)) return undefined;
  const parts = keyColumns.length === 1 ? [key] : (JSON.parse(key) as string[]);
  const after: string[] = [];
  for (const [index, column] of keyColumns.entries()) {
    if (!(column in set)) {
      after.push(parts[index]!);
      continue;
    }
    const value = set[column];
    if (value === undefined || value === null || !('literal' in value)) return undefined;
    after.push(value.literal);
  }
  const text = keyText(after);
  return text === key ? undefined : text;
}

interface InsertVariant {
  readonly name: string;
  readonly state: string | null;
  readonly pick: number;
  readonly userRef?: string;
  readonly parentFilter?: (fk: string, parent: PlannedRow) => boolean;
}

/**
 * The rows an actor tries to insert, each one change from the first: in an
 * initial state and in another state (state tables); naming the actor or
 * someone else where the row refers to a user besides its owner (created
 * by, invited by); pointing at another parent (the first foreign key not
 * tied to the row's owner: a parent of the actor's and someone else's when
 * the parent has an owner).
 */
function insertVariants(recipe: TableRecipe, owner: string | null, actor: WorldActor, context: BuildContext): InsertVariant[] {
  const ownerKind = recipe.ownerColumn === null ? 'none' : owner === null ? 'null' : 'person';
  const insertable = recipe.states.filter((state) => recipe.bodies.has(`${ownerKind}|${state}`));
  const states: { name: string; state: string | null }[] = [];
  if (recipe.stateColumn && insertable.length > 0) {
    const initial = insertable.find((state) => recipe.initialStates.includes(state));
    const other = insertable.find((state) => !recipe.initialStates.includes(state));
    if (initial) states.push({ name: 'initial', state: initial });
    if (other) states.push({ name: recipe.initialStates.length > 0 ? 'non_initial' : 'row', state: other });
  }
  if (states.length === 0) states.push({ name: 'row', state: null });
  const self = actor.id ?? undefined;
  const base: InsertVariant = { name: states[0]!.name, state: states[0]!.state, pick: 0, ...(self ? { userRef: self } : {}) };
  const variants: InsertVariant[] = [base];
  if (states[1]) variants.push({ ...base, name: states[1].name, state: states[1].state });
  const generated = new Set(recipe.model.columns.filter((column) => column.generated).map((column) => column.name));
  const refersToUser = recipe.model.foreignKeys.some((fk) => fk.parent === context.model.usersTable && fk.columns.some((column) => column !== recipe.ownerColumn && !generated.has(column)));
  const someoneElse = context.world.people.find((person) => person.id !== actor.id && person.id !== owner)?.id;
  if (refersToUser && self && someoneElse) variants.push({ ...base, name: `${base.name}_for_someone_else`, userRef: someoneElse });
  const fk = recipe.model.foreignKeys.find((candidate) => {
    if (recipe.sameOwner.has(candidate.name) || candidate.parent === context.model.usersTable || candidate.parent === recipe.model.qualified) return false;
    if (recipe.ownerColumn && candidate.columns.includes(recipe.ownerColumn)) return false;
    const parent = context.model.recipes.get(candidate.parent);
    return parent !== undefined && context.world.rows.some((row) => row.recipe === parent);
  });
  if (fk) {
    const parent = context.model.recipes.get(fk.parent)!;
    if (parent.ownerColumn !== null && self) {
      variants.push({ ...base, name: `${base.name}_own_parent`, parentFilter: (name, row) => name !== fk.name || row.owner === self });
      variants.push({ ...base, name: `${base.name}_other_parent`, parentFilter: (name, row) => name !== fk.name || row.owner !== self });
    } else {
      variants.push({ ...base, name: `${base.name}_another_parent`, pick: 1 });
    }
  }
  return variants;
}

export interface CaseOptions {
  readonly relations: readonly string[];
  readonly ownerProbeRole?: string;
  readonly owners?: Readonly<Record<string, string>>;
}

/** Every case of one property for one world. */
export function buildCases(property: PropertyName, context: BuildContext, options: CaseOptions): Case[] {
  const cases: Case[] = [];
  const { truth, actors } = context;
  for (const name of options.relations) {
    const relation = context.relations.get(name)!;
    const rows = truth[name] ?? [];
    switch (property) {
      case 'visibility':
        for (const actor of actors) cases.push(selectCase(context, property, relation, name, actor, 'exact', rows));
        break;
      case 'write_isolation':
        for (const actor of actors) cases.push(...writeCases(context, property, relation, name, actor, 'exact', rows, ['insert', 'update', 'delete']));
        break;
      case 'side_doors': {
        if (relation.spec.kind !== 'table') break;
        const leaves = relation.spec.partitioned ? [...new Set(rows.map((row) => row.part).filter((part): part is string => part !== null))] : [];
        for (const leaf of leaves) {
          const inPartition = rows.filter((row) => row.part === leaf);
          for (const actor of actors) {
            cases.push(selectCase(context, property, relation, leaf, actor, 'at_most', inPartition));
            cases.push(...writeCases(context, property, relation, leaf, actor, 'at_most', inPartition, ['insert', 'update', 'delete']));
          }
        }
        if (options.ownerProbeRole) {
          for (const target of [name, ...leaves]) {
            const probeActor: WorldActor = { label: `owner without BYPASSRLS (${options.ownerProbeRole})`, actor: 'owner_probe', id: null, role: options.ownerProbeRole, claims: null };
            const destination = targetOf(relation, target);
            cases.push({
              property,
              relation: name,
              target,
              actor: probeActor,
              operation: 'select',
              mode: 'exact',
              rowClass: 'mixed',
              variant: 'owner_without_bypassrls',
              rule: 'none',
              expectedIds: [],
              privilegeAbsent: false,
              refusalSqlstates: ['42501'],
              expectedRule: 'none (RLS forced on the owner)',
              hasOwner: relation.spec.ownerColumn !== null,
              isView: false,
              request: {
                kind: 'select',
                role: options.ownerProbeRole,
                claims: null,
                setup: renderSql(sql`alter table ${destination.ident} owner to ${sql.ident(options.ownerProbeRole)}`),
                statement: renderSql(sql`select ${keyExpression('t', relation.keyColumns)} from ${destination.ident} as t`),
              },
            });
          }
        }
        break;
      }
      case 'audit_trail': {
        if (!relation.spec.immutable || relation.spec.kind !== 'table') break;
        const owner = options.owners?.[name] ?? 'postgres';
        const ownerActor: WorldActor = { label: `table owner (${owner})`, actor: 'owner', id: null, role: owner, claims: null };
        for (const actor of [...actors, ownerActor]) cases.push(...writeCases(context, property, relation, name, actor, 'exact', rows, ['update', 'delete']));
        break;
      }
      default:
        break;
    }
  }
  return cases;
}

export interface Judgement {
  readonly violation: Violation | null;
  /** Observed outcome per row class, for the access matrix. */
  readonly observed: ReadonlyMap<string, string>;
  /** What the rule said, per row (select) or for the attempt (writes): for the exercise count. */
  readonly ruleOutcomes: readonly boolean[];
}

export const short = (id: string): string => (id.length > 12 ? id.slice(-8) : id);

export function judge(testCase: Case, outcome: ProbeOutcome, world: LoadedWorld, truth: Truth): Judgement {
  const observed = new Map<string, string>();
  const violation = (problem: string, extra: Partial<Violation> = {}): Violation => ({
    property: testCase.property,
    relation: testCase.relation,
    target: testCase.target,
    actor: testCase.actor.label,
    actorKind: testCase.actor.actor,
    claims: testCase.actor.claims,
    operation: testCase.operation,
    rowClass: testCase.rowClass,
    variant: testCase.variant,
    sql: testCase.request.statement,
    ...(testCase.request.setup ? { setup: testCase.request.setup } : {}),
    expected: testCase.operation === 'select' ? `${testCase.expectedRule}` : expectedAllowed ? 'allowed' : 'refused',
    observed: describeOutcome(outcome),
    problem,
    ...extra,
  });
  const where = isWhereRule(testCase.rule);
  // When even the superuser cannot make the change (a constraint, a trigger), the access rules are not what refuses it.
  const refusedForEveryone = outcome.oracleRefused !== undefined;
  const expectedAllowed = (where ? outcome.allowed === true : testCase.expectedAllowed === true) && !refusedForEveryone;
  if (!outcome.ok && (outcome.phase === 'setup' || outcome.phase === 'oracle' || outcome.phase === 'check')) {
    return { violation: violation(`harness ${outcome.phase} step failed: ${outcome.sqlstate} ${outcome.message}`, { harness: true }), observed, ruleOutcomes: [] };
  }
  const relation = testCase.relation;
  if (testCase.operation === 'select') {
    const expected = new Set(where ? (outcome.allowedIds ?? []).map(String) : (testCase.expectedIds ?? []));
    const rows = (truth[relation] ?? []).filter((row) => testCase.target === relation || row.part === testCase.target);
    const ruleOutcomes = rows.map((row) => expected.has(row.id));
    const hasOwner = testCase.hasOwner;
    if (!outcome.ok) {
      for (const row of rows) observed.set(classOf(row.owner, testCase.actor.id, hasOwner), 'denied');
      if (outcome.sqlstate !== '42501') return { violation: violation(`SELECT failed with ${outcome.sqlstate}: ${outcome.message}`), observed, ruleOutcomes };
      if (testCase.mode === 'exact' && expected.size > 0) {
        return { violation: violation(`permission denied, but the spec allows ${expected.size} row(s)`, { expectedIds: [...expected], observedIds: [] }), observed, ruleOutcomes };
      }
      return { violation: null, observed, ruleOutcomes };
    }
    const seen = new Set((outcome.ids ?? []).map(String));
    const byClass = new Map<string, { seen: number; total: number }>();
    for (const row of rows) {
      const rowClass = classOf(row.owner, testCase.actor.id, hasOwner);
      const entry = byClass.get(rowClass) ?? { seen: 0, total: 0 };
      entry.total += 1;
      if (seen.has(row.id)) entry.seen += 1;
      byClass.set(rowClass, entry);
    }
    for (const [rowClass, entry] of byClass) observed.set(rowClass, entry.seen === 0 ? 'hidden' : entry.seen === entry.total ? 'visible' : 'partly visible');
    const extra = [...seen].filter((id) => !expected.has(id));
    const missing = [...expected].filter((id) => !seen.has(id));
    const ids = { expectedIds: [...expected], observedIds: [...seen] };
    if (extra.length > 0) {
      const owners = extra.map((id) => world.labelOf(rows.find((row) => row.id === id)?.owner ?? null));
      return {
        violation: violation(`leak: ${extra.length} row(s) the spec forbids are visible (${extra.map(short).join(', ')}; owners ${[...new Set(owners)].join(', ')})`, ids),
        observed,
        ruleOutcomes,
      };
    }
    if (testCase.mode === 'exact' && missing.length > 0) {
      return { violation: violation(`too strict: ${missing.length} row(s) the spec allows are not visible (${missing.map(short).join(', ')})`, ids), observed, ruleOutcomes };
    }
    if (testCase.privilegeAbsent) {
      return {
        violation: violation(`the query ran (${seen.size} row(s)) but no ${testCase.actor.role} actor may select here, so the role must not hold SELECT (expected permission denied, 42501)`, ids),
        observed,
        ruleOutcomes,
      };
    }
    return { violation: null, observed, ruleOutcomes };
  }
  if (testCase.variant === 'all_rows' || testCase.variant.startsWith('all_rows_')) return judgeBlind(testCase, outcome, world, truth, violation);
  const ruleOutcomes = refusedForEveryone && !where ? [] : [expectedAllowed];
  const rowClass = testCase.rowClass;
  const op = testCase.operation.toUpperCase();
  if (!outcome.ok) {
    // A view that cannot be written at all (55000) refuses every writer the same way: as clean as a 42501.
    const notUpdatableView = outcome.sqlstate === '55000' && testCase.isView;
    const refusal = testCase.refusalSqlstates.includes(outcome.sqlstate ?? '') || notUpdatableView;
    observed.set(rowClass, outcome.sqlstate === '42501' ? 'denied' : `error ${outcome.sqlstate}`);
    if (!refusal && expectedAllowed && testCase.operation === 'delete' && outcome.sqlstate === '23503') {
      // Allowed, then stopped by a restricting foreign key: the rules let it through; nothing to judge.
      observed.set(rowClass, 'allowed (blocked by FK)');
      return { violation: null, observed, ruleOutcomes };
    }
    if (!refusal && refusedForEveryone && outcome.sqlstate === outcome.oracleRefused!.slice(0, 5)) {
      // Refused for the actor exactly as for the superuser: a constraint or trigger, not the access rules.
      observed.set(rowClass, `refused for everyone (${outcome.sqlstate})`);
      return { violation: null, observed, ruleOutcomes };
    }
    if (!refusal) {
      return {
        violation: violation(
          expectedAllowed && testCase.mode === 'exact'
            ? `allowed ${op} failed with ${outcome.sqlstate}: ${outcome.message}`
            : `not a clean denial: ${op} failed with ${outcome.sqlstate} (${outcome.message}); a refusal must be a permission error (42501)${testCase.refusalSqlstates.length > 1 ? ` or ${testCase.refusalSqlstates.slice(1).join('/')}` : ''} or affect zero rows`,
        ),
        observed,
        ruleOutcomes,
      };
    }
    if (expectedAllowed && testCase.mode === 'exact') return { violation: violation(`refused with ${outcome.sqlstate} (${outcome.message}), but the spec allows it`), observed, ruleOutcomes };
    if (testCase.privilegeAbsent && outcome.sqlstate !== '42501' && !notUpdatableView) {
      return {
        violation: violation(`refused by ${outcome.sqlstate}, but no ${testCase.actor.role} actor may ${op} here, so the role must not hold the privilege (expected 42501)`),
        observed,
        ruleOutcomes,
      };
    }
    return { violation: null, observed, ruleOutcomes };
  }
  const added = outcome.added ?? [];
  const removed = outcome.removed ?? [];
  const changed = outcome.changed ?? [];
  const targetId = testCase.targetId ?? null;
  const movedKey = testCase.movedKey;
  const moved = movedKey !== undefined && removed.includes(targetId ?? '') && added.some(([id]) => id === movedKey);
  const applied =
    testCase.operation === 'insert'
      ? targetId === null
        ? added.length === 1
        : added.some(([id]) => id === targetId)
      : testCase.operation === 'update'
        ? changed.some(([id]) => id === targetId) || moved || (testCase.variant === 'noop' && (outcome.rows ?? 0) > 0)
        : removed.includes(targetId ?? '');
  const isTarget = (id: string): boolean => (targetId === null ? added.length === 1 : id === targetId);
  const others = [
    ...added.filter(([id]) => !(testCase.operation === 'insert' && isTarget(id)) && !(moved && id === movedKey)).map(([id]) => `added ${short(id)}`),
    ...removed.filter((id) => !((testCase.operation === 'delete' || moved) && id === targetId)).map((id) => `removed ${short(id)}`),
    ...changed.filter(([id]) => !(testCase.operation === 'update' && id === targetId)).map(([id]) => `changed ${short(id)}`),
  ];
  observed.set(rowClass, applied ? 'allowed' : (outcome.rows ?? 0) === 0 ? 'zero rows' : 'no effect');
  if (others.length > 0) {
    return { violation: violation(`${op} touched rows other than its target: ${others.join(', ')}`), observed, ruleOutcomes };
  }
  if (!applied && (outcome.rows ?? 0) > 0) {
    return { violation: violation(`${op} reported ${outcome.rows} row(s) but the target did not change as expected (half-done?)`), observed, ruleOutcomes };
  }
  if (applied) {
    if (!expectedAllowed) {
      const movedText = testCase.variant.startsWith('move_')
        ? ` (moved the row from ${world.labelOf(moved ? removedOwner(truth, testCase) : (changed[0]?.[1] ?? null))} to ${world.labelOf(moved ? (added.find(([id]) => id === movedKey)?.[1] ?? null) : (changed[0]?.[2] ?? null))})`
        : '';
      const everyone = refusedForEveryone ? ` (and the superuser could not: ${outcome.oracleRefused})` : '';
      return { violation: violation(`${op} succeeded, but the spec forbids it${movedText}${everyone}`), observed, ruleOutcomes };
    }
    if (testCase.expectedOwner !== undefined && testCase.hasOwner && testCase.variant !== 'noop') {
      const owner = testCase.operation === 'insert' ? added.find(([id]) => isTarget(id))?.[1] : moved ? added.find(([id]) => id === movedKey)?.[1] : changed.find(([id]) => id === targetId)?.[2];
      if ((owner ?? null) !== testCase.expectedOwner) {
        return { violation: violation(`${op} stored owner ${world.labelOf(owner ?? null)}, expected ${world.labelOf(testCase.expectedOwner)}`), observed, ruleOutcomes };
      }
    }
    return { violation: null, observed, ruleOutcomes };
  }
  if (expectedAllowed && testCase.mode === 'exact') return { violation: violation(`${op} affected zero rows, but the spec allows it`), observed, ruleOutcomes };
  if (testCase.privilegeAbsent) {
    return {
      violation: violation(`${op} affected zero rows, but no ${testCase.actor.role} actor may ${op} here, so the role must not hold the privilege (expected permission denied, 42501)`),
      observed,
      ruleOutcomes,
    };
  }
  return { violation: null, observed, ruleOutcomes };
}

function removedOwner(truth: Truth, testCase: Case): string | null {
  return (truth[testCase.relation] ?? []).find((row) => row.id === testCase.targetId)?.owner ?? null;
}

/** A DELETE or UPDATE without WHERE: it may reach only rows the rule allows. */
function judgeBlind(testCase: Case, outcome: ProbeOutcome, world: LoadedWorld, truth: Truth, violation: (problem: string, extra?: Partial<Violation>) => Violation): Judgement {
  const op = testCase.operation.toUpperCase();
  const observed = new Map<string, string>();
  const expected = new Set((isWhereRule(testCase.rule) ? (outcome.allowedIds ?? []) : (testCase.expectedIds ?? [])).map(String));
  const rows = (truth[testCase.relation] ?? []).filter((row) => testCase.target === testCase.relation || row.part === testCase.target);
  if (!outcome.ok) {
    const notUpdatableView = outcome.sqlstate === '55000' && testCase.isView;
    const refusal = testCase.refusalSqlstates.includes(outcome.sqlstate ?? '') || notUpdatableView;
    observed.set('mixed', `${testCase.variant}: ${outcome.sqlstate === '42501' ? 'denied' : `error ${outcome.sqlstate}`}`);
    if (!refusal && expected.size === 0 && rows.length > 0) {
      return {
        violation: violation(`not a clean denial: ${op} without WHERE failed with ${outcome.sqlstate} (${outcome.message}); a refusal must be a permission error (42501) or affect zero rows`),
        observed,
        ruleOutcomes: [],
      };
    }
    return { violation: null, observed, ruleOutcomes: [] };
  }
  // Rows reached: deleted, changed, or (a key column changed) gone under their old key.
  const removed = (outcome.removed ?? []).map(String);
  const reached = [...new Set([...removed, ...(outcome.changed ?? []).map(([id]) => String(id))])];
  const extra = reached.filter((id) => !expected.has(id));
  observed.set('mixed', `${testCase.variant}: reached ${reached.length} of ${rows.length}`);
  if (extra.length > 0) {
    const owners = [...new Set(extra.map((id) => world.labelOf(rows.find((row) => row.id === id)?.owner ?? null)))];
    return {
      violation: violation(`${op} without WHERE reached ${extra.length} row(s) the spec forbids (${extra.map(short).join(', ')}; owners ${owners.join(', ')})`, {
        expectedIds: [...expected],
        observedIds: reached,
      }),
      observed,
      ruleOutcomes: [],
    };
  }
  return { violation: null, observed, ruleOutcomes: [] };
}

export function describeOutcome(outcome: ProbeOutcome): string {
  if (!outcome.ok) return `error ${outcome.sqlstate}: ${outcome.message}`;
  if (outcome.ids) return `${outcome.ids.length} row(s)`;
  const parts = [`${outcome.rows ?? 0} row(s) affected`];
  if (outcome.added?.length) parts.push(`added ${outcome.added.map(([id]) => short(id)).join(', ')}`);
  if (outcome.removed?.length) parts.push(`removed ${outcome.removed.map(short).join(', ')}`);
  if (outcome.changed?.length) parts.push(`changed ${outcome.changed.map(([id]) => short(id)).join(', ')}`);
  return parts.join('; ');
}
