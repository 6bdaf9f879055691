/**
 * What the database actually exposes, read from the catalog, and the
 * coverage check against the spec: every table, view, partition and
 * materialized view in an exposed schema or granted to anon/authenticated
 * must be in the spec (a partition through its partitioned parent); every
 * spec entry must exist; views must run as the caller (security_invoker);
 * SECURITY DEFINER functions need a fixed search_path, and the ones API
 * roles may call must be listed in the spec.
 */
import { sql, type Queryable } from '@databases/pg';
import type { AccessSpec } from './spec.ts';
import { platformSchemas as platformSchemaNames } from '../postgres/shim-roles.ts';

export interface CatalogRelation {
  readonly schema: string;
  readonly name: string;
  readonly relkind: 'r' | 'p' | 'v' | 'm' | 'f';
  /** Top-level partitioned ancestor (schema.name) for partitions, else null. */
  readonly partitionRoot: string | null;
  readonly rowSecurity: boolean;
  readonly forceRowSecurity: boolean;
  readonly owner: string;
  readonly securityInvoker: boolean;
  readonly anonPrivileges: readonly string[];
  readonly authenticatedPrivileges: readonly string[];
  readonly reachable: boolean;
}

export interface CatalogFunction {
  readonly signature: string;
  readonly searchPathFixed: boolean;
  readonly executableByApi: boolean;
}

export interface Catalog {
  readonly relations: readonly CatalogRelation[];
  readonly definerFunctions: readonly CatalogFunction[];
}

export type CoverageFindingKind =
  | 'uncovered_relation'
  | 'missing_relation'
  | 'kind_mismatch'
  | 'view_runs_as_owner'
  | 'materialized_view_exposed'
  | 'definer_without_search_path'
  | 'unlisted_definer_function'
  | 'missing_function'
  /** A spec relation no world had rows of (the reason: what the row generator could not learn). */
  | 'no_rows'
  /** An actor and operation on a relation that no case tried. */
  | 'no_cases'
  /** A rule that was never both true and false in the run: one of its sides was never tested. */
  | 'rule_unexercised';

export interface CoverageFinding {
  readonly kind: CoverageFindingKind;
  readonly object: string;
  readonly detail: string;
}

export async function readCatalog(db: Queryable, exposedSchemas: readonly string[]): Promise<Catalog> {
  const privileges = sql`array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']`;
  const relations = await db.query(sql`
    with recursive roots as (
      select i.inhrelid as child, i.inhparent as root from pg_catalog.pg_inherits i
      union all
      select r.child, i.inhparent from roots r join pg_catalog.pg_inherits i on i.inhrelid = r.root
    )
    select n.nspname as schema, c.relname as name, c.relkind::text as relkind,
           (select pn.nspname || '.' || pc.relname
              from roots r join pg_catalog.pg_class pc on pc.oid = r.root join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace
             where r.child = c.oid and not pc.relispartition limit 1) as partition_root,
           c.relispartition as is_partition,
           c.relrowsecurity as row_security, c.relforcerowsecurity as force_row_security,
           pg_catalog.pg_get_userbyid(c.relowner) as owner,
           coalesce((select o.option_value::boolean from pg_catalog.pg_options_to_table(c.reloptions) o where o.option_name = 'security_invoker'), false) as security_invoker,
           array(select p from unnest(${privileges}) p where pg_catalog.has_table_privilege('anon', c.oid, p)) as anon_privileges,
           array(select p from unnest(${privileges}) p where pg_catalog.has_table_privilege('authenticated', c.oid, p)) as authenticated_privileges,
           pg_catalog.has_any_column_privilege('anon', c.oid, 'SELECT,INSERT,UPDATE,REFERENCES')
             or pg_catalog.has_any_column_privilege('authenticated', c.oid, 'SELECT,INSERT,UPDATE,REFERENCES') as column_privileges
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'f')
       and n.nspname not in ('pg_catalog', 'information_schema')
       and n.nspname !~ '^pg_(toast|temp)'
       and not exists (select 1 from pg_catalog.pg_depend d
                        where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by 1, 2`);
  const functions = await db.query(sql`
    select pg_catalog.format('%s.%s(%s)', n.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes)) as signature,
           exists (select 1 from unnest(coalesce(p.proconfig, '{}')) setting where setting like 'search\_path=%') as search_path_fixed,
           pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE') or pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE') as executable_by_api
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where p.prosecdef
       and n.nspname not in ('pg_catalog', 'information_schema')
       and not exists (select 1 from pg_catalog.pg_depend d
                        where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     order by 1`);
  return {
    relations: relations.map((row) => {
      const anonPrivileges = row.anon_privileges as string[];
      const authenticatedPrivileges = row.authenticated_privileges as string[];
      return {
        schema: row.schema as string,
        name: row.name as string,
        relkind: row.relkind as CatalogRelation['relkind'],
        partitionRoot: row.is_partition ? ((row.partition_root as string | null) ?? null) : null,
        rowSecurity: row.row_security as boolean,
        forceRowSecurity: row.force_row_security as boolean,
        owner: row.owner as string,
        securityInvoker: row.security_invoker as boolean,
        anonPrivileges,
        authenticatedPrivileges,
        reachable: exposedSchemas.includes(row.schema as string) || anonPrivileges.length > 0 || authenticatedPrivileges.length > 0 || row.column_privileges === true,
      };
    }),
    definerFunctions: functions.map((row) => ({
      signature: row.signature as string,
      searchPathFixed: row.search_path_fixed as boolean,
      executableByApi: row.executable_by_api as boolean,
    })),
  };
}

const qualified = (relation: { schema: string; name: string }): string => `${relation.schema}.${relation.name}`;

/** The Supabase platform's own schemas: their tables (storage.objects is granted to anon there) are the project's only when the spec names them. */
const platformSchemas: ReadonlySet<string> = new Set(platformSchemaNames);

export function checkCoverage(spec: AccessSpec, catalog: Catalog): CoverageFinding[] {
  const findings: CoverageFinding[] = [];
  const byName = new Map(catalog.relations.map((relation) => [qualified(relation), relation]));
  const specNames = new Map(Object.entries(spec.relations).map(([name, relation]) => [`${relation.schema}.${name}`, relation]));
  for (const relation of catalog.relations) {
    if (!relation.reachable) continue;
    if (platformSchemas.has(relation.schema) && !specNames.has(qualified(relation))) continue;
    const name = qualified(relation);
    const grants = [...relation.anonPrivileges.map((p) => `anon:${p}`), ...relation.authenticatedPrivileges.map((p) => `authenticated:${p}`)];
    const grantText = grants.length > 0 ? `grants ${grants.join(', ')}` : 'no table grants';
    if (relation.partitionRoot) {
      const root = specNames.get(relation.partitionRoot);
      if (!root || !root.partitioned) {
        findings.push({ kind: 'uncovered_relation', object: name, detail: `partition of ${relation.partitionRoot}, which the spec does not cover as a partitioned table (${grantText})` });
      }
    } else if (!specNames.has(name)) {
      findings.push({ kind: 'uncovered_relation', object: name, detail: `reachable ${describeKind(relation.relkind)} the access spec does not mention (${grantText})` });
    } else {
      const entry = specNames.get(name)!;
      const isView = relation.relkind === 'v' || relation.relkind === 'm';
      if ((entry.kind === 'view') !== isView) {
        findings.push({ kind: 'kind_mismatch', object: name, detail: `the spec says ${entry.kind}, the database has a ${describeKind(relation.relkind)}` });
      }
      if (entry.partitioned && relation.relkind !== 'p') {
        findings.push({ kind: 'kind_mismatch', object: name, detail: 'the spec says partitioned, the table is not' });
      }
    }
    if (relation.relkind === 'v' && !relation.securityInvoker) {
      findings.push({
        kind: 'view_runs_as_owner',
        object: name,
        detail: `view runs with its owner's (${relation.owner}) rights, bypassing the caller's row-level security; set security_invoker = true`,
      });
    }
    if (relation.relkind === 'm' && grants.some((grant) => grant.endsWith(':SELECT'))) {
      findings.push({ kind: 'materialized_view_exposed', object: name, detail: `materialized views have no row-level security, yet it ${grantText}` });
    }
  }
  for (const name of specNames.keys()) {
    if (!byName.has(name)) findings.push({ kind: 'missing_relation', object: name, detail: 'in the access spec but not in the database' });
  }
  const listed = new Set(Object.keys(spec.securityDefinerFunctions));
  const seen = new Set<string>();
  for (const fn of catalog.definerFunctions) {
    seen.add(fn.signature);
    if (!fn.searchPathFixed) {
      findings.push({ kind: 'definer_without_search_path', object: fn.signature, detail: 'SECURITY DEFINER without a fixed search_path: a caller can shadow the objects it uses' });
    }
    // The platform's own (supabase_functions.http_request(), pgbouncer.get_auth()) are the project's only when the spec lists them.
    const platformOwn = platformSchemas.has(fn.signature.slice(0, fn.signature.indexOf('.')));
    if (fn.executableByApi && !listed.has(fn.signature) && !platformOwn) {
      findings.push({
        kind: 'unlisted_definer_function',
        object: fn.signature,
        detail: 'SECURITY DEFINER function anon/authenticated may execute, not reviewed in the access spec (securityDefinerFunctions)',
      });
    }
  }
  for (const signature of listed) {
    if (!seen.has(signature)) findings.push({ kind: 'missing_function', object: signature, detail: 'listed in securityDefinerFunctions but no such SECURITY DEFINER function exists' });
  }
  return findings;
}

function describeKind(relkind: CatalogRelation['relkind']): string {
  switch (relkind) {
    case 'r':
      return 'table';
    case 'p':
      return 'partitioned table';
    case 'v':
      return 'view';
    case 'm':
      return 'materialized view';
    case 'f':
      return 'foreign table';
  }
}
