/**
 * Extensions a Supabase project may create that a plain PostgreSQL 15 does
 * not ship. A migration that creates one fails with PostgreSQL's
 * `extension "X" is not available`; this turns that into one line naming
 * the extension, what it is on the platform and what to do here.
 */
import type { SourceLocation } from '../errors/index.ts';
import { SchemaproofError } from '../errors/index.ts';

interface PlatformExtension {
  /** What it provides on Supabase. */
  readonly what: string;
  /** What to do when the local server lacks it. */
  readonly todo: string;
}

const serverWithIt = 'point --database-url at a PostgreSQL 15 server that has it (schemaproof then creates its own databases there)';
const notPackaged = `it is not packaged for Debian's PostgreSQL 15, so a throwaway cluster cannot have it: ${serverWithIt}, or keep the statement out of the migrations checked here`;

/** Known platform extensions (https://supabase.com/docs/guides/database/extensions), with what to do. */
export const platformExtensions: Readonly<Record<string, PlatformExtension>> = {
  pg_net: { what: 'asynchronous HTTP requests from SQL (schema net)', todo: notPackaged },
  pgsodium: { what: 'libsodium encryption, the key store behind Vault', todo: notPackaged },
  supabase_vault: { what: 'Vault: encrypted secrets in vault.secrets', todo: notPackaged },
  pg_graphql: { what: 'the GraphQL API (schema graphql)', todo: notPackaged },
  pg_jsonschema: { what: 'JSON Schema validation', todo: notPackaged },
  pg_hashids: { what: 'short ids from numbers', todo: notPackaged },
  pgjwt: { what: 'JSON Web Tokens in SQL', todo: notPackaged },
  wrappers: { what: 'foreign data wrappers (Stripe, Firebase, ...)', todo: notPackaged },
  index_advisor: { what: 'index recommendations', todo: notPackaged },
  pg_tle: { what: 'trusted language extensions (how database.dev packages install)', todo: notPackaged },
  pgmq: { what: 'message queues (Supabase Queues)', todo: notPackaged },
  pg_stat_monitor: { what: 'query statistics', todo: notPackaged },
  plv8: { what: 'JavaScript functions', todo: notPackaged },
  timescaledb: { what: 'time-series tables', todo: notPackaged },
  vector: { what: 'pgvector embeddings', todo: `install pgvector for PostgreSQL 15 (the postgresql-15-pgvector package from apt.postgresql.org), or ${serverWithIt}` },
  http: { what: 'synchronous HTTP requests (pgsql-http)', todo: `install pgsql-http for PostgreSQL 15 (postgresql-15-http from apt.postgresql.org), or ${serverWithIt}` },
  pg_cron: {
    what: 'scheduled jobs (schema cron)',
    todo: `the postgresql-15-cron package needs shared_preload_libraries = pg_cron and cron.database_name set to the one database it may be created in, which a throwaway clone cannot satisfy: ${serverWithIt}, or keep cron.schedule() out of the migrations checked here`,
  },
  postgis: { what: 'geographic types', todo: `install postgresql-15-postgis-3 (apt-get install postgresql-15-postgis-3), or ${serverWithIt}` },
  pgrouting: { what: 'routing on PostGIS', todo: `install postgresql-15-pgrouting, or ${serverWithIt}` },
  hypopg: { what: 'hypothetical indexes', todo: `install postgresql-15-hypopg, or ${serverWithIt}` },
  plpgsql_check: { what: 'PL/pgSQL linter', todo: `install postgresql-15-plpgsql-check, or ${serverWithIt}` },
  pg_repack: { what: 'online table repacking', todo: `install postgresql-15-repack, or ${serverWithIt}` },
  rum: { what: 'RUM indexes', todo: `install postgresql-15-rum, or ${serverWithIt}` },
  pgaudit: { what: 'audit logging', todo: `install postgresql-15-pgaudit, or ${serverWithIt}` },
};

/** What to do about a missing extension: the platform entry, else a generic hint. */
export function extensionHint(name: string): string {
  const known = platformExtensions[name];
  if (known) return `on Supabase it provides ${known.what}; ${known.todo}`;
  return `install it for PostgreSQL 15 on this machine (apt-cache search postgresql-15-${name.replace(/_/g, '-')}), or ${serverWithIt}`;
}

const unavailable = /^extension "([^"]+)" is not available/;

/** The one-line error for a failed CREATE EXTENSION of an extension the server lacks, else null. */
export function unavailableExtensionError(fields: { readonly message: string }, file: string, location: SourceLocation | null): SchemaproofError | null {
  const match = unavailable.exec(fields.message);
  if (!match) return null;
  const extension = match[1] as string;
  return new SchemaproofError({ code: 'extension_unavailable', extension, file, location, hint: extensionHint(extension) });
}
