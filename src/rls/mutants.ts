/**
 * The mutation self-test: deliberately broken variants of the project's own
 * policies, each applied inside a transaction on a long-lived clone (rolled
 * back afterwards; see scratch.ts) or, where a transaction would change
 * the verdict, to its own fresh clone, then the properties run. A
 * mutant no property catches SURVIVES and fails the command. Mutants are
 * data (name, description, SQL), generated from the spec and the template's
 * catalog — every policy (dropped, USING (true), WITH CHECK dropped, roles
 * widened, the owner comparison negated or pointed at another column), every
 * table (RLS disabled, not forced, privileges granted to anon) — plus generic
 * side doors (views, partitions, definer functions, a session-level claims
 * cache) and the project's own hold-out mutants as SQL files whose header
 * says `-- name:` and `-- description:`. No generated mutant names an object
 * the database lacks; a mutant that cannot be applied is "not applicable"
 * (listed, not counted), and one that breaks the schema so the properties
 * cannot run is an error, never a catch.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { sql, type Queryable, type SQLQuery } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { templateHandle, withClone, type PostgresServer } from '../postgres/index.ts';
import { mapConcurrently } from '../util/concurrency.ts';
import { renderSql } from './literal.ts';
import { defaultRlsSeed, learnRowModel, runRls, type Counterexample, type PropertyResult, type RlsOptions } from './properties.ts';
import { openScratchClone, type ScratchClone } from './scratch.ts';
import { propertyNames, type PropertyName } from './cases.ts';
import type { AccessSpec } from './spec.ts';

export interface Mutant {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
  readonly source: 'generated' | 'builtin' | string;
  /**
   * The spec relations the mutant changes (absent: it may change anything).
   * The properties first judge these and the relations that read them; a
   * mutant that focused pass does not catch is judged again on everything
   * before it may survive.
   */
  readonly focus?: readonly string[];
  /**
   * The property to try first (a broken SELECT policy shows in visibility,
   * a broken write policy in write isolation). Only the order changes: every
   * property still judges a mutant the first one does not catch.
   */
  readonly prefer?: PropertyName;
}

export const mutantStatuses = ['caught', 'survived', 'equivalent', 'not_applicable', 'error'] as const;
export type MutantStatus = (typeof mutantStatuses)[number];

export interface MutantResult {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  /** The relations its focused passes judged (absent: judged on everything from the start). */
  readonly focus?: readonly string[];
  readonly status: MutantStatus;
  readonly caughtBy: PropertyName | null;
  readonly counterexample?: Counterexample;
  /** Declared equivalent in the spec (reason): not run, not counted. */
  readonly equivalent?: string;
  /** The mutant's SQL failed: it is not applicable to this schema (listed, not counted). */
  readonly applyError?: string;
  /** Applied, but the properties could not run on the mutated schema (counted, not caught). */
  readonly error?: string;
  readonly durationMs: number;
}

export interface MutationResult {
  /** The seed of every world (each mutant gets the same worlds). */
  readonly seed: number;
  /** Worlds per property per mutant, after a quick pass of one. */
  readonly runs: number;
  /** Properties that already fail on the unmutated schema: they cannot judge mutants and are left out. */
  readonly baselineFailures: readonly PropertyName[];
  readonly mutants: readonly MutantResult[];
  readonly caught: number;
  /** Mutants counted (equivalent and not applicable ones excluded). */
  readonly total: number;
  readonly notApplicable: number;
  readonly errors: number;
  /** caught / total, 0..1. */
  readonly score: number;
  readonly durationMs: number;
}

const raw = (text: string): SQLQuery => sql.__dangerous__rawValue(text);

interface PolicyRow {
  readonly schema: string;
  readonly table: string;
  readonly policy: string;
  readonly command: string;
  readonly roles: readonly string[];
  readonly permissive: boolean;
  readonly qual: string | null;
  readonly withCheck: string | null;
}

interface TableRow {
  readonly schema: string;
  readonly table: string;
  readonly rowSecurity: boolean;
  readonly forced: boolean;
  readonly privileges: Readonly<Record<string, readonly string[]>>;
  readonly uuidColumns: readonly { readonly name: string; readonly toUsers: boolean; readonly primary: boolean }[];
}

const uidCall = String.raw`(?:\( SELECT auth\.uid\(\) AS uid\)|auth\.uid\(\))`;
const columnToken = String.raw`((?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*)`;
const comparisonLeft = new RegExp(String.raw`(^|[^a-z0-9_.])${columnToken} = (${uidCall})`);
const comparisonRight = new RegExp(String.raw`(${uidCall}) = ${columnToken}(?![a-z0-9_(])`);

/** The first `<column> = auth.uid()` comparison in a policy expression (either side, wrapped or not). */
export function findOwnerComparison(expression: string): { readonly column: string; readonly rewrite: (replacement: (column: string, uid: string) => string) => string } | null {
  const left = comparisonLeft.exec(expression);
  if (left) {
    const start = left.index + left[1]!.length;
    const end = left.index + left[0].length;
    return { column: left[2]!, rewrite: (replacement) => `${expression.slice(0, start)}${replacement(left[2]!, left[3]!)}${expression.slice(end)}` };
  }
  const right = comparisonRight.exec(expression);
  if (right) {
    const start = right.index;
    const end = right.index + right[0].length;
    return { column: right[2]!, rewrite: (replacement) => `${expression.slice(0, start)}${replacement(right[2]!, right[1]!)}${expression.slice(end)}` };
  }
  return null;
}

/** The expression reads no column: only calls like `(SELECT f() AS f)`, literals and AND/OR/NOT. */
export function readsNoColumn(expression: string): boolean {
  const stripped = expression
    .replace(/\(\s*SELECT\s+[a-z_][a-z0-9_.]*\(\)\s+AS\s+[a-z_][a-z0-9_]*\s*\)/gi, ' ')
    .replace(/[a-z_][a-z0-9_.]*\(\)/gi, ' ')
    .replace(/\b(AND|OR|NOT|true|false)\b/gi, ' ')
    .replace(/[()\s]/g, '');
  return stripped === '';
}

/** Every way through the expression needs `<column> = auth.uid()`: a caller without a user id never passes it. */
function requiresSubject(expression: string): boolean {
  return findOwnerComparison(expression) !== null && !/\bOR\b/i.test(expression);
}

const commandPrivileges: Record<string, readonly string[]> = {
  SELECT: ['SELECT'],
  INSERT: ['INSERT'],
  UPDATE: ['UPDATE'],
  DELETE: ['DELETE'],
  ALL: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
};

/** Build the catalogue from the spec and the (unmutated) template's catalog. */
export async function generateMutants(db: Queryable, spec: AccessSpec): Promise<Mutant[]> {
  const mutants: Mutant[] = [];
  // Every generated mutant but the side doors changes one relation of the spec: `focus` names it.
  let focus: readonly string[] | undefined;
  let prefer: PropertyName | undefined;
  const add = (name: string, description: string, query: SQLQuery, source = 'generated'): void => {
    if (mutants.some((mutant) => mutant.name === name)) return;
    mutants.push({ name, description, sql: renderSql(query), source, ...(focus ? { focus } : {}), ...(prefer ? { prefer } : {}) });
  };
  const tables = Object.entries(spec.relations).filter(([, relation]) => relation.kind === 'table');
  const qualifiedTables = tables.map(([name, relation]) => `${relation.schema}.${name}`);
  const specRoles = [...new Set(spec.actors.map((actor) => actor.role))];
  const roleRows = (await db.query(
    sql`select rolname::text as name, rolbypassrls or rolsuper as bypass from pg_catalog.pg_roles where rolname = any(${[...new Set([...specRoles, 'anon'])]}::text[])`,
  )) as { name: string; bypass: boolean }[];
  const existingRoles = roleRows.map((row) => row.name);
  const apiRoles = roleRows.filter((row) => !row.bypass && specRoles.includes(row.name)).map((row) => row.name);
  const tableRows = (await db.query(sql`
    select n.nspname::text as schema, c.relname::text as "table", c.relrowsecurity as "rowSecurity", c.relforcerowsecurity as forced,
           (select jsonb_object_agg(r, array(select p from unnest(array['SELECT','INSERT','UPDATE','DELETE']) p where pg_catalog.has_table_privilege(r, c.oid, p)))
              from unnest(${existingRoles}::text[]) r) as privileges,
           coalesce((select jsonb_agg(jsonb_build_object(
                      'name', a.attname,
                      'toUsers', exists (select 1 from pg_catalog.pg_constraint f where f.conrelid = c.oid and f.contype = 'f' and f.conkey = array[a.attnum]
                                           and f.confrelid = to_regclass('auth.users')),
                      'primary', exists (select 1 from pg_catalog.pg_constraint k where k.conrelid = c.oid and k.contype = 'p' and a.attnum = any(k.conkey)))
                      order by a.attnum)
              from pg_catalog.pg_attribute a
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.atttypid = 'uuid'::regtype and a.attgenerated = ''), '[]'::jsonb) as "uuidColumns"
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname || '.' || c.relname = any(${qualifiedTables}::text[])`)) as TableRow[];
  const tableInfo = new Map(tableRows.map((row) => [`${row.schema}.${row.table}`, row]));
  const policies = (await db.query(sql`
    select p.schemaname::text as schema, p.tablename::text as "table", p.policyname::text as policy, p.cmd::text as command,
           p.roles::text[] as roles, p.permissive = 'PERMISSIVE' as permissive, p.qual, p.with_check as "withCheck"
      from pg_catalog.pg_policies p
     where p.schemaname || '.' || p.tablename = any(${qualifiedTables}::text[])
     order by 1, 2, 3`)) as PolicyRow[];

  for (const policy of policies) {
    const relation = spec.relations[policy.table];
    const info = tableInfo.get(`${policy.schema}.${policy.table}`);
    if (!relation || !info) continue;
    const target = sql`${sql.ident(policy.policy)} on ${sql.ident(policy.schema, policy.table)}`;
    focus = [policy.table];
    prefer = policy.command === 'SELECT' ? 'visibility' : policy.command === 'ALL' ? undefined : 'write_isolation';
    add(`policy_dropped_${policy.policy}`, `policy ${policy.policy} (${policy.command} on ${policy.table}) dropped`, sql`drop policy ${target}`);
    // An UPDATE policy whose WITH CHECK is its USING over no column refuses
    // with USING (true) exactly whom it refused before (the check fails
    // instead): equivalent, not generated.
    const checkRepeatsUsing = policy.command === 'UPDATE' && policy.withCheck !== null && policy.withCheck === policy.qual && readsNoColumn(policy.qual ?? '');
    if (policy.qual !== null && policy.qual.trim() !== 'true' && !checkRepeatsUsing) {
      add(`using_true_${policy.policy}`, `USING of ${policy.policy} (${policy.command}) replaced by true: every row qualifies`, sql`alter policy ${target} using (true)`);
    }
    // An UPDATE policy whose WITH CHECK repeats a USING that looks at no
    // column (e.g. both call the same admin check) cannot be weakened by
    // dropping the check: the same caller passes USING in the same
    // statement. Such a mutant is equivalent to the original: not generated.
    const ownerless = relation.ownerColumn === null;
    const equivalent = policy.command === 'UPDATE' && ownerless && policy.withCheck === policy.qual;
    if (policy.withCheck !== null && policy.withCheck.trim() !== 'true' && !equivalent) {
      add(`with_check_dropped_${policy.policy}`, `WITH CHECK of ${policy.policy} (${policy.command}) replaced by true: new rows may be anything`, sql`alter policy ${target} with check (true)`);
    }
    if (!policy.roles.includes('public')) {
      const needed = commandPrivileges[policy.command] ?? [];
      const covered = (role: string): boolean =>
        policies.some(
          (other) =>
            other !== policy &&
            other.schema === policy.schema &&
            other.table === policy.table &&
            other.permissive &&
            (other.roles.includes(role) || other.roles.includes('public')) &&
            (other.command === policy.command || other.command === 'ALL') &&
            (other.qual === null || other.qual.trim() === 'true') &&
            (other.withCheck === null || other.withCheck.trim() === 'true'),
        );
      // A role none of whose actors has a user id can never pass a policy that requires auth.uid() to match.
      const withoutSubject = (role: string): boolean => spec.actors.filter((actor) => actor.role === role).every((actor) => !actor.subject);
      const needsSubject = [policy.qual, policy.withCheck].filter((expression): expression is string => expression !== null).every(requiresSubject);
      const added = apiRoles.filter(
        (role) => !policy.roles.includes(role) && needed.some((privilege) => info.privileges[role]?.includes(privilege)) && !covered(role) && !(needsSubject && withoutSubject(role)),
      );
      if (added.length > 0 && policy.permissive) {
        add(
          `roles_widened_${policy.policy}`,
          `policy ${policy.policy} (${policy.command}) also applies to ${added.join(', ')}`,
          sql`alter policy ${target} to ${sql.join(
            [...policy.roles, ...added].map((role) => sql.ident(role)),
            ', ',
          )}`,
        );
      }
    }
    const expressions = [policy.qual, policy.withCheck].filter((expression): expression is string => expression !== null);
    const comparison = expressions.map(findOwnerComparison).find((found) => found !== null) ?? null;
    if (comparison) {
      const rewrite = (change: (column: string, uid: string) => string): SQLQuery => {
        const using = policy.qual ? findOwnerComparison(policy.qual)?.rewrite(change) : undefined;
        const check = policy.withCheck ? findOwnerComparison(policy.withCheck)?.rewrite(change) : undefined;
        const parts = [...(using ? [sql`using (${raw(using)})`] : []), ...(check ? [sql`with check (${raw(check)})`] : [])];
        return sql`alter policy ${target} ${sql.join(parts, sql` `)}`;
      };
      add(
        `owner_negated_${policy.policy}`,
        `${policy.policy}: ${comparison.column} = auth.uid() negated (<>): rows of everyone else instead`,
        rewrite((column, uid) => `${column} <> ${uid}`),
      );
      if (!comparison.column.includes('.')) {
        const others = info.uuidColumns.filter((column) => column.name !== comparison.column);
        const swap = others.find((column) => column.toUsers) ?? others.find((column) => column.primary) ?? others[0];
        if (swap) {
          add(
            `owner_swapped_${policy.policy}`,
            `${policy.policy}: compares ${swap.name} instead of ${comparison.column} with auth.uid()`,
            rewrite((_column, uid) => `${swap.name} = ${uid}`),
          );
        }
      }
    }
  }

  for (const [name, relation] of tables) {
    const info = tableInfo.get(`${relation.schema}.${name}`);
    if (!info) continue;
    focus = [name];
    prefer = undefined;
    const table = sql.ident(relation.schema, name);
    if (info.rowSecurity) add(`rls_disabled_${name}`, `row level security disabled on ${name}`, sql`alter table ${table} disable row level security`);
    if (info.forced) add(`rls_not_forced_${name}`, `row level security not forced on ${name} (the owner bypasses it)`, sql`alter table ${table} no force row level security`);
    const anonMissing = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'].filter((privilege) => existingRoles.includes('anon') && !info.privileges.anon?.includes(privilege));
    if (anonMissing.length > 0) {
      add(`anon_grant_${name}`, `${anonMissing.join(', ')} granted to anon on ${name}`, sql`grant ${raw(anonMissing.join(', '))} on ${table} to anon`, 'builtin');
    }
    for (const role of apiRoles) {
      const restricted = spec.actors.some((actor) => actor.role === role && relation.rules[actor.name]?.select !== 'all');
      if (!restricted || !info.privileges[role]?.includes('SELECT')) continue;
      add(
        role === 'authenticated' ? `permissive_true_${name}` : `permissive_true_${name}_${role}`,
        `extra permissive SELECT policy USING (true) for ${role} on ${name}`,
        sql`create policy schemaproof_mutant_open on ${table} as permissive for select to ${sql.ident(role)} using (true)`,
        'builtin',
      );
    }
  }

  const viewRows = (await db.query(sql`
    select n.nspname::text as schema, c.relname::text as name,
           coalesce((select o.option_value::boolean from pg_catalog.pg_options_to_table(c.reloptions) o where o.option_name = 'security_invoker'), false) as invoker
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'v' and n.nspname || '.' || c.relname = any(${Object.entries(spec.relations)
       .filter(([, relation]) => relation.kind === 'view')
       .map(([name, relation]) => `${relation.schema}.${name}`)}::text[])`)) as { schema: string; name: string; invoker: boolean }[];
  for (const view of viewRows) {
    if (!view.invoker) continue;
    focus = [view.name];
    add(
      `view_security_definer_${view.name}`,
      `view ${view.name} runs as its owner (security_invoker = false)`,
      sql`alter view ${sql.ident(view.schema, view.name)} set (security_invoker = false)`,
      'builtin',
    );
  }

  focus = undefined;
  const exposed = spec.exposedSchemas[0]!;
  const privateTable = tables.find(
    ([name, relation]) => tableInfo.has(`${relation.schema}.${name}`) && spec.actors.some((actor) => actor.role !== 'service_role' && relation.rules[actor.name]?.select !== 'all'),
  );
  const grantees = ['anon', 'authenticated'].filter((role) => existingRoles.includes(role));
  if (privateTable && grantees.length > 0) {
    const [name, relation] = privateTable;
    const source = renderSql(sql.ident(relation.schema, name));
    const leakView = renderSql(sql.ident(exposed, 'schemaproof_leak'));
    const leakMatview = renderSql(sql.ident(exposed, 'schemaproof_leak_mv'));
    const leakFunction = renderSql(sql.ident(exposed, 'schemaproof_all_rows'));
    const to = grantees.map((role) => renderSql(sql.ident(role))).join(', ');
    add(
      'unlisted_view_exposing_table',
      `a new view ${exposed}.schemaproof_leak over ${name}, without security_invoker, granted to ${grantees.join(' and ')}`,
      raw(`create view ${leakView} as select * from ${source};\ngrant select on ${leakView} to ${to}`),
      'builtin',
    );
    add(
      'materialized_view_exposed',
      `a materialized view over ${name} (no RLS possible) granted to ${grantees.join(' and ')}`,
      raw(`create materialized view ${leakMatview} as select * from ${source};\ngrant select on ${leakMatview} to ${to}`),
      'builtin',
    );
    add(
      'definer_function_without_search_path',
      `a SECURITY DEFINER function without a fixed search_path returning every row of ${name}, executable by ${grantees.join(' and ')}`,
      raw(
        `create function ${leakFunction}() returns setof ${source} language sql security definer as 'select * from ${source.replace(/'/g, "''")}';\ngrant execute on function ${leakFunction}() to ${to}`,
      ),
      'builtin',
    );
  }

  for (const [name, relation] of tables) {
    if (!relation.partitioned || !tableInfo.has(`${relation.schema}.${name}`) || grantees.length === 0) continue;
    focus = [name];
    const parent = renderSql(sql.ident(relation.schema, name));
    const to = grantees.map((role) => renderSql(sql.ident(role))).join(', ');
    const exposePartitions = (filter: string): string => `do $mutant$
declare part regclass;
begin
  for part in select c.oid::regclass from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
               where i.inhparent = '${parent.replace(/'/g, "''")}'::regclass ${filter} loop
    execute format('alter table %s disable row level security', part);
    execute format('grant select, insert, update, delete on table %s to ${to.replace(/'/g, "''")}', part);
  end loop;
end
$mutant$`;
    const hasDefault =
      ((
        await db.query(
          sql`select count(*)::int as n from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid where i.inhparent = ${parent}::regclass and pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'`,
        )
      )[0]!.n as number) > 0;
    if (hasDefault)
      add(
        `partition_exposed_default_${name}`,
        `the default partition of ${name}: RLS off and all privileges granted to ${grantees.join(' and ')}`,
        raw(exposePartitions(`and pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'`)),
        'builtin',
      );
    add(`partition_exposed_all_${name}`, `every partition of ${name}: RLS off and all privileges granted to ${grantees.join(' and ')}`, raw(exposePartitions('')), 'builtin');
  }

  for (const [name, relation] of tables) {
    if (!relation.immutable || !tableInfo.has(`${relation.schema}.${name}`)) continue;
    focus = [name];
    // Guard triggers: the ones that fire on DELETE (an append-only guard also covers UPDATE).
    const triggers = (await db.query(sql`
      select t.tgname as name from pg_catalog.pg_trigger t
       where t.tgrelid = ${`${relation.schema}.${name}`}::regclass and not t.tgisinternal and (t.tgtype & 8) <> 0
       order by 1`)) as { name: string }[];
    for (const trigger of triggers) {
      add(
        `trigger_disabled_${trigger.name}`,
        `trigger ${trigger.name} on ${name} disabled: the owner can rewrite or delete rows`,
        sql`alter table ${sql.ident(relation.schema, name)} disable trigger ${sql.ident(trigger.name)}`,
        'builtin',
      );
    }
    const writers = specRoles.filter((role) => existingRoles.includes(role));
    if (writers.length > 0) {
      add(
        `write_grant_${name}`,
        `UPDATE and DELETE granted to ${writers.join(', ')} on ${name}`,
        sql`grant update, delete on ${sql.ident(relation.schema, name)} to ${sql.join(
          writers.map((role) => sql.ident(role)),
          ', ',
        )}`,
        'builtin',
      );
    }
  }

  focus = undefined;
  const uid = (await db.query(sql`select to_regprocedure('auth.uid()') is not null as present, to_regprocedure('auth.jwt()') is not null as jwt`))[0] as { present: boolean; jwt: boolean };
  if (uid.present) {
    add(
      'session_claims_cache',
      'auth.uid() remembers the caller in a session-level setting and falls back to it: identity leaks into the next transaction of a pooled connection',
      raw(`create or replace function auth.uid() returns uuid language plpgsql stable as $$
declare
  v_sub text := nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub';
begin
  if v_sub is not null then perform set_config('schemaproof.cached_uid', v_sub, false); end if;
  return coalesce(v_sub, nullif(current_setting('schemaproof.cached_uid', true), ''))::uuid;
end $$`),
      'builtin',
    );
  }
  return mutants;
}

/**
 * For each spec relation, the spec relations whose verdicts can change when
 * it changes: itself, views over it, relations whose policies read it
 * (pg_depend records the tables a policy expression names, and the
 * functions it calls: a function whose body names the relation counts as
 * reading it), and audit logs of it — transitively. What this misses (a
 * body reading through dynamic SQL) the unfocused pass still judges.
 */
export async function focusReaders(db: Queryable, spec: AccessSpec): Promise<Map<string, Set<string>>> {
  const entries = Object.entries(spec.relations);
  const byQualified = new Map(entries.map(([name, relation]) => [`${relation.schema}.${name}`, name]));
  const edges = (await db.query(sql`
    select distinct rn.nspname || '.' || rc.relname as read, dn.nspname || '.' || dc.relname as reader
      from pg_catalog.pg_depend d
      join pg_catalog.pg_policy pol on d.classid = 'pg_catalog.pg_policy'::regclass and pol.oid = d.objid
      join pg_catalog.pg_class dc on dc.oid = pol.polrelid join pg_catalog.pg_namespace dn on dn.oid = dc.relnamespace
      join pg_catalog.pg_class rc on d.refclassid = 'pg_catalog.pg_class'::regclass and rc.oid = d.refobjid join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
    union
    select distinct rn.nspname || '.' || rc.relname, dn.nspname || '.' || dc.relname
      from pg_catalog.pg_depend d
      join pg_catalog.pg_rewrite rw on d.classid = 'pg_catalog.pg_rewrite'::regclass and rw.oid = d.objid
      join pg_catalog.pg_class dc on dc.oid = rw.ev_class join pg_catalog.pg_namespace dn on dn.oid = dc.relnamespace
      join pg_catalog.pg_class rc on d.refclassid = 'pg_catalog.pg_class'::regclass and rc.oid = d.refobjid join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
     where rc.oid <> dc.oid`)) as { read: string; reader: string }[];
  const calls = (await db.query(sql`
    select distinct dn.nspname || '.' || dc.relname as reader, p.prosrc as body
      from pg_catalog.pg_depend d
      join pg_catalog.pg_policy pol on d.classid = 'pg_catalog.pg_policy'::regclass and pol.oid = d.objid
      join pg_catalog.pg_class dc on dc.oid = pol.polrelid join pg_catalog.pg_namespace dn on dn.oid = dc.relnamespace
      join pg_catalog.pg_proc p on d.refclassid = 'pg_catalog.pg_proc'::regclass and p.oid = d.refobjid
      join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
     where pn.nspname not in ('pg_catalog', 'information_schema')`)) as { reader: string; body: string | null }[];
  for (const call of calls) {
    for (const [name, relation] of entries) {
      if (call.body && new RegExp(`(^|[^a-z0-9_$])${name.replace(/[^a-z0-9_]/gi, '')}($|[^a-z0-9_$])`, 'i').test(call.body)) {
        edges.push({ read: `${relation.schema}.${name}`, reader: call.reader });
      }
    }
  }
  const direct = new Map<string, Set<string>>(entries.map(([name]) => [name, new Set([name])]));
  const link = (read: string | undefined, reader: string | undefined): void => {
    if (read && reader) direct.get(read)?.add(reader);
  };
  for (const edge of edges) link(byQualified.get(edge.read), byQualified.get(edge.reader));
  for (const [name, relation] of entries) {
    if (relation.of) link(relation.of, name);
    for (const audited of relation.audit?.of ?? []) link(audited, name);
  }
  const closure = new Map<string, Set<string>>();
  for (const [name] of entries) {
    const seen = new Set<string>();
    const queue = [name];
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(direct.get(next) ?? []));
    }
    closure.set(name, seen);
  }
  return closure;
}

/** Hold-out mutants: every *.sql file in `dir`, header `-- name: x` and `-- description: y`. */
export function loadMutantFiles(dir: string): Mutant[] {
  if (!existsSync(dir)) return [];
  const mutants: Mutant[] = [];
  for (const file of readdirSync(dir)
    .filter((entry) => entry.endsWith('.sql'))
    .sort()) {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const header = (key: string): string | null => new RegExp(`^--\\s*${key}:\\s*(.+)$`, 'mi').exec(text)?.[1]?.trim() ?? null;
    const name = header('name');
    const description = header('description');
    if (!name || !description) {
      throw new SchemaproofError({ code: 'access_spec_invalid', file: path, problems: ['a mutant file needs header comments "-- name: ..." and "-- description: ..."'] });
    }
    mutants.push({ name, description, sql: text, source: path });
  }
  return mutants;
}

export interface MutationOptions {
  readonly server: PostgresServer;
  readonly template: string;
  readonly spec: AccessSpec;
  readonly specFile?: string;
  readonly runs?: number;
  readonly seed?: number;
  readonly mutantsDir?: string;
  /** Only these mutants (by name); default all. */
  readonly only?: readonly string[];
  /** Use this catalogue instead of generating one. */
  readonly mutants?: readonly Mutant[];
  readonly onResult?: (result: MutantResult) => void;
  /**
   * Mutants judged at the same time, each on its own scratch clone. Default: one more
   * than the cores, at most 8. A lane waits on Postgres most of the time; on
   * 2 cores 2 lanes kept 1.5 cores busy, 3 lanes both (213 mutants: 80.3 s
   * with 2, 69.5 s with 3, 69.5 s with 4).
   */
  readonly concurrency?: number;
}

/**
 * The mutants `only` names (all when it is absent). A name the catalogue
 * lacks is a usage error: selecting nothing would judge nothing and pass.
 */
export function selectMutants(catalogue: readonly Mutant[], only: readonly string[] | undefined | null): Mutant[] {
  if (!only) return [...catalogue];
  const unknown = only.filter((name) => !catalogue.some((mutant) => mutant.name === name));
  if (unknown.length > 0) {
    throw new SchemaproofError({
      code: 'flag_invalid',
      flag: '--only',
      value: unknown.join(','),
      detail: `no mutant of that name among the ${catalogue.length} of this project (the JSON result of \`rls mutate\` lists them)`,
    });
  }
  return catalogue.filter((mutant) => only.includes(mutant.name));
}

/** A mutation run passed: at least one mutant was judged, every judged one was caught, and no property failed without a mutant. */
export function mutationPassed(result: Pick<MutationResult, 'caught' | 'total' | 'baselineFailures'>): boolean {
  return result.total > 0 && result.caught === result.total && result.baselineFailures.length === 0;
}

export async function mutantCatalogue(options: Pick<MutationOptions, 'server' | 'template' | 'spec' | 'mutantsDir'>): Promise<Mutant[]> {
  const generated = await withClone(templateHandle(options.server, options.template), 'rls_catalogue', (db) => generateMutants(db, options.spec), { poolSize: 1 });
  return [...generated, ...(options.mutantsDir ? loadMutantFiles(options.mutantsDir) : [])];
}

/** Apply each mutant (inside a rolled-back transaction on a scratch clone, or on its own fresh clone) and run the properties until one fails. */
export async function runMutation(options: MutationOptions): Promise<MutationResult> {
  const started = performance.now();
  const catalogue = options.mutants ?? (await mutantCatalogue(options));
  const selected = selectMutants(catalogue, options.only);
  const seed = options.seed ?? defaultRlsSeed;
  // Rows are learned once, on the unmutated schema: what a valid row is does not depend on the policies.
  const rowModel = await learnRowModel(options.server, options.template, options.spec, seed);
  const readers = await withClone(templateHandle(options.server, options.template), 'rls_readers', (db) => focusReaders(db, options.spec), { poolSize: 1 });
  const common = {
    server: options.server,
    template: options.template,
    spec: options.spec,
    ...(options.specFile ? { specFile: options.specFile } : {}),
    runs: options.runs ?? 30,
    seed,
    endOnFailure: true,
    sharedClone: true,
    maxRowsPerTable: 3,
    rowModel,
    checkExercise: false,
  } as const;
  // Judgements run on scratch clones (one per mutant judged at a time): each
  // pass applies the mutant inside a transaction on a long-lived clone and
  // rolls it back. The leak property commits, so it alone gets a fresh clone
  // per pass, as does a mutant that cannot be applied inside a transaction or
  // whose judgement ends in an error there (it is judged again, all on fresh
  // clones, and that verdict is the one reported).
  const concurrency = options.concurrency ?? Math.min(8, availableParallelism() + 1);
  const idle: ScratchClone[] = [];
  const opened: ScratchClone[] = [];
  const withScratch = async <T>(fn: (scratch: ScratchClone) => Promise<T>): Promise<T> => {
    let scratch = idle.pop();
    if (!scratch) {
      scratch = await openScratchClone(options.server, options.template);
      opened.push(scratch);
    }
    try {
      return await fn(scratch);
    } finally {
      if (scratch.tainted) {
        // A mutant that ended its transaction changed this clone for good: it is dropped, never reused.
        opened.splice(opened.indexOf(scratch), 1);
        await scratch.close();
      } else idle.push(scratch);
    }
  };
  /** One pass: the properties in order until one fails; on a scratch clone (the leak property on a clone) unless `onClones`. */
  const runPass = async (properties: readonly PropertyName[], pass: Omit<RlsOptions, 'server' | 'template' | 'spec'>, onClones: boolean): Promise<PropertyResult | undefined> => {
    const firstFailure = async (run: Pick<RlsOptions, 'properties' | 'scratch'>): Promise<PropertyResult | undefined> =>
      (await runRls({ ...common, ...pass, ...run })).properties.find((property) => !property.passed);
    if (onClones || properties.length === 0) return firstFailure({ properties });
    const inTransaction = properties.filter((name) => name !== 'no_transaction_leak');
    const failed = inTransaction.length > 0 ? await withScratch((scratch) => firstFailure({ properties: inTransaction, scratch })) : undefined;
    if (failed || !properties.includes('no_transaction_leak')) return failed;
    return firstFailure({ properties: ['no_transaction_leak'] });
  };
  try {
    // A property that fails without any mutant proves nothing about mutants.
    // A few worlds suffice here: this run looks for what the mutation setup
    // itself breaks (scratch clones, small worlds); `schemaproof rls` and the
    // rls gate test the unmutated schema in depth. Each property is judged
    // as mutants are, side by side, after the first has checked the spec.
    const baselineRuns = Math.min(common.runs, 5);
    const [checksSpec, ...others] = propertyNames;
    const baselineFailed = [
      (await runPass([checksSpec], { runs: baselineRuns, specChecked: false }, false)) !== undefined,
      ...(await mapConcurrently(others, concurrency, async (name) => (await runPass([name], { runs: baselineRuns, specChecked: true }, false)) !== undefined)),
    ];
    const baselineFailures = propertyNames.filter((_, index) => baselineFailed[index]);
    // Cheaper judges first (a mutant is usually caught by the first property
    // that looks at what it broke); the leak property last, because it commits
    // its worlds.
    const order: readonly PropertyName[] = ['coverage', 'visibility', 'side_doors', 'audit_trail', 'write_isolation', 'no_transaction_leak'];
    const judges = order.filter((name) => propertyNames.includes(name) && !baselineFailures.includes(name));
    // Properties that look at nothing a focused pass judges are left out of it.
    const judgesFor = (focus: readonly string[] | undefined, prefer: PropertyName | undefined): PropertyName[] => {
      const focused = focus ? focus.map((name) => options.spec.relations[name]).filter((relation) => relation !== undefined) : null;
      const useful = judges.filter((name) => {
        if (!focused) return true;
        if (name === 'audit_trail') return focused.some((relation) => relation.immutable || relation.audit !== undefined);
        if (name === 'no_transaction_leak') return focused.some((relation) => relation.ownerColumn !== null);
        return true;
      });
      return prefer && useful.includes(prefer) ? [prefer, ...useful.filter((name) => name !== prefer)] : useful;
    };
    const judge = async (mutant: Mutant): Promise<MutantResult> => {
      const mutantStarted = performance.now();
      const base = { name: mutant.name, description: mutant.description, source: mutant.source, ...(mutant.focus ? { focus: mutant.focus } : {}) };
      const equivalent = options.spec.equivalentMutants[mutant.name];
      if (equivalent !== undefined) return { ...base, status: 'equivalent', caughtBy: null, equivalent, durationMs: 0 };
      // Quick pass first (one world per property: most mutants fall to the
      // first world of the right property), then the full number of runs;
      // both judge only the relations the mutant touched and their readers.
      // A mutant those do not catch is judged on every relation before it
      // may survive: focusing speeds up catching, never clearing.
      const focus = mutant.focus ? [...new Set(mutant.focus.flatMap((name) => [...(readers.get(name) ?? [name])]))] : undefined;
      const passes = focus
        ? [
            { runs: 1, seedShift: 1, focus },
            { runs: common.runs, seedShift: 0, focus },
            { runs: common.runs, seedShift: 0 },
          ]
        : [
            { runs: 1, seedShift: 1 },
            { runs: common.runs, seedShift: 0 },
          ];
      const attempt = async (onClones: boolean): Promise<MutantResult> => {
        let applyError: string | undefined;
        try {
          for (const pass of passes) {
            const failed = await runPass(
              judgesFor(pass.focus, mutant.prefer),
              {
                specChecked: true,
                runs: pass.runs,
                seed: seed + pass.seedShift,
                ...(pass.focus ? { focus: pass.focus } : {}),
                stopAtFirstFailure: true,
                prepare: async (db) => {
                  try {
                    await db.query(raw(mutant.sql));
                  } catch (error) {
                    applyError = `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim();
                    throw error;
                  }
                },
              },
              onClones,
            );
            if (failed?.error !== undefined)
              return {
                ...base,
                status: 'error',
                caughtBy: null,
                error: `${failed.name}: ${failed.error}`,
                ...(failed.counterexample ? { counterexample: failed.counterexample } : {}),
                durationMs: performance.now() - mutantStarted,
              };
            if (failed)
              return { ...base, status: 'caught', caughtBy: failed.name, ...(failed.counterexample ? { counterexample: failed.counterexample } : {}), durationMs: performance.now() - mutantStarted };
          }
        } catch (error) {
          if (applyError === undefined) return { ...base, status: 'error', caughtBy: null, error: (error as Error).message, durationMs: performance.now() - mutantStarted };
          return { ...base, status: 'not_applicable', caughtBy: null, applyError, durationMs: performance.now() - mutantStarted };
        }
        return { ...base, status: 'survived', caughtBy: null, durationMs: performance.now() - mutantStarted };
      };
      const inTransaction = await attempt(false);
      // Not applicable or an error inside a transaction may be the transaction's doing (a statement that
      // cannot run in one, an aborted transaction): the verdict is taken on fresh clones instead.
      return inTransaction.status === 'error' || inTransaction.status === 'not_applicable' ? attempt(true) : inTransaction;
    };
    // Mutants are independent (each judged on a rolled-back transaction or
    // its own clone; every random choice comes from the seed, not from the
    // order), so a few run at once. Results keep the catalogue's order.
    const results = await mapConcurrently(selected, concurrency, async (mutant) => {
      const entry = await judge(mutant);
      options.onResult?.(entry);
      return entry;
    });
    // Verdicts reached on a scratch clone count only if every rollback left it as it was opened.
    for (const scratch of opened) {
      const drift = await scratch.drift();
      if (drift.length > 0) {
        throw new Error(
          `a mutation scratch clone was changed by what should have been rolled back (${drift.length} difference(s)), so its verdicts cannot be trusted: ${drift.slice(0, 3).join('; ')}`,
        );
      }
    }
    const counted = results.filter((result) => result.status !== 'equivalent' && result.status !== 'not_applicable');
    const caught = counted.filter((result) => result.status === 'caught').length;
    return {
      seed,
      runs: common.runs,
      baselineFailures,
      mutants: results,
      caught,
      total: counted.length,
      notApplicable: results.filter((result) => result.status === 'not_applicable').length,
      errors: results.filter((result) => result.status === 'error').length,
      score: counted.length === 0 ? 1 : caught / counted.length,
      durationMs: performance.now() - started,
    };
  } finally {
    for (const scratch of opened) await scratch.close();
  }
}
