/**
 * The mutation self-test: deliberately broken variants of the policies, each
 * applied to its own fresh clone, then the properties run. A mutant no
 * property catches SURVIVES and fails the command. Mutants are data (name,
 * description, SQL); most are generated from the spec and from the template's
 * own catalog (its policies, partitions and triggers), and users can add
 * their own as SQL files whose header says `-- name:` and `-- description:`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Queryable, type SQLQuery } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { templateHandle, withClone, type PostgresServer } from '../postgres/index.ts';
import { mapConcurrently } from '../util/concurrency.ts';
import { renderSql } from './literal.ts';
import { runRls, type Counterexample } from './properties.ts';
import { propertyNames, type PropertyName } from './cases.ts';
import type { AccessSpec } from './spec.ts';

export interface Mutant {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
  readonly source: 'generated' | 'builtin' | string;
}

export interface MutantResult {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  readonly caughtBy: PropertyName | null;
  readonly counterexample?: Counterexample;
  /** Declared equivalent in the spec (reason): not run, not counted. */
  readonly equivalent?: string;
  /** The mutant could not be applied (its SQL failed): it proves nothing and counts as not caught. */
  readonly applyError?: string;
  readonly durationMs: number;
}

export interface MutationResult {
  /** Properties that already fail on the unmutated schema: they cannot judge mutants and are left out. */
  readonly baselineFailures: readonly PropertyName[];
  readonly mutants: readonly MutantResult[];
  readonly caught: number;
  /** Mutants counted (equivalent ones excluded). */
  readonly total: number;
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
  readonly qual: string | null;
  readonly withCheck: string | null;
}

const ownerComparison = /\buser_id = \( SELECT auth\.uid\(\) AS uid\)/;

/** Build the catalogue from the spec and the (unmutated) template's catalog. */
export async function generateMutants(db: Queryable, spec: AccessSpec): Promise<Mutant[]> {
  const mutants: Mutant[] = [];
  const add = (name: string, description: string, query: SQLQuery, source = 'generated'): void => {
    mutants.push({ name, description, sql: renderSql(query), source });
  };
  const tables = Object.entries(spec.relations).filter(([, relation]) => relation.kind === 'table');
  for (const [name, relation] of tables) {
    const table = sql.ident(relation.schema, name);
    if (relation.rules.user.select !== 'all') {
      add(`permissive_true_${name}`, `extra permissive SELECT policy USING (true) for authenticated on ${name}`, sql`create policy schemaproof_mutant_open on ${table} as permissive for select to authenticated using (true)`);
    }
    add(`rls_disabled_${name}`, `row level security disabled on ${name}`, sql`alter table ${table} disable row level security`);
    add(`rls_not_forced_${name}`, `row level security not forced on ${name} (the owner bypasses it)`, sql`alter table ${table} no force row level security`);
  }
  const policies = (await db.query(sql`
    select schemaname as schema, tablename as "table", policyname as policy, cmd as command, qual, with_check as "withCheck"
      from pg_catalog.pg_policies where schemaname = any(${[...new Set(tables.map(([, relation]) => relation.schema))]}) order by 1, 2, 3`)) as PolicyRow[];
  const specTables = new Set(tables.map(([name]) => name));
  const columns = (await db.query(sql`
    select c.table_name as "table", array_agg(c.column_name::text) as columns from information_schema.columns c
     where c.table_schema = 'public' group by c.table_name`)) as { table: string; columns: string[] }[];
  const columnsOf = new Map(columns.map((row) => [row.table, new Set(row.columns)]));
  for (const policy of policies) {
    if (!specTables.has(policy.table)) continue;
    const target = sql`${sql.ident(policy.policy)} on ${sql.ident(policy.schema, policy.table)}`;
    // An UPDATE policy whose WITH CHECK repeats a USING that looks at no
    // column (e.g. both `is_admin()`) cannot be weakened by dropping the
    // check: the same caller passes USING in the same statement. Such a
    // mutant is equivalent to the original, so it is not generated.
    const ownerless = spec.relations[policy.table]?.ownerColumn === null;
    const equivalent = policy.command === 'UPDATE' && ownerless && policy.withCheck === policy.qual;
    if (policy.withCheck !== null && policy.withCheck.trim() !== 'true' && !equivalent) {
      add(`with_check_dropped_${policy.policy}`, `WITH CHECK of ${policy.policy} (${policy.command}) replaced by true: new rows may belong to anyone`, sql`alter policy ${target} with check (true)`);
    }
    if (policy.qual !== null && ownerComparison.test(policy.qual)) {
      add(
        `wrong_column_id_${policy.policy}`,
        `USING of ${policy.policy} compares id instead of user_id with auth.uid()`,
        sql`alter policy ${target} using (${raw(policy.qual.replace(ownerComparison, 'id = ( SELECT auth.uid() AS uid)'))})`,
      );
      if (columnsOf.get(policy.table)?.has('actor_id')) {
        add(
          `actor_subject_confusion_${policy.policy}`,
          `USING of ${policy.policy} compares actor_id (who acted) instead of user_id (whom it is about)`,
          sql`alter policy ${target} using (${raw(policy.qual.replace(ownerComparison, 'actor_id = ( SELECT auth.uid() AS uid)'))})`,
        );
      }
    }
  }
  add(
    'admin_from_user_metadata',
    'private.is_admin() reads user_metadata (editable by the user) instead of app_metadata',
    raw(`create or replace function private.is_admin() returns boolean language sql stable set search_path = pg_catalog as $$
  select coalesce((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin', false) $$`),
    'builtin',
  );
  add(
    'session_claims_cache',
    'private.is_admin() caches the caller in a session-level setting and auth.uid() falls back to it: identity leaks into the next transaction of a pooled connection',
    raw(`create or replace function private.is_admin() returns boolean language plpgsql stable set search_path = pg_catalog as $$
begin
  if auth.jwt() ->> 'sub' is not null then perform set_config('app.cached_uid', auth.jwt() ->> 'sub', false); end if;
  return coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false);
end $$;
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', nullif(current_setting('app.cached_uid', true), ''))::uuid $$`),
    'builtin',
  );
  for (const [name, relation] of tables) {
    if (relation.rules.anon.select === 'none' && relation.rules.user.select === 'none') {
      add(`anon_select_grant_${name}`, `SELECT granted to anon on ${name}, which no anonymous caller may read`, sql`grant select on ${sql.ident(relation.schema, name)} to anon`, 'builtin');
    }
  }
  for (const [name, relation] of Object.entries(spec.relations)) {
    if (relation.kind !== 'view') continue;
    add(`view_security_definer_${name}`, `view ${name} runs as its owner (security_invoker = false)`, sql`alter view ${sql.ident(relation.schema, name)} set (security_invoker = false)`, 'builtin');
  }
  const privateTable = tables.find(([, relation]) => relation.ownerColumn !== null && relation.rules.anon.select === 'none');
  if (privateTable) {
    const [name, relation] = privateTable;
    add(
      'unlisted_view_exposing_table',
      `a new view public.schemaproof_leak over ${name}, without security_invoker, granted to anon and authenticated`,
      raw(`create view public.schemaproof_leak as select * from ${renderSql(sql.ident(relation.schema, name))};
grant select on public.schemaproof_leak to anon, authenticated`),
      'builtin',
    );
    add(
      'materialized_view_exposed',
      `a materialized view over ${name} (no RLS possible) granted to authenticated`,
      raw(`create materialized view public.schemaproof_leak_mv as select * from ${renderSql(sql.ident(relation.schema, name))};
grant select on public.schemaproof_leak_mv to authenticated`),
      'builtin',
    );
    add(
      'definer_function_without_search_path',
      `a SECURITY DEFINER function without a fixed search_path returning every row of ${name}, executable by anon`,
      raw(`create function public.schemaproof_all_rows() returns setof ${renderSql(sql.ident(relation.schema, name))} language sql security definer as 'select * from ${renderSql(sql.ident(relation.schema, name)).replace(/'/g, "''")}';
grant execute on function public.schemaproof_all_rows() to anon, authenticated`),
      'builtin',
    );
  }
  for (const [name, relation] of tables) {
    if (!relation.partitioned) continue;
    const parent = renderSql(sql.ident(relation.schema, name));
    const exposePartitions = (filter: string): string => `do $mutant$
declare part regclass;
begin
  for part in select c.oid::regclass from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
               where i.inhparent = '${parent.replace(/'/g, "''")}'::regclass ${filter} loop
    execute format('alter table %s disable row level security', part);
    execute format('grant select, insert, update, delete on table %s to anon, authenticated', part);
  end loop;
end
$mutant$`;
    add(`partition_exposed_default_${name}`, `the default partition of ${name}: RLS off and all privileges granted to anon and authenticated`, raw(exposePartitions(`and pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'`)), 'builtin');
    add(`partition_exposed_all_${name}`, `every partition of ${name}: RLS off and all privileges granted to anon and authenticated`, raw(exposePartitions('')), 'builtin');
  }
  for (const [name, relation] of tables) {
    if (!relation.immutable) continue;
    // Guard triggers: the ones that fire on DELETE (an append-only guard also covers UPDATE).
    const triggers = (await db.query(sql`
      select t.tgname as name from pg_catalog.pg_trigger t
       where t.tgrelid = ${`${relation.schema}.${name}`}::regclass and not t.tgisinternal and (t.tgtype & 8) <> 0
       order by 1`)) as { name: string }[];
    for (const trigger of triggers) {
      add(`trigger_disabled_${trigger.name}`, `trigger ${trigger.name} on ${name} disabled: the owner can rewrite or delete rows`, sql`alter table ${sql.ident(relation.schema, name)} disable trigger ${sql.ident(trigger.name)}`, 'builtin');
    }
    add(`write_grant_${name}`, `UPDATE and DELETE granted to service_role on ${name}`, sql`grant update, delete on ${sql.ident(relation.schema, name)} to service_role`, 'builtin');
  }
  return mutants;
}

/** User mutants: every *.sql file in `dir`, header `-- name: x` and `-- description: y`. */
export function loadMutantFiles(dir: string): Mutant[] {
  if (!existsSync(dir)) return [];
  const mutants: Mutant[] = [];
  for (const file of readdirSync(dir).filter((entry) => entry.endsWith('.sql')).sort()) {
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
  readonly runs?: number;
  readonly seed?: number;
  readonly mutantsDir?: string;
  /** Only these mutants (by name); default all. */
  readonly only?: readonly string[];
  /** Use this catalogue instead of generating one. */
  readonly mutants?: readonly Mutant[];
  readonly onResult?: (result: MutantResult) => void;
  /** Mutants judged at the same time, each on its own clone (default 2). */
  readonly concurrency?: number;
}

export async function mutantCatalogue(options: Pick<MutationOptions, 'server' | 'template' | 'spec' | 'mutantsDir'>): Promise<Mutant[]> {
  const generated = await withClone(templateHandle(options.server, options.template), 'rls_catalogue', (db) => generateMutants(db, options.spec), { poolSize: 1 });
  return [...generated, ...(options.mutantsDir ? loadMutantFiles(options.mutantsDir) : [])];
}

/** Apply each mutant to its own fresh clone and run the properties until one fails. */
export async function runMutation(options: MutationOptions): Promise<MutationResult> {
  const started = performance.now();
  const catalogue = options.mutants ?? (await mutantCatalogue(options));
  const selected = options.only ? catalogue.filter((mutant) => options.only!.includes(mutant.name)) : catalogue;
  const common = {
    server: options.server,
    template: options.template,
    spec: options.spec,
    runs: options.runs ?? 30,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    endOnFailure: true,
    sharedClone: true,
    maxRowsPerTable: 3,
  } as const;
  // A property that fails without any mutant proves nothing about mutants.
  // A few worlds suffice here: this run looks for what the mutation setup
  // itself breaks (one shared clone, small worlds); `schemaproof rls` and the
  // rls gate test the unmutated schema in depth.
  const baseline = await runRls({ ...common, runs: Math.min(common.runs, 5) });
  const baselineFailures = baseline.properties.filter((property) => !property.passed).map((property) => property.name);
  const judges = propertyNames.filter((name) => !baselineFailures.includes(name));
  const judge = async (mutant: Mutant): Promise<MutantResult> => {
    const mutantStarted = performance.now();
    const equivalent = options.spec.equivalentMutants[mutant.name];
    if (equivalent !== undefined) {
      return { name: mutant.name, description: mutant.description, source: mutant.source, caughtBy: null, equivalent, durationMs: 0 };
    }
    let applyError: string | undefined;
    let caughtBy: PropertyName | null = null;
    let counterexample: Counterexample | undefined;
    try {
      // Quick pass first (one world per property: most mutants fall to the
      // first world of the right property), then the full number of runs.
      for (const pass of [{ runs: 1, seedShift: 1 }, { runs: common.runs, seedShift: 0 }]) {
        const result = await runRls({
          ...common,
          runs: pass.runs,
          ...(options.seed !== undefined ? { seed: options.seed + pass.seedShift } : {}),
          properties: judges,
          stopAtFirstFailure: true,
          prepare: async (db) => {
            try {
              await db.query(raw(mutant.sql));
            } catch (error) {
              applyError = (error as Error).message;
              throw error;
            }
          },
        });
        const failed = result.properties.find((property) => !property.passed);
        caughtBy = failed?.name ?? null;
        counterexample = failed?.counterexample;
        if (caughtBy !== null) break;
      }
    } catch (error) {
      if (applyError === undefined) throw error;
    }
    return {
      name: mutant.name,
      description: mutant.description,
      source: mutant.source,
      caughtBy,
      ...(counterexample ? { counterexample } : {}),
      ...(applyError !== undefined ? { applyError } : {}),
      durationMs: performance.now() - mutantStarted,
    };
  };
  // Mutants are independent (each gets its own clone; every random choice
  // comes from the seed, not from the order), so a few run at once. Results
  // keep the catalogue's order.
  const results = await mapConcurrently(selected, options.concurrency ?? 2, async (mutant) => {
    const entry = await judge(mutant);
    options.onResult?.(entry);
    return entry;
  });
  const counted = results.filter((result) => result.equivalent === undefined);
  const caught = counted.filter((result) => result.caughtBy !== null).length;
  return { baselineFailures, mutants: results, caught, total: counted.length, score: counted.length === 0 ? 1 : caught / counted.length, durationMs: performance.now() - started };
}
