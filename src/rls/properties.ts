/**
 * The property runner: each property gets a fresh clone of the migrated
 * template and one connection; fast-check generates worlds, each world is
 * loaded and checked inside one transaction that is rolled back (the leak
 * property commits its worlds, because it is about what survives a
 * transaction; the mutation self-test judges the other properties inside
 * one rolled-back transaction on a scratch clone instead). Failures come
 * back shrunk, with seed, path and a replay command; every judged case
 * feeds the observed access matrix, and the run as a whole must have
 * exercised every relation, operation and rule (coverage), or it has not
 * earned its verdict.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { sql, type ConnectionPool, type Queryable, type SQLQuery, type Transaction } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { asActor, runScript, templateHandle, type OwnedDatabase, type PostgresServer } from '../postgres/index.ts';
import { isSpecActor, worldActors, type WorldActor } from './actors.ts';
import { readCatalog, checkCoverage, type Catalog, type CoverageFinding } from './catalog.ts';
import { buildCases, judge, short, parseTruth, propertyNames, truthQuery, type BuildContext, type PropertyName, type RelationInfo, type Truth, type Violation } from './cases.ts';
import { addTally, exerciseFindings, exerciseTargets, newTally, observedMatrixOf, record, snapshotTally, type ExerciseTarget, type Tally, type TallySnapshot } from './exercise.ts';
import { renderSql } from './literal.ts';
import { whereValidation } from './oracle.ts';
import { classOf, simpleAllows } from './predicates.ts';
import { installProbe, runProbes } from './probe.ts';
import { installAccept } from './rows/pools.ts';
import { keyCondition, keyExpression, learnRows, type RowModel } from './rows/index.ts';
import { describeRule, isWhereRule, unreviewedRelations, type AccessSpec, type Operation } from './spec.ts';
import { planWorld, worldArbitrary, type LoadedWorld, type WorldShape } from './world.ts';
import type { ScratchClone } from './scratch.ts';
import { mapConcurrently } from '../util/concurrency.ts';

export interface WorldRowSummary {
  readonly id: string;
  readonly owner: string;
  readonly state?: string;
  readonly partition?: string;
}

export interface Counterexample {
  readonly violation: Violation | null;
  /** Extra failures seen in the same world (up to 5), for context. */
  readonly alsoFailing: readonly Violation[];
  readonly people: readonly { readonly label: string; readonly id: string; readonly kind: string; readonly claims: unknown }[];
  readonly world: Readonly<Record<string, readonly WorldRowSummary[]>>;
  /** The SQL that loaded the world (as the superuser). */
  readonly worldSql?: string;
  readonly steps?: readonly string[];
  readonly coverage?: readonly CoverageFinding[];
  /** Human-readable rendering (multi-line). */
  readonly rendered: string;
}

export interface PropertyResult {
  readonly name: PropertyName;
  readonly runs: number;
  readonly cases: number;
  readonly passed: boolean;
  readonly durationMs: number;
  readonly seed: number;
  readonly path?: string;
  readonly replay?: string;
  readonly counterexample?: Counterexample;
  /** The property could not run (the harness failed, not a policy): the message. */
  readonly error?: string;
}

export interface MatrixCell {
  readonly relation: string;
  /** A spec actor, or `owner` / `owner_probe`. */
  readonly actor: string;
  readonly operation: Operation;
  readonly expected: string;
  /** Observed outcomes per row class (own, other, anonymous, any), each a list of distinct outcomes. */
  readonly observed: Readonly<Record<string, readonly string[]>>;
  readonly cases: number;
  readonly violations: number;
  readonly agrees: boolean;
}

/** The seed when none is given: a run's worlds, and so its verdict, never depend on chance. */
export const defaultRlsSeed = 42;

export interface RlsResult {
  readonly properties: readonly PropertyResult[];
  readonly passed: boolean;
  /** The fast-check seed every property ran with. */
  readonly seed: number;
  /** Worlds per property asked for. */
  readonly runs: number;
  readonly cases: number;
  readonly casesPerSecond: number;
  readonly durationMs: number;
  readonly observedMatrix: readonly MatrixCell[];
  readonly coverage: readonly CoverageFinding[];
  /** Relations marked `"reviewed": false` in the spec (a warning, not a failure). */
  readonly unreviewed: readonly string[];
  /** What the row generator could not learn, per relation (a hint may help). */
  readonly rowNotes: Readonly<Record<string, readonly string[]>>;
  /** With `keepTally`: what was tried, as data, so the shards of one run can be judged together (src/shard). */
  readonly tally?: RlsTally;
}

export interface RlsTally {
  readonly snapshot: TallySnapshot;
  readonly targets: readonly ExerciseTarget[];
  readonly actorOrder: readonly string[];
}

export interface RlsOptions {
  readonly server: PostgresServer;
  /** Name of the migrated template to clone (one clone per property). */
  readonly template: string;
  readonly spec: AccessSpec;
  /** The spec's file, for error messages. */
  readonly specFile?: string;
  readonly runs?: number;
  readonly seed?: number;
  readonly path?: string;
  readonly properties?: readonly PropertyName[];
  /** Put the tally in the result (a shard's report: exercise and matrix are judged after merging). */
  readonly keepTally?: boolean;
  /** Stop at the first failure without shrinking (mutation testing). */
  readonly endOnFailure?: boolean;
  /** SQL applied to each clone (or inside the scratch clone's transaction) before the properties run (a mutant). */
  readonly prepare?: (db: Queryable) => Promise<void>;
  readonly maxRowsPerTable?: number;
  /** One clone for all properties instead of one per property (the mutation self-test). */
  readonly sharedClone?: boolean;
  /**
   * Judge on this long-lived clone instead, inside one transaction that is
   * rolled back at the end (with `prepare` applied inside it): no clone is
   * created. Not for no_transaction_leak, which commits.
   */
  readonly scratch?: ScratchClone;
  /** Skip the remaining properties after the first failure. */
  readonly stopAtFirstFailure?: boolean;
  /**
   * Properties judged at the same time, each on its own clone (default 2, 1
   * on a one-core machine). Only without a shared clone, a scratch clone or
   * stopAtFirstFailure. Results and the tally are put together in property
   * order; values drawn from the row pools interleave, as uuids are random
   * anyway: worlds are the same in shape, not in every value. write_isolation
   * is most of the time (18 of 29 s here), so more than 2 gains little.
   */
  readonly concurrency?: number;
  readonly replayCommand?: (property: PropertyName, seed: number, path: string) => string;
  /** Recipes learned beforehand (the mutation self-test learns once, on the unmutated template). */
  readonly rowModel?: RowModel;
  /** Fail coverage when a relation, operation or rule was not exercised (default: when every property runs). */
  readonly checkExercise?: boolean;
  /** The spec was already checked against this template (the mutation self-test checks it once, in its baseline run). */
  readonly specChecked?: boolean;
  /**
   * Judge only these relations (spec names): worlds still hold every
   * relation (parents, memberships), but cases, audit checks and leak steps
   * look at these alone. The mutation self-test focuses on what a mutant
   * touched; a focused pass can catch a mutant but never clear one.
   */
  readonly focus?: readonly string[];
}

class PropertyViolation extends Error {
  constructor(readonly counterexample: Counterexample) {
    super(counterexample.violation ? `${counterexample.violation.problem}` : 'property failed');
  }
}

/** The property could not be judged: the harness itself failed in this world. */
class HarnessFailure extends Error {
  constructor(readonly counterexample: Counterexample) {
    super(counterexample.violation?.problem ?? 'harness failure');
  }
}

class Rollback extends Error {}

function summariseWorld(world: LoadedWorld, truth: Truth): Record<string, WorldRowSummary[]> {
  const summary: Record<string, WorldRowSummary[]> = {};
  for (const [name, rows] of Object.entries(truth)) {
    if (rows.length === 0) continue;
    summary[name] = rows.map((row) => ({
      id: row.id,
      owner: world.labelOf(row.owner),
      ...(row.state ? { state: row.state } : {}),
      ...(row.part ? { partition: row.part } : {}),
    }));
  }
  return summary;
}

export function renderCounterexample(example: Omit<Counterexample, 'rendered'>): string {
  const lines: string[] = [];
  const v = example.violation;
  if (v) {
    lines.push(`${v.property}: ${v.problem}`);
    lines.push(`  relation:  ${v.relation}`);
    lines.push(`  actor:     ${v.actor} (${v.actorKind})${v.claims ? ` claims ${JSON.stringify(v.claims)}` : ''}`);
    lines.push(`  operation: ${v.operation.toUpperCase()} on ${v.target}${v.target !== v.relation ? ` (partition of ${v.relation})` : ''}, row class ${v.rowClass}, variant ${v.variant}`);
    if (v.setup) lines.push(`  setup:     ${v.setup.replace(/\n/g, ' ')}`);
    lines.push(`  sql:       ${v.sql}`);
    lines.push(`  expected:  ${v.expected}${v.expectedIds ? ` ids [${v.expectedIds.join(', ')}]` : ''}`);
    lines.push(`  observed:  ${v.observed}${v.observedIds ? ` ids [${v.observedIds.join(', ')}]` : ''}`);
  }
  for (const finding of example.coverage ?? []) lines.push(`  ${finding.kind}: ${finding.object}: ${finding.detail}`);
  for (const step of example.steps ?? []) lines.push(`  step: ${step}`);
  if (example.people.length > 0) {
    lines.push('  people:');
    for (const person of example.people) lines.push(`    ${person.label} = ${person.id} (${person.kind}) claims ${JSON.stringify(person.claims)}`);
  }
  const tables = Object.entries(example.world);
  if (tables.length > 0) {
    lines.push('  world:');
    for (const [name, rows] of tables) {
      lines.push(`    ${name}: ${rows.map((row) => `${short(row.id)}(${row.owner}${row.state ? `, ${row.state}` : ''}${row.partition ? `, ${row.partition}` : ''})`).join(' ')}`);
    }
  }
  for (const other of example.alsoFailing) lines.push(`  also: ${other.actor} ${other.operation.toUpperCase()} ${other.target} [${other.rowClass}/${other.variant}]: ${other.problem}`);
  return lines.join('\n');
}

function makeCounterexample(world: LoadedWorld, truth: Truth, violations: readonly Violation[], extra: Partial<Counterexample> = {}): Counterexample {
  const base = {
    violation: violations[0] ?? null,
    alsoFailing: violations.slice(1, 6),
    people: world.people.map((person) => ({ label: person.label, id: person.id, kind: person.actor, claims: person.claims })),
    world: summariseWorld(world, truth),
    worldSql: world.sql,
    ...extra,
  };
  return { ...base, rendered: renderCounterexample(base) };
}

interface PropertyContext {
  readonly spec: AccessSpec;
  readonly model: RowModel;
  readonly relations: ReadonlyMap<string, RelationInfo>;
  readonly names: readonly string[];
  /** The relations whose cases are built and judged (all of `names` unless the run is focused). */
  readonly judged: readonly string[];
  readonly owners: Readonly<Record<string, string>>;
  readonly bypassRoles: ReadonlySet<string>;
  readonly tally: Tally;
}

/**
 * The probe and the acceptance check live in the session's temporary schema;
 * a session the pool replaced (it drops a connection whose transaction
 * control failed) has none yet.
 */
async function ensureSessionFunctions(db: Queryable): Promise<void> {
  const installed = (await db.query(sql`select to_regprocedure('pg_temp.schemaproof_probe(jsonb)') is not null as probe`))[0]!.probe as boolean;
  if (!installed) {
    await installProbe(db);
    await installAccept(db);
  }
}

async function loadWorld(db: Queryable, context: PropertyContext, shape: WorldShape): Promise<LoadedWorld> {
  await ensureSessionFunctions(db);
  await context.model.pools.refill(db);
  return planWorld(shape, context.spec, context.model);
}

async function readTruth(db: Queryable, context: PropertyContext): Promise<Truth> {
  const relations = context.names.map((name) => context.relations.get(name)!);
  const raw = (await db.query(truthQuery(relations)))[0]!.truth as Record<string, unknown>;
  return parseTruth(raw, relations);
}

async function checkWorld(db: Queryable, property: PropertyName, context: PropertyContext, shape: WorldShape): Promise<void> {
  const world = await loadWorld(db, context, shape);
  const probeRole = property === 'side_doors' ? `schemaproof_owner_probe_${randomBytes(4).toString('hex')}` : undefined;
  let failure: PropertyViolation | HarnessFailure | null = null;
  try {
    await db.tx(async (tx) => {
      if (probeRole) await tx.query(sql`create role ${sql.ident(probeRole)} nologin nobypassrls`);
      try {
        await runScript(tx, world.sql);
      } catch (error) {
        failure = new HarnessFailure(
          makeCounterexample(world, {}, [
            harnessViolation(property, `the world could not be loaded as the superuser: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`, world.sql),
          ]),
        );
        throw new Rollback();
      }
      const truth = await readTruth(tx, context);
      for (const name of context.names) context.tally.rows.set(name, (context.tally.rows.get(name) ?? 0) + (truth[name]?.length ?? 0));
      const actors = worldActors(context.spec, world.people);
      const buildContext: BuildContext = {
        spec: context.spec,
        model: context.model,
        relations: context.relations,
        world,
        truth,
        actors,
        bypassRoles: context.bypassRoles,
        hintValues: await hintValues(tx, context.model),
      };
      const cases = buildCases(property, buildContext, {
        relations: context.judged,
        ...(probeRole ? { ownerProbeRole: probeRole } : {}),
        owners: context.owners,
      });
      const outcomes = await runProbes(
        tx,
        cases.map((testCase) => testCase.request),
      );
      const violations: Violation[] = [];
      cases.forEach((testCase, index) => {
        const judgement = judge(testCase, outcomes[index]!, world, truth);
        record(context.tally, testCase, judgement, judgement.violation !== null);
        if (judgement.violation) violations.push(judgement.violation);
      });
      context.tally.cases += cases.length;
      if (property === 'audit_trail') violations.push(...(await auditChecks(tx, context)));
      if (violations.length > 0) {
        const example = makeCounterexample(world, truth, [...violations.filter((violation) => !violation.harness), ...violations.filter((violation) => violation.harness)]);
        failure = violations.every((violation) => violation.harness) ? new HarnessFailure(example) : new PropertyViolation(example);
      }
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  if (failure) throw failure;
}

/** The spec's SQL hints evaluated by the superuser in this world (a few values each), for probe rows. */
async function hintValues(tx: Queryable, model: RowModel): Promise<Map<string, string[]>> {
  const values = new Map<string, string[]>();
  for (const recipe of model.recipes.values()) {
    for (const [column, hint] of recipe.hintSql) {
      const rows = (await tx.query(sql`select array(select (${sql.__dangerous__rawValue(hint)})::text from generate_series(1, 3)) as v`)) as { v: (string | null)[] }[];
      values.set(
        `${recipe.model.qualified}.${column}`,
        (rows[0]?.v ?? []).filter((value): value is string => value !== null),
      );
    }
  }
  return values;
}

function harnessViolation(property: PropertyName, problem: string, statement: string): Violation {
  return {
    property,
    relation: '(world)',
    target: '(world)',
    actor: 'postgres (superuser)',
    actorKind: 'owner',
    claims: null,
    operation: 'insert',
    rowClass: 'any',
    variant: 'world',
    sql: statement.split('\n').slice(0, 3).join(' ') + (statement.includes('\n') ? ' …' : ''),
    expected: 'the world loads',
    observed: problem,
    problem,
    harness: true,
  };
}

function auditViolation(relation: string, problem: string, statement: string): Violation {
  return {
    property: 'audit_trail',
    relation,
    target: relation,
    actor: 'postgres (superuser)',
    actorKind: 'owner',
    claims: null,
    operation: 'select',
    rowClass: 'any',
    variant: 'audit',
    sql: statement,
    expected: 'intact and complete audit trail',
    observed: problem,
    problem,
  };
}

/** The column rewritten behind the triggers to prove tampering is found. */
function tamperStatement(context: PropertyContext, name: string, key: string): SQLQuery | null {
  const relation = context.relations.get(name)!;
  const columns = relation.recipe?.model.columns ?? [];
  const named = relation.spec.audit?.tamperColumn;
  const usable = columns.filter((column) => !column.generated && !relation.keyColumns.includes(column.name));
  const column = named
    ? usable.find((candidate) => candidate.name === named)
    : (usable.find((candidate) => candidate.type.typname === 'jsonb') ?? usable.find((candidate) => candidate.type.typname === 'text'));
  if (!column) return null;
  const target = sql.ident(column.name);
  const value =
    column.type.typname === 'jsonb'
      ? sql`coalesce(${target}, '{}'::jsonb) || '{"schemaproof_tampered": true}'::jsonb`
      : column.type.typname === 'json'
        ? sql`(coalesce(${target}::jsonb, '{}'::jsonb) || '{"schemaproof_tampered": true}'::jsonb)::json`
        : sql`coalesce(${target}::text, '') || ' (tampered)'`;
  return sql`update ${sql.ident(relation.schema, name)} set ${target} = ${value} where ${keyCondition(relation.keyColumns, key)}`;
}

/** Property 6: every audited row is logged, the chain verifies, and tampering is found. */
async function auditChecks(tx: Queryable, context: PropertyContext): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const name of context.judged) {
    const relation = context.relations.get(name)!;
    const audit = relation.spec.audit;
    if (!audit) continue;
    const logIdent = sql.ident(relation.schema, name);
    for (const audited of audit.of) {
      const auditedInfo = context.relations.get(audited);
      if (!auditedInfo) continue;
      const query = sql`select count(*)::int as missing from ${sql.ident(auditedInfo.schema, audited)} as a
        where not exists (select 1 from ${logIdent} as l where l.${sql.ident(audit.targetColumn)}::text = ${keyExpression('a', auditedInfo.keyColumns)})`;
      const missing = (await tx.query(query))[0]!.missing as number;
      if (missing > 0) violations.push(auditViolation(name, `${missing} row(s) of ${audited} have no audit entry`, renderSqlText(query)));
    }
    const verify = sql`select count(*)::int as broken from ${sql.ident(audit.verifyFunction.schema, audit.verifyFunction.name)}()`;
    const broken = (await tx.query(verify))[0]!.broken as number;
    if (broken > 0) violations.push(auditViolation(name, `the untouched chain does not verify (${broken} broken link(s))`, renderSqlText(verify)));
    const rows = (await tx.query(sql`select ${keyExpression('t', relation.keyColumns)} as id from ${logIdent} as t limit 1`)) as { id: string }[];
    if (rows[0]) {
      const tamper = tamperStatement(context, name, rows[0].id);
      if (!tamper) {
        violations.push(auditViolation(name, 'no column to tamper with (give audit.tamperColumn)', renderSqlText(verify)));
        continue;
      }
      await tx.query(sql`savepoint schemaproof_tamper`);
      await tx.query(sql`set local session_replication_role = replica`);
      await tx.query(tamper);
      await tx.query(sql`set local session_replication_role = origin`);
      const afterTamper = (await tx.query(verify))[0]!.broken as number;
      await tx.query(sql`rollback to savepoint schemaproof_tamper`);
      if (afterTamper === 0) violations.push(auditViolation(name, 'a row rewritten behind the triggers was not detected by the verify function', renderSqlText(verify)));
    }
  }
  return violations;
}

function renderSqlText(query: SQLQuery): string {
  return renderSql(query).replace(/\s+/g, ' ');
}

interface LeakStep {
  readonly actor: number;
  readonly relation: number;
  readonly rollback: boolean;
}

/** Who acts in the leak property: every person, every actor without a user id, and each role with no claims at all. */
function leakActors(spec: AccessSpec, world: LoadedWorld): WorldActor[] {
  const actors = worldActors(spec, world.people);
  for (const role of [...new Set(spec.actors.map((actor) => actor.role))]) {
    const plain = spec.actors.find((actor) => actor.role === role && Object.keys(actor.claims).length === 0);
    if (plain) actors.push({ label: `${role} without claims`, actor: plain.name, id: null, role, claims: null });
  }
  return actors;
}

async function expectedVisible(db: Queryable, context: PropertyContext, name: string, actor: WorldActor, truth: Truth): Promise<string[]> {
  const relation = context.relations.get(name)!;
  const rule = isSpecActor(actor) ? relation.spec.rules[actor.actor]!.select : 'none';
  if (!isWhereRule(rule)) {
    return (truth[name] ?? []).filter((row) => simpleAllows(rule, classOf(row.owner, actor.id, relation.spec.ownerColumn !== null))).map((row) => row.id);
  }
  return db.tx(async (tx) => {
    await tx.query(sql`select set_config('request.jwt.claims', ${actor.claims ? JSON.stringify(actor.claims) : ''}, true)`);
    const rows = (await tx.query(
      sql`select ${keyExpression('row', relation.keyColumns)} as id from ${sql.ident(relation.schema, name)} as row where coalesce((${sql.__dangerous__rawValue(rule.where)}), false)`,
    )) as { id: string }[];
    return rows.map((row) => row.id);
  });
}

async function checkLeak(db: Queryable, context: PropertyContext, shape: WorldShape, steps: readonly LeakStep[]): Promise<void> {
  const world = await loadWorld(db, context, shape);
  try {
    await db.tx((tx) => runScript(tx, world.sql));
  } catch (error) {
    throw new HarnessFailure(makeCounterexample(world, {}, [harnessViolation('no_transaction_leak', `the world could not be loaded as the superuser: ${(error as Error).message}`, world.sql)]));
  }
  const truth = await readTruth(db, context);
  const readable = context.judged.filter((name) => context.relations.get(name)!.spec.ownerColumn !== null);
  if (readable.length === 0) return;
  const actors = leakActors(context.spec, world);
  const log: string[] = [];
  const violations: Violation[] = [];
  const sessionUser = (await db.query(sql`select session_user::text as name`))[0]!.name as string;
  for (const step of steps) {
    const name = readable[step.relation % readable.length]!;
    const relation = context.relations.get(name)!;
    const actor = actors[step.actor % actors.length]!;
    const select = sql`select ${keyExpression('t', relation.keyColumns)} as id from ${sql.ident(relation.schema, name)} as t`;
    const statement = renderSqlText(select);
    let ids: string[] | null = null;
    let uid: string | null = null;
    let errorState: string | null = null;
    try {
      await asActor(
        db,
        { kind: 'role', role: actor.role, ...(actor.claims ? { claims: actor.claims } : {}) },
        async (tx) => {
          uid = ((await tx.query(sql`select auth.uid()::text as uid`))[0]!.uid as string | null) ?? null;
          await tx.query(sql`savepoint leak_select`);
          try {
            ids = ((await tx.query(select)) as { id: string }[]).map((row) => row.id);
          } catch (error) {
            errorState = (error as { code?: string }).code ?? 'unknown';
            await tx.query(sql`rollback to savepoint leak_select`);
          }
        },
        { rollback: step.rollback },
      );
    } catch (error) {
      errorState = (error as { code?: string }).code ?? 'unknown';
    }
    const expected = new Set(await expectedVisible(db, context, name, actor, truth));
    const rule = relation.spec.rules[actor.actor]!.select;
    const seen: string[] = ids ?? [];
    log.push(`${actor.label}: ${statement} -> ${ids === null ? `error ${errorState}` : `${seen.length} row(s)`}, auth.uid() = ${uid ?? 'null'} (${step.rollback ? 'rolled back' : 'committed'})`);
    const base = {
      property: 'no_transaction_leak' as const,
      relation: name,
      target: name,
      actor: actor.label,
      actorKind: actor.actor,
      claims: actor.claims,
      operation: 'select' as const,
      rowClass: 'mixed',
      variant: 'sequence',
      sql: statement,
      expected: describeRule(rule),
    };
    if (uid !== actor.id)
      violations.push({
        ...base,
        observed: `auth.uid() = ${uid}`,
        problem: `auth.uid() is ${world.labelOf(uid)} but the transaction carries ${actor.id ? world.labelOf(actor.id) : 'no subject'}: identity leaked from an earlier transaction`,
      });
    const extra = seen.filter((id) => !expected.has(id));
    if (extra.length > 0) {
      violations.push({
        ...base,
        observed: `${seen.length} row(s)`,
        expectedIds: [...expected],
        observedIds: seen,
        problem: `sees ${extra.length} row(s) it may not (owners ${[...new Set(extra.map((id) => world.labelOf((truth[name] ?? []).find((row) => row.id === id)?.owner ?? null)))].join(', ')})`,
      });
    }
    const bare = (await db.tx((tx) => tx.query(sql`select current_user::text as role, auth.uid()::text as uid, coalesce(current_setting('request.jwt.claims', true), '') as claims`)))[0]!;
    if (bare.role !== sessionUser || bare.uid !== null || bare.claims !== '') {
      violations.push({
        ...base,
        actor: 'next transaction without an actor',
        actorKind: 'none',
        claims: null,
        sql: "select current_user, auth.uid(), current_setting('request.jwt.claims', true)",
        observed: JSON.stringify(bare),
        problem: `after ${actor.label}'s transaction, a fresh transaction still runs as ${bare.role} with auth.uid() = ${bare.uid ?? 'null'} and claims '${bare.claims}'`,
      });
    }
    if (violations.length > 0) break;
  }
  context.tally.cases += log.length;
  if (violations.length > 0) throw new PropertyViolation(makeCounterexample(world, truth, violations, { steps: log }));
}

async function tableOwners(db: Queryable, spec: AccessSpec): Promise<Record<string, string>> {
  const byQualified = new Map(Object.entries(spec.relations).map(([name, relation]) => [`${relation.schema}.${name}`, name]));
  const rows = (await db.query(
    sql`select n.nspname || '.' || c.relname as qualified, pg_catalog.pg_get_userbyid(c.relowner) as owner
          from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where n.nspname || '.' || c.relname = any(${[...byQualified.keys()]}::text[])`,
  )) as { qualified: string; owner: string }[];
  const owners: Record<string, string> = {};
  for (const row of rows) owners[byQualified.get(row.qualified)!] = row.owner;
  return owners;
}

function defaultReplay(property: PropertyName, seed: number, path: string): string {
  return `schemaproof rls --property ${property} --seed ${seed} --path ${path}`;
}

/** Spec relations the database lacks, and where rules that are not valid SQL: input errors (exit 6), not findings. */
async function checkSpecAgainstDatabase(db: Queryable, spec: AccessSpec, catalog: Catalog, file: string): Promise<void> {
  const present = new Set(catalog.relations.map((relation) => `${relation.schema}.${relation.name}`));
  const problems: string[] = [];
  for (const [name, relation] of Object.entries(spec.relations)) {
    if (!present.has(`${relation.schema}.${name}`)) problems.push(`relations.${name}: no relation ${relation.schema}.${name} in the database`);
  }
  if (problems.length === 0) {
    for (const [name, relation] of Object.entries(spec.relations)) {
      for (const [actor, rules] of Object.entries(relation.rules)) {
        for (const [operation, rule] of Object.entries(rules)) {
          if (!isWhereRule(rule) || rule.alias) continue;
          try {
            await db.query(whereValidation({ schema: relation.schema, name, keyColumns: [] }, rule.where));
          } catch (error) {
            problems.push(`relations.${name}.rules.${actor}.${operation}: the where rule is not valid SQL over ${relation.schema}.${name}: ${(error as Error).message}`);
          }
        }
      }
    }
  }
  if (problems.length > 0) throw new SchemaproofError({ code: 'access_spec_invalid', file, problems });
}

async function relationInfos(db: Queryable, spec: AccessSpec, model: RowModel): Promise<Map<string, RelationInfo>> {
  const infos = new Map<string, RelationInfo>();
  for (const [name, relation] of Object.entries(spec.relations)) {
    const recipe = model.recipes.get(`${relation.schema}.${relation.kind === 'view' ? relation.of! : name}`) ?? null;
    let keyColumns: string[];
    if (relation.kind === 'view') keyColumns = [relation.idColumn ?? 'id'];
    else if (recipe) keyColumns = [...recipe.keyColumns];
    else {
      const columns = (await db.query(
        sql`select a.attname::text as name from pg_catalog.pg_attribute a where a.attrelid = ${`${relation.schema}.${name}`}::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
      )) as { name: string }[];
      keyColumns = relation.idColumn ? [relation.idColumn] : columns.some((column) => column.name === 'id') ? ['id'] : [columns[0]!.name];
    }
    infos.set(name, {
      name,
      spec: relation,
      schema: relation.schema,
      keyColumns,
      recipe,
      stateColumn: relation.kind === 'table' ? (recipe?.stateColumn ?? null) : null,
      partitionColumn: relation.kind === 'table' ? (recipe?.partitionColumn ?? null) : null,
    });
  }
  return infos;
}

/**
 * Recipes per template and spec, learned once per process: a template never
 * changes after it is built, and what a valid row is does not depend on the
 * seed (only which valid values are drawn).
 */
const learned = new Map<string, Promise<RowModel>>();

function learnedKey(server: PostgresServer, template: string, spec: AccessSpec, seed: number): string {
  return `${server.description}\0${template}\0${seed}\0${JSON.stringify(spec)}`;
}

/** One learned model per server, template, spec and seed (the seed draws the values). */
function learnOnce(server: PostgresServer, template: string, spec: AccessSpec, seed: number, learn: () => Promise<RowModel>): Promise<RowModel> {
  const key = learnedKey(server, template, spec, seed);
  let model = learned.get(key);
  if (!model) {
    model = learn();
    learned.set(key, model);
    model.catch(() => learned.delete(key));
  }
  return model;
}

/** Learn the row recipes of `spec` on a fresh clone of `template` (once per process). */
export function learnRowModel(server: PostgresServer, template: string, spec: AccessSpec, seed: number): Promise<RowModel> {
  return learnOnce(server, template, spec, seed, async () => {
    const clone = await templateHandle(server, template).clone('rls_rows');
    const db = server.connect(clone.name, { poolSize: 1, idleTimeoutMilliseconds: 0 });
    try {
      return await learnRows(db, spec, { seed });
    } finally {
      await db.dispose();
      await clone.drop();
    }
  });
}

/** Run the properties against fresh clones of `template`, or inside one rolled-back transaction on `scratch`. */
export async function runRls(options: RlsOptions): Promise<RlsResult> {
  const started = performance.now();
  const runs = options.runs ?? 100;
  const seed = options.seed ?? defaultRlsSeed;
  const wanted = options.properties ?? propertyNames;
  // A focused run exercises only part of the spec: it can never judge coverage of the rest.
  const checkExercise = options.focus ? false : (options.checkExercise ?? (wanted.includes('coverage') && wanted.includes('visibility') && wanted.includes('write_isolation')));
  const tally = newTally();
  const results: PropertyResult[] = [];
  const template = templateHandle(options.server, options.template);
  let coverage: CoverageFinding[] = [];
  const shared = options.sharedClone === true;
  const concurrency = options.concurrency ?? Math.min(2, availableParallelism());
  let sharedDb: { clone: OwnedDatabase; db: ConnectionPool; catalog: () => Promise<Catalog> } | null = null;
  let model = options.rowModel ?? null;
  let infos: Map<string, RelationInfo> | null = null;
  let checkedSpec = options.specChecked === true;
  /**
   * Check the spec and learn the rows once, then apply `prepare` (the
   * mutant): on a fresh clone's session (`pool`, where rows are learned
   * too), or inside the scratch clone's transaction (rows learned on a clone of
   * their own: learning commits).
   */
  const prepareSession = async (db: Queryable, pool: ConnectionPool | null): Promise<void> => {
    if (!checkedSpec) {
      await checkSpecAgainstDatabase(db, options.spec, await readCatalog(db, options.spec.exposedSchemas), options.specFile ?? '(access spec)');
      checkedSpec = true;
    }
    model ??= await (pool
      ? learnOnce(options.server, options.template, options.spec, seed, () => learnRows(pool, options.spec, { seed }))
      : learnRowModel(options.server, options.template, options.spec, seed));
    if (options.prepare) await options.prepare(db);
  };
  /**
   * The catalogue of `db`, read on first use and then kept: properties add
   * rows, never relations, policies or grants (a mutant's changes are made
   * before the first read).
   */
  const catalogReader = (db: Queryable): (() => Promise<Catalog>) => {
    let read: Promise<Catalog> | null = null;
    return () => (read ??= readCatalog(db, options.spec.exposedSchemas));
  };
  /** One property on `db` (a clone's session, or the scratch clone's open transaction). */
  const judgeProperty = async (db: Queryable, name: PropertyName, catalogOf: () => Promise<Catalog>, into: Tally): Promise<PropertyResult> => {
    const propertyStarted = performance.now();
    const casesBefore = into.cases;
    await ensureSessionFunctions(db);
    const catalog = await catalogOf();
    infos ??= await relationInfos(db, options.spec, model!);
    const present = new Set(catalog.relations.map((relation) => `${relation.schema}.${relation.name}`));
    const names = Object.keys(options.spec.relations).filter((relationName) => present.has(`${options.spec.relations[relationName]!.schema}.${relationName}`));
    if (name === 'coverage') {
      coverage = checkCoverage(options.spec, catalog);
      into.cases += 1;
      const counterexample = coverage.length > 0 ? { violation: null, alsoFailing: [], people: [], world: {}, coverage, rendered: '' } : undefined;
      return {
        name,
        runs: 1,
        cases: 1,
        passed: coverage.length === 0,
        durationMs: performance.now() - propertyStarted,
        seed,
        ...(counterexample ? { counterexample: { ...counterexample, rendered: renderCounterexample(counterexample) } } : {}),
      };
    }
    const bypassRoles = new Set(((await db.query(sql`select rolname::text as name from pg_catalog.pg_roles where rolbypassrls or rolsuper`)) as { name: string }[]).map((row) => row.name));
    const judged = options.focus ? names.filter((relationName) => options.focus!.includes(relationName)) : names;
    const context: PropertyContext = { spec: options.spec, model: model!, relations: infos, names, judged, owners: await tableOwners(db, options.spec), bypassRoles, tally: into };
    const arbitrary = worldArbitrary(options.spec, model!, options.maxRowsPerTable ? { maxRowsPerTable: options.maxRowsPerTable } : {});
    const steps =
      name === 'no_transaction_leak'
        ? fc.array(fc.record({ actor: fc.nat({ max: 20 }), relation: fc.nat({ max: 20 }), rollback: fc.boolean() }), { minLength: 2, maxLength: 6 })
        : fc.constant<LeakStep[]>([]);
    const property = fc.asyncProperty(arbitrary, steps, (shape, leakSteps) => (name === 'no_transaction_leak' ? checkLeak(db, context, shape, leakSteps) : checkWorld(db, name, context, shape)));
    const details = await fc.check(property, {
      // Leak worlds are cheap (a few statements each): at least three, so a quick run still commits and switches actors.
      numRuns: name === 'no_transaction_leak' ? Math.max(3, Math.ceil(runs / 2)) : runs,
      seed,
      ...(options.path ? { path: options.path } : {}),
      ...(options.endOnFailure ? { endOnFailure: true } : {}),
    });
    const error = details.errorInstance;
    const counterexample = error instanceof PropertyViolation || error instanceof HarnessFailure ? error.counterexample : undefined;
    const harnessError =
      error instanceof HarnessFailure
        ? `the harness could not judge this world: ${error.message}`
        : details.failed && !counterexample
          ? error instanceof Error
            ? error.message
            : String(error)
          : undefined;
    const replay = details.failed && details.counterexamplePath ? (options.replayCommand ?? defaultReplay)(name, details.seed, details.counterexamplePath) : undefined;
    return {
      name,
      runs: details.numRuns,
      cases: into.cases - casesBefore,
      passed: !details.failed,
      durationMs: performance.now() - propertyStarted,
      seed: details.seed,
      ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
      ...(replay ? { replay } : {}),
      ...(counterexample ? { counterexample } : {}),
      ...(harnessError ? { error: harnessError } : {}),
    };
  };
  /** A fresh clone with one session (the probe lives in its temporary schema, so the pool must never swap it), prepared. */
  const openClone = async (name: PropertyName): Promise<{ clone: OwnedDatabase; db: ConnectionPool; catalog: () => Promise<Catalog> }> => {
    const clone = await template.clone(`rls_${name}`);
    const db = options.server.connect(clone.name, { poolSize: 1, idleTimeoutMilliseconds: 0 });
    try {
      await prepareSession(db, db);
      await installProbe(db);
      await installAccept(db);
    } catch (error) {
      await db.dispose();
      await clone.drop();
      throw error;
    }
    return { clone, db, catalog: catalogReader(db) };
  };
  const onFreshClone = async <T>(name: PropertyName, fn: (db: ConnectionPool, catalogOf: () => Promise<Catalog>) => Promise<T>): Promise<T> => {
    const opened = await openClone(name);
    try {
      return await fn(opened.db, opened.catalog);
    } finally {
      await opened.db.dispose();
      await opened.clone.drop();
    }
  };
  const stopped = (): boolean => options.stopAtFirstFailure === true && results.some((result) => !result.passed);
  if (options.scratch) {
    const scratch = options.scratch;
    if (wanted.includes('no_transaction_leak')) throw new Error('no_transaction_leak commits its worlds: it cannot be judged inside the transaction of a scratch clone');
    try {
      await scratch.db.tx(async (tx: Transaction) => {
        await scratch.restart(tx);
        await prepareSession(tx, null);
        await scratch.confirm(tx);
        // Read after the mutant: its policies and grants are what coverage judges.
        const catalog = catalogReader(tx);
        for (const name of wanted) {
          if (stopped()) break;
          results.push(await judgeProperty(tx, name, catalog, tally));
        }
        throw new Rollback();
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }
  } else if (!shared && !options.stopAtFirstFailure && concurrency > 1) {
    // Side by side, each property on its own clone with its own tally;
    // results and tallies are put together in property order, so the result
    // is the one judging them one after the other gives.
    const judged = await mapConcurrently(wanted, concurrency, async (name) => {
      const own = newTally();
      const result = await onFreshClone(name, (db, catalogOf) => judgeProperty(db, name, catalogOf, own));
      return { result, own };
    });
    for (const { result, own } of judged) {
      results.push(result);
      addTally(tally, own);
    }
  } else {
    try {
      for (const name of wanted) {
        if (stopped()) break;
        if (!shared) {
          results.push(await onFreshClone(name, (db, catalogOf) => judgeProperty(db, name, catalogOf, tally)));
          continue;
        }
        sharedDb ??= await openClone(name);
        results.push(await judgeProperty(sharedDb.db, name, sharedDb.catalog, tally));
      }
    } finally {
      if (sharedDb) {
        await sharedDb.db.dispose();
        await sharedDb.clone.drop();
      }
    }
  }
  const rowNotes: Record<string, string[]> = {};
  for (const recipe of model?.recipes.values() ?? []) {
    const notes = [...(recipe.error ? [recipe.error] : []), ...recipe.notes];
    if (notes.length > 0) rowNotes[recipe.relation] = notes;
  }
  if (checkExercise && infos) {
    const findings = exerciseFindings(options.spec, infos, tally, rowNotes);
    const index = results.findIndex((result) => result.name === 'coverage');
    if (findings.length > 0 && index >= 0) {
      const previous = results[index]!;
      const all = [...(previous.counterexample?.coverage ?? []), ...findings];
      const example = { violation: null, alsoFailing: [], people: [], world: {}, coverage: all };
      results[index] = { ...previous, passed: false, counterexample: { ...example, rendered: renderCounterexample(example) } };
      coverage = [...coverage, ...findings];
    }
  }
  const durationMs = performance.now() - started;
  const actorOrder = [...options.spec.actors.map((actor) => actor.name), 'owner', 'owner_probe'];
  const snapshot = snapshotTally(tally);
  const observedMatrix = observedMatrixOf(snapshot, actorOrder);
  return {
    properties: results,
    passed: results.every((result) => result.passed),
    seed,
    runs,
    cases: tally.cases,
    casesPerSecond: tally.cases / (durationMs / 1000),
    durationMs,
    observedMatrix,
    coverage,
    unreviewed: unreviewedRelations(options.spec),
    rowNotes,
    ...(options.keepTally ? { tally: { snapshot, targets: infos ? exerciseTargets(options.spec, infos, rowNotes) : [], actorOrder } } : {}),
  };
}
