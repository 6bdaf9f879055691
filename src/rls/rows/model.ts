/**
 * What pg_catalog says about a table's rows: columns with their types
 * (domains and arrays resolved to what they are made of, enum labels),
 * NOT NULL, defaults, identity and generated columns, CHECK constraints,
 * primary key, unique constraints and indexes, foreign keys, partitions,
 * and which roles may UPDATE each column. Everything the row generator
 * knows comes from here or from the spec's hints.
 */
import { sql, type Queryable } from '@databases/pg';

export type TypeKind = 'base' | 'enum' | 'domain' | 'array' | 'composite' | 'range' | 'other';

export interface TypeModel {
  readonly oid: number;
  /** format_type of the type. */
  readonly name: string;
  /** pg_type.typname (e.g. int4, timestamptz, uuid). */
  readonly typname: string;
  readonly kind: TypeKind;
  /** pg_type.typcategory: S string, N numeric, B boolean, D date/time, T timespan, I network, U user-defined, A array, E enum... */
  readonly category: string;
  /** Domains: the type they constrain. */
  readonly base?: TypeModel;
  /** Arrays: the element type. */
  readonly element?: TypeModel;
  readonly labels?: readonly string[];
}

export interface ColumnModel {
  readonly name: string;
  readonly attnum: number;
  /** format_type with the modifier, e.g. `character varying(64)`, `numeric(14,2)`. */
  readonly typeName: string;
  readonly type: TypeModel;
  readonly notNull: boolean;
  readonly defaultExpression: string | null;
  /** `a` always, `d` by default, `` none. */
  readonly identity: '' | 'a' | 'd';
  readonly generated: boolean;
  /** Stored generated columns computed from this one. */
  readonly generatedFrom: readonly string[];
  /** Roles (of the spec's actors) holding UPDATE on this column. */
  readonly updatableBy: readonly string[];
}

export interface CheckModel {
  readonly name: string;
  /** The boolean expression over the table's unqualified columns. */
  readonly expression: string;
  readonly columns: readonly string[];
}

export interface ForeignKeyModel {
  readonly name: string;
  readonly columns: readonly string[];
  readonly parent: string;
  readonly parentColumns: readonly string[];
}

export interface PartitionModel {
  readonly name: string;
  /** Bound as the catalog prints it (`FOR VALUES FROM (...) TO (...)`, `DEFAULT`, ...). */
  readonly bound: string;
}

export interface TableModel {
  /** schema.name, as written in the spec. */
  readonly qualified: string;
  readonly schema: string;
  readonly name: string;
  readonly relkind: 'r' | 'p' | 'v' | 'm' | 'f';
  readonly columns: readonly ColumnModel[];
  readonly checks: readonly CheckModel[];
  readonly primaryKey: readonly string[];
  /** Unique constraints and unique indexes (partial ones too), by columns. */
  readonly uniques: readonly (readonly string[])[];
  readonly foreignKeys: readonly ForeignKeyModel[];
  /** Partitioned tables: the key columns and every leaf partition (schema-qualified). */
  readonly partitionKey: readonly string[];
  readonly leaves: readonly PartitionModel[];
}

export const columnOf = (table: TableModel, name: string): ColumnModel | undefined => table.columns.find((column) => column.name === name);

interface TypeRow {
  oid: number;
  name: string;
  typname: string;
  typtype: string;
  category: string;
  base: number;
  element: number;
  labels: string[];
}

async function readTypes(db: Queryable, oids: readonly number[]): Promise<Map<number, TypeModel>> {
  const rows = new Map<number, TypeRow>();
  let pending = [...new Set(oids)];
  while (pending.length > 0) {
    const found = (await db.query(sql`
      select t.oid::int as oid, pg_catalog.format_type(t.oid, null) as name, t.typname::text as typname, t.typtype::text as typtype,
             t.typcategory::text as category, t.typbasetype::int as base,
             case when t.typcategory = 'A' then t.typelem::int else 0 end as element,
             array(select e.enumlabel::text from pg_catalog.pg_enum e where e.enumtypid = t.oid order by e.enumsortorder) as labels
        from pg_catalog.pg_type t where t.oid = any(${pending}::oid[])`)) as TypeRow[];
    for (const row of found) rows.set(row.oid, row);
    pending = [...new Set(found.flatMap((row) => [row.base, row.element]).filter((oid) => oid !== 0 && !rows.has(oid)))];
  }
  const models = new Map<number, TypeModel>();
  const build = (oid: number): TypeModel => {
    const cached = models.get(oid);
    if (cached) return cached;
    const row = rows.get(oid)!;
    const kind: TypeKind =
      row.typtype === 'e'
        ? 'enum'
        : row.typtype === 'd'
          ? 'domain'
          : row.category === 'A' && row.element !== 0
            ? 'array'
            : row.typtype === 'c'
              ? 'composite'
              : row.typtype === 'r' || row.typtype === 'm'
                ? 'range'
                : row.typtype === 'b'
                  ? 'base'
                  : 'other';
    const model: TypeModel = {
      oid,
      name: row.name,
      typname: row.typname,
      kind,
      category: row.category,
      ...(kind === 'domain' ? { base: build(row.base) } : {}),
      ...(kind === 'array' ? { element: build(row.element) } : {}),
      ...(kind === 'enum' ? { labels: row.labels } : {}),
    };
    models.set(oid, model);
    return model;
  };
  for (const oid of rows.keys()) build(oid);
  return models;
}

/**
 * Read the model of each table (schema-qualified names); unknown names are
 * left out. Run it inside a transaction: the search path is set to
 * pg_catalog for the rest of it, so deparsed expressions name their schemas.
 */
export async function readTableModels(db: Queryable, qualifiedNames: readonly string[], roles: readonly string[]): Promise<Map<string, TableModel>> {
  const models = new Map<string, TableModel>();
  if (qualifiedNames.length === 0) return models;
  // Deparse with an empty search path so every function and type in a CHECK names its schema.
  await db.query(sql`select pg_catalog.set_config('search_path', 'pg_catalog', true)`);
  const relations = (await db.query(sql`
    select c.oid::int as oid, n.nspname::text as schema, c.relname::text as name, c.relkind::text as relkind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname || '.' || c.relname = any(${[...qualifiedNames]}::text[])`)) as { oid: number; schema: string; name: string; relkind: TableModel['relkind'] }[];
  const existingRoles = ((await db.query(sql`select rolname::text as name from pg_catalog.pg_roles where rolname = any(${[...roles]}::text[])`)) as { name: string }[]).map((row) => row.name);
  const columnRows = (await db.query(sql`
    select a.attrelid::int as rel, a.attname::text as name, a.attnum::int as attnum, a.atttypid::int as type,
           pg_catalog.format_type(a.atttypid, a.atttypmod) as type_name, a.attnotnull as not_null,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expression,
           a.attidentity::text as identity, a.attgenerated <> '' as generated,
           array(select r from unnest(${existingRoles}::text[]) r where pg_catalog.has_column_privilege(r, a.attrelid, a.attnum, 'UPDATE')) as updatable_by,
           array(select g.attname::text from pg_catalog.pg_attrdef gd
                   join pg_catalog.pg_attribute g on g.attrelid = gd.adrelid and g.attnum = gd.adnum
                   join pg_catalog.pg_depend dep on dep.classid = 'pg_catalog.pg_attrdef'::regclass and dep.objid = gd.oid
                        and dep.refobjid = gd.adrelid and dep.refobjsubid = a.attnum
                  where gd.adrelid = a.attrelid and g.attgenerated <> '' and g.attnum <> a.attnum) as generated_from
      from pg_catalog.pg_attribute a
      left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum and a.attgenerated = ''
     where a.attrelid = any(${relations.map((relation) => relation.oid)}::oid[]) and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`)) as {
    rel: number;
    name: string;
    attnum: number;
    type: number;
    type_name: string;
    not_null: boolean;
    default_expression: string | null;
    identity: '' | 'a' | 'd';
    generated: boolean;
    updatable_by: string[];
    generated_from: string[];
  }[];
  const types = await readTypes(
    db,
    columnRows.map((row) => row.type),
  );
  const constraintRows = (await db.query(sql`
    select con.conrelid::int as rel, con.conname::text as name, con.contype::text as kind,
           array(select a.attname::text from unnest(con.conkey) with ordinality k(num, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num order by k.ord) as columns,
           case when con.contype = 'f' then (select pn.nspname || '.' || pc.relname from pg_catalog.pg_class pc
                   join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace where pc.oid = con.confrelid) end as parent,
           array(select a.attname::text from unnest(con.confkey) with ordinality k(num, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num order by k.ord) as parent_columns,
           case when con.contype = 'c' then pg_catalog.pg_get_expr(con.conbin, con.conrelid) end as expression
      from pg_catalog.pg_constraint con
     where con.conrelid = any(${relations.map((relation) => relation.oid)}::oid[]) and con.contype in ('p', 'u', 'c', 'f')
     order by con.conrelid, con.conname`)) as { rel: number; name: string; kind: string; columns: string[]; parent: string | null; parent_columns: string[]; expression: string | null }[];
  const uniqueIndexRows = (await db.query(sql`
    select i.indrelid::int as rel,
           array(select a.attname::text from unnest(i.indkey) with ordinality k(num, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.num order by k.ord) as columns
      from pg_catalog.pg_index i
     where i.indrelid = any(${relations.map((relation) => relation.oid)}::oid[]) and i.indisunique
       and not exists (select 1 from pg_catalog.pg_constraint con where con.conindid = i.indexrelid)`)) as { rel: number; columns: string[] }[];
  const partitionRows = (await db.query(sql`
    select pt.partrelid::int as rel,
           array(select a.attname::text from unnest(pt.partattrs::int2[]) with ordinality k(num, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = pt.partrelid and a.attnum = k.num order by k.ord) as key,
           array(select jsonb_build_object('name', ln.nspname || '.' || lc.relname, 'bound', pg_catalog.pg_get_expr(lc.relpartbound, lc.oid))
                   from pg_catalog.pg_partition_tree(pt.partrelid) tree
                   join pg_catalog.pg_class lc on lc.oid = tree.relid
                   join pg_catalog.pg_namespace ln on ln.oid = lc.relnamespace
                  where tree.isleaf order by lc.relname) as leaves
      from pg_catalog.pg_partitioned_table pt
     where pt.partrelid = any(${relations.map((relation) => relation.oid)}::oid[])`)) as { rel: number; key: string[]; leaves: PartitionModel[] }[];
  for (const relation of relations) {
    const constraints = constraintRows.filter((row) => row.rel === relation.oid);
    const partitions = partitionRows.find((row) => row.rel === relation.oid);
    const qualified = `${relation.schema}.${relation.name}`;
    models.set(qualified, {
      qualified,
      schema: relation.schema,
      name: relation.name,
      relkind: relation.relkind,
      columns: columnRows
        .filter((row) => row.rel === relation.oid)
        .map((row) => ({
          name: row.name,
          attnum: row.attnum,
          typeName: row.type_name,
          type: types.get(row.type)!,
          notNull: row.not_null,
          defaultExpression: row.default_expression,
          identity: row.identity,
          generated: row.generated,
          generatedFrom: row.generated_from,
          updatableBy: row.updatable_by,
        })),
      checks: constraints.filter((row) => row.kind === 'c').map((row) => ({ name: row.name, expression: row.expression!, columns: row.columns })),
      primaryKey: constraints.find((row) => row.kind === 'p')?.columns ?? [],
      uniques: [
        ...constraints.filter((row) => row.kind === 'p' || row.kind === 'u').map((row) => row.columns),
        ...uniqueIndexRows.filter((row) => row.rel === relation.oid && row.columns.length > 0).map((row) => row.columns),
      ],
      foreignKeys: constraints.filter((row) => row.kind === 'f').map((row) => ({ name: row.name, columns: row.columns, parent: row.parent!, parentColumns: row.parent_columns })),
      partitionKey: partitions?.key ?? [],
      leaves: partitions?.leaves ?? [],
    });
  }
  return models;
}

/** Every table reachable from `start` through foreign keys (the start ones included). */
export async function readTableClosure(db: Queryable, start: readonly string[], roles: readonly string[], stopAt: readonly string[]): Promise<Map<string, TableModel>> {
  const all = new Map<string, TableModel>();
  let pending = [...new Set(start)];
  while (pending.length > 0) {
    const models = await readTableModels(db, pending, roles);
    for (const [name, model] of models) all.set(name, model);
    pending = [...new Set([...models.values()].flatMap((model) => model.foreignKeys.map((fk) => fk.parent)))].filter((name) => !all.has(name) && !stopAt.includes(name));
  }
  return all;
}
