/**
 * What a draft access spec is about, read from the migrated database: every
 * relation the API roles can reach (the coverage check's own catalog
 * reading), its kind, primary key and partitions, the table a view shows,
 * the owner column guessed, and the SECURITY DEFINER functions the API
 * roles may execute. Nothing here probes; see observe.ts.
 */
import { sql, type Queryable } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { platformSchemas } from '../postgres/shim-roles.ts';
import { findOwnerComparison, readCatalog, type ActorSpec, type CatalogRelation } from '../rls/index.ts';
import { readTableModels, type TableModel } from '../rls/rows/index.ts';

export interface OwnerGuess {
  readonly column: string;
  /** Why this column: a foreign key to the users table, a policy comparing it with auth.uid(), or both. */
  readonly evidence: readonly ('foreign_key' | 'policy')[];
}

export interface DiscoveredRelation {
  /** The spec key (the relation's name). */
  readonly name: string;
  readonly schema: string;
  readonly kind: 'table' | 'view';
  /** As the catalog has it: table, partitioned table, view, materialized view, foreign table. */
  readonly relkind: CatalogRelation['relkind'];
  readonly primaryKey: readonly string[];
  readonly partitions: readonly string[];
  /** Views: the table whose rows the view shows (null when none could be told). */
  readonly of: string | null;
  /** Views: the id column of the underlying row, when the view has it. */
  readonly viewIdColumn: string | null;
  readonly owner: OwnerGuess | null;
  /** The API roles cannot reach it; listed because a reachable view shows it. */
  readonly baseOnly: boolean;
  readonly notes: readonly string[];
}

export interface DiscoveredFunction {
  readonly signature: string;
  readonly searchPathFixed: boolean;
}

export interface Discovery {
  readonly relations: readonly DiscoveredRelation[];
  /** Reachable relations the draft cannot hold, with the reason. */
  readonly skipped: readonly string[];
  readonly definerFunctions: readonly DiscoveredFunction[];
}

const usersTable = 'auth.users';

/** The roles of the actors that go through row-level security (not the service role and other BYPASSRLS roles). */
async function apiRoles(db: Queryable, actors: readonly ActorSpec[]): Promise<string[]> {
  const roles = [...new Set(actors.map((actor) => actor.role))];
  const rows = (await db.query(sql`select rolname::text as name, rolbypassrls or rolsuper as bypass from pg_catalog.pg_roles where rolname = any(${roles}::text[])`)) as {
    name: string;
    bypass: boolean;
  }[];
  const missing = roles.filter((role) => !rows.some((row) => row.name === role));
  if (missing.length > 0) {
    throw new SchemaproofError({
      code: 'api_roles_missing',
      roles: missing,
      detail: `the actors' roles ${missing.join(', ')} do not exist in the migrated database; a project without Supabase's API roles needs its actors declared in the spec ("actors")`,
    });
  }
  return rows.filter((row) => !row.bypass).map((row) => row.name);
}

/** Privileges of `roles` on one relation (table level or any column). */
async function reachableBy(db: Queryable, schema: string, name: string, roles: readonly string[]): Promise<boolean> {
  const rows = (await db.query(sql`
    select bool_or(pg_catalog.has_table_privilege(r, c.oid, 'SELECT,INSERT,UPDATE,DELETE')
                   or pg_catalog.has_any_column_privilege(r, c.oid, 'SELECT,INSERT,UPDATE')) as reachable
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace, unnest(${roles}::text[]) r
     where n.nspname = ${schema} and c.relname = ${name}`)) as { reachable: boolean | null }[];
  return rows[0]?.reachable === true;
}

/** Base tables a view reads, from its rewrite rule's dependencies. */
async function viewBases(db: Queryable, schema: string, name: string): Promise<{ schema: string; name: string }[]> {
  return (await db.query(sql`
    select distinct bn.nspname::text as schema, bc.relname::text as name
      from pg_catalog.pg_class v
      join pg_catalog.pg_namespace vn on vn.oid = v.relnamespace
      join pg_catalog.pg_rewrite rw on rw.ev_class = v.oid
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = rw.oid and d.refclassid = 'pg_catalog.pg_class'::regclass
      join pg_catalog.pg_class bc on bc.oid = d.refobjid and bc.oid <> v.oid and bc.relkind in ('r', 'p')
      join pg_catalog.pg_namespace bn on bn.oid = bc.relnamespace
     where vn.nspname = ${schema} and v.relname = ${name}
     order by 1, 2`)) as { schema: string; name: string }[];
}

/**
 * The view column holding the underlying row's id: the base table's
 * primary key under its own name, else the one view column of its type
 * named `<something>_<key>` that is no column of the table (e.g.
 * `consent_record_id` for `id`). Null when that cannot be told.
 */
function viewIdOf(base: TableModel, columns: readonly { name: string; type: string }[]): string | null {
  if (base.primaryKey.length !== 1) return null;
  const key = base.primaryKey[0]!;
  const keyType = base.columns.find((column) => column.name === key)?.typeName;
  if (columns.some((column) => column.name === key)) return key;
  const baseNames = new Set(base.columns.map((column) => column.name));
  const candidates = columns.filter((column) => column.type === keyType && column.name.endsWith(`_${key}`) && !baseNames.has(column.name));
  return candidates.length === 1 ? candidates[0]!.name : null;
}

async function viewColumns(db: Queryable, schema: string, name: string): Promise<{ name: string; type: string }[]> {
  return (await db.query(sql`
    select a.attname::text as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type from pg_catalog.pg_attribute a
     where a.attrelid = (select c.oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relname = ${name})
       and a.attnum > 0 and not a.attisdropped order by a.attnum`)) as { name: string; type: string }[];
}

/** uuid columns a policy on the table compares with auth.uid() (USING or WITH CHECK). */
async function policyOwnerColumns(db: Queryable, model: TableModel): Promise<Set<string>> {
  const rows = (await db.query(sql`select qual, with_check from pg_catalog.pg_policies where schemaname = ${model.schema} and tablename = ${model.name}`)) as {
    qual: string | null;
    with_check: string | null;
  }[];
  const uuidColumns = new Set(model.columns.filter((column) => column.type.typname === 'uuid').map((column) => column.name));
  const found = new Set<string>();
  for (const row of rows) {
    for (const expression of [row.qual, row.with_check]) {
      const comparison = expression ? findOwnerComparison(expression) : null;
      const column = comparison?.column.replace(/^.*\./, '');
      if (column && uuidColumns.has(column)) found.add(column);
    }
  }
  return found;
}

/**
 * The owner column: a column with a foreign key to auth.users, or a uuid
 * column a policy compares with auth.uid(). A column with both wins; among
 * equals, the first in the table.
 */
export async function guessOwner(db: Queryable, model: TableModel): Promise<OwnerGuess | null> {
  const byForeignKey = new Set(model.foreignKeys.filter((fk) => fk.parent === usersTable && fk.columns.length === 1).map((fk) => fk.columns[0]!));
  const byPolicy = await policyOwnerColumns(db, model);
  const candidates = model.columns
    .filter((column) => byForeignKey.has(column.name) || byPolicy.has(column.name))
    .map((column) => ({
      column: column.name,
      evidence: [...(byForeignKey.has(column.name) ? (['foreign_key'] as const) : []), ...(byPolicy.has(column.name) ? (['policy'] as const) : [])],
    }))
    .sort((a, b) => b.evidence.length - a.evidence.length);
  return candidates[0] ?? null;
}

/**
 * Every relation of `exposedSchemas` (and any granted elsewhere) the API
 * roles can reach, as the coverage check sees them; partitions under their
 * partitioned root; the tables reachable views show.
 */
export async function discover(db: Queryable, exposedSchemas: readonly string[], actors: readonly ActorSpec[]): Promise<Discovery> {
  const roles = await apiRoles(db, actors);
  const catalog = await readCatalog(db, exposedSchemas);
  const platform = new Set<string>(platformSchemas);
  // What coverage demands: every relation of an exposed schema, and any granted to the API roles elsewhere.
  const reachable = catalog.relations.filter((relation) => relation.reachable && relation.partitionRoot === null && !platform.has(relation.schema));
  let granted = false;
  for (const relation of reachable) if (!granted && roles.length > 0) granted = await reachableBy(db, relation.schema, relation.name, roles);
  if (!granted) {
    const detail =
      roles.length === 0
        ? 'every actor role bypasses row-level security, so there is nothing to draft rules for'
        : `no table or view in ${exposedSchemas.join(', ')} grants anything to ${roles.join(' or ')}: a plain Postgres project has no API roles to draft rules for; grant the API roles what they may use, or declare the project's own actors in the spec`;
    throw new SchemaproofError({ code: 'api_roles_missing', roles, detail });
  }
  const tableNames = new Set<string>();
  const pending: { relation: { schema: string; name: string; relkind: CatalogRelation['relkind'] }; baseOnly: boolean }[] = reachable.map((relation) => ({ relation, baseOnly: false }));
  const viewOf = new Map<string, { schema: string; name: string } | null>();
  const viewNotes = new Map<string, string[]>();
  for (const { relation } of pending.slice()) {
    if (relation.relkind !== 'v' && relation.relkind !== 'm') {
      tableNames.add(`${relation.schema}.${relation.name}`);
      continue;
    }
    const bases = await viewBases(db, relation.schema, relation.name);
    const notes: string[] = [];
    if (bases.length > 1) notes.push(`the view reads ${bases.map((base) => `${base.schema}.${base.name}`).join(', ')}; "of" names the first: check it is the table whose rows it shows`);
    if (bases.length === 0) notes.push('the view reads no table: "of" could not be told');
    const base = bases[0] ?? null;
    viewOf.set(`${relation.schema}.${relation.name}`, base);
    viewNotes.set(`${relation.schema}.${relation.name}`, notes);
    if (base && !pending.some((entry) => entry.relation.schema === base.schema && entry.relation.name === base.name)) {
      const catalogEntry = catalog.relations.find((candidate) => candidate.schema === base.schema && candidate.name === base.name);
      pending.push({ relation: { ...base, relkind: catalogEntry?.relkind ?? 'r' }, baseOnly: true });
      tableNames.add(`${base.schema}.${base.name}`);
    }
  }
  const models = await readTableModels(db, [...tableNames], roles);
  const relations: DiscoveredRelation[] = [];
  const usedNames = new Set<string>();
  const skipped: string[] = [];
  for (const { relation, baseOnly } of pending) {
    const qualified = `${relation.schema}.${relation.name}`;
    const notes: string[] = [];
    if (usedNames.has(relation.name)) {
      skipped.push(`${qualified}: another schema has a relation named ${relation.name}, and the spec keys relations by name; add it by hand under that name`);
      continue;
    }
    usedNames.add(relation.name);
    if (relation.relkind === 'v' || relation.relkind === 'm') {
      const base = viewOf.get(qualified) ?? null;
      const baseModel = base ? models.get(`${base.schema}.${base.name}`) : undefined;
      const columns = await viewColumns(db, relation.schema, relation.name);
      const ownerCandidate = baseModel ? await guessOwner(db, baseModel) : null;
      const viewIdColumn = baseModel ? viewIdOf(baseModel, columns) : null;
      if (relation.relkind === 'm') notes.push('a materialized view: row-level security does not apply to it');
      if (viewIdColumn === null) notes.push('which column holds the id of the underlying row could not be told');
      relations.push({
        name: relation.name,
        schema: relation.schema,
        kind: 'view',
        relkind: relation.relkind,
        primaryKey: [],
        partitions: [],
        of: base?.name ?? null,
        viewIdColumn,
        owner: ownerCandidate && columns.some((column) => column.name === ownerCandidate.column) ? ownerCandidate : null,
        baseOnly,
        notes: [...(viewNotes.get(qualified) ?? []), ...notes],
      });
      continue;
    }
    const model = models.get(qualified);
    if (!model) {
      relations.push({
        name: relation.name,
        schema: relation.schema,
        kind: 'table',
        relkind: relation.relkind,
        primaryKey: [],
        partitions: [],
        of: null,
        viewIdColumn: null,
        owner: null,
        baseOnly,
        notes: ['its columns could not be read'],
      });
      continue;
    }
    if (model.primaryKey.length === 0) notes.push('no primary key: rows are told apart by the id column (set idColumn)');
    if (relation.relkind === 'f') notes.push('a foreign table: row-level security does not apply to it');
    if (baseOnly) notes.push('not reachable by the API roles itself: listed because a view shows its rows');
    relations.push({
      name: relation.name,
      schema: relation.schema,
      kind: 'table',
      relkind: relation.relkind,
      primaryKey: model.primaryKey,
      partitions: model.leaves.map((leaf) => leaf.name),
      of: null,
      viewIdColumn: null,
      owner: await guessOwner(db, model),
      baseOnly,
      notes,
    });
  }
  return {
    relations,
    skipped,
    definerFunctions: catalog.definerFunctions
      .filter((fn) => fn.executableByApi && !platform.has(fn.signature.slice(0, fn.signature.indexOf('.'))))
      .map((fn) => ({ signature: fn.signature, searchPathFixed: fn.searchPathFixed })),
  };
}
