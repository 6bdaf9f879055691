/**
 * Learn how to build valid rows of every relation from the database itself,
 * as the superuser, in one transaction that is rolled back:
 *   1. candidate values per column (values.ts), kept when the server accepts
 *      them (type conversion, domain and single-column CHECKs);
 *   2. per situation (owner or none, each state) a body of column values that
 *      a real INSERT accepts — starting from the NOT NULL columns and
 *      repairing what the server refuses (the failing constraint names the
 *      columns to change), triggers included;
 *   3. a partition key value per reachable leaf partition, by routing;
 *   4. the extra columns a change to each state needs, and a column that a
 *      harmless UPDATE can change.
 * Nothing here depends on the policies under test.
 */
import { randomUUID } from 'node:crypto';
import { sql, type ConnectionPool, type Transaction } from '@databases/pg';
import type { AccessSpec, RelationSpec } from '../spec.ts';
import { buildRow, insertSql, literal, newContext, setSql, situationKey, keyCondition, keyTextOf, type Body, type OwnerKind, type PlannedRow, type SqlValue, type TableRecipe } from './build.ts';
import { readTableClosure, type ColumnModel, type TableModel } from './model.ts';
import { acceptCandidates, installAccept, Pools, seededRandom, type SlotKind } from './pools.ts';
import { columnArbitrary, sampleCandidates } from './values.ts';
import { renderSql } from '../literal.ts';

export interface RowModel {
  /** The users table (schema.name) people are inserted into, or null. */
  readonly usersTable: string | null;
  readonly usersColumns: ReadonlySet<string>;
  /** Recipes by qualified table name (spec tables and the tables their foreign keys reach). */
  readonly recipes: ReadonlyMap<string, TableRecipe>;
  /** Qualified names, parents first. */
  readonly order: readonly string[];
  readonly pools: Pools;
}

export interface LearnOptions {
  readonly seed: number;
  /** Users table (default auth.users when it exists). */
  readonly usersTable?: string;
}

class Rollback extends Error {}

interface DbError {
  readonly code?: string;
  readonly constraint?: string;
  readonly column?: string;
  readonly message: string;
}

const qualifiedOf = (relation: RelationSpec, name: string): string => `${relation.schema}.${name}`;

/** The columns identifying a row: the spec's idColumn, else `id`, else the primary key. */
export function keyColumnsOf(model: TableModel, idColumn: string | undefined): string[] {
  if (idColumn) return [idColumn];
  if (model.columns.some((column) => column.name === 'id')) return ['id'];
  return model.primaryKey.length > 0 ? [...model.primaryKey] : [model.columns[0]!.name];
}

function parsePartitionBound(bound: string): string | null {
  const match = /FOR VALUES (?:FROM|IN) \(('(?:[^']|'')*'|[^,)]+)/.exec(bound);
  if (!match) return null;
  const value = match[1]!.trim();
  if (value === 'MINVALUE' || value === 'MAXVALUE') return null;
  return value.startsWith("'") ? value.slice(1, -1).replace(/''/g, "'") : value;
}

function slotKindFor(column: ColumnModel): SlotKind | null {
  const type = column.type.kind === 'domain' && column.type.base ? column.type.base : column.type;
  if (type.typname === 'uuid') return 'uuid';
  if (['int2', 'int4', 'int8', 'numeric'].includes(type.typname)) return 'counter';
  if (['enum', 'array', 'composite', 'range'].includes(type.kind) || type.typname === 'bool') return null;
  return 'pool';
}

const generatesUniqueValues = (column: ColumnModel): boolean =>
  column.identity !== '' || (column.defaultExpression !== null && (/nextval\(/.test(column.defaultExpression) || slotKindFor(column) === 'uuid'));

function sortParentsFirst(models: ReadonlyMap<string, TableModel>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, strict: boolean): void => {
    if (state.get(name) === 'done' || state.get(name) === 'visiting') return;
    state.set(name, 'visiting');
    const model = models.get(name)!;
    for (const fk of model.foreignKeys) {
      if (fk.parent === name || !models.has(fk.parent)) continue;
      const required = fk.columns.some((column) => model.columns.find((candidate) => candidate.name === column)?.notNull);
      if (strict || required) visit(fk.parent, strict);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...models.keys()].sort()) visit(name, true);
  return order;
}

interface Draft {
  relation: string;
  model: TableModel;
  spec: RelationSpec | null;
  keyColumns: string[];
  ownerColumn: string | null;
  stateColumn: string | null;
  candidateStates: string[];
  initialStates: string[];
  slots: Map<string, SlotKind>;
  overriding: boolean;
  sameOwner: Set<string>;
  partitionColumn: string | null;
  partitionCandidates: string[];
  hintSql: Map<string, string>;
  notes: string[];
}

/** Learn recipes for every table of the spec (and the tables their foreign keys reach). */
export async function learnRows(db: ConnectionPool, spec: AccessSpec, options: LearnOptions): Promise<RowModel> {
  const random = seededRandom(options.seed);
  const nowMs = Date.now();
  const specTables = Object.entries(spec.relations).filter(([, relation]) => relation.kind === 'table');
  const usersCandidate = options.usersTable ?? 'auth.users';
  const usersRows = (await db.query(sql`
    select array(select a.attname::text from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname || '.' || c.relname = ${usersCandidate}`)) as { columns: string[] }[];
  const usersTable = usersRows.length > 0 ? usersCandidate : null;
  const usersColumns = new Set(usersRows[0]?.columns ?? []);
  const roles = [...new Set(spec.actors.map((actor) => actor.role))];
  const models = await db.tx((tx) =>
    readTableClosure(
      tx,
      specTables.map(([name, relation]) => qualifiedOf(relation, name)),
      roles,
      usersTable ? [usersTable] : [],
    ),
  );
  await installAccept(db);
  const pools = new Pools();
  const specByQualified = new Map(specTables.map(([name, relation]) => [qualifiedOf(relation, name), { name, relation }]));
  const referenced = new Map<string, Set<string>>();
  for (const model of models.values()) {
    for (const fk of model.foreignKeys) {
      const set = referenced.get(fk.parent) ?? new Set<string>();
      for (const column of fk.parentColumns) set.add(column);
      referenced.set(fk.parent, set);
    }
  }

  const drafts = new Map<string, Draft>();
  for (const [qualified, model] of models) {
    const entry = specByQualified.get(qualified);
    const relation = entry?.relation ?? null;
    const hints = relation?.hints;
    const ownerColumn = relation?.ownerColumn ?? null;
    const stateColumn = hints?.state?.column ?? relation?.stateMachine?.column ?? null;
    const columnNames = new Set(model.columns.map((column) => column.name));
    const notes: string[] = [];
    for (const column of [ownerColumn, stateColumn, ...Object.keys(hints?.columns ?? {})]) {
      if (column && !columnNames.has(column)) notes.push(`column ${column} named in the spec does not exist`);
    }
    const fkColumns = new Set(model.foreignKeys.flatMap((fk) => fk.columns));
    const partitionColumn = model.partitionKey.length === 1 ? model.partitionKey[0]! : null;
    if (model.partitionKey.length > 1) notes.push(`multi-column partition key (${model.partitionKey.join(', ')}): rows go where their values route them`);
    const keyColumns = keyColumnsOf(model, relation?.idColumn);
    // Fresh values: the key, columns other tables reference, and one column of each unique set that has none.
    const slots = new Map<string, SlotKind>();
    let overriding = false;
    const fixed = new Set([ownerColumn, stateColumn, partitionColumn].filter((column): column is string => column !== null));
    const addSlot = (name: string): boolean => {
      const column = model.columns.find((candidate) => candidate.name === name);
      if (!column || column.generated || fixed.has(name) || fkColumns.has(name) || hints?.columns[name]) return false;
      const kind = slotKindFor(column);
      if (!kind) return false;
      slots.set(name, kind);
      if (column.identity === 'a') overriding = true;
      return true;
    };
    for (const column of keyColumns) addSlot(column);
    for (const column of referenced.get(qualified) ?? []) addSlot(column);
    for (const unique of model.uniques) {
      if (unique.some((name) => slots.has(name) || generatesUniqueValues(model.columns.find((column) => column.name === name)!))) continue;
      for (const name of unique) if (addSlot(name)) break;
    }
    // Foreign keys tied to the owner: named in the hints, or computed from the owner column (a generated column in the key).
    const sameOwner = new Set<string>();
    for (const fk of model.foreignKeys) {
      const named = (hints?.sameOwner ?? []).some((entry) => entry === fk.name || fk.columns.includes(entry));
      const generatedFromOwner = ownerColumn !== null && model.columns.find((column) => column.name === ownerColumn)?.generatedFrom.some((generated) => fk.columns.includes(generated));
      if (named || generatedFromOwner) sameOwner.add(fk.name);
    }
    for (const entry of hints?.sameOwner ?? []) {
      if (!model.foreignKeys.some((fk) => fk.name === entry || fk.columns.includes(entry))) notes.push(`sameOwner: no foreign key named ${entry} or using that column`);
    }
    const hintSql = new Map(Object.entries(hints?.columns ?? {}).flatMap(([column, hint]) => ('sql' in hint ? [[column, hint.sql] as const] : [])));
    const stateColumnModel = stateColumn ? model.columns.find((column) => column.name === stateColumn) : undefined;
    const stateHint = stateColumn ? hints?.columns[stateColumn] : undefined;
    const candidateStates = stateColumnModel
      ? stateHint && 'values' in stateHint
        ? stateHint.values.map(String)
        : (stateColumnModel.type.labels ??
          stateColumnModel.type.base?.labels ?? [
            ...(relation?.stateMachine ? [relation.stateMachine.initial, ...relation.stateMachine.terminal, ...Object.keys(relation.stateMachine.transitions)] : []),
          ])
      : [];
    const initialStates = hints?.state?.initial ?? (relation?.stateMachine ? [relation.stateMachine.initial] : []);
    drafts.set(qualified, {
      relation: entry?.name ?? qualified,
      model,
      spec: relation,
      keyColumns,
      ownerColumn,
      stateColumn,
      candidateStates: [...new Set(candidateStates)],
      initialStates,
      slots,
      overriding,
      sameOwner,
      partitionColumn,
      partitionCandidates: model.leaves.map((leaf) => parsePartitionBound(leaf.bound)).filter((value): value is string => value !== null),
      hintSql,
      notes,
    });
  }

  // Candidate values, kept when the server accepts them.
  for (const draft of drafts.values()) {
    const { model } = draft;
    const candidates: Record<string, unknown[]> = {};
    const checks: Record<string, string> = {};
    for (const column of model.columns) {
      if (column.generated || draft.hintSql.has(column.name)) continue;
      const hint = draft.spec?.hints.columns[column.name];
      const arbitrary = columnArbitrary(column, model, hint, nowMs);
      if (!arbitrary) continue;
      const isSlot = draft.slots.get(column.name) === 'pool';
      const count = hint && 'values' in hint ? hint.values.length * 3 : isSlot ? 150 : 16;
      candidates[column.name] = hint && 'values' in hint ? [...hint.values] : sampleCandidates(arbitrary, count, Math.floor(random() * 2 ** 31));
      if (column.name === draft.partitionColumn) candidates[column.name]!.unshift(...draft.partitionCandidates);
      if (column.name === draft.stateColumn) candidates[column.name] = [...draft.candidateStates];
      const own = model.checks.filter((check) => check.columns.length === 1 && check.columns[0] === column.name);
      checks[column.name] = own.length > 0 ? own.map((check) => `coalesce((${check.expression}), true)`).join(' and ') : 'true';
    }
    const accepted = await acceptCandidates(db, model.qualified, candidates, checks);
    for (const [column, values] of Object.entries(accepted)) pools.setAccepted(model.qualified, column, values);
    if (draft.stateColumn) draft.candidateStates = draft.candidateStates.filter((state) => (accepted[draft.stateColumn!] ?? []).includes(state));
    for (const [column, kind] of [...draft.slots]) {
      const columnModel = model.columns.find((candidate) => candidate.name === column)!;
      if (kind === 'uuid') pools.defineUuidSlot(model.qualified, column);
      else if (kind === 'counter') {
        const values = (accepted[column] ?? []).map(Number).filter((value) => Number.isInteger(value));
        const typeMax = columnModel.type.typname === 'int2' ? 30_000 : 2_000_000_000;
        const start = Math.min(typeMax - 100_000 > 0 ? typeMax - 100_000 : 1000, Math.max(1000, ...values) + 1000 + Math.floor(random() * 1000));
        // A counter walks past any range or step a CHECK on the column asks
        // for (a year, an even cycle): then the column takes accepted values
        // like any other, and rows that collide on the unique key retry.
        const counted = Array.from({ length: 32 }, (_, step) => start + step);
        const passing = checks[column] === 'true' ? counted.length : ((await acceptCandidates(db, model.qualified, { [column]: counted }, { [column]: checks[column]! }))[column] ?? []).length;
        if (passing < counted.length) {
          draft.slots.delete(column);
          continue;
        }
        pools.defineCounterSlot(model.qualified, column, start);
      } else {
        const arbitrary = columnArbitrary(columnModel, model, draft.spec?.hints.columns[column], nowMs);
        const ok =
          arbitrary !== null &&
          pools.definePoolSlot(model.qualified, column, accepted[column] ?? [], {
            table: model.qualified,
            column,
            check: checks[column] ?? 'true',
            candidates: () => sampleCandidates(arbitrary, 200, Math.floor(random() * 2 ** 31)),
          });
        if (!ok) {
          draft.slots.delete(column);
          draft.notes.push(`could not draw enough distinct values for ${column}; rows may collide on it (a hint can give a pattern)`);
        }
      }
    }
  }

  const order = sortParentsFirst(models);
  const recipes = new Map<string, TableRecipe>();
  const trialRows: PlannedRow[] = [];
  try {
    await db.tx(async (tx) => {
      const people = [randomUUID(), randomUUID()];
      if (usersTable) {
        for (const id of people) await tx.query(peopleInsert(usersTable, usersColumns, { id, email: `trial-${id.slice(0, 8)}@example.test`, isAnonymous: false, appMetadata: {}, userMetadata: {} }));
      }
      for (const qualified of order) {
        const draft = drafts.get(qualified)!;
        const learner = new TableLearner(tx, draft, pools, recipes, usersTable, people, trialRows, random);
        recipes.set(qualified, await learner.learn());
      }
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return { usersTable, usersColumns, recipes, order, pools };
}

export interface PersonRow {
  readonly id: string;
  readonly email: string;
  readonly isAnonymous: boolean;
  readonly appMetadata: unknown;
  readonly userMetadata: unknown;
}

/** INSERT of one person into the users table, with the Supabase columns the table has. */
export function peopleInsert(usersTable: string, columns: ReadonlySet<string>, person: PersonRow) {
  const [schema, name] = usersTable.split('.') as [string, string];
  const values: [string, unknown][] = [['id', person.id]];
  if (columns.has('email')) values.push(['email', person.email]);
  if (columns.has('is_anonymous')) values.push(['is_anonymous', person.isAnonymous]);
  if (columns.has('raw_app_meta_data')) values.push(['raw_app_meta_data', JSON.stringify(person.appMetadata)]);
  if (columns.has('raw_user_meta_data')) values.push(['raw_user_meta_data', JSON.stringify(person.userMetadata)]);
  if (columns.has('aud')) values.push(['aud', 'authenticated']);
  if (columns.has('role')) values.push(['role', 'authenticated']);
  return sql`insert into ${sql.ident(schema, name)} (${sql.join(
    values.map(([column]) => sql.ident(column)),
    ', ',
  )}) values (${sql.join(
    values.map(([, value]) => sql`${value}`),
    ', ',
  )})`;
}

class TableLearner {
  private readonly model: TableModel;
  private readonly bodies = new Map<string, Body[]>();
  private attemptsLeft = 400;
  private lastError = '';

  constructor(
    private readonly tx: Transaction,
    private readonly draft: Draft,
    private readonly pools: Pools,
    private readonly recipes: Map<string, TableRecipe>,
    private readonly usersTable: string | null,
    private readonly people: readonly string[],
    private readonly trialRows: PlannedRow[],
    private readonly random: () => number,
  ) {
    this.model = draft.model;
  }

  private column(name: string): ColumnModel | undefined {
    return this.model.columns.find((column) => column.name === name);
  }

  private get fkColumns(): Set<string> {
    return new Set(this.model.foreignKeys.flatMap((fk) => fk.columns));
  }

  /** Columns a body may set: not keys, owner, state, foreign keys, generated or identity-always columns. */
  private fillable(column: ColumnModel): boolean {
    const draft = this.draft;
    return !column.generated && column.identity !== 'a' && !draft.slots.has(column.name) && column.name !== draft.ownerColumn && column.name !== draft.stateColumn && !this.fkColumns.has(column.name);
  }

  private poolValue(column: string): SqlValue | undefined {
    const hinted = this.draft.hintSql.get(column);
    if (hinted) return { sql: hinted };
    const value = this.pools.pick(this.model.qualified, column, Math.floor(this.random() * 1000));
    return value === null ? undefined : literal(value);
  }

  private recipe(bodies: ReadonlyMap<string, readonly Body[]>, extra: Partial<TableRecipe> = {}): TableRecipe {
    const draft = this.draft;
    const states = draft.stateColumn ? draft.candidateStates.filter((state) => [...bodies.keys()].some((key) => key.endsWith(`|${state}`))) : [];
    return {
      relation: draft.relation,
      model: this.model,
      keyColumns: draft.keyColumns,
      ownerColumn: draft.ownerColumn,
      stateColumn: draft.stateColumn,
      states,
      initialStates: draft.initialStates.filter((state) => states.includes(state)),
      bodies,
      slots: draft.slots,
      overriding: draft.overriding,
      sameOwner: draft.sameOwner,
      partitionColumn: draft.partitionColumn,
      partitions: [],
      optionalFks: [],
      transitions: new Map(),
      touch: null,
      variedColumns: new Map(),
      hintSql: draft.hintSql,
      notes: draft.notes,
      error: null,
      ...extra,
    };
  }

  /**
   * Flags and labels (boolean and enum columns no CHECK ties to another
   * column) whose every value a trial row accepted: rows then differ in
   * them, so a rule that reads one sees both sides. Triggers may refuse what
   * a CHECK allows, hence the trials.
   */
  private async learnVariedColumns(recipe: TableRecipe): Promise<Map<string, string[]>> {
    const varied = new Map<string, string[]>();
    const tied = new Set(this.model.checks.filter((check) => check.columns.length > 1).flatMap((check) => check.columns));
    const unique = new Set(this.model.uniques.flat());
    const candidates = this.model.columns.filter((column) => {
      const type = column.type.kind === 'domain' && column.type.base ? column.type.base : column.type;
      return (type.typname === 'bool' || type.kind === 'enum') && this.fillable(column) && !tied.has(column.name) && !unique.has(column.name) && !this.draft.spec?.hints.columns[column.name];
    });
    const { owner, state, body } = this.firstSituation(recipe);
    for (const column of candidates.slice(0, 4)) {
      const values = this.pools.acceptedValues(this.model.qualified, column.name).slice(0, 8);
      if (values.length < 2) continue;
      const accepted: string[] = [];
      for (const value of values) {
        const { row, error } = await this.insertTrial(recipe, owner, state, { values: { ...body.values, [column.name]: literal(value) }, fks: body.fks }, 0);
        if (!error && row) accepted.push(value);
      }
      if (accepted.length >= 2) varied.set(column.name, accepted);
    }
    return varied;
  }

  private minimalBody(): Body {
    const values: Record<string, SqlValue> = {};
    for (const column of this.model.columns) {
      if (!this.fillable(column)) continue;
      const hinted = this.draft.spec?.hints.columns[column.name];
      const required = column.notNull && column.defaultExpression === null && column.identity === '';
      if (required || hinted || column.name === this.draft.partitionColumn) {
        const value = column.name === this.draft.partitionColumn && this.draft.partitionCandidates[0] !== undefined ? literal(this.draft.partitionCandidates[0]) : this.poolValue(column.name);
        if (value !== undefined) values[column.name] = value;
      }
    }
    return { values, fks: [] };
  }

  /** Run `statements` in a savepoint; keep their effects on success. */
  private async attempt(statements: readonly ReturnType<typeof sql>[], last?: { rows: number }): Promise<DbError | null> {
    this.attemptsLeft -= 1;
    await this.tx.query(sql`savepoint schemaproof_learn`);
    try {
      for (const statement of statements) {
        const rows = await this.tx.query(statement);
        if (last) last.rows = rows.length;
      }
      await this.tx.query(sql`release savepoint schemaproof_learn`);
      return null;
    } catch (error) {
      await this.tx.query(sql`rollback to savepoint schemaproof_learn`);
      const failure = error as DbError;
      this.lastError = `${failure.code ?? ''} ${failure.message}`.trim();
      return failure;
    }
  }

  /** Build a trial row (parents included) in `situation` with `body`; null when parents cannot be built. */
  private plan(recipe: TableRecipe, owner: string | null, state: string | null, body: Body, pick: number, partitionValue?: string) {
    const context = newContext({ recipes: this.recipes, pools: this.pools, usersTable: this.usersTable, people: this.people, mode: 'trial', existing: this.trialRows });
    const row = buildRow(context, recipe, { owner, state, pick, body, ...(partitionValue !== undefined ? { partitionValue } : {}) });
    return row ? { row, parents: context.created } : null;
  }

  private async insertTrial(
    recipe: TableRecipe,
    owner: string | null,
    state: string | null,
    body: Body,
    pick: number,
    partitionValue?: string,
  ): Promise<{ row: PlannedRow | null; error: DbError | null }> {
    const planned = this.plan(recipe, owner, state, body, pick, partitionValue);
    if (!planned) return { row: null, error: { message: `no parent row could be built for ${this.model.qualified}` } };
    // A row a trigger already made (same unique key) is skipped, not refused: its values passed every check all the same.
    const last = { rows: 0 };
    const error = await this.attempt([...planned.parents.map((parent) => insertSql(parent, { skipConflicts: true })), sql`${insertSql(planned.row, { skipConflicts: true })} returning 1`], last);
    if (!error) this.trialRows.push(...planned.parents, ...(last.rows > 0 ? [planned.row] : []));
    return { row: error || last.rows === 0 ? null : planned.row, error };
  }

  /** A trial row to change: other parents (picks) when the first choice collides with an existing row. */
  private async someTrialRow(recipe: TableRecipe, owner: string | null, state: string | null, body: Body): Promise<PlannedRow | null> {
    for (let pick = 0; pick < 5; pick += 1) {
      const { row, error } = await this.insertTrial(recipe, owner, state, body, pick);
      if (row) return row;
      if (error) return null;
    }
    return null;
  }

  private toggle(body: { values: Record<string, SqlValue>; fks: string[] }, columns: readonly string[]): boolean {
    const hinted = this.draft.spec?.hints.columns ?? {};
    const choices = columns.filter((name) => {
      const column = this.column(name);
      return column && this.fillable(column) && !hinted[name];
    });
    const fks = this.model.foreignKeys.filter((fk) => fk.columns.some((column) => columns.includes(column)) && !fk.columns.includes(this.draft.ownerColumn ?? '\0'));
    if (choices.length === 0 && fks.length === 0) return false;
    const index = Math.floor(this.random() * (choices.length + fks.length));
    if (index >= choices.length) {
      const fk = fks[index - choices.length]!;
      if (body.fks.includes(fk.name)) body.fks.splice(body.fks.indexOf(fk.name), 1);
      else body.fks.push(fk.name);
      return true;
    }
    const name = choices[index]!;
    const column = this.column(name)!;
    const current = body.values[name];
    if (current === undefined || current === null) {
      const value = this.poolValue(name);
      if (value === undefined) return false;
      body.values[name] = value;
    } else if (!column.notNull && this.random() < 0.4) {
      if (column.defaultExpression !== null) delete body.values[name];
      else body.values[name] = null;
    } else {
      const value = this.poolValue(name);
      if (value === undefined) return false;
      body.values[name] = value;
    }
    return true;
  }

  /** Change the body so the error the server gave goes away (false: nothing left to try). */
  private repair(body: { values: Record<string, SqlValue>; fks: string[] }, error: DbError): boolean {
    const fillableNames = this.model.columns.filter((column) => this.fillable(column)).map((column) => column.name);
    if (error.code === '23502' && error.column) {
      const fk = this.model.foreignKeys.find((candidate) => candidate.columns.includes(error.column!));
      if (fk && fk.parent !== this.usersTable) {
        if (!body.fks.includes(fk.name)) body.fks.push(fk.name);
        return true;
      }
      const value = this.poolValue(error.column);
      if (value === undefined || !fillableNames.includes(error.column)) {
        this.draft.notes.push(`cannot generate a value for ${error.column} (${this.column(error.column)?.typeName ?? 'unknown type'}): give it a hint`);
        return false;
      }
      body.values[error.column] = value;
      return true;
    }
    if (error.code === '23514' && !error.constraint && this.draft.partitionColumn) {
      const candidates = [...this.draft.partitionCandidates, ...this.pools.acceptedValues(this.model.qualified, this.draft.partitionColumn)];
      const value = candidates[Math.floor(this.random() * candidates.length)];
      if (value === undefined) return false;
      body.values[this.draft.partitionColumn] = literal(value);
      return true;
    }
    const constraint = error.constraint ? this.model.checks.find((check) => check.name === error.constraint) : undefined;
    const unique = error.code === '23505';
    if (constraint) {
      const columns = constraint.columns.includes(this.draft.partitionColumn ?? '\0') ? [...constraint.columns] : constraint.columns;
      if (this.toggle(body, columns)) return true;
      if (this.draft.partitionColumn && constraint.columns.includes(this.draft.partitionColumn)) {
        const candidates = [...this.draft.partitionCandidates, ...this.pools.acceptedValues(this.model.qualified, this.draft.partitionColumn)];
        const value = candidates[Math.floor(this.random() * candidates.length)];
        if (value !== undefined) body.values[this.draft.partitionColumn] = literal(value);
        return value !== undefined;
      }
      return false;
    }
    if (unique) return this.toggle(body, fillableNames);
    // Anything else (a trigger's own error, a data exception): try another combination of the optional columns.
    return this.toggle(body, [...fillableNames, ...this.model.foreignKeys.flatMap((fk) => fk.columns)]);
  }

  private async search(owner: string | null, state: string | null, start: Body, attempts: number): Promise<Body | null> {
    const body = { values: { ...start.values }, fks: [...start.fks] };
    for (let index = 0; index < attempts && this.attemptsLeft > 0; index += 1) {
      const recipe = this.recipe(new Map([[situationKey(owner === null ? (this.draft.ownerColumn ? 'null' : 'none') : 'person', state), [body]]]));
      const { error } = await this.insertTrial(recipe, owner, state, body, index);
      if (!error) return { values: { ...body.values }, fks: [...body.fks] };
      if (!error.code) return null;
      if (!this.repair(body, error)) return null;
    }
    return null;
  }

  async learn(): Promise<TableRecipe> {
    const draft = this.draft;
    const ownerKinds: OwnerKind[] = draft.ownerColumn === null ? ['none'] : this.column(draft.ownerColumn)?.notNull ? ['person'] : ['person', 'null'];
    const states: (string | null)[] = draft.stateColumn ? draft.candidateStates : [null];
    const minimal = this.minimalBody();
    let firstWorking: Body | null = null;
    for (const ownerKind of ownerKinds) {
      for (const state of states) {
        if (this.attemptsLeft <= 0) break;
        const owner = ownerKind === 'person' ? (this.people[0] ?? randomUUID()) : null;
        const found: Body | null = (firstWorking && (await this.search(owner, state, firstWorking, 3))) || (await this.search(owner, state, minimal, 20));
        if (!found) {
          draft.notes.push(`no row with ${ownerKind === 'null' ? 'no owner' : ownerKind === 'person' ? 'an owner' : 'these values'}${state !== null ? ` in state ${state}` : ''}: ${this.lastError}`);
          continue;
        }
        const richer = firstWorking === null || this.bodies.size < 2;
        firstWorking ??= found;
        const bodies = [found];
        // A richer body with the optional columns filled too (exercises their types).
        const rich = { values: { ...found.values }, fks: [...found.fks] };
        // Columns a CHECK ties to the partition key stay as they were: rows
        // take their partition key from the partition they are meant for.
        const tiedToPartition = new Set(this.model.checks.filter((check) => draft.partitionColumn !== null && check.columns.includes(draft.partitionColumn)).flatMap((check) => check.columns));
        for (const column of this.model.columns)
          if (this.fillable(column) && !(column.name in rich.values) && !tiedToPartition.has(column.name) && this.random() < 0.7) {
            const value = this.poolValue(column.name);
            if (value !== undefined) rich.values[column.name] = value;
          }
        const richFound = richer ? await this.search(owner, state, rich, 5) : null;
        if (richFound) bodies.push(richFound);
        this.bodies.set(situationKey(ownerKind, state), bodies);
      }
    }
    if (this.bodies.size === 0) {
      return this.recipe(this.bodies, { error: `no valid row of ${this.model.qualified} could be built (${this.lastError || 'nothing to try'}); add hints to the spec` });
    }
    const base = this.recipe(this.bodies);
    const partitions = await this.routePartitions(base);
    await this.fitBodiesToPartitions(base, partitions);
    const optionalFks = await this.learnOptionalFks(this.recipe(this.bodies, { partitions }));
    const withPartitions = this.recipe(this.bodies, { partitions, optionalFks });
    const transitions = await this.learnTransitions(withPartitions);
    const touch = await this.learnTouch(withPartitions);
    const variedColumns = await this.learnVariedColumns(withPartitions);
    return this.recipe(this.bodies, { partitions, optionalFks, transitions, touch, variedColumns });
  }

  /**
   * A row takes its partition key from the partition it is meant for, over
   * whichever body it draws, so every body must be accepted with every
   * learned partition value. A body that was found with one key value can
   * fail with another (a CHECK ties a filled column to the key, e.g.
   * measured_on <= logged_on + 1 day): such bodies are dropped where the
   * situation has another. Without this a world's load failed for some seeds
   * only, and every property of that run failed with it.
   */
  private async fitBodiesToPartitions(recipe: TableRecipe, partitions: readonly { readonly leaf: string; readonly value: string }[]): Promise<void> {
    if (partitions.length === 0) return;
    for (const [key, bodies] of [...this.bodies]) {
      const [ownerKind, stateText] = key.split('|') as [OwnerKind, string];
      const owner = ownerKind === 'person' ? this.people[0]! : null;
      const state = stateText === '' ? null : stateText;
      const fitting: Body[] = [];
      for (const body of bodies) {
        let fits = true;
        for (const { value } of partitions) {
          const { error } = await this.insertTrial(recipe, owner, state, body, 0, value);
          if (error) {
            fits = false;
            break;
          }
        }
        if (fits) fitting.push(body);
      }
      if (fitting.length > 0) this.bodies.set(key, fitting);
      else this.draft.notes.push(`no row ${state !== null ? `in state ${state} ` : ''}fits every partition: ${this.lastError}`);
    }
  }

  /** Nullable foreign keys a row may also point through (a trial row with the key filled is accepted). */
  private async learnOptionalFks(recipe: TableRecipe): Promise<string[]> {
    const optional: string[] = [];
    const generated = new Set(this.model.columns.filter((column) => column.generated).map((column) => column.name));
    const { owner, state, body } = this.firstSituation(recipe);
    for (const fk of this.model.foreignKeys) {
      const settable = fk.columns.filter((column) => !generated.has(column) && column !== this.draft.ownerColumn);
      if (settable.length === 0 || body.fks.includes(fk.name) || settable.some((column) => this.column(column)?.notNull)) continue;
      const { error } = await this.insertTrial(recipe, owner, state, { values: body.values, fks: [...body.fks, fk.name] }, 0);
      if (!error) optional.push(fk.name);
    }
    return optional;
  }

  private firstSituation(recipe: TableRecipe): { owner: string | null; state: string | null; body: Body } {
    const [key, bodies] = [...recipe.bodies.entries()][0]!;
    const [ownerKind, state] = key.split('|') as [OwnerKind, string];
    return { owner: ownerKind === 'person' ? this.people[0]! : null, state: state === '' ? null : state, body: bodies[0]! };
  }

  private async routePartitions(recipe: TableRecipe): Promise<{ leaf: string; value: string }[]> {
    if (!this.draft.partitionColumn || this.model.leaves.length === 0) return [];
    const candidates = [...new Set([...this.draft.partitionCandidates, ...this.pools.acceptedValues(this.model.qualified, this.draft.partitionColumn)])];
    const found = new Map<string, string>();
    const { owner, state, body } = this.firstSituation(recipe);
    for (const value of candidates) {
      if (found.size === this.model.leaves.length || this.attemptsLeft <= 0) break;
      const planned = this.plan(recipe, owner, state, body, 0, value);
      if (!planned) break;
      const key = planned.row.recipe.keyColumns;
      const error = await this.attempt([...planned.parents.map((parent) => insertSql(parent, { skipConflicts: true })), insertSql(planned.row)]);
      if (error) continue;
      this.trialRows.push(...planned.parents, planned.row);
      const rows = (await this.tx.query(sql`
        select n.nspname || '.' || c.relname as leaf from ${sql.ident(this.model.schema, this.model.name)} as t
          join pg_catalog.pg_class c on c.oid = t.tableoid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where ${keyCondition(key, keyTextOf(planned.row)!, 't')}`)) as { leaf: string }[];
      const leaf = rows[0]?.leaf;
      if (leaf && !found.has(leaf)) found.set(leaf, value);
    }
    const unreached = this.model.leaves.filter((leaf) => !found.has(leaf.name)).map((leaf) => leaf.name);
    if (unreached.length > 0) this.draft.notes.push(`no valid row routes to partition(s) ${unreached.join(', ')}`);
    // The default partition first (rows nobody planned for land there), then the rest newest first.
    const isDefault = (leaf: string): boolean => this.model.leaves.find((candidate) => candidate.name === leaf)?.bound === 'DEFAULT';
    return [...found].map(([leaf, value]) => ({ leaf, value })).sort((a, b) => Number(isDefault(b.leaf)) - Number(isDefault(a.leaf)) || b.value.localeCompare(a.value));
  }

  private preferredColumns(columns: readonly string[]): string[] {
    const updatable = (name: string): number => this.column(name)?.updatableBy.length ?? 0;
    return [...columns].sort((a, b) => updatable(b) - updatable(a));
  }

  private async learnTransitions(recipe: TableRecipe): Promise<Map<string, Record<string, SqlValue>>> {
    const transitions = new Map<string, Record<string, SqlValue>>();
    const column = this.draft.stateColumn;
    if (!column || recipe.states.length < 2) return transitions;
    const ownerKind: OwnerKind = this.draft.ownerColumn === null ? 'none' : 'person';
    let budget = 120;
    for (const target of this.draft.candidateStates) {
      let learned: Record<string, SqlValue> | null = null;
      for (const source of recipe.states) {
        if (source === target || learned || budget <= 0) continue;
        const body = recipe.bodies.get(situationKey(ownerKind, source))?.[0];
        if (!body) continue;
        const row = await this.someTrialRow(recipe, ownerKind === 'person' ? this.people[0]! : null, source, body);
        if (!row) continue;
        const extras: Record<string, SqlValue> = {};
        for (let index = 0; index < 5 && budget > 0; index += 1) {
          budget -= 1;
          const statement = sql`update ${sql.ident(this.model.schema, this.model.name)} set ${setSql({ [column]: literal(target), ...extras })} where ${keyCondition(recipe.keyColumns, keyTextOf(row)!)}`;
          const error = await this.attempt([statement]);
          if (!error) {
            learned = extras;
            break;
          }
          const check = error.constraint ? this.model.checks.find((candidate) => candidate.name === error.constraint) : undefined;
          if (error.code !== '23514' || !check) break;
          // Only columns every role that may change the state may also
          // change: a role refused the extra column would be refused the
          // whole UPDATE (42501) while the spec allows it the transition
          // (a trigger that stamps the column is then what the check needs).
          const stateUpdaters = this.column(column)?.updatableBy ?? [];
          const choices = this.preferredColumns(
            check.columns.filter((name) => {
              const model = this.column(name);
              return model && this.fillable(model) && stateUpdaters.every((role) => model.updatableBy.includes(role));
            }),
          );
          const name = choices.find((candidate) => !(candidate in extras) || extras[candidate] === null) ?? choices[0];
          if (!name) break;
          const value = extras[name] === undefined || extras[name] === null ? this.poolValue(name) : this.column(name)!.notNull ? this.poolValue(name) : null;
          if (value === undefined) break;
          extras[name] = value;
        }
      }
      transitions.set(target, learned ?? {});
    }
    return transitions;
  }

  private async learnTouch(recipe: TableRecipe): Promise<{ column: string; values: string[] } | null> {
    const inMultiColumnCheck = new Set(this.model.checks.filter((check) => check.columns.length > 1).flatMap((check) => check.columns));
    const inUnique = new Set(this.model.uniques.flat());
    const roles = new Set(this.model.columns.flatMap((column) => column.updatableBy));
    const candidates = this.model.columns
      .filter(
        (column) => this.fillable(column) && column.name !== this.draft.partitionColumn && !inMultiColumnCheck.has(column.name) && !inUnique.has(column.name) && !this.draft.hintSql.has(column.name),
      )
      .filter((column) => this.pools.acceptedValues(this.model.qualified, column.name).length >= 2)
      .sort((a, b) => {
        const byRoles = b.updatableBy.filter((role) => roles.has(role)).length - a.updatableBy.filter((role) => roles.has(role)).length;
        if (byRoles !== 0) return byRoles;
        return (a.type.category === 'S' ? 0 : 1) - (b.type.category === 'S' ? 0 : 1);
      });
    const { owner, state, body } = this.firstSituation(recipe);
    for (const column of candidates.slice(0, 5)) {
      const row = await this.someTrialRow(recipe, owner, state, body);
      if (!row) return null;
      const values = this.pools.acceptedValues(this.model.qualified, column.name).slice(0, 4);
      const statement = sql`update ${sql.ident(this.model.schema, this.model.name)} set ${setSql({ [column.name]: literal(values[0]!) })} where ${keyCondition(recipe.keyColumns, keyTextOf(row)!)}`;
      const failed = await this.attempt([statement]);
      if (!failed) return { column: column.name, values };
    }
    return null;
  }
}

/** Render the statements that load rows, for logs and counterexamples. */
export function renderRows(rows: readonly PlannedRow[]): string {
  return rows.map((row) => `${renderSql(insertSql(row, { skipConflicts: true }))};`).join('\n');
}
