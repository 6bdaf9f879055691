/**
 * The provisioning chain of harness.md, in order: an explicit URL, local
 * binaries (a throwaway cluster), Docker through testcontainers, else one
 * clear error saying what to install.
 */
import { sql } from '@databases/pg';
import { existsSync } from 'node:fs';
import { SchemaproofError } from '../errors/index.ts';
import { findPgBinaries, type PgBinaries } from './binaries.ts';
import { startLocalCluster, type LocalCluster } from './local-cluster.ts';
import {
  clientEnvFor,
  connectTarget,
  lazyAdminPool,
  newRunTag,
  uniqueDatabaseName,
  type ConnectionTarget,
  type PostgresServer,
} from './server.ts';

export interface ProvisionOptions {
  /** An existing server (`--database-url` / DATABASE_URL). */
  readonly databaseUrl?: string | undefined;
  /** Extra server settings for a local cluster. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Try Docker when no local binaries exist (default true). */
  readonly allowDocker?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The one way a PostgresServer is assembled: a shared, lazily opened
 * maintenance pool, run-unique database names, and `stop` closing the pool
 * before the kind-specific teardown.
 */
function assembleServer(parts: {
  readonly kind: PostgresServer['kind'];
  readonly description: string;
  readonly binaries: PgBinaries | null;
  readonly maintenanceDatabase: string;
  readonly target: (database: string) => ConnectionTarget;
  readonly teardown: (runTag: string) => Promise<void>;
}): PostgresServer {
  const runTag = newRunTag();
  const admin = lazyAdminPool(() => connectTarget(parts.target(parts.maintenanceDatabase), { poolSize: 2 }));
  return {
    kind: parts.kind,
    description: parts.description,
    binaries: parts.binaries,
    maintenanceDatabase: parts.maintenanceDatabase,
    admin: admin.get,
    target: parts.target,
    connect: (database, options) => connectTarget(parts.target(database), options),
    clientEnv: (database) => clientEnvFor(parts.target(database)),
    uniqueName: (purpose) => uniqueDatabaseName(purpose, runTag),
    stop: async () => {
      await admin.close();
      await parts.teardown(runTag);
    },
  };
}

export function localServer(cluster: LocalCluster, binaries: PgBinaries): PostgresServer {
  return assembleServer({
    kind: 'local',
    description: `throwaway cluster (PostgreSQL ${cluster.version}) in ${cluster.dir}`,
    binaries,
    maintenanceDatabase: 'postgres',
    target: (database) => ({ host: cluster.socketDir, port: cluster.port, user: cluster.user, database }),
    teardown: () => cluster.stop(),
  });
}

function parseUrl(url: string): ConnectionTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SchemaproofError({ code: 'database_unreachable', target: '(unparseable DATABASE_URL)', detail: 'not a postgres:// URL' });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new SchemaproofError({ code: 'database_unreachable', target: parsed.protocol, detail: 'the URL must start with postgres:// or postgresql://' });
  }
  const hostParam = parsed.searchParams.get('host');
  return {
    host: hostParam ?? (decodeURIComponent(parsed.hostname) || 'localhost'),
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || process.env.USER || 'postgres',
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
  };
}

function redact(target: ConnectionTarget): string {
  return `postgres://${target.user}@${target.host}:${target.port}/${target.database}`;
}

/**
 * A server we reach by connection parameters and did not start: we create
 * and drop only our own databases (named sp_<runTag>_...) and never others.
 */
export function attachServer(base: ConnectionTarget, binaries: PgBinaries | null, kind: PostgresServer['kind'] = 'url'): PostgresServer {
  return assembleServer({
    kind,
    description: `existing server ${redact(base)}`,
    binaries,
    maintenanceDatabase: base.database,
    target: (database) => ({ ...base, database }),
    // Drop exactly the databases this run created (named sp_<runTag>_...); never others.
    teardown: async (runTag) => {
      const admin = connectTarget(base, { poolSize: 1 });
      try {
        const rows = await admin.query(sql`select datname from pg_database where starts_with(datname, ${`sp_${runTag}_`})`);
        for (const row of rows) {
          await admin.query(sql`alter database ${sql.ident(row.datname)} with is_template false`);
          await admin.query(sql`drop database if exists ${sql.ident(row.datname)} with (force)`);
        }
      } finally {
        await admin.dispose();
      }
    },
  });
}

export async function urlServer(url: string, binaries: PgBinaries | null): Promise<PostgresServer> {
  const base = parseUrl(url);
  const probe = connectTarget(base, { poolSize: 1, connectionTimeoutMilliseconds: 5000 });
  try {
    await probe.query(sql`select 1`);
  } catch (error) {
    throw new SchemaproofError({ code: 'database_unreachable', target: redact(base), detail: (error as Error).message.split('\n')[0] ?? 'error' }, { cause: error });
  } finally {
    await probe.dispose();
  }
  return attachServer(base, binaries);
}

/** Whether a Docker daemon is plausibly reachable (socket or DOCKER_HOST). */
export function dockerAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DOCKER_HOST) return true;
  return existsSync('/var/run/docker.sock');
}

export async function dockerServer(binaries: PgBinaries | null): Promise<PostgresServer> {
  // Imported lazily: testcontainers is heavy and only needed on this path.
  const { GenericContainer, Wait } = await import('testcontainers');
  const image = process.env.SCHEMAPROOF_DOCKER_IMAGE ?? 'postgres:15';
  const container = await new GenericContainer(image)
    .withEnvironment({ POSTGRES_PASSWORD: 'postgres', POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  if (image.startsWith('postgres:')) {
    // The official image has no pgTAP; install the matching Debian package inside it.
    await container.exec(['sh', '-c', 'apt-get update -qq && apt-get install -y -qq postgresql-$PG_MAJOR-pgtap >/dev/null']);
  }
  return assembleServer({
    kind: 'docker',
    description: `container ${image}`,
    binaries,
    maintenanceDatabase: 'postgres',
    target: (database) => ({ host: container.getHost(), port: container.getMappedPort(5432), user: 'postgres', password: 'postgres', database }),
    teardown: async () => {
      await container.stop();
    },
  });
}

/** Provision a server by the documented chain. The caller must `stop()` it. */
export async function provisionPostgres(options: ProvisionOptions = {}): Promise<PostgresServer> {
  const env = options.env ?? process.env;
  let binaries: PgBinaries | null = null;
  let notFound: SchemaproofError | null = null;
  try {
    binaries = findPgBinaries(env);
  } catch (error) {
    if (!(error instanceof SchemaproofError)) throw error;
    notFound = error;
  }
  const url = options.databaseUrl ?? env.DATABASE_URL;
  if (url) return urlServer(url, binaries);
  if (binaries) {
    const cluster = await startLocalCluster({ binaries, ...(options.settings ? { settings: options.settings } : {}) });
    return localServer(cluster, binaries);
  }
  if (options.allowDocker !== false && dockerAvailable(env)) return dockerServer(binaries);
  throw notFound ?? new SchemaproofError({ code: 'postgres_not_found', searched: [] });
}

