/**
 * The loaded database the plan benchmark runs on — the interface `bench`
 * and `verify` call (`openBenchData`):
 *
 *   - on a throwaway cluster (local binaries) with the data cache on: a
 *     second cluster started from a copy of the cached data directory for
 *     this exact input hash; on a miss, that cluster starts empty, migrates,
 *     loads the project's FEC files (bench.fecDir), runs the recipe, stops
 *     cleanly, is stored in the cache, and is started again from the entry;
 *   - on a server we did not start (--database-url, Docker), or with the
 *     cache off: a clone of the migrated template on that server, loaded
 *     and generated in place every run (no data is left behind there);
 *   - without a recipe and FEC files: a clone of the migrated template as
 *     the migrations left it, said in the summary.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type ConnectionPool } from '@databases/pg';
import type { Scale, Settings } from '../config/index.ts';
import { findFecFiles, fileChecksum, loadFec, type FecLoadResult } from '../fec/index.ts';
import { bookkeepingSchema, migrate, readMigrationFiles, readPolicyFiles } from '../migrate/index.ts';
import {
  createDatabase,
  localServer,
  startLocalCluster,
  type ConnectionTarget,
  type LocalCluster,
  type OwnedDatabase,
  type PgBinaries,
  type PostgresServer,
} from '../postgres/index.ts';
import type { Workspace } from '../workspace/index.ts';
import { readUserTables } from './catalog.ts';
import {
  benchDataCacheDir,
  cacheKey,
  discardEntry,
  engineVersion,
  ensurePrivateDir,
  lookupEntry,
  storeEntry,
  type CacheInputs,
} from './cache.ts';
import { anchorFor, generateData, type GeneratedStep, type RecipeRun } from './generate.ts';
import { loadRecipe, type Recipe } from './recipe.ts';
import { scratchSchema } from './compile.ts';

export type FecLoadSummary = Omit<FecLoadResult, 'rejected'> & { readonly rejectedCount: number };

/** What the benchmark ran on, for its report (the bench report's `generation`). */
export interface DataSummary {
  /** generated: this run made it; cache: reused; none: the migrated database as it was. */
  readonly source: 'generated' | 'cache' | 'none';
  /** One sentence for the reports. */
  readonly description: string;
  readonly recipe: string | null;
  readonly scale: Scale;
  readonly seed: number;
  readonly anchor: string | null;
  /** Steps of the generation (of the original run when reused). */
  readonly steps: readonly GeneratedStep[];
  /** Rows per table. */
  readonly counts: Readonly<Record<string, number>>;
  /** Time this run spent to have the data ready. */
  readonly durationMs: number;
  /** Time the generation itself took (this run's, or the cached run's). */
  readonly generatedMs: number | null;
  readonly cache: {
    readonly key: string;
    readonly hit: boolean;
    readonly dir: string | null;
    /** Why the cache was not used or not written, when it was not. */
    readonly note: string | null;
    readonly copyAndStartMs: number | null;
    readonly storeMs: number | null;
  } | null;
}

export interface BenchData {
  readonly db: ConnectionPool;
  readonly target: ConnectionTarget;
  /** The server the data is on (report environment). */
  readonly server: string;
  readonly summary: DataSummary;
  readonly fecLoad: FecLoadSummary | null;
  close(): Promise<void>;
}

export interface BenchDataOptions {
  readonly settings: Settings;
  /** The run's server and migrated template (a clone is used when the cache is not). */
  readonly workspace: Pick<Workspace, 'server' | 'template'>;
  readonly scale: Scale;
  readonly seed: number;
  /** FEC bulk files loaded before the recipe (default: settings.bench.fecDir; null: none). */
  readonly fecDir?: string | null;
  /** Use and fill the data cache (default: settings.bench.dataCache.enabled). */
  readonly cache?: boolean;
  /** Default: benchDataCacheDir(). */
  readonly cacheDir?: string;
  /** Default: the recipe's anchor (the start of the current UTC day). */
  readonly anchor?: Date;
  readonly onProgress?: (message: string) => void;
}

interface Prepared {
  readonly database: string;
  readonly generation: RecipeRun | null;
  readonly fecLoad: FecLoadSummary | null;
  readonly counts: Readonly<Record<string, number>>;
  readonly preparedMs: number;
}

/** A close that runs once however often it is called (bench and verify may both close). */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
}

/** Rows per table of a database (harness schemas left out). */
async function tableCounts(db: ConnectionPool): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await readUserTables(db, [scratchSchema, bookkeepingSchema])) {
    const rows = await db.query(sql`select count(*)::int8 as n from ${sql.ident(table.schema, table.table)}`);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) counts[`${table.schema}.${table.table}`] = n;
  }
  return counts;
}

/** Load FEC files and run the recipe into `database` on `server`. */
async function prepare(server: PostgresServer, database: OwnedDatabase, recipe: Recipe | null, options: BenchDataOptions & { readonly fecDir: string | null; readonly anchor: Date }): Promise<Prepared> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  let fecLoad: FecLoadSummary | null = null;
  if (options.fecDir) {
    progress(`loading FEC bulk files from ${options.fecDir}`);
    const { rejected, ...rest } = await loadFec(server.target(database.name), { directory: options.fecDir });
    fecLoad = { ...rest, rejectedCount: rejected.length };
    progress(`FEC: ${rest.inputRows} rows in ${rest.durationMs} ms, ${rejected.length} quarantined`);
  }
  const db = database.connect();
  try {
    let generation: RecipeRun | null = null;
    if (recipe) {
      progress(`generating ${options.scale} data from ${recipe.file} (seed ${options.seed})`);
      generation = await generateData(db, {
        recipe,
        scale: options.scale,
        seed: options.seed,
        anchor: options.anchor,
        excludeSchemas: [bookkeepingSchema],
        onProgress: (event) => progress(`  ${event.step}: ${event.rows} rows in ${event.ms} ms`),
      });
      progress(`generated in ${generation.durationMs} ms`);
    }
    const counts = generation ? generation.counts : await tableCounts(db);
    return { database: database.name, generation, fecLoad, counts, preparedMs: Math.round(performance.now() - started) };
  } finally {
    await db.dispose();
  }
}

/** The inputs that shape the data, hashed into the cache key. */
export function cacheInputs(settings: Settings, recipe: Recipe | null, fecDir: string | null, scale: Scale, seed: number, anchor: Date, binaries: PgBinaries): CacheInputs {
  return {
    migrations: readMigrationFiles(settings.sqlDir, settings.root).map((file) => ({ name: file.name, sha256: file.sha256 })),
    policies: readPolicyFiles(settings.policiesDir, settings.root).map((file) => ({ name: file.name, sha256: file.sha256 })),
    recipe: recipe?.sha256 ?? null,
    fec: fecDir ? findFecFiles(fecDir).map((file) => ({ kind: file.kind, sha256: fileChecksum(file.path) })) : null,
    scale,
    seed,
    anchor: anchor.toISOString().slice(0, 10),
    serverVersion: binaries.version,
    serverSettings: settings.postgres.settings,
    engine: engineVersion(),
  };
}

/** Stop a cluster cleanly (fast shutdown: a final checkpoint, no recovery needed at the next start). */
async function shutdownClean(cluster: LocalCluster, binaries: PgBinaries): Promise<string> {
  const dataDir = join(cluster.dir, 'data');
  process.kill(cluster.postmasterPid, 'SIGINT');
  const deadline = Date.now() + 120_000;
  while (existsSync(join(dataDir, 'postmaster.pid'))) {
    if (Date.now() > deadline) throw new Error('the bench cluster did not shut down within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const control = execFileSync(join(binaries.binDir, 'pg_controldata'), [dataDir], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (!/Database cluster state:\s+shut down\s*$/m.test(control)) throw new Error('the bench cluster did not shut down cleanly');
  const segment = /Latest checkpoint's REDO WAL file:\s+([0-9A-F]{24})/.exec(control)?.[1];
  if (!segment) throw new Error('pg_controldata did not name the checkpoint WAL file');
  return segment;
}

function describe(prepared: Prepared, recipe: Recipe | null, settings: Settings, fecDir: string | null): string {
  const parts: string[] = [];
  if (prepared.fecLoad) parts.push(`real FEC files from ${fecDir}`);
  if (prepared.generation) parts.push(`${recipe?.file ?? 'the recipe'} at ${prepared.generation.scale}, seed ${prepared.generation.seed}`);
  return parts.length > 0 ? parts.join(' and ') : `no data recipe (${settings.dataRecipe} does not exist)`;
}

export async function openBenchData(options: BenchDataOptions): Promise<BenchData> {
  const started = performance.now();
  const { settings, workspace, scale, seed } = options;
  const progress = options.onProgress ?? (() => undefined);
  const recipe = loadRecipe(settings.dataRecipe);
  const fecDir = options.fecDir === undefined ? settings.bench.fecDir : options.fecDir;
  const anchor = options.anchor ?? (recipe ? anchorFor(recipe) : new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000));
  const context = { ...options, fecDir, anchor };
  const server = workspace.server;
  const summaryOf = (prepared: Prepared, source: DataSummary['source'], description: string, cache: DataSummary['cache']): DataSummary => ({
    source,
    description,
    recipe: recipe?.file ?? null,
    scale,
    seed,
    anchor: prepared.generation?.anchor ?? null,
    steps: prepared.generation?.steps ?? [],
    counts: prepared.counts,
    durationMs: Math.round(performance.now() - started),
    generatedMs: prepared.generation?.durationMs ?? null,
    cache,
  });
  const inPlace = async (note: string | null): Promise<BenchData> => {
    const clone = await workspace.template.clone('bench');
    try {
      const prepared = await prepare(server, clone, recipe, context);
      const db = clone.connect();
      const none = !recipe && !fecDir;
      const description = none
        ? `No data recipe (${settings.dataRecipe} does not exist) and no FEC files: the catalogue ran on the migrated database as its migrations left it (${Object.values(prepared.counts).reduce((sum, n) => sum + n, 0)} rows in ${Object.keys(prepared.counts).length} tables).`
        : `Generated this run from ${describe(prepared, recipe, settings, fecDir)} in ${(prepared.preparedMs / 1000).toFixed(1)} s${note ? ` (${note})` : ''}.`;
      return {
        db,
        target: server.target(clone.name),
        server: server.description,
        summary: summaryOf(prepared, none ? 'none' : 'generated', description, note && !none ? { key: '', hit: false, dir: null, note, copyAndStartMs: null, storeMs: null } : null),
        fecLoad: prepared.fecLoad,
        close: once(async () => {
          await db.dispose();
          await clone.drop().catch(() => undefined);
        }),
      };
    } catch (error) {
      await clone.drop().catch(() => undefined);
      throw error;
    }
  };

  if (!recipe && !fecDir) return inPlace(null);
  const enabled = options.cache ?? settings.bench.dataCache.enabled;
  if (!enabled) return inPlace('data cache off');
  if (server.kind !== 'local' || !server.binaries) return inPlace('data cache not used on a server the harness did not start');
  const binaries = server.binaries;
  const cacheDir = options.cacheDir ?? benchDataCacheDir();
  const dirProblem = ensurePrivateDir(cacheDir);
  if (dirProblem) return inPlace(`data cache not used: ${dirProblem}`);
  const inputs = cacheInputs(settings, recipe, fecDir, scale, seed, anchor, binaries);
  const key = cacheKey(inputs);
  const clusterSettings = settings.postgres.settings;

  /** A cluster started from a copy of a stopped data directory holding prepared data. */
  const startFrom = async (dataDir: string, prepared: Prepared): Promise<{ data: BenchData; copyAndStartMs: number }> => {
    const copyStarted = performance.now();
    const cluster = await startLocalCluster({ binaries, settings: clusterSettings, dataDirSource: dataDir });
    const benchServer = localServer(cluster, binaries);
    const copyAndStartMs = Math.round(performance.now() - copyStarted);
    const db = benchServer.connect(prepared.database);
    const data: BenchData = {
      db,
      target: benchServer.target(prepared.database),
      server: benchServer.description,
      summary: summaryOf(prepared, 'cache', '', null),
      fecLoad: prepared.fecLoad,
      close: once(async () => {
        await db.dispose();
        await benchServer.stop();
      }),
    };
    return { data, copyAndStartMs };
  };

  const found = lookupEntry<Prepared>(cacheDir, key);
  if (found.kind === 'hit') {
    const { entry } = found;
    progress(`reusing cached data ${key.slice(0, 12)} (${(entry.manifest.bytes / 1048576).toFixed(0)} MiB, generated ${entry.manifest.createdAt})`);
    try {
      const { data, copyAndStartMs } = await startFrom(entry.dataDir, entry.manifest.payload);
      const payload = entry.manifest.payload;
      const durationMs = Math.round(performance.now() - started);
      const description = `Reused cached data: ${describe(payload, recipe, settings, fecDir)}, generated ${entry.manifest.createdAt} in ${(payload.preparedMs / 1000).toFixed(1)} s; ready in ${(durationMs / 1000).toFixed(1)} s (copy and start ${(copyAndStartMs / 1000).toFixed(1)} s).`;
      return { ...data, summary: { ...data.summary, source: 'cache', description, durationMs, cache: { key, hit: true, dir: entry.dir, note: null, copyAndStartMs, storeMs: null } } };
    } catch (error) {
      progress(`cached data ${key.slice(0, 12)} did not start (${(error as Error).message.split('\n')[0]}); discarding it and generating`);
      discardEntry(entry.dir);
    }
  }
  const untrusted = found.kind === 'untrusted' ? `the cached entry was not trusted (${found.problem}) and is replaced` : null;
  if (found.kind === 'untrusted') {
    progress(`cached data ${key.slice(0, 12)} not trusted: ${found.problem}; generating`);
    discardEntry(join(cacheDir, key));
  }

  // Miss: an empty cluster of our own, migrated, loaded, generated, stopped cleanly, stored.
  progress(`no cached data for ${key.slice(0, 12)}: preparing it on a separate cluster`);
  const cluster = await startLocalCluster({ binaries, settings: clusterSettings });
  const preparingServer = localServer(cluster, binaries);
  let prepared: Prepared;
  let segment: string;
  try {
    const database = await createDatabase(preparingServer, 'bench');
    await migrate({ connect: (connectOptions) => preparingServer.connect(database.name, connectOptions) }, { sqlDir: settings.sqlDir, policiesDir: settings.policiesDir, root: settings.root });
    prepared = await prepare(preparingServer, database, recipe, context);
    segment = await shutdownClean(cluster, binaries);
  } catch (error) {
    await preparingServer.stop().catch(() => undefined);
    throw error;
  }
  try {
    const storeStarted = performance.now();
    const stored = await storeEntry({ cacheDir, key, inputs, dataDir: join(cluster.dir, 'data'), walSegment: segment, maxBytes: settings.bench.dataCache.maxMiB * 1048576, payload: prepared });
    const storeMs = Math.round(performance.now() - storeStarted);
    let result: { data: BenchData; copyAndStartMs: number } | null = null;
    let entry = stored.entry;
    const notes = [untrusted, stored.note].filter((note): note is string => note !== null);
    if (entry) {
      try {
        result = await startFrom(entry.dataDir, prepared);
      } catch (error) {
        notes.push(`the stored entry did not start (${(error as Error).message.split('\n')[0]}) and was removed`);
        discardEntry(entry.dir);
        entry = null;
      }
    }
    result ??= await startFrom(join(cluster.dir, 'data'), prepared);
    const durationMs = Math.round(performance.now() - started);
    const cached = entry ? `; cached as ${key.slice(0, 12)} (${(entry.manifest.bytes / 1048576).toFixed(0)} MiB, stored in ${(storeMs / 1000).toFixed(1)} s)` : '';
    const evicted = stored.evicted.length > 0 ? `; evicted ${stored.evicted.length} older entr${stored.evicted.length === 1 ? 'y' : 'ies'}` : '';
    const description = `Generated this run from ${describe(prepared, recipe, settings, fecDir)} in ${(prepared.preparedMs / 1000).toFixed(1)} s${cached}${evicted}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`;
    return {
      ...result.data,
      summary: { ...result.data.summary, source: 'generated', description, durationMs, cache: { key, hit: false, dir: entry?.dir ?? null, note: notes.length > 0 ? notes.join('; ') : null, copyAndStartMs: result.copyAndStartMs, storeMs } },
    };
  } finally {
    await preparingServer.stop().catch(() => undefined);
  }
}
