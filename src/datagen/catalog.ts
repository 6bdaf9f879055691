/**
 * What the recipe engine reads from the database before it writes anything:
 * the tables and columns a recipe names (so an unknown one is a recipe error
 * naming its key), enum labels, primary keys of parent tables, the secondary
 * indexes a bulk step may defer, and every table to vacuum at the end.
 */
import { sql, type Queryable, type SQLQuery } from '@databases/pg';
import { qualifiedTable } from './recipe.ts';

export interface ColumnFacts {
  readonly type: string;
  /** GENERATED ALWAYS AS (...) STORED: cannot be inserted. */
  readonly generated: boolean;
  /** GENERATED ALWAYS AS IDENTITY: needs OVERRIDING SYSTEM VALUE. */
  readonly identityAlways: boolean;
}

export interface TableFacts {
  readonly schema: string;
  readonly table: string;
  readonly columns: ReadonlyMap<string, ColumnFacts>;
  readonly primaryKey: readonly string[];
}

export interface DeferredIndex {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly definition: string;
  readonly comment: string | null;
}

export async function readTable(db: Queryable, name: string): Promise<TableFacts | null> {
  const { schema, table } = qualifiedTable(name);
  const rows = await db.query(sql`
    select a.attname as column_name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
           a.attgenerated <> '' as generated, a.attidentity = 'a' as identity_always,
           coalesce(a.attnum = any (k.conkey), false) as in_key,
           array_position(k.conkey, a.attnum) as key_position
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      left join pg_catalog.pg_constraint k on k.conrelid = c.oid and k.contype = 'p'
     where n.nspname = ${schema} and c.relname = ${table} and c.relkind in ('r', 'p')
     order by a.attnum`);
  if (rows.length === 0) return null;
  const columns = new Map<string, ColumnFacts>();
  const key: { column: string; position: number }[] = [];
  for (const row of rows) {
    columns.set(String(row.column_name), { type: String(row.type), generated: row.generated === true, identityAlways: row.identity_always === true });
    if (row.in_key === true) key.push({ column: String(row.column_name), position: Number(row.key_position) });
  }
  return { schema, table, columns, primaryKey: key.sort((a, b) => a.position - b.position).map((entry) => entry.column) };
}

/** Labels of an enum type, or null when the name is not an enum type. */
export async function readEnumLabels(db: Queryable, name: string): Promise<readonly string[] | null> {
  const { schema, table: type } = qualifiedTable(name);
  const rows = await db.query(sql`
    select e.enumlabel as label
      from pg_catalog.pg_type t
      join pg_catalog.pg_namespace n on n.oid = t.typnamespace
      join pg_catalog.pg_enum e on e.enumtypid = t.oid
     where n.nspname = ${schema} and t.typname = ${type}
     order by e.enumsortorder`);
  return rows.length === 0 ? null : rows.map((row) => String(row.label));
}

/**
 * Secondary indexes of a table that back no constraint: safe to drop before a
 * bulk load and rebuild from their catalog definition afterwards (the end
 * state is identical). On a partitioned table, the parent's indexes (dropping
 * one drops its partitions' indexes).
 */
export async function readDeferrableIndexes(db: Queryable, name: string): Promise<DeferredIndex[]> {
  const { schema, table } = qualifiedTable(name);
  const rows = await db.query(sql`
    select n.nspname as schema_name, c.relname as table_name, ic.relname as index_name,
           pg_catalog.pg_get_indexdef(i.indexrelid) as definition,
           pg_catalog.obj_description(i.indexrelid, 'pg_class') as comment
      from pg_catalog.pg_index i
      join pg_catalog.pg_class c on c.oid = i.indrelid
      join pg_catalog.pg_class ic on ic.oid = i.indexrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${schema} and c.relname = ${table}
       and not exists (select 1 from pg_catalog.pg_constraint k where k.conindid = i.indexrelid)
       and not exists (select 1 from pg_catalog.pg_inherits h where h.inhrelid = i.indexrelid)
     order by ic.relname`);
  return rows.map((row) => ({
    schema: String(row.schema_name),
    table: String(row.table_name),
    name: String(row.index_name),
    definition: String(row.definition),
    comment: row.comment === null ? null : String(row.comment),
  }));
}

/** `n` (pg_namespace) is a user schema: not a system schema, not one of `excludeSchemas`. */
export function isUserSchema(excludeSchemas: readonly string[]): SQLQuery {
  return sql`n.nspname <> 'information_schema' and left(n.nspname, 3) <> 'pg_' and not (n.nspname = any (${excludeSchemas as string[]}))`;
}

/** Top-level tables (partitioned ones as one) outside the system schemas and the given harness schemas. */
export async function readUserTables(db: Queryable, excludeSchemas: readonly string[]): Promise<{ schema: string; table: string; bytes: number }[]> {
  const rows = await db.query(sql`
    select n.nspname as schema_name, c.relname as table_name,
           (select coalesce(sum(pg_catalog.pg_relation_size(p.relid)), 0) from pg_catalog.pg_partition_tree(c.oid) p)::float8 as bytes
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'm') and not c.relispartition and ${isUserSchema(excludeSchemas)}
     order by 1, 2`);
  return rows.map((row) => ({ schema: String(row.schema_name), table: String(row.table_name), bytes: Number(row.bytes) }));
}

export interface ForeignKeyOrphans {
  readonly constraint: string;
  readonly rows: number;
}

/** The foreign keys declared on a table (its own side), as anti-join inputs. */
export async function readForeignKeys(db: Queryable, name: string): Promise<{ name: string; parentSchema: string; parentTable: string; columns: string[]; parentColumns: string[] }[]> {
  const { schema, table } = qualifiedTable(name);
  const rows = await db.query(sql`
    select c.conname as name, pn.nspname as parent_schema, pc.relname as parent_table,
           array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord) as columns,
           array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.ord) as parent_columns
      from pg_catalog.pg_constraint c
      join pg_catalog.pg_class cc on cc.oid = c.conrelid
      join pg_catalog.pg_namespace cn on cn.oid = cc.relnamespace
      join pg_catalog.pg_class pc on pc.oid = c.confrelid
      join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace
     where c.contype = 'f' and c.conparentid = 0 and cn.nspname = ${schema} and cc.relname = ${table}
     order by c.conname`);
  return rows.map((row) => ({
    name: String(row.name),
    parentSchema: String(row.parent_schema),
    parentTable: String(row.parent_table),
    columns: row.columns as string[],
    parentColumns: row.parent_columns as string[],
  }));
}

/**
 * Every foreign key declared on the given tables, checked by one anti-join
 * each (MATCH SIMPLE: a row with any null key column is not checked).
 * Returns the constraints that have orphan rows.
 */
export async function checkForeignKeys(db: Queryable, tables: readonly string[]): Promise<ForeignKeyOrphans[]> {
  const orphans: ForeignKeyOrphans[] = [];
  for (const name of tables) {
    const { schema, table } = qualifiedTable(name);
    for (const key of await readForeignKeys(db, name)) {
      const rows = await db.query(sql`
        select count(*)::bigint as n
          from ${sql.ident(schema, table)} x
         where ${sql.join(
           key.columns.map((column) => sql`x.${sql.ident(column)} is not null`),
           sql` and `,
         )}
           and not exists (select 1 from ${sql.ident(key.parentSchema, key.parentTable)} p
                            where ${sql.join(
                              key.columns.map((column, index) => sql`p.${sql.ident(key.parentColumns[index] ?? column)} = x.${sql.ident(column)}`),
                              sql` and `,
                            )})`);
      const n = Number(rows[0]?.n ?? 0);
      if (n > 0) orphans.push({ constraint: key.name, rows: n });
    }
  }
  return orphans;
}
