/**
 * Schema inventory: what a migrated database holds, read from the catalogs.
 * It feeds the report's data dictionary and the restore drill's comparison
 * (a restore that silently loses a policy, grant or FORCE flag shows up as a
 * difference between two inventories).
 */
import { sql, type Queryable } from '@databases/pg';

/**
 * Every schema of the database except the system's own (pg_catalog,
 * information_schema, pg_toast, temporary schemas): what the restore drill
 * compares when it is not told which schemas matter.
 */
export async function databaseSchemas(db: Queryable): Promise<string[]> {
  const rows = await db.query(sql`
    select n.nspname as name from pg_namespace n
     where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
     order by 1`);
  return rows.map((row) => String(row.name));
}

export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly default: string | null;
  readonly generated: string | null;
  readonly comment: string | null;
}

export interface RelationInfo {
  readonly schema: string;
  readonly name: string;
  /** table, partitioned table, view, materialized view. */
  readonly kind: 'table' | 'partitioned_table' | 'view' | 'materialized_view';
  readonly comment: string | null;
  readonly partitionOf: string | null;
  readonly rlsEnabled: boolean;
  readonly rlsForced: boolean;
  readonly securityInvoker: boolean | null;
  readonly estimatedRows: number;
  readonly columns: readonly ColumnInfo[];
  readonly indexes: readonly { readonly name: string; readonly definition: string }[];
  readonly constraints: readonly { readonly name: string; readonly type: string; readonly definition: string }[];
  readonly triggers: readonly { readonly name: string; readonly definition: string; readonly enabled: string }[];
  readonly policies: readonly {
    readonly name: string;
    readonly command: string;
    readonly permissive: boolean;
    readonly roles: readonly string[];
    readonly using: string | null;
    readonly withCheck: string | null;
  }[];
  /** role → sorted privileges, for the Supabase roles only. */
  readonly grants: Readonly<Record<string, readonly string[]>>;
}

export interface FunctionInfo {
  readonly schema: string;
  readonly signature: string;
  readonly securityDefiner: boolean;
  readonly config: readonly string[];
  readonly comment: string | null;
  readonly executableBy: readonly string[];
}

export interface EnumInfo {
  readonly schema: string;
  readonly name: string;
  readonly labels: readonly string[];
  readonly comment: string | null;
}

export interface SchemaInventory {
  readonly relations: readonly RelationInfo[];
  readonly functions: readonly FunctionInfo[];
  readonly enums: readonly EnumInfo[];
}

const apiRoles = ['anon', 'authenticated', 'service_role'] as const;

const kinds: Record<string, RelationInfo['kind']> = { r: 'table', p: 'partitioned_table', v: 'view', m: 'materialized_view' };

/** The inventory of `schemas` (default: every schema but the system's, see databaseSchemas). */
export async function readInventory(db: Queryable, only?: readonly string[]): Promise<SchemaInventory> {
  const schemas = only ?? (await databaseSchemas(db));
  const relations = await db.query(sql`
    select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind as kind,
           obj_description(c.oid, 'pg_class') as comment,
           c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced,
           case when c.relkind in ('v', 'm') then coalesce('security_invoker=true' = any(c.reloptions) or 'security_invoker=on' = any(c.reloptions), false) end as security_invoker,
           greatest(c.reltuples, 0)::bigint as estimated_rows,
           (select pn.nspname || '.' || pc.relname from pg_inherits i join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace where i.inhrelid = c.oid and c.relispartition) as partition_of
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas as string[]}) and c.relkind in ('r', 'p', 'v', 'm')
    order by n.nspname, c.relname
  `);
  const oids = relations.map((row) => row.oid as number);
  const [columns, indexes, constraints, triggers, policies, grants] = await Promise.all([
    db.query(sql`
      select a.attrelid::int as oid, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
             case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as "default",
             case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end as generated,
             col_description(a.attrelid, a.attnum) as comment
      from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = any(${oids}::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`),
    db.query(sql`
      select i.indrelid::int as oid, ic.relname as name, pg_get_indexdef(i.indexrelid) as definition
      from pg_index i join pg_class ic on ic.oid = i.indexrelid
      where i.indrelid = any(${oids}::oid[]) order by ic.relname`),
    db.query(sql`
      select conrelid::int as oid, conname as name, contype as type, pg_get_constraintdef(oid) as definition
      from pg_constraint where conrelid = any(${oids}::oid[]) order by conname`),
    db.query(sql`
      select tgrelid::int as oid, tgname as name, pg_get_triggerdef(oid) as definition, tgenabled as enabled
      from pg_trigger where tgrelid = any(${oids}::oid[]) and not tgisinternal order by tgname`),
    db.query(sql`
      select p.polrelid::int as oid, p.polname as name, p.polcmd as command, p.polpermissive as permissive,
             array(select (case when r = 0 then 'public' else pg_get_userbyid(r) end)::text from unnest(p.polroles) r order by 1) as roles,
             pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as with_check
      from pg_policy p where p.polrelid = any(${oids}::oid[]) order by p.polname`),
    db.query(sql`
      select c.oid::int as oid, r.rolname as role, array_agg(distinct acl.privilege_type order by acl.privilege_type) as privileges
      from pg_class c cross join lateral aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) acl
      join pg_roles r on r.oid = acl.grantee
      where c.oid = any(${oids}::oid[]) and r.rolname = any(${apiRoles as unknown as string[]})
      group by c.oid, r.rolname`),
  ]);
  const by = <T extends { oid: number }>(rows: readonly T[]) => {
    const map = new Map<number, T[]>();
    for (const row of rows) map.set(row.oid, [...(map.get(row.oid) ?? []), row]);
    return map;
  };
  const columnsBy = by(columns as { oid: number }[]);
  const indexesBy = by(indexes as { oid: number }[]);
  const constraintsBy = by(constraints as { oid: number }[]);
  const triggersBy = by(triggers as { oid: number }[]);
  const policiesBy = by(policies as { oid: number }[]);
  const grantsBy = by(grants as { oid: number }[]);
  const constraintTypes: Record<string, string> = { p: 'primary key', f: 'foreign key', u: 'unique', c: 'check', x: 'exclusion', t: 'trigger' };
  const commands: Record<string, string> = { r: 'select', a: 'insert', w: 'update', d: 'delete', '*': 'all' };
  const functions = await db.query(sql`
    select n.nspname as schema, p.oid::regprocedure::text as signature, p.prosecdef as security_definer,
           coalesce(p.proconfig, '{}') as config, obj_description(p.oid, 'pg_proc') as comment,
           array(select distinct (case when acl.grantee = 0 then 'public' else pg_get_userbyid(acl.grantee) end)::text as grantee
                 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl where acl.privilege_type = 'EXECUTE' order by 1) as executable_by
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    left join pg_depend d on d.objid = p.oid and d.deptype = 'e'
    where n.nspname = any(${schemas as string[]}) and d.objid is null
    order by 1, 2`);
  const enums = await db.query(sql`
    select n.nspname as schema, t.typname as name, array_agg(e.enumlabel::text order by e.enumsortorder) as labels, obj_description(t.oid, 'pg_type') as comment
    from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid
    where n.nspname = any(${schemas as string[]}) group by n.nspname, t.typname, t.oid order by 1, 2`);
  return {
    relations: relations.map((row) => ({
      schema: row.schema,
      name: row.name,
      kind: kinds[row.kind as string] ?? 'table',
      comment: row.comment,
      partitionOf: row.partition_of,
      rlsEnabled: row.rls_enabled,
      rlsForced: row.rls_forced,
      securityInvoker: row.security_invoker,
      estimatedRows: Number(row.estimated_rows),
      columns: (columnsBy.get(row.oid) ?? []).map((column: Record<string, unknown>) => ({
        name: String(column.name),
        type: String(column.type),
        nullable: column.nullable === true,
        default: (column.default as string | null) ?? null,
        generated: (column.generated as string | null) ?? null,
        comment: (column.comment as string | null) ?? null,
      })),
      indexes: (indexesBy.get(row.oid) ?? []).map((index: Record<string, unknown>) => ({ name: String(index.name), definition: String(index.definition) })),
      constraints: (constraintsBy.get(row.oid) ?? []).map((constraint: Record<string, unknown>) => ({
        name: String(constraint.name),
        type: constraintTypes[String(constraint.type)] ?? String(constraint.type),
        definition: String(constraint.definition),
      })),
      triggers: (triggersBy.get(row.oid) ?? []).map((trigger: Record<string, unknown>) => ({
        name: String(trigger.name),
        definition: String(trigger.definition),
        enabled: String(trigger.enabled),
      })),
      policies: (policiesBy.get(row.oid) ?? []).map((policy: Record<string, unknown>) => ({
        name: String(policy.name),
        command: commands[String(policy.command)] ?? String(policy.command),
        permissive: policy.permissive === true,
        roles: policy.roles as string[],
        using: (policy.using as string | null) ?? null,
        withCheck: (policy.with_check as string | null) ?? null,
      })),
      grants: Object.fromEntries((grantsBy.get(row.oid) ?? []).map((grant: Record<string, unknown>) => [String(grant.role), grant.privileges as string[]])),
    })),
    functions: functions.map((row) => ({
      schema: row.schema,
      signature: row.signature,
      securityDefiner: row.security_definer,
      config: row.config,
      comment: row.comment,
      executableBy: row.executable_by,
    })),
    enums: enums.map((row) => ({ schema: row.schema, name: row.name, labels: row.labels, comment: row.comment })),
  };
}

export interface InventoryDifference {
  readonly object: string;
  readonly aspect: string;
  readonly before: string;
  readonly after: string;
}

/**
 * Deparsed expressions are not stable across a dump/restore: the parser
 * flattens nested AND/OR chains (`((a AND b) AND c)` comes back as
 * `(a AND b AND c)`), so expressions are compared without parentheses and
 * white space. Grouping is the only thing this can hide, and pg_dump never
 * regroups; what the drill guards against is objects, grants and flags lost.
 */
export function normaliseExpression(text: string | null): string | null {
  return text === null ? null : text.replace(/[()\s]/g, '');
}

type Named = { readonly name: string };

function diffNamed<T extends Named>(object: string, aspect: string, before: readonly T[], after: readonly T[], canonical: (item: T) => string, out: InventoryDifference[]): void {
  const afterBy = new Map(after.map((item) => [item.name, item]));
  for (const item of before) {
    const other = afterBy.get(item.name);
    if (!other) out.push({ object, aspect, before: `${item.name}: ${canonical(item)}`, after: '(missing)' });
    else if (canonical(item) !== canonical(other)) out.push({ object, aspect, before: `${item.name}: ${canonical(item)}`, after: `${other.name}: ${canonical(other)}` });
  }
  const beforeNames = new Set(before.map((item) => item.name));
  for (const item of after) if (!beforeNames.has(item.name)) out.push({ object, aspect, before: '(missing)', after: `${item.name}: ${canonical(item)}` });
}

/**
 * What changed between two inventories, item by item (each column, index,
 * constraint, trigger, policy, grant, RLS flag, partition, function).
 * Row estimates are ignored: they are statistics, not schema.
 */
export function diffInventories(before: SchemaInventory, after: SchemaInventory): InventoryDifference[] {
  const differences: InventoryDifference[] = [];
  const key = (relation: RelationInfo) => `${relation.schema}.${relation.name}`;
  const afterBy = new Map(after.relations.map((relation) => [key(relation), relation]));
  const beforeKeys = new Set(before.relations.map(key));
  const show = (value: unknown) => JSON.stringify(value);
  const norm = normaliseExpression;
  for (const relation of before.relations) {
    const object = key(relation);
    const other = afterBy.get(object);
    if (!other) {
      differences.push({ object, aspect: 'relation', before: relation.kind, after: '(missing)' });
      continue;
    }
    const flags: [string, unknown, unknown][] = [
      ['kind', relation.kind, other.kind],
      ['partition of', relation.partitionOf, other.partitionOf],
      ['rls enabled', relation.rlsEnabled, other.rlsEnabled],
      ['rls forced', relation.rlsForced, other.rlsForced],
      ['security_invoker', relation.securityInvoker, other.securityInvoker],
      ['comment', relation.comment, other.comment],
    ];
    for (const [aspect, left, right] of flags) {
      if (show(left) !== show(right)) differences.push({ object, aspect, before: show(left), after: show(right) });
    }
    diffNamed(object, 'column', relation.columns, other.columns, (column) => show({ ...column, default: norm(column.default), generated: norm(column.generated) }), differences);
    diffNamed(object, 'index', relation.indexes, other.indexes, (index) => norm(index.definition) ?? '', differences);
    diffNamed(object, 'constraint', relation.constraints, other.constraints, (constraint) => `${constraint.type} ${norm(constraint.definition)}`, differences);
    diffNamed(object, 'trigger', relation.triggers, other.triggers, (trigger) => `${trigger.enabled} ${trigger.definition}`, differences);
    diffNamed(object, 'policy', relation.policies, other.policies, (policy) => show({ ...policy, using: norm(policy.using), withCheck: norm(policy.withCheck) }), differences);
    const roles = [...new Set([...Object.keys(relation.grants), ...Object.keys(other.grants)])].sort();
    for (const role of roles) {
      const left = (relation.grants[role] ?? []).join(', ') || 'none';
      const right = (other.grants[role] ?? []).join(', ') || 'none';
      if (left !== right) differences.push({ object, aspect: `grants to ${role}`, before: left, after: right });
    }
  }
  for (const relation of after.relations) {
    if (!beforeKeys.has(key(relation))) differences.push({ object: key(relation), aspect: 'relation', before: '(missing)', after: relation.kind });
  }
  const afterFunctions = new Map(after.functions.map((fn) => [fn.signature, fn]));
  for (const fn of before.functions) {
    const other = afterFunctions.get(fn.signature);
    if (!other) differences.push({ object: fn.signature, aspect: 'function', before: 'present', after: '(missing)' });
    else if (show(fn) !== show(other)) differences.push({ object: fn.signature, aspect: 'function', before: show(fn), after: show(other) });
  }
  for (const fn of after.functions)
    if (!before.functions.some((candidate) => candidate.signature === fn.signature)) differences.push({ object: fn.signature, aspect: 'function', before: '(missing)', after: 'present' });
  const enumKey = (entry: EnumInfo) => `${entry.schema}.${entry.name}`;
  diffNamed(
    'enum types',
    'labels',
    before.enums.map((entry) => ({ ...entry, name: enumKey(entry) })),
    after.enums.map((entry) => ({ ...entry, name: enumKey(entry) })),
    (entry) => entry.labels.join(','),
    differences,
  );
  return differences;
}

export { inventoryScope, specSchemas, type InventoryScope } from './schemas.ts';
