/**
 * The property runner: each property gets a fresh clone of the migrated
 * template and one connection; fast-check generates worlds, each world is
 * loaded and checked inside one transaction that is rolled back (the leak
 * property commits its worlds, because it is about what survives a
 * transaction). Failures come back shrunk, with seed, path and a replay
 * command; every judged case feeds the observed access matrix.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sql, type ConnectionPool, type Queryable, type SQLQuery } from '@databases/pg';
import { renderSql } from './literal.ts';
import { asActor, templateHandle, type Actor, type OwnedDatabase, type PostgresServer } from '../postgres/index.ts';
import { readCatalog, checkCoverage, type Catalog, type CoverageFinding } from './catalog.ts';
import { buildCases, judge, short, parseTruth, propertyNames, truthQuery, worldActors, type Case, type PropertyName, type Truth, type Violation, type WorldActor } from './cases.ts';
import { classOf } from './predicates.ts';
import { installProbe, runProbes } from './probe.ts';
import { describeRule, actorKinds, type AccessSpec, type ActorKind, type Operation } from './spec.ts';
import { planWorld, worldArbitrary, type LoadedWorld, type WorldShape } from './world.ts';

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
  readonly error?: string;
}

export interface MatrixCell {
  readonly relation: string;
  readonly actor: ActorKind | 'owner' | 'owner_probe';
  readonly operation: Operation;
  readonly expected: string;
  /** Observed outcomes per row class (own, other, anonymous, any), each a list of distinct outcomes. */
  readonly observed: Readonly<Record<string, readonly string[]>>;
  readonly cases: number;
  readonly violations: number;
  readonly agrees: boolean;
}

export interface RlsResult {
  readonly properties: readonly PropertyResult[];
  readonly passed: boolean;
  readonly cases: number;
  readonly casesPerSecond: number;
  readonly durationMs: number;
  readonly observedMatrix: readonly MatrixCell[];
  readonly coverage: readonly CoverageFinding[];
}

export interface RlsOptions {
  readonly server: PostgresServer;
  /** Name of the migrated template to clone (one clone per property). */
  readonly template: string;
  readonly spec: AccessSpec;
  readonly runs?: number;
  readonly seed?: number;
  readonly path?: string;
  readonly properties?: readonly PropertyName[];
  /** Stop at the first failure without shrinking (mutation testing). */
  readonly endOnFailure?: boolean;
  /** SQL applied to each clone before the properties run (a mutant). */
  readonly prepare?: (db: ConnectionPool) => Promise<void>;
  readonly maxRowsPerTable?: number;
  /** One clone for all properties instead of one per property (the mutation self-test). */
  readonly sharedClone?: boolean;
  /** Skip the remaining properties after the first failure. */
  readonly stopAtFirstFailure?: boolean;
  readonly replayCommand?: (property: PropertyName, seed: number, path: string) => string;
}

class PropertyViolation extends Error {
  constructor(readonly counterexample: Counterexample) {
    super(counterexample.violation ? `${counterexample.violation.problem}` : 'property failed');
  }
}

class Rollback extends Error {}

interface Tally {
  cases: number;
  readonly cells: Map<string, { relation: string; actor: MatrixCell['actor']; operation: Operation; expected: string; observed: Map<string, Set<string>>; cases: number; violations: number }>;
}

function record(tally: Tally, testCase: Case, observed: ReadonlyMap<string, string>, failed: boolean): void {
  const actor = testCase.actor.kind;
  const relation = testCase.target === testCase.relation ? testCase.relation : `${testCase.relation} (partition ${testCase.target})`;
  const key = `${relation}|${actor}|${testCase.operation}|${testCase.variant === 'owner_without_bypassrls' ? 'owner' : ''}`;
  let cell = tally.cells.get(key);
  if (!cell) {
    cell = { relation, actor, operation: testCase.operation, expected: testCase.expectedRule, observed: new Map(), cases: 0, violations: 0 };
    tally.cells.set(key, cell);
  }
  cell.cases += 1;
  if (failed) cell.violations += 1;
  for (const [rowClass, outcome] of observed) {
    const set = cell.observed.get(rowClass) ?? new Set<string>();
    set.add(testCase.variant === 'by_id' || testCase.variant === 'row' || testCase.variant === 'all_rows' || testCase.variant === 'touch' ? outcome : `${testCase.variant}: ${outcome}`);
    cell.observed.set(rowClass, set);
  }
}

function summariseWorld(world: LoadedWorld, truth: Truth): Record<string, WorldRowSummary[]> {
  const summary: Record<string, WorldRowSummary[]> = {};
  for (const [name, rows] of Object.entries(truth)) {
    if (rows.length === 0) continue;
    summary[name] = rows.map((row) => ({
      id: row.id,
      owner: world.labelOf(row.owner),
      ...(row.state ? { state: row.state } : {}),
      ...(row.part && row.part !== name ? { partition: row.part } : {}),
    }));
  }
  return summary;
}

export function renderCounterexample(example: Omit<Counterexample, 'rendered'>): string {
  const lines: string[] = [];
  const v = example.violation;
  if (v) {
    lines.push(`${v.property}: ${v.problem}`);
    lines.push(`  actor:     ${v.actor} (${v.actorKind})${v.claims ? ` claims ${JSON.stringify(v.claims)}` : ''}`);
    lines.push(`  operation: ${v.operation.toUpperCase()} on ${v.target}${v.target !== v.relation ? ` (partition of ${v.relation})` : ''}, row class ${v.rowClass}, variant ${v.variant}`);
    if (v.setup) lines.push(`  setup:     ${v.setup}`);
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
    people: world.people.map((person) => ({ label: person.label, id: person.id, kind: person.kind, claims: person.claims })),
    world: summariseWorld(world, truth),
    ...extra,
  };
  return { ...base, rendered: renderCounterexample(base) };
}

interface PropertyContext {
  readonly spec: AccessSpec;
  readonly relations: readonly string[];
  readonly owners: Readonly<Record<string, string>>;
  readonly tally: Tally;
}

async function checkWorld(db: ConnectionPool, property: PropertyName, context: PropertyContext, shape: WorldShape): Promise<void> {
  const world = planWorld(shape);
  const probeRole = property === 'side_doors' ? `schemaproof_owner_probe_${randomBytes(4).toString('hex')}` : undefined;
  let failure: Counterexample | null = null;
  try {
    await db.tx(async (tx) => {
      if (probeRole) await tx.query(sql`create role ${sql.ident(probeRole)} nologin nobypassrls`);
      await tx.query(sql.__dangerous__rawValue(world.sql));
      const truth = parseTruth((await tx.query(truthQuery(context.spec, context.relations)))[0]!.truth as Record<string, unknown>);
      const actors = worldActors(world);
      const cases = buildCases(property, { spec: context.spec, world, truth, actors }, {
        relations: context.relations,
        ...(probeRole ? { ownerProbeRole: probeRole } : {}),
        owners: context.owners,
      });
      const outcomes = await runProbes(tx, cases.map((testCase) => testCase.request));
      const violations: Violation[] = [];
      cases.forEach((testCase, index) => {
        const judgement = judge(testCase, outcomes[index]!, world, truth);
        record(context.tally, testCase, judgement.observed, judgement.violation !== null);
        if (judgement.violation) violations.push(judgement.violation);
      });
      context.tally.cases += cases.length;
      if (property === 'audit_trail') violations.push(...(await auditChecks(tx, context, world)));
      if (violations.length > 0) failure = makeCounterexample(world, truth, violations);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  if (failure) throw new PropertyViolation(failure);
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

/** Property 6: every audited row is logged, the chain verifies, and tampering is found. */
async function auditChecks(tx: Queryable, context: PropertyContext, _world: LoadedWorld): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const name of context.relations) {
    const relation = context.spec.relations[name]!;
    if (!relation.audit) continue;
    const logIdent = sql.ident(relation.schema, name);
    for (const audited of relation.audit.of) {
      const auditedSpec = context.spec.relations[audited];
      if (!auditedSpec) continue;
      const query = sql`select count(*)::int as missing from ${sql.ident(auditedSpec.schema, audited)} as a
        where not exists (select 1 from ${logIdent} as l where l.${sql.ident(relation.audit.targetColumn)} = a.${sql.ident(auditedSpec.idColumn)})`;
      const missing = (await tx.query(query))[0]!.missing as number;
      if (missing > 0) violations.push(auditViolation(name, `${missing} row(s) of ${audited} have no audit entry`, renderSqlText(query)));
    }
    const verify = sql`select count(*)::int as broken from ${sql.ident(relation.audit.verifyFunction.schema, relation.audit.verifyFunction.name)}()`;
    const broken = (await tx.query(verify))[0]!.broken as number;
    if (broken > 0) violations.push(auditViolation(name, `the untouched chain does not verify (${broken} broken link(s))`, renderSqlText(verify)));
    const rows = (await tx.query(sql`select ${sql.ident(relation.idColumn)}::text as id from ${logIdent} limit 1`)) as { id: string }[];
    if (rows[0]) {
      await tx.query(sql`savepoint schemaproof_tamper`);
      await tx.query(sql`set local session_replication_role = replica`);
      await tx.query(sql`update ${logIdent} set details = details || '{"tampered": true}'::jsonb where ${sql.ident(relation.idColumn)} = ${rows[0].id}::uuid`);
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

const leakActorsCount = 4;

interface LeakStep {
  readonly actor: number;
  readonly relation: number;
  readonly rollback: boolean;
}

function leakActor(world: LoadedWorld, index: number): { actor: Actor; worldActor: WorldActor } {
  const people = world.people;
  const all = people.length + leakActorsCount;
  const pick = index % all;
  if (pick < people.length) {
    const person = people[pick]!;
    const actor: Actor = person.kind === 'admin' ? { kind: 'admin', id: person.id, claims: person.claims } : { kind: 'user', id: person.id, claims: person.claims };
    return { actor, worldActor: { label: person.label, kind: person.kind, id: person.id, role: 'authenticated', claims: person.claims } };
  }
  switch (pick - people.length) {
    case 0:
      return { actor: { kind: 'anon' }, worldActor: { label: 'anon', kind: 'anon', id: null, role: 'anon', claims: null } };
    case 1:
      return { actor: { kind: 'service' }, worldActor: { label: 'service', kind: 'service', id: null, role: 'service_role', claims: null } };
    case 2:
      return { actor: { kind: 'role', role: 'authenticated' }, worldActor: { label: 'authenticated without claims', kind: 'user', id: null, role: 'authenticated', claims: null } };
    default:
      return { actor: { kind: 'role', role: 'anon' }, worldActor: { label: 'anon without claims', kind: 'anon', id: null, role: 'anon', claims: null } };
  }
}

async function checkLeak(db: ConnectionPool, context: PropertyContext, shape: WorldShape, steps: readonly LeakStep[]): Promise<void> {
  const world = planWorld(shape);
  await db.tx((tx) => tx.query(sql.__dangerous__rawValue(world.sql)));
  const truth = parseTruth((await db.query(truthQuery(context.spec, context.relations)))[0]!.truth as Record<string, unknown>);
  const readable = context.relations.filter((name) => context.spec.relations[name]!.ownerColumn !== null);
  const log: string[] = [];
  const violations: Violation[] = [];
  const sessionUser = ((await db.query(sql`select session_user::text as name`))[0]!.name as string);
  for (const step of steps) {
    const name = readable[step.relation % readable.length]!;
    const relation = context.spec.relations[name]!;
    const { actor, worldActor } = leakActor(world, step.actor);
    const select = sql`select t.${sql.ident(relation.idColumn)}::text as id from ${sql.ident(relation.schema, name)} as t`;
    const statement = renderSqlText(select);
    let ids: string[] | null = null;
    let uid: string | null = null;
    let errorState: string | null = null;
    try {
      await asActor(db, actor, async (tx) => {
        uid = ((await tx.query(sql`select auth.uid()::text as uid`))[0]!.uid as string | null) ?? null;
        await tx.query(sql`savepoint leak_select`);
        try {
          ids = ((await tx.query(select)) as { id: string }[]).map((row) => row.id);
        } catch (error) {
          errorState = (error as { code?: string }).code ?? 'unknown';
          await tx.query(sql`rollback to savepoint leak_select`);
        }
      }, { rollback: step.rollback });
    } catch (error) {
      errorState = (error as { code?: string }).code ?? 'unknown';
    }
    const rule = worldActor.kind === 'owner' || worldActor.kind === 'owner_probe' ? 'none' : relation.rules[worldActor.kind].select;
    const expected = (truth[name] ?? []).filter((row) => {
      const rowClass = classOf(row.owner, worldActor.id, relation.ownerColumn !== null);
      return rule === 'all' || (rule === 'own' && rowClass === 'own') || (rule === 'owner_null' && rowClass === 'anonymous');
    }).map((row) => row.id);
    const seen: string[] = ids ?? [];
    log.push(`${worldActor.label}: ${statement} -> ${ids === null ? `error ${errorState}` : `${seen.length} row(s)`}, auth.uid() = ${uid ?? 'null'} (${step.rollback ? 'rolled back' : 'committed'})`);
    const base = {
      property: 'no_transaction_leak' as const, relation: name, target: name, actor: worldActor.label, actorKind: worldActor.kind, claims: worldActor.claims,
      operation: 'select' as const, rowClass: 'mixed', variant: 'sequence', sql: statement, expected: describeRule(rule),
    };
    if (uid !== worldActor.id) violations.push({ ...base, observed: `auth.uid() = ${uid}`, problem: `auth.uid() is ${world.labelOf(uid)} but the transaction carries ${worldActor.id ? world.labelOf(worldActor.id) : 'no subject'}: identity leaked from an earlier transaction` });
    const extra = seen.filter((id) => !expected.includes(id));
    if (extra.length > 0) {
      violations.push({ ...base, observed: `${seen.length} row(s)`, expectedIds: expected, observedIds: seen, problem: `sees ${extra.length} row(s) it may not (owners ${[...new Set(extra.map((id) => world.labelOf((truth[name] ?? []).find((row) => row.id === id)?.owner ?? null)))].join(', ')})` });
    }
    const bare = (await db.tx((tx) => tx.query(sql`select current_user::text as role, auth.uid()::text as uid, coalesce(current_setting('request.jwt.claims', true), '') as claims`)))[0]!;
    if (bare.role !== sessionUser || bare.uid !== null || bare.claims !== '') {
      violations.push({ ...base, actor: 'next transaction without an actor', actorKind: 'none', claims: null, sql: 'select current_user, auth.uid(), current_setting(\'request.jwt.claims\', true)', observed: JSON.stringify(bare), problem: `after ${worldActor.label}'s transaction, a fresh transaction still runs as ${bare.role} with auth.uid() = ${bare.uid ?? 'null'} and claims '${bare.claims}'` });
    }
    if (violations.length > 0) break;
  }
  context.tally.cases += log.length;
  if (violations.length > 0) throw new PropertyViolation(makeCounterexample(world, truth, violations, { steps: log }));
}

async function tableOwners(db: Queryable, spec: AccessSpec): Promise<Record<string, string>> {
  const owners: Record<string, string> = {};
  for (const [name, relation] of Object.entries(spec.relations)) {
    const rows = await db.query(sql`select pg_catalog.pg_get_userbyid(c.relowner) as owner from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = ${relation.schema} and c.relname = ${name}`);
    if (rows[0]) owners[name] = rows[0].owner as string;
  }
  return owners;
}

function defaultReplay(property: PropertyName, seed: number, path: string): string {
  return `schemaproof rls --property ${property} --seed ${seed} --path ${path}`;
}

/** Run the properties against fresh clones of `template`. */
export async function runRls(options: RlsOptions): Promise<RlsResult> {
  const started = performance.now();
  const runs = options.runs ?? 100;
  const seed = options.seed ?? (Math.floor(Math.random() * 2 ** 31) | 0);
  const wanted = options.properties ?? propertyNames;
  const tally: Tally = { cases: 0, cells: new Map() };
  const results: PropertyResult[] = [];
  const template = templateHandle(options.server, options.template);
  let coverage: CoverageFinding[] = [];
  const shared = options.sharedClone === true;
  let sharedDb: { clone: OwnedDatabase; db: ConnectionPool } | null = null;
  try {
    for (const name of wanted) {
      const propertyStarted = performance.now();
      const casesBefore = tally.cases;
      if (options.stopAtFirstFailure && results.some((result) => !result.passed)) break;
      if (!shared || !sharedDb) {
        const clone = await template.clone(`rls_${name}`);
        const db = options.server.connect(clone.name, { poolSize: 1 });
        try {
          if (options.prepare) await options.prepare(db);
          await installProbe(db);
        } catch (error) {
          await db.dispose();
          await clone.drop();
          throw error;
        }
        sharedDb = { clone, db };
      }
      const { clone, db } = sharedDb;
      try {
        const catalog: Catalog = await readCatalog(db, options.spec.exposedSchemas);
        const present = new Set(catalog.relations.map((relation) => `${relation.schema}.${relation.name}`));
        const relations = Object.keys(options.spec.relations).filter((relationName) => present.has(`${options.spec.relations[relationName]!.schema}.${relationName}`));
        if (name === 'coverage') {
          coverage = checkCoverage(options.spec, catalog);
          tally.cases += 1;
          const counterexample = coverage.length > 0 ? { violation: null, alsoFailing: [], people: [], world: {}, coverage, rendered: '' } : undefined;
          results.push({
            name,
            runs: 1,
            cases: 1,
            passed: coverage.length === 0,
            durationMs: performance.now() - propertyStarted,
            seed,
            ...(counterexample ? { counterexample: { ...counterexample, rendered: renderCounterexample(counterexample) } } : {}),
          });
          continue;
        }
        const context: PropertyContext = { spec: options.spec, relations, owners: await tableOwners(db, options.spec), tally };
        const arbitrary = worldArbitrary(options.maxRowsPerTable ? { maxRowsPerTable: options.maxRowsPerTable } : {});
        const steps = name === 'no_transaction_leak'
          ? fc.array(fc.record({ actor: fc.nat({ max: 20 }), relation: fc.nat({ max: 20 }), rollback: fc.boolean() }), { minLength: 2, maxLength: 6 })
          : fc.constant<LeakStep[]>([]);
        const property = fc.asyncProperty(arbitrary, steps, (shape, leakSteps) =>
          name === 'no_transaction_leak' ? checkLeak(db, context, shape, leakSteps) : checkWorld(db, name, context, shape),
        );
        const details = await fc.check(property, {
          numRuns: name === 'no_transaction_leak' ? Math.max(1, Math.ceil(runs / 2)) : runs,
          seed,
          ...(options.path ? { path: options.path } : {}),
          ...(options.endOnFailure ? { endOnFailure: true } : {}),
        });
        const error = details.errorInstance;
        const counterexample = error instanceof PropertyViolation ? error.counterexample : undefined;
        const replay = details.failed && details.counterexamplePath ? (options.replayCommand ?? defaultReplay)(name, details.seed, details.counterexamplePath) : undefined;
        results.push({
          name,
          runs: details.numRuns,
          cases: tally.cases - casesBefore,
          passed: !details.failed,
          durationMs: performance.now() - propertyStarted,
          seed: details.seed,
          ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
          ...(replay ? { replay } : {}),
          ...(counterexample ? { counterexample } : {}),
          ...(details.failed && !counterexample ? { error: error instanceof Error ? error.message : String(error) } : {}),
        });
      } finally {
        if (!shared) {
          await db.dispose();
          await clone.drop();
          sharedDb = null;
        }
      }
    }
  } finally {
    if (sharedDb) {
      await sharedDb.db.dispose();
      await sharedDb.clone.drop();
    }
  }
  const durationMs = performance.now() - started;
  const observedMatrix: MatrixCell[] = [...tally.cells.values()]
    .map((cell) => ({
      relation: cell.relation,
      actor: cell.actor,
      operation: cell.operation,
      expected: cell.expected,
      observed: Object.fromEntries([...cell.observed].map(([rowClass, set]) => [rowClass, [...set].sort()])),
      cases: cell.cases,
      violations: cell.violations,
      agrees: cell.violations === 0,
    }))
    .sort((a, b) => a.relation.localeCompare(b.relation) || actorOrder(a.actor) - actorOrder(b.actor) || a.operation.localeCompare(b.operation));
  return {
    properties: results,
    passed: results.every((result) => result.passed),
    cases: tally.cases,
    casesPerSecond: tally.cases / (durationMs / 1000),
    durationMs,
    observedMatrix,
    coverage,
  };
}

function actorOrder(actor: MatrixCell['actor']): number {
  const order = [...actorKinds, 'owner', 'owner_probe'];
  return order.indexOf(actor);
}
