/**
 * The provisioning chain of harness.md, in order: an explicit URL, local
 * binaries (a throwaway cluster), Docker through testcontainers, else one
 * clear error saying what to install.
 */
import { sql, type Queryable } from '@databases/pg';
import { existsSync } from 'node:fs';
import { SchemaproofError } from '../errors/index.ts';
import { findPgBinaries, type PgBinaries } from './binaries.ts';
import { startLocalCluster, type LocalCluster } from './local-cluster.ts';
import { interruptedBy, registerCleanup } from './exit-cleanup.ts';
import { checkServerPrivileges, type ServerRequirements } from './privileges.ts';
import { currentRunTag, dropDatabases, dropDeadRunDatabases } from './run-databases.ts';
import { clientEnvFor, connectTarget, lazyAdminPool, uniqueDatabaseName, type ConnectionTarget, type PostgresServer } from './server.ts';

export interface ProvisionOptions {
  /** An existing server (`--database-url` / DATABASE_URL). */
  readonly databaseUrl?: string | undefined;
  /** Extra server settings for a local cluster. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Try Docker when no local binaries exist (default true). */
  readonly allowDocker?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** What the run will ask of a server it did not start; checked first (`database_privilege_missing`, exit 4). */
  readonly requires?: ServerRequirements;
  /** Told, in one line, when something was repaired on the way (e.g. the initdb cache rebuilt). Default: stderr. */
  readonly onNotice?: (message: string) => void;
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
  /** Undo the server side; gets every database name this server handed out. */
  readonly teardown: (names: readonly string[]) => Promise<void>;
  /** Where the handed-out names are recorded (shared with a signal cleanup); default a private list. */
  readonly names?: string[];
}): PostgresServer {
  const runTag = currentRunTag();
  const names = parts.names ?? [];
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
    uniqueName: (purpose) => {
      // Once a signal's cleanup has started, a new database could be created after its last look: none is.
      const signal = interruptedBy();
      if (signal !== null) throw new SchemaproofError({ code: 'interrupted', signal });
      const name = uniqueDatabaseName(purpose, runTag);
      names.push(name);
      return name;
    },
    stop: async () => {
      await admin.close();
      await parts.teardown(names);
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

/** How long the cleanup waits for the sessions it ended to be gone. */
const endedSessionsWaitMs = 5000;

/**
 * End our sessions still running `create database` of one of `names` (a
 * signal arrived mid-clone: that CREATE would commit after we looked), and
 * wait until they are gone, so each of those databases then either exists or
 * never will. Returns how many there were.
 */
async function endSessionsCreating(admin: Queryable, names: readonly string[]): Promise<number> {
  const rows = await admin.query(sql`
    select pid, pg_terminate_backend(pid) from pg_stat_activity
    where pid <> pg_backend_pid() and usename = current_user and state = 'active'
      and starts_with(lower(ltrim(query)), 'create database')
      and exists (select from unnest(${[...names]}::text[]) as ours(name) where strpos(query, ours.name) > 0)`);
  const pids = rows.map((row) => Number(row.pid));
  const deadline = Date.now() + endedSessionsWaitMs;
  while (pids.length > 0 && Date.now() < deadline) {
    const left = await admin.query(sql`select count(*)::int as n from pg_stat_activity where pid = any(${pids}::int[])`);
    if (left[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pids.length;
}

/**
 * Drop those of `names` that exist on the server at `base` (templates
 * unmarked first), after ending our sessions still creating one of them;
 * again while the run hands out new names (it keeps working until the
 * signal's cleanup ends it).
 */
export async function dropRunDatabases(base: ConnectionTarget, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const admin = connectTarget(base, { poolSize: 1, connectionTimeoutMilliseconds: 5000 });
  try {
    for (let pass = 0; pass < 5; pass += 1) {
      const known = [...names];
      const ended = await endSessionsCreating(admin, known);
      const rows = await admin.query(sql`select datname from pg_database where datname = any(${known}::text[])`);
      await dropDatabases(
        admin,
        rows.map((row) => String(row.datname)),
      );
      if (ended === 0 && names.length === known.length) break;
    }
  } finally {
    await admin.dispose();
  }
}

/**
 * A server we reach by connection parameters and did not start: we create
 * and drop only our own databases (named sp_<run tag>_...) and never others.
 * They are dropped when the server is stopped, and also when the process is
 * stopped by a signal.
 */
export function attachServer(base: ConnectionTarget, binaries: PgBinaries | null, kind: PostgresServer['kind'] = 'url'): PostgresServer {
  const names: string[] = [];
  const unregister = registerCleanup({ async: () => dropRunDatabases(base, names) });
  return assembleServer({
    kind,
    description: `existing server ${redact(base)}`,
    binaries,
    maintenanceDatabase: base.database,
    target: (database) => ({ ...base, database }),
    names,
    // Drop exactly the databases this server handed out names for; never others.
    teardown: async (handedOut) => {
      try {
        await dropRunDatabases(base, handedOut);
      } finally {
        unregister();
      }
    },
  });
}

/**
 * An existing server: reachable, the role has what the run requires
 * (preflight), and what dead runs of this host left there is dropped.
 */
export async function urlServer(url: string, binaries: PgBinaries | null, requires: ServerRequirements = {}): Promise<PostgresServer> {
  const base = parseUrl(url);
  const probe = connectTarget(base, { poolSize: 1, connectionTimeoutMilliseconds: 5000 });
  try {
    try {
      await probe.query(sql`select 1`);
    } catch (error) {
      throw new SchemaproofError({ code: 'database_unreachable', target: redact(base), detail: (error as Error).message.split('\n')[0] ?? 'error' }, { cause: error });
    }
    await checkServerPrivileges(probe, redact(base), requires);
    await dropDeadRunDatabases(probe);
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
  // Imported lazily: testcontainers is heavy, only needed on this path, and an optional dependency.
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch (error) {
    throw new SchemaproofError(
      {
        code: 'tool_missing',
        tool: 'testcontainers',
        hint: 'Docker answers but the optional testcontainers package is not installed: npm install testcontainers, or install PostgreSQL locally (make setup) or set DATABASE_URL',
      },
      { cause: error },
    );
  }
  const { GenericContainer, Wait } = testcontainers;
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
  if (url) return urlServer(url, binaries, options.requires);
  if (binaries) {
    const cluster = await startLocalCluster({
      binaries,
      env,
      ...(options.settings ? { settings: options.settings } : {}),
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    });
    return localServer(cluster, binaries);
  }
  if (options.allowDocker !== false && dockerAvailable(env)) return dockerServer(binaries);
  throw notFound ?? new SchemaproofError({ code: 'postgres_not_found', searched: [] });
}
