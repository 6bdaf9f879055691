/**
 * The catalogue is checked in two steps, each collecting every problem and
 * reporting them at once as `catalogue_query_failed` (exit 6) naming the
 * entry and the file:
 *   1. checkCatalogueSql, on the migrated schema before any data is loaded:
 *      the server plans every SQL text of the catalogue (queries, plan
 *      statements, values, claims) with its parameters as NULL — a syntax
 *      error or an unknown relation, column or function costs seconds, not a
 *      data load;
 *   2. prepareCatalogue, on the loaded data: values, actors and parameters
 *      are resolved (a value query that finds nothing fails), and every
 *      statement is planned as the actor that runs it. An actor refused by
 *      the grants (SQLSTATE 42501) is not a catalogue mistake but a finding
 *      about the schema: that query fails its gate and the others still run.
 */
import { sql, type ConnectionPool, type SQLQuery } from '@databases/pg';
import { SchemaproofError, type CatalogueQueryFailure } from '../errors/index.ts';
import { asActor, type Actor, type JwtClaims } from '../postgres/index.ts';
import { catalogueActors, type Catalogue, type CatalogueQuery, type ClaimTemplate, type ValueSpec } from './catalogue.ts';
import { boundQuery, catalogueFailure, failedMarker, ValueResolver, type Resolved } from './values.ts';

export interface ResolvedActor {
  readonly name: string;
  readonly role: string;
  readonly claims: JwtClaims | null;
}

export interface PreparedQuery {
  readonly query: CatalogueQuery;
  readonly actor: ResolvedActor;
  /** Who the plan checks run as: the actor, or for a `plan` override its actor (default the bypass actor). */
  readonly planActor: ResolvedActor;
  readonly params: Readonly<Record<string, Resolved>>;
  readonly statement: SQLQuery;
  /** The statement the plan checks read and the RLS-free side runs. */
  readonly planStatement: SQLQuery;
  /** Set when the actor may not run the statement at all (SQLSTATE 42501): the query fails, the rest run. */
  readonly refused: string | null;
}

export interface PreparedCatalogue {
  readonly actors: Readonly<Record<string, ResolvedActor>>;
  readonly bypass: ResolvedActor;
  readonly values: Readonly<Record<string, Resolved>>;
  readonly queries: readonly PreparedQuery[];
}

/** The session of a resolved actor: SET LOCAL ROLE plus request.jwt.claims. */
export function sessionActor(actor: ResolvedActor): Actor {
  return actor.claims === null ? { kind: 'role', role: actor.role } : { kind: 'role', role: actor.role, claims: actor.claims };
}

async function planOnly(db: ConnectionPool, actor: ResolvedActor, statement: SQLQuery): Promise<void> {
  await asActor(db, sessionActor(actor), (tx) => tx.query(sql`explain (format json) ${statement}`), { rollback: true });
}

/** Every SQL text of a value spec or claims template, with where it sits. */
function specSql(id: string, spec: ValueSpec): [string, string][] {
  if (typeof spec === 'string') return [[id, spec]];
  if (typeof spec === 'object' && spec !== null && 'sql' in spec) return [[id, spec.sql]];
  return [];
}

function claimSql(id: string, template: ClaimTemplate): [string, string][] {
  if (template === null || typeof template !== 'object') return [];
  if (Array.isArray(template)) return template.flatMap((item, index) => claimSql(`${id}[${index}]`, item as ClaimTemplate));
  const record = template as Readonly<Record<string, ClaimTemplate>>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === 'sql') return [[id, String(record.sql)]];
  return Object.entries(record).flatMap(([key, item]) => claimSql(`${id}.${key}`, item));
}

/**
 * Step 1: plan every SQL text the selected queries (and the values and
 * actors they use) rely on, as the connecting role, parameters NULL. Needs
 * only the migrated schema; throws catalogue_query_failed listing each text
 * the server refused.
 */
export async function checkCatalogueSql(db: ConnectionPool, catalogue: Catalogue, queries: readonly CatalogueQuery[], file: string): Promise<void> {
  const texts: [string, string][] = [];
  for (const [valueName, spec] of Object.entries(catalogue.values)) texts.push(...specSql(`value ${valueName}`, spec));
  const actors = catalogueActors(catalogue);
  const usedActors = new Set([catalogue.bypassActor, ...queries.flatMap((query) => [query.actor, query.plan?.actor ?? catalogue.bypassActor])]);
  for (const actorName of usedActors) {
    const claims = actors[actorName]?.claims;
    if (claims) texts.push(...claimSql(`actor ${actorName} claims`, claims));
  }
  for (const query of queries) {
    texts.push([query.id, query.sql]);
    if (query.plan) texts.push([`${query.id} plan`, query.plan.sql]);
    for (const [param, spec] of Object.entries(query.params)) texts.push(...specSql(`${query.id} param ${param}`, spec));
  }
  const failures: CatalogueQueryFailure[] = [];
  for (const [id, text] of texts) {
    try {
      await db.tx(async (tx) => tx.query(sql`explain (format json) ${boundQuery(text, {})}`), { readOnly: true });
    } catch (error) {
      failures.push(catalogueFailure(id, error));
    }
  }
  if (failures.length > 0) throw new SchemaproofError({ code: 'catalogue_query_failed', file, failures });
}

/** Step 2: resolve values, actors and parameters on the loaded data and plan every statement as its actor. */
export async function prepareCatalogue(db: ConnectionPool, catalogue: Catalogue, queries: readonly CatalogueQuery[], file: string): Promise<PreparedCatalogue> {
  const resolver = new ValueResolver(db, catalogue);
  const failures: CatalogueQueryFailure[] = [];
  const definitions = catalogueActors(catalogue);
  const actors: Record<string, ResolvedActor> = {};
  const wantedActors = new Set([catalogue.bypassActor, ...queries.flatMap((query) => [query.actor, ...(query.plan ? [query.plan.actor ?? catalogue.bypassActor] : [])])]);
  for (const actorName of wantedActors) {
    const definition = definitions[actorName];
    if (!definition) continue; // refused by the parser
    const claims = definition.claims === null ? null : await resolver.claims(`actor ${actorName} claims`, definition.claims);
    if (claims === failedMarker) continue;
    actors[actorName] = { name: actorName, role: definition.role, claims: claims as JwtClaims | null };
  }

  const bypass = actors[catalogue.bypassActor];
  if (bypass) {
    const rows = await db.query(sql`select r.rolsuper or r.rolbypassrls as bypasses from pg_roles r where r.rolname = ${bypass.role}`);
    if (rows.length === 0) failures.push({ id: `actor ${bypass.name}`, sqlstate: null, message: `role ${bypass.role} does not exist` });
    else if (rows[0]?.bypasses !== true)
      failures.push({
        id: `bypassActor ${bypass.name}`,
        sqlstate: null,
        message: `role ${bypass.role} does not bypass row-level security (no BYPASSRLS), so it cannot be the RLS-free side of the comparison`,
      });
  }
  for (const actor of Object.values(actors)) {
    if (actor === bypass) continue;
    const rows = await db.query(sql`select 1 from pg_roles where rolname = ${actor.role}`);
    if (rows.length === 0) failures.push({ id: `actor ${actor.name}`, sqlstate: null, message: `role ${actor.role} does not exist` });
  }

  const prepared: PreparedQuery[] = [];
  for (const query of queries) {
    const params: Record<string, Resolved> = {};
    let paramsOk = true;
    for (const [param, spec] of Object.entries(query.params)) {
      const value = await resolver.evaluate(`${query.id} param ${param}`, spec);
      if (value === failedMarker) paramsOk = false;
      else params[param] = value;
    }
    const actor = actors[query.actor];
    const planActor = query.plan ? actors[query.plan.actor ?? catalogue.bypassActor] : actor;
    if (!paramsOk || !actor || !planActor || !bypass) continue;
    const statement = boundQuery(query.sql, params);
    const planStatement = query.plan ? boundQuery(query.plan.sql, params) : statement;
    let refused: string | null = null;
    const checks: [string, ResolvedActor, SQLQuery][] = [[query.id, actor, statement]];
    if (query.plan) checks.push([`${query.id} plan`, planActor, planStatement]);
    checks.push([`${query.id} as ${bypass.name}`, bypass, planStatement]);
    for (const [id, who, text] of checks) {
      try {
        await planOnly(db, who, text);
      } catch (error) {
        const failure = catalogueFailure(id, error);
        if (failure.sqlstate === '42501') refused ??= `as ${who.name} (role ${who.role}): ${failure.message} (SQLSTATE 42501)`;
        else failures.push(failure);
      }
    }
    prepared.push({ query, actor, planActor, params, statement, planStatement, refused });
  }
  failures.unshift(...resolver.failures);
  if (failures.length > 0) throw new SchemaproofError({ code: 'catalogue_query_failed', file, failures });
  return { actors, bypass: bypass as ResolvedActor, values: Object.fromEntries(resolver.resolved), queries: prepared };
}
