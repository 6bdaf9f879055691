/**
 * Turn one loaded world into checks (cases): for every actor and relation the
 * SELECT, INSERT, UPDATE and DELETE attempts the spec has an opinion on, each
 * with its expected outcome; then judge the probe outcomes.
 */
import { sql, type SQLQuery } from '@databases/pg';
import { actorSession, type Actor, type JwtClaims } from '../postgres/index.ts';
import { rowFactories, insertStatement, sessionSetup, setClause, type InsertPlan, type UpdatePlan } from './factories.ts';
import { renderSql } from './literal.ts';
import { allows, classOf, type RowClass } from './predicates.ts';
import { snapshotQuery, type ProbeOutcome, type ProbeRequest } from './probe.ts';
import { describeRule, privilegeMustBeAbsent, type AccessSpec, type ActorKind, type Operation, type RelationSpec } from './spec.ts';
import type { LoadedWorld } from './world.ts';

export const propertyNames = ['coverage', 'visibility', 'write_isolation', 'side_doors', 'audit_trail', 'no_transaction_leak'] as const;
export type PropertyName = (typeof propertyNames)[number];

export interface WorldActor {
  readonly label: string;
  /** `owner` = the table owner (audit immutability); `owner_probe` = an owner without BYPASSRLS. */
  readonly kind: ActorKind | 'owner' | 'owner_probe';
  readonly id: string | null;
  readonly role: string;
  readonly claims: JwtClaims | null;
}

export function worldActors(world: LoadedWorld): WorldActor[] {
  const fromActor = (label: string, kind: ActorKind, actor: Actor, id: string | null): WorldActor => {
    const session = actorSession(actor);
    return { label, kind, id, role: session.role, claims: session.claims };
  };
  return [
    fromActor('anon', 'anon', { kind: 'anon' }, null),
    fromActor('service', 'service', { kind: 'service' }, null),
    ...world.people.map((person) =>
      person.kind === 'admin'
        ? fromActor(person.label, 'admin', { kind: 'admin', id: person.id, claims: person.claims }, person.id)
        : fromActor(person.label, 'user', { kind: 'user', id: person.id, claims: person.claims }, person.id),
    ),
  ];
}

export interface TruthRow {
  readonly id: string;
  readonly owner: string | null;
  readonly state: string | null;
  /** Partition holding the row (partitioned tables). */
  readonly part: string | null;
  /** Partition key value as text (partitioned tables). */
  readonly key: string | null;
}

export type Truth = Readonly<Record<string, readonly TruthRow[]>>;

/** One query returning every relation's rows as the superuser sees them. */
export function truthQuery(spec: AccessSpec, relations: readonly string[]): SQLQuery {
  const parts = relations.map((name) => {
    const relation = spec.relations[name]!;
    const factory = rowFactories[name];
    const owner = relation.ownerColumn ? sql`t.${sql.ident(relation.ownerColumn)}::text` : sql`null::text`;
    const state = relation.kind === 'table' && factory?.state ? sql`(${factory.state})::text` : sql`null::text`;
    const part = relation.partitioned ? sql`t.tableoid::regclass::text` : sql`null::text`;
    const key = relation.partitioned && factory?.partitionKey?.[0] ? sql`t.${sql.ident(factory.partitionKey[0])}::text` : sql`null::text`;
    return sql`${name}::text, (select coalesce(jsonb_agg(jsonb_build_array(t.${sql.ident(relation.idColumn)}::text, ${owner}, ${state}, ${part}, ${key})), '[]'::jsonb) from ${sql.ident(relation.schema, name)} as t)`;
  });
  return sql`select jsonb_build_object(${sql.join(parts, ', ')}) as truth`;
}

export function parseTruth(raw: Record<string, unknown>): Truth {
  const truth: Record<string, TruthRow[]> = {};
  for (const [name, rows] of Object.entries(raw)) {
    truth[name] = (rows as [string, string | null, string | null, string | null, string | null][]).map(([id, owner, state, part, key]) => ({
      id,
      owner,
      state,
      part: part === null ? null : part.replace(/^public\./, ''),
      key,
    }));
  }
  return truth;
}

export interface Case {
  readonly property: PropertyName;
  readonly relation: string;
  /** The relation the statement names (a partition for direct partition checks). */
  readonly target: string;
  readonly actor: WorldActor;
  readonly operation: Operation;
  readonly mode: 'exact' | 'at_most';
  readonly rowClass: RowClass | 'mixed';
  readonly newClass?: RowClass;
  readonly variant: string;
  readonly targetId?: string;
  readonly state?: string | null;
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
}

function ruleFor(relation: RelationSpec, actor: WorldActor, operation: Operation) {
  if (actor.kind === 'owner' || actor.kind === 'owner_probe') return 'none' as const;
  return relation.rules[actor.kind][operation];
}

function claimsText(actor: WorldActor): string | null {
  return actor.claims ? JSON.stringify(actor.claims) : null;
}

function classesFor(relation: RelationSpec, actor: WorldActor, ownerNullable: boolean): RowClass[] {
  if (relation.ownerColumn === null) return ['any'];
  const classes: RowClass[] = actor.id ? ['own', 'other'] : ['other'];
  if (ownerNullable) classes.push('anonymous');
  return classes;
}

function ownerForClass(rowClass: RowClass, actor: WorldActor, world: LoadedWorld): string | null {
  if (rowClass === 'own') return actor.id;
  if (rowClass === 'other') return world.people.find((person) => person.id !== actor.id)!.id;
  return null;
}

/** Rows to try writes on: per owner class, one per distinct state. */
function pickTargets(rows: readonly TruthRow[], relation: RelationSpec, actor: WorldActor, limitPerClass = 3): TruthRow[] {
  const picked = new Map<string, TruthRow>();
  const perClass = new Map<string, number>();
  for (const row of rows) {
    const rowClass = classOf(row.owner, actor.id, relation.ownerColumn !== null);
    const key = `${rowClass}|${row.state ?? ''}`;
    if (picked.has(key)) continue;
    const count = perClass.get(rowClass) ?? 0;
    if (count >= limitPerClass) continue;
    perClass.set(rowClass, count + 1);
    picked.set(key, row);
  }
  return [...picked.values()];
}

interface BuildContext {
  readonly spec: AccessSpec;
  readonly world: LoadedWorld;
  readonly truth: Truth;
  readonly actors: readonly WorldActor[];
}

function selectCase(context: BuildContext, property: PropertyName, name: string, target: string, actor: WorldActor, mode: Case['mode'], rows: readonly TruthRow[]): Case {
  const relation = context.spec.relations[name]!;
  const rule = ruleFor(relation, actor, 'select');
  const expectedIds = rows
    .filter((row) => allows(relation, rule, { operation: 'select', rowClass: classOf(row.owner, actor.id, relation.ownerColumn !== null), variant: 'row', state: row.state }))
    .map((row) => row.id);
  const statement = renderSql(sql`select t.${sql.ident(relation.idColumn)}::text from ${sql.ident(relation.schema, target)} as t`);
  return {
    property,
    relation: name,
    target,
    actor,
    operation: 'select',
    mode,
    rowClass: 'mixed',
    variant: 'all_rows',
    expectedIds,
    privilegeAbsent: mode === 'exact' && isApiActor(actor) && privilegeMustBeAbsent(relation, actor.kind as ActorKind, 'select'),
    refusalSqlstates: ['42501', ...relation.refusalSqlstates],
    expectedRule: describeRule(rule),
    hasOwner: relation.ownerColumn !== null,
    isView: relation.kind === 'view',
    request: { kind: 'select', role: actor.role, claims: claimsText(actor), statement },
  };
}

const isApiActor = (actor: WorldActor): boolean => actor.kind === 'anon' || actor.kind === 'user' || actor.kind === 'admin' || actor.kind === 'service';

function writeCases(context: BuildContext, property: PropertyName, name: string, target: string, actor: WorldActor, mode: Case['mode'], rows: readonly TruthRow[], operations: readonly Operation[]): Case[] {
  const relation = context.spec.relations[name]!;
  const factory = rowFactories[relation.kind === 'view' ? (relation.of ?? name) : name];
  const cases: Case[] = [];
  const snapshotOf = relation.kind === 'view' ? relation.of! : target;
  const snapshotSpec = context.spec.relations[relation.kind === 'view' ? relation.of! : name]!;
  const snapshot = renderSql(snapshotQuery(sql.ident(snapshotSpec.schema, snapshotOf), snapshotSpec.idColumn, snapshotSpec.ownerColumn));
  const hasOwner = relation.ownerColumn !== null;
  const base = (operation: Operation) => {
    const rule = ruleFor(relation, actor, operation);
    return {
      property,
      relation: name,
      target,
      actor,
      operation,
      mode,
      privilegeAbsent: mode === 'exact' && isApiActor(actor) && privilegeMustBeAbsent(relation, actor.kind as ActorKind, operation),
      refusalSqlstates: ['42501', ...relation.refusalSqlstates],
      expectedRule: describeRule(rule),
      hasOwner,
      isView: relation.kind === 'view',
      rule,
    };
  };
  const relationIdent = sql.ident(relation.schema, target);
  if (operations.includes('insert') && relation.kind === 'table' && factory) {
    const { rule, ...common } = base('insert');
    for (const rowClass of classesFor(relation, actor, factory.ownerNullable)) {
      const owner = ownerForClass(rowClass, actor, context.world);
      const partitionRow = mode === 'at_most' ? rows.find((row) => row.key !== null) : undefined;
      const plans: readonly InsertPlan[] = factory.insert({
        owner,
        ...(partitionRow && factory.partitionKey?.[0] ? { partitionKey: { [factory.partitionKey[0]]: partitionRow.key! } } : {}),
      });
      for (const plan of plans) {
        cases.push({
          ...common,
          rowClass,
          variant: plan.variant,
          targetId: plan.id,
          expectedAllowed: allows(relation, rule, { operation: 'insert', rowClass, variant: plan.variant, state: null }),
          expectedOwner: hasOwner ? owner : null,
          request: {
            kind: 'write',
            role: actor.role,
            claims: claimsText(actor),
            ...(plan.setup ? { setup: renderSql(plan.setup) } : {}),
            statement: renderSql(insertStatement(relationIdent, plan.values)),
            snapshot,
          },
        });
      }
    }
  }
  const targets = pickTargets(rows, relation, actor);
  for (const row of targets) {
    const rowClass = classOf(row.owner, actor.id, hasOwner);
    // Naming the partition key lets the planner prune partitions (planning a
    // statement over every partition costs milliseconds per probe).
    const keyColumn = relation.partitioned ? factory?.partitionKey?.[0] : undefined;
    const where = keyColumn && row.key !== null
      ? sql`where ${sql.ident(relation.idColumn)} = ${row.id} and ${sql.ident(keyColumn)} = ${row.key}`
      : sql`where ${sql.ident(relation.idColumn)} = ${row.id}`;
    if (operations.includes('update')) {
      const { rule, ...common } = base('update');
      const plans: UpdatePlan[] = [];
      if (relation.kind === 'view') {
        if (relation.ownerColumn) plans.push({ variant: 'noop', set: { [relation.ownerColumn]: sql.ident(relation.ownerColumn) } });
      } else if (factory) {
        plans.push(...factory.updates({ ownerColumn: relation.ownerColumn, state: row.state, owner: row.owner }));
        // Owner moves: RLS-bound actors must never move a row to another owner.
        if (relation.ownerColumn && actor.kind !== 'service' && actor.kind !== 'owner_probe') {
          const stranger = context.world.people.find((person) => person.id !== actor.id && person.id !== row.owner);
          if (stranger) plans.push({ variant: 'move_to_other', set: { [relation.ownerColumn]: stranger.id } });
          if (stranger && factory.sessionBound) {
            plans.push({ variant: 'move_to_other_with_session', set: { [relation.ownerColumn]: stranger.id, session_id: 'probe_move_target' }, setup: sessionSetup(stranger.id, 'probe_move_target') });
          }
          if (actor.id && row.owner !== actor.id) plans.push({ variant: 'move_to_caller', set: { [relation.ownerColumn]: actor.id } });
          if (row.owner !== null && factory.ownerNullable) plans.push({ variant: 'move_to_null', set: { [relation.ownerColumn]: null } });
        }
      }
      for (const plan of plans) {
        const movedTo = relation.ownerColumn && relation.kind === 'table' && relation.ownerColumn in plan.set ? (plan.set[relation.ownerColumn] as string | null) : undefined;
        const newClass = movedTo === undefined ? rowClass : classOf(movedTo, actor.id, hasOwner);
        cases.push({
          ...common,
          rowClass,
          newClass,
          variant: plan.variant,
          targetId: row.id,
          state: row.state,
          expectedAllowed: allows(relation, rule, {
            operation: 'update',
            rowClass,
            newClass,
            variant: plan.variant,
            state: row.state,
            ...(plan.toState ? { toState: plan.toState } : {}),
          }),
          expectedOwner: movedTo === undefined ? row.owner : movedTo,
          request: {
            kind: 'write',
            role: actor.role,
            claims: claimsText(actor),
            statement: renderSql(sql`update ${relationIdent} set ${setClause(plan.set)} ${where}`),
            snapshot,
            ...(plan.setup ? { setup: renderSql(plan.setup) } : {}),
          },
        });
      }
    }
    if (operations.includes('delete')) {
      const { rule, ...common } = base('delete');
      cases.push({
        ...common,
        rowClass,
        variant: 'by_id',
        targetId: row.id,
        state: row.state,
        expectedAllowed: allows(relation, rule, { operation: 'delete', rowClass, variant: 'by_id', state: row.state }),
        request: { kind: 'write', role: actor.role, claims: claimsText(actor), statement: renderSql(sql`delete from ${relationIdent} ${where}`), snapshot },
      });
    }
  }
  return cases;
}

export interface CaseOptions {
  readonly relations: readonly string[];
  readonly ownerProbeRole?: string;
  readonly owners?: Readonly<Record<string, string>>;
}

/** Every case of one property for one world. */
export function buildCases(property: PropertyName, context: BuildContext, options: CaseOptions): Case[] {
  const cases: Case[] = [];
  const { spec, truth, actors } = context;
  for (const name of options.relations) {
    const relation = spec.relations[name]!;
    const rows = truth[name] ?? [];
    switch (property) {
      case 'visibility':
        for (const actor of actors) cases.push(selectCase(context, property, name, name, actor, 'exact', rows));
        break;
      case 'write_isolation':
        for (const actor of actors) cases.push(...writeCases(context, property, name, name, actor, 'exact', rows, ['insert', 'update', 'delete']));
        break;
      case 'side_doors': {
        if (relation.kind !== 'table') break;
        const partitions = relation.partitioned ? [...new Set(rows.map((row) => row.part).filter((part): part is string => part !== null && part !== name))] : [];
        for (const partition of partitions) {
          const inPartition = rows.filter((row) => row.part === partition);
          for (const actor of actors) {
            cases.push(selectCase(context, property, name, partition, actor, 'at_most', inPartition));
            cases.push(...writeCases(context, property, name, partition, actor, 'at_most', inPartition, ['insert', 'update', 'delete']));
          }
        }
        if (options.ownerProbeRole) {
          for (const target of [name, ...partitions]) {
            const probeActor: WorldActor = { label: `owner without BYPASSRLS (${options.ownerProbeRole})`, kind: 'owner_probe', id: null, role: options.ownerProbeRole, claims: null };
            const statement = renderSql(sql`select t.${sql.ident(relation.idColumn)}::text from ${sql.ident(relation.schema, target)} as t`);
            cases.push({
              property,
              relation: name,
              target,
              actor: probeActor,
              operation: 'select',
              mode: 'exact',
              rowClass: 'mixed',
              variant: 'owner_without_bypassrls',
              expectedIds: [],
              privilegeAbsent: false,
              refusalSqlstates: ['42501'],
              expectedRule: 'none (RLS forced on the owner)',
              hasOwner: relation.ownerColumn !== null,
              isView: false,
              request: {
                kind: 'select',
                role: options.ownerProbeRole,
                claims: null,
                setup: renderSql(sql`alter table ${sql.ident(relation.schema, target)} owner to ${sql.ident(options.ownerProbeRole)}`),
                statement,
              },
            });
          }
        }
        break;
      }
      case 'audit_trail': {
        if (!relation.immutable || relation.kind !== 'table') break;
        const owner = options.owners?.[name] ?? 'postgres';
        const ownerActor: WorldActor = { label: `table owner (${owner})`, kind: 'owner', id: null, role: owner, claims: null };
        for (const actor of [...actors, ownerActor]) cases.push(...writeCases(context, property, name, name, actor, 'exact', rows, ['update', 'delete']));
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
}

export const short = (id: string): string => id.slice(-8);

export function judge(testCase: Case, outcome: ProbeOutcome, world: LoadedWorld, truth: Truth): Judgement {
  const observed = new Map<string, string>();
  const violation = (problem: string, extra: Partial<Violation> = {}): Violation => ({
    property: testCase.property,
    relation: testCase.relation,
    target: testCase.target,
    actor: testCase.actor.label,
    actorKind: testCase.actor.kind,
    claims: testCase.actor.claims,
    operation: testCase.operation,
    rowClass: testCase.rowClass,
    variant: testCase.variant,
    sql: testCase.request.statement,
    ...(testCase.request.setup ? { setup: testCase.request.setup } : {}),
    expected: testCase.operation === 'select' ? `${testCase.expectedRule}` : testCase.expectedAllowed ? 'allowed' : 'refused',
    observed: describeOutcome(outcome),
    problem,
    ...extra,
  });
  if (!outcome.ok && outcome.phase !== 'act') {
    return { violation: violation(`harness ${outcome.phase} step failed: ${outcome.sqlstate} ${outcome.message}`), observed };
  }
  const relation = testCase.relation;
  if (testCase.operation === 'select') {
    const expected = new Set(testCase.expectedIds ?? []);
    const rows = (truth[relation] ?? []).filter((row) => testCase.target === relation || row.part === testCase.target);
    const hasOwner = testCase.hasOwner;
    if (!outcome.ok) {
      for (const row of rows) observed.set(classOf(row.owner, testCase.actor.id, hasOwner), 'denied');
      if (outcome.sqlstate !== '42501') return { violation: violation(`SELECT failed with ${outcome.sqlstate}: ${outcome.message}`), observed };
      if (testCase.mode === 'exact' && expected.size > 0) {
        return { violation: violation(`permission denied, but the spec allows ${expected.size} row(s)`, { expectedIds: [...expected], observedIds: [] }), observed };
      }
      return { violation: null, observed };
    }
    const seen = new Set(outcome.ids ?? []);
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
      return { violation: violation(`leak: ${extra.length} row(s) the spec forbids are visible (${extra.map(short).join(', ')}; owners ${[...new Set(owners)].join(', ')})`, ids), observed };
    }
    if (testCase.mode === 'exact' && missing.length > 0) {
      return { violation: violation(`too strict: ${missing.length} row(s) the spec allows are not visible (${missing.map(short).join(', ')})`, ids), observed };
    }
    if (testCase.privilegeAbsent) {
      return { violation: violation(`the query ran (${seen.size} row(s)) but no ${testCase.actor.role} actor may select here, so the role must not hold SELECT (expected permission denied, 42501)`, ids), observed };
    }
    return { violation: null, observed };
  }
  const rowClass = testCase.rowClass;
  const op = testCase.operation.toUpperCase();
  if (!outcome.ok) {
    // A view that cannot be written at all (55000) refuses every writer the same way: as clean as a 42501.
    const notUpdatableView = outcome.sqlstate === '55000' && testCase.isView;
    const refusal = testCase.refusalSqlstates.includes(outcome.sqlstate ?? '') || notUpdatableView;
    observed.set(rowClass, outcome.sqlstate === '42501' ? 'denied' : `error ${outcome.sqlstate}`);
    if (!refusal && testCase.expectedAllowed && testCase.operation === 'delete' && outcome.sqlstate === '23503') {
      // Allowed, then stopped by a restricting foreign key: the rules let it through; nothing to judge.
      observed.set(rowClass, 'allowed (blocked by FK)');
      return { violation: null, observed };
    }
    if (!refusal) {
      return {
        violation: violation(
          testCase.expectedAllowed && testCase.mode === 'exact'
            ? `allowed ${op} failed with ${outcome.sqlstate}: ${outcome.message}`
            : `not a clean denial: ${op} failed with ${outcome.sqlstate} (${outcome.message}); a refusal must be a permission error (42501)${testCase.refusalSqlstates.length > 1 ? ` or ${testCase.refusalSqlstates.slice(1).join('/')}` : ''} or affect zero rows`,
        ),
        observed,
      };
    }
    if (testCase.expectedAllowed && testCase.mode === 'exact') return { violation: violation(`refused with ${outcome.sqlstate} (${outcome.message}), but the spec allows it`), observed };
    if (testCase.privilegeAbsent && outcome.sqlstate !== '42501' && !notUpdatableView) {
      return { violation: violation(`refused by ${outcome.sqlstate}, but no ${testCase.actor.role} actor may ${op} here, so the role must not hold the privilege (expected 42501)`), observed };
    }
    return { violation: null, observed };
  }
  const added = outcome.added ?? [];
  const removed = outcome.removed ?? [];
  const changed = outcome.changed ?? [];
  const targetId = testCase.targetId!;
  const applied =
    testCase.operation === 'insert'
      ? added.some(([id]) => id === targetId)
      : testCase.operation === 'update'
        ? changed.some(([id]) => id === targetId)
        : removed.includes(targetId);
  const others = [
    ...added.filter(([id]) => !(testCase.operation === 'insert' && id === targetId)).map(([id]) => `added ${short(id)}`),
    ...removed.filter((id) => !(testCase.operation === 'delete' && id === targetId)).map((id) => `removed ${short(id)}`),
    ...changed.filter(([id]) => !(testCase.operation === 'update' && id === targetId)).map(([id]) => `changed ${short(id)}`),
  ];
  observed.set(rowClass, applied ? 'allowed' : (outcome.rows ?? 0) === 0 ? 'zero rows' : 'no effect');
  if (others.length > 0) {
    return { violation: violation(`${op} touched rows other than its target: ${others.join(', ')}`), observed };
  }
  if (!applied && (outcome.rows ?? 0) > 0) {
    return { violation: violation(`${op} reported ${outcome.rows} row(s) but the target did not change as expected (half-done?)`), observed };
  }
  if (applied) {
    if (!testCase.expectedAllowed) {
      const moved = testCase.variant.startsWith('move_') ? ` (moved the row from ${world.labelOf(changed[0]?.[1] ?? null)} to ${world.labelOf(changed[0]?.[2] ?? null)})` : '';
      return { violation: violation(`${op} succeeded, but the spec forbids it${moved}`), observed };
    }
    if (testCase.expectedOwner !== undefined) {
      const owner = testCase.operation === 'insert' ? added.find(([id]) => id === targetId)?.[1] : changed.find(([id]) => id === targetId)?.[2];
      if ((owner ?? null) !== testCase.expectedOwner) {
        return { violation: violation(`${op} stored owner ${world.labelOf(owner ?? null)}, expected ${world.labelOf(testCase.expectedOwner)}`), observed };
      }
    }
    return { violation: null, observed };
  }
  if (testCase.expectedAllowed && testCase.mode === 'exact') return { violation: violation(`${op} affected zero rows, but the spec allows it`), observed };
  if (testCase.privilegeAbsent) {
    return { violation: violation(`${op} affected zero rows, but no ${testCase.actor.role} actor may ${op} here, so the role must not hold the privilege (expected permission denied, 42501)`), observed };
  }
  return { violation: null, observed };
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
