/**
 * Build rows from learned recipes: fresh key and unique values, the owner
 * and state asked for, a body the server accepted in that situation, and
 * foreign keys pointing at parents that exist (reused from the world, or
 * created — composite, self-referencing, to the users table, with the
 * row's owner when the key ties them). Rows render as plain INSERTs with
 * every value inlined, so a world reads as the SQL that loads it.
 */
import { sql, type SQLQuery } from '@databases/pg';
import type { Pools, SlotKind } from './pools.ts';
import type { TableModel } from './model.ts';

/** A value in a row: a literal (canonical text, coerced by the column's type), raw SQL from a hint, or NULL. */
export type SqlValue = { readonly literal: string } | { readonly sql: string } | null;

export const literal = (text: string): SqlValue => ({ literal: text });

export interface Body {
  /** Values of the columns the situation needs besides keys, owner, state and foreign keys. */
  readonly values: Readonly<Record<string, SqlValue>>;
  /** Nullable foreign keys (by constraint name) that must point at a parent. */
  readonly fks: readonly string[];
}

export interface TableRecipe {
  /** The spec's relation name, or the qualified name of a table only foreign keys reach. */
  readonly relation: string;
  readonly model: TableModel;
  /** Columns identifying a row (the spec's idColumn, else `id`, else the primary key). */
  readonly keyColumns: readonly string[];
  readonly ownerColumn: string | null;
  readonly stateColumn: string | null;
  /** States some row can be inserted in. */
  readonly states: readonly string[];
  readonly initialStates: readonly string[];
  /** Bodies per situation (`situationKey`). */
  readonly bodies: ReadonlyMap<string, readonly Body[]>;
  /** Columns given a fresh value in every row. */
  readonly slots: ReadonlyMap<string, SlotKind>;
  /** A fresh value goes into an identity ALWAYS column. */
  readonly overriding: boolean;
  /** Foreign keys (constraint names) whose parent must have the row's owner. */
  readonly sameOwner: ReadonlySet<string>;
  readonly partitionColumn: string | null;
  /** Nullable foreign keys a row may point through (learned: the server accepts it). */
  readonly optionalFks: readonly string[];
  /** One partition key value per reachable leaf partition. */
  readonly partitions: readonly { readonly leaf: string; readonly value: string }[];
  /** Extra SET values a change to each state needs (learned). */
  readonly transitions: ReadonlyMap<string, Readonly<Record<string, SqlValue>>>;
  /** A column harmless UPDATEs change, and values for it. */
  readonly touch: { readonly column: string; readonly values: readonly string[] } | null;
  /** Flags and labels whose value differs from row to row, with the values a trial row accepted. */
  readonly variedColumns: ReadonlyMap<string, readonly string[]>;
  /** Columns whose value is a SQL expression from the spec's hints. */
  readonly hintSql: ReadonlyMap<string, string>;
  /** What could not be learned (a hint may fix it). */
  readonly notes: readonly string[];
  /** Why no row at all could be built, or null. */
  readonly error: string | null;
}

export interface PlannedRow {
  readonly recipe: TableRecipe;
  readonly values: Readonly<Record<string, SqlValue>>;
  readonly owner: string | null;
  readonly state: string | null;
  /** Set when the row was created only as a parent. */
  readonly parentOf?: string;
}

export type OwnerKind = 'person' | 'null' | 'none';

export function situationKey(ownerKind: OwnerKind, state: string | null): string {
  return `${ownerKind}|${state ?? ''}`;
}

export function ownerKindOf(recipe: Pick<TableRecipe, 'ownerColumn'>, owner: string | null): OwnerKind {
  return recipe.ownerColumn === null ? 'none' : owner === null ? 'null' : 'person';
}

export interface BuildContext {
  readonly recipes: ReadonlyMap<string, TableRecipe>;
  readonly pools: Pools;
  /** The users table (schema.name) whose ids are the people's, or null. */
  readonly usersTable: string | null;
  readonly people: readonly string[];
  readonly mode: 'world' | 'probe' | 'trial';
  /** Rows that exist (reused as parents); rows this context creates are appended. */
  readonly existing: PlannedRow[];
  /** Parents created while building (in insertion order). */
  readonly created: PlannedRow[];
  /** Unique tuples already taken, per table (kept up to date). */
  readonly taken: Map<string, Set<string>>;
  /** Probe mode: reserved values used so far in this probe, per column. */
  readonly probeUse: Map<string, number>;
  /**
   * Probe mode: values of the spec's SQL hints, computed by the superuser for
   * this world (the actor may not be able to read what the expression reads).
   */
  readonly hintValues?: ReadonlyMap<string, readonly string[]>;
}

export function newContext(
  base: Omit<BuildContext, 'created' | 'taken' | 'probeUse' | 'existing' | 'hintValues'> & { readonly existing?: readonly PlannedRow[]; readonly hintValues?: ReadonlyMap<string, readonly string[]> },
): BuildContext {
  const context: BuildContext = { ...base, existing: [...(base.existing ?? [])], created: [], taken: new Map(), probeUse: new Map() };
  if (context.mode === 'world') for (const row of context.existing) takeUnique(context, row);
  return context;
}

export interface BuildRequest {
  readonly owner: string | null;
  readonly state: string | null;
  /** Drives every choice (body, parents, people) so a world is a function of its shape. */
  readonly pick: number;
  readonly body?: Body;
  /** Partition key value (leaf routing). */
  readonly partitionValue?: string;
  readonly forced?: Readonly<Record<string, SqlValue>>;
  /** The person other references to the users table point at (probes: the actor, or someone else). */
  readonly userRef?: string;
  /** Also point the optional foreign keys at parents. */
  readonly fillOptional?: boolean;
  /** Reuse only parents that satisfy this (probe variants). */
  readonly parentFilter?: (fk: string, parent: PlannedRow) => boolean;
}

const sameValue = (a: SqlValue | undefined, b: SqlValue | undefined): boolean => {
  if (a === undefined || b === undefined) return false;
  if (a === null || b === null) return a === b;
  if ('literal' in a && 'literal' in b) return a.literal === b.literal;
  return false;
};

function slotValue(context: BuildContext, table: string, column: string): string {
  if (context.mode !== 'probe') return context.pools.fresh(table, column);
  const key = `${table}.${column}`;
  const index = context.probeUse.get(key) ?? 0;
  context.probeUse.set(key, index + 1);
  return context.pools.probe(table, column, index);
}

export function chooseBody(recipe: TableRecipe, owner: string | null, state: string | null, pick: number): Body | null {
  const bodies = recipe.bodies.get(situationKey(ownerKindOf(recipe, owner), state));
  return bodies && bodies.length > 0 ? bodies[Math.abs(pick) % bodies.length]! : null;
}

function uniqueTuples(row: PlannedRow): string[] {
  const tuples: string[] = [];
  for (const columns of row.recipe.model.uniques) {
    const values = columns.map((column) => row.values[column]);
    if (values.some((value) => value === undefined || value === null || !('literal' in value))) continue;
    tuples.push(`${columns.join(',')}=${JSON.stringify(values.map((value) => (value as { literal: string }).literal))}`);
  }
  return tuples;
}

function takeUnique(context: BuildContext, row: PlannedRow): boolean {
  const taken = context.taken.get(row.recipe.model.qualified) ?? new Set<string>();
  const tuples = uniqueTuples(row);
  if (tuples.some((tuple) => taken.has(tuple))) return false;
  for (const tuple of tuples) taken.add(tuple);
  context.taken.set(row.recipe.model.qualified, taken);
  return true;
}

/** SQL reading one column of an existing row, for a parent value the planner does not know. */
function columnOfRow(parent: PlannedRow, column: string): SqlValue {
  const known = parent.values[column];
  if (known !== undefined && known !== null && 'literal' in known) return known;
  const where = parent.recipe.keyColumns.map((key) => renderWhereEquals(key, parent.values[key] ?? null)).join(' and ');
  return { sql: `(select p.${ident(column)} from ${ident(parent.recipe.model.schema)}.${ident(parent.recipe.model.name)} as p where ${where})` };
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function renderValue(value: SqlValue): string {
  if (value === null) return 'null';
  return 'literal' in value ? quote(value.literal) : value.sql;
}

function renderWhereEquals(column: string, value: SqlValue): string {
  return value === null ? `p.${ident(column)} is null` : `p.${ident(column)} = ${renderValue(value)}`;
}

/**
 * Build one row (and any parents it needs, appended to `context.created`).
 * Returns null when no valid row can be built in this situation.
 */
export function buildRow(context: BuildContext, recipe: TableRecipe, request: BuildRequest, depth = 0): PlannedRow | null {
  if (depth > 6) return null;
  const body = request.body ?? chooseBody(recipe, request.owner, request.state, request.pick);
  if (!body) return null;
  const model = recipe.model;
  const table = model.qualified;
  const values: Record<string, SqlValue> = {};
  const forced = request.forced ?? {};
  for (const [column] of recipe.slots) if (!(column in forced)) values[column] = literal(slotValue(context, table, column));
  for (const [index, [column, value]] of Object.entries(body.values).entries()) {
    const resolved = context.mode === 'probe' && value !== null && 'sql' in value ? context.hintValues?.get(`${table}.${column}`) : undefined;
    if (resolved && resolved.length > 0) {
      values[column] = literal(resolved[Math.abs(request.pick) % resolved.length]!);
    } else if (context.mode !== 'trial' && recipe.variedColumns.has(column)) {
      // Rows differ in flags and labels, so rules reading them see both sides.
      const choices = recipe.variedColumns.get(column)!;
      values[column] = literal(choices[(Math.abs(request.pick) * 7 + index + depth) % choices.length]!);
    } else {
      values[column] = value;
    }
  }
  if (context.mode !== 'trial') {
    for (const [index, [column, choices]] of [...recipe.variedColumns].entries()) {
      if (!(column in values)) values[column] = literal(choices[(Math.abs(request.pick) * 5 + index + depth) % choices.length]!);
    }
  }
  if (recipe.partitionColumn && request.partitionValue !== undefined) values[recipe.partitionColumn] = literal(request.partitionValue);
  if (recipe.ownerColumn) values[recipe.ownerColumn] = request.owner === null ? null : literal(request.owner);
  if (recipe.stateColumn && request.state !== null) values[recipe.stateColumn] = literal(request.state);
  for (const [column, value] of Object.entries(forced)) values[column] = value;
  const generated = new Set(model.columns.filter((column) => column.generated).map((column) => column.name));
  const notNull = new Set(model.columns.filter((column) => column.notNull).map((column) => column.name));
  for (const fk of model.foreignKeys) {
    const settable = fk.columns.filter((column) => !generated.has(column));
    if (settable.length === 0 || settable.every((column) => column in forced)) continue;
    const required = settable.some((column) => notNull.has(column)) || body.fks.includes(fk.name) || (request.fillOptional === true && recipe.optionalFks.includes(fk.name));
    const ownerIndex = recipe.ownerColumn ? fk.columns.indexOf(recipe.ownerColumn) : -1;
    if (fk.parent === context.usersTable) {
      if (settable.every((column) => column === recipe.ownerColumn)) continue;
      if (!required) continue;
      if (context.people.length === 0) return null;
      const person = depth === 0 && request.userRef !== undefined ? request.userRef : context.people[Math.abs(request.pick + depth) % context.people.length]!;
      for (const column of settable) if (column !== recipe.ownerColumn) values[column] = literal(person);
      continue;
    }
    if (!required && ownerIndex < 0) continue;
    if (ownerIndex >= 0 && values[recipe.ownerColumn!] === null && !settable.some((column) => column !== recipe.ownerColumn && notNull.has(column))) {
      // MATCH SIMPLE: with the owner column null the key is not checked; leave the rest null too.
      continue;
    }
    const parentRecipe = context.recipes.get(fk.parent);
    if (!parentRecipe || parentRecipe.error) {
      if (required) return null;
      continue;
    }
    const forcedParent: Record<string, SqlValue> = {};
    if (ownerIndex >= 0) forcedParent[fk.parentColumns[ownerIndex]!] = values[recipe.ownerColumn!]!;
    const wantOwner = recipe.sameOwner.has(fk.name) ? request.owner : undefined;
    const candidates = context.existing.filter(
      (row) =>
        row.recipe.model.qualified === fk.parent &&
        (wantOwner === undefined || row.owner === wantOwner) &&
        Object.entries(forcedParent).every(([column, value]) => sameValue(row.values[column], value)) &&
        (!request.parentFilter || request.parentFilter(fk.name, row)),
    );
    let parent: PlannedRow | null = candidates.length > 0 ? candidates[Math.abs(request.pick + depth) % candidates.length]! : null;
    if (!parent) {
      if (fk.parent === table) {
        if (required) return null;
        continue;
      }
      const parentOwnerColumn = parentRecipe.ownerColumn;
      let parentOwner: string | null = null;
      if (parentOwnerColumn && parentOwnerColumn in forcedParent) {
        const value = forcedParent[parentOwnerColumn];
        parentOwner = value && 'literal' in value ? value.literal : null;
        delete forcedParent[parentOwnerColumn];
      } else if (wantOwner !== undefined) parentOwner = wantOwner;
      else if (parentOwnerColumn) parentOwner = context.people.length > 0 ? context.people[Math.abs(request.pick) % context.people.length]! : null;
      const parentState = parentRecipe.initialStates[0] ?? parentRecipe.states[0] ?? null;
      parent = buildRow(context, parentRecipe, { owner: parentOwner, state: parentState, pick: request.pick + 1, forced: forcedParent }, depth + 1);
      if (!parent) {
        if (required) return null;
        continue;
      }
      parent = { ...parent, parentOf: recipe.relation };
      context.created.push(parent);
      context.existing.push(parent);
    }
    fk.columns.forEach((column, index) => {
      if (generated.has(column) || column in forced || column === recipe.ownerColumn) return;
      values[column] = columnOfRow(parent!, fk.parentColumns[index]!);
    });
  }
  const row: PlannedRow = { recipe, values, owner: request.owner, state: request.state };
  // Only world rows must not collide with each other; a probe may (the
  // superuser's attempt tells a collision from a refusal), and a trial
  // writes over the row it collides with.
  if (context.mode === 'world' && !takeUnique(context, row)) return null;
  return row;
}

/** Build a row, trying other picks when a unique combination is taken. */
export function buildRowRetrying(context: BuildContext, recipe: TableRecipe, request: BuildRequest, attempts = 4): PlannedRow | null {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const createdBefore = context.created.length;
    const existingBefore = context.existing.length;
    const row = buildRow(context, recipe, { ...request, pick: request.pick + attempt * 7 });
    if (row) return row;
    context.created.splice(createdBefore);
    context.existing.splice(existingBefore);
  }
  return null;
}

export function valueSql(value: SqlValue): SQLQuery {
  if (value === null) return sql`null`;
  return 'literal' in value ? sql`${value.literal}` : sql.__dangerous__rawValue(value.sql);
}

export interface InsertOptions {
  /** Insert into this relation instead (a partition). */
  readonly target?: { readonly schema: string; readonly name: string };
  readonly alias?: string;
  /**
   * World rows: a row a trigger already made (a profile created with its
   * user, the creator's membership of a new team) is not inserted twice.
   */
  readonly skipConflicts?: boolean;
}

/** `insert into schema.table (...) values (...)` for a planned row. */
export function insertSql(row: PlannedRow, options: InsertOptions = {}): SQLQuery {
  const columns = Object.keys(row.values);
  const name = sql.ident(options.target?.schema ?? row.recipe.model.schema, options.target?.name ?? row.recipe.model.name);
  const relation = options.alias ? sql`${name} as ${sql.ident(options.alias)}` : name;
  const overriding = row.recipe.overriding && row.recipe.slots.size > 0 ? sql` overriding system value` : sql``;
  const conflict = options.skipConflicts ? conflictClause(row) : sql``;
  if (columns.length === 0) return sql`insert into ${relation} default values${conflict}`;
  return sql`insert into ${relation} (${sql.join(
    columns.map((column) => sql.ident(column)),
    ', ',
  )})${overriding} values (${sql.join(
    columns.map((column) => valueSql(row.values[column]!)),
    ', ',
  )})${conflict}`;
}

/**
 * What a world row does when a row with its key exists already (a trigger
 * made it): when the primary key is made of the owner or parents (one row
 * per user, per membership), the world's values are written over it, so the
 * world still has the rows it asked for; otherwise it is skipped.
 */
function conflictClause(row: PlannedRow): SQLQuery {
  const primaryKey = row.recipe.model.primaryKey;
  const keyIsFresh = primaryKey.length === 0 || primaryKey.some((column) => row.recipe.slots.has(column));
  if (keyIsFresh) return sql` on conflict do nothing`;
  // Nothing but the key to write: assign the key to itself, so the statement still returns the row.
  const written = Object.keys(row.values).filter((column) => !primaryKey.includes(column));
  const updatable = written.length > 0 ? written : [primaryKey[0]!];
  return sql` on conflict (${sql.join(
    primaryKey.map((column) => sql.ident(column)),
    ', ',
  )}) do update set ${sql.join(
    updatable.map((column) => sql`${sql.ident(column)} = excluded.${sql.ident(column)}`),
    ', ',
  )}`;
}

/**
 * A unique key of the table takes no fresh value in every row (it is made of
 * the owner, parents or defaults that repeat), so a new row may collide with
 * one that exists — possibly one a trigger made.
 */
export function mayCollide(recipe: TableRecipe): boolean {
  return recipe.model.uniques.some((columns) =>
    columns.every((name) => {
      if (recipe.slots.has(name)) return false;
      const column = recipe.model.columns.find((candidate) => candidate.name === name);
      return !(column && (column.identity !== '' || (column.defaultExpression !== null && (/nextval\(/.test(column.defaultExpression) || column.type.typname === 'uuid'))));
    }),
  );
}

export function setSql(values: Readonly<Record<string, SqlValue>>): SQLQuery {
  return sql.join(
    Object.entries(values).map(([column, value]) => sql`${sql.ident(column)} = ${valueSql(value)}`),
    ', ',
  );
}

/** The key of a planned row as the truth query prints it (see keyExpression). */
export function keyTextOf(row: PlannedRow): string | null {
  const parts = row.recipe.keyColumns.map((column) => row.values[column]);
  if (parts.some((part) => part === undefined || part === null || !('literal' in part))) return null;
  return keyText(parts.map((part) => (part as { literal: string }).literal));
}

/** A key as the database prints it (keyExpression): one column's text, or jsonb's text of an array of texts. */
export function keyText(texts: readonly string[]): string {
  return texts.length === 1 ? texts[0]! : `[${texts.map((text) => JSON.stringify(text)).join(', ')}]`;
}

/** SQL text of a relation's key over alias `alias` (one column: its text; several: a JSON array of texts). */
export function keyExpression(alias: string, columns: readonly string[]): SQLQuery {
  if (columns.length === 1) return sql`${sql.ident(alias, columns[0]!)}::text`;
  return sql`jsonb_build_array(${sql.join(
    columns.map((column) => sql`${sql.ident(alias, column)}::text`),
    ', ',
  )})::text`;
}

/** `col = 'value' [and ...]` selecting the row with this key (values coerce to the columns' types). */
export function keyCondition(columns: readonly string[], key: string, alias?: string): SQLQuery {
  const values = columns.length === 1 ? [key] : (JSON.parse(key) as (string | null)[]);
  return sql.join(
    columns.map((column, index) => {
      const target = alias ? sql.ident(alias, column) : sql.ident(column);
      const value = values[index];
      return value === null || value === undefined ? sql`${target} is null` : sql`${target} = ${value}`;
    }),
    sql` and `,
  );
}
