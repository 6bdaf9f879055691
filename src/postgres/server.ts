import pgModule, { type ConnectionPool, type ConnectionPoolConfig, sql } from '@databases/pg';

// @databases/pg is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const createConnectionPool = pgModule.default;
import type { PgBinaries } from './binaries.ts';

/** How to reach one database on a server, in the shapes our clients need. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
}

/** A PostgreSQL server the harness may create and drop its own databases on. */
export interface PostgresServer {
  readonly kind: 'url' | 'local' | 'docker';
  /** Human description for the report's environment section (no secrets). */
  readonly description: string;
  readonly binaries: PgBinaries | null;
  /** The database the harness connects to for CREATE/DROP DATABASE. */
  readonly maintenanceDatabase: string;
  /** A shared pool on the maintenance database (opened lazily, closed by `stop`). */
  admin(): ConnectionPool;
  target(database: string): ConnectionTarget;
  connect(database: string, options?: Partial<ConnectionPoolConfig>): ConnectionPool;
  /** Environment for psql/pg_dump pointing at `database`. */
  clientEnv(database: string): Record<string, string>;
  /** A database name unique to this run, safe to create and drop. */
  uniqueName(purpose: string): string;
  stop(): Promise<void>;
}

export function connectTarget(target: ConnectionTarget, options: Partial<ConnectionPoolConfig> = {}): ConnectionPool {
  return createConnectionPool({
    connectionString: false,
    host: target.host,
    port: target.port,
    user: target.user,
    ...(target.password !== undefined ? { password: target.password } : {}),
    database: target.database,
    bigIntMode: 'bigint',
    poolSize: 10,
    applicationName: 'schemaproof',
    onError: () => undefined,
    ...options,
  });
}

export function clientEnvFor(target: ConnectionTarget): Record<string, string> {
  return {
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: target.user,
    PGDATABASE: target.database,
    ...(target.password !== undefined ? { PGPASSWORD: target.password } : {}),
    PGAPPNAME: 'schemaproof',
  };
}

let nameCounter = 0;
/**
 * sp_<run tag>_<n>_<purpose>: recognisably ours, unique across concurrent
 * runs (the tag names this host, boot, pid and start time: run-databases.ts),
 * and unique within the process (n counts every name handed out).
 */
export function uniqueDatabaseName(purpose: string, runTag: string): string {
  nameCounter += 1;
  const clean = purpose
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 24);
  return `sp_${runTag}_${nameCounter}_${clean}`;
}

export async function serverVersion(db: ConnectionPool): Promise<string> {
  const rows = await db.query(sql`select current_setting('server_version') as version`);
  return String(rows[0]?.version ?? 'unknown');
}

/** A lazily opened, shared pool on the maintenance database. */
export function lazyAdminPool(open: () => ConnectionPool): { readonly get: () => ConnectionPool; readonly close: () => Promise<void> } {
  let pool: ConnectionPool | null = null;
  return {
    get: () => (pool ??= open()),
    close: async () => {
      const current = pool;
      pool = null;
      await current?.dispose();
    },
  };
}
