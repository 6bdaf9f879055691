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
import { sql, type ConnectionPool, type ConnectionPoolConfig } from '@databases/pg';
import type { Scale, Settings } from '../config/index.ts';
import { findFecFiles, fileChecksum, loadFec, type FecLoadResult } from '../fec/index.ts';
import { bookkeepingSchema, migrate, readMigrationFiles, readPolicyFiles } from '../migrate/index.ts';
import {
  createDatabase,
  platformSchemas,
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
import { benchDataCacheDir, bytesOf, cacheKey, discardEntry, engineVersion, ensurePrivateDir, expectedBytesFor, lookupEntry, storeEntry, type CacheInputs } from './cache.ts';
import { anchorFor, generateData, type GeneratedStep, type RecipeRun } from './generate.ts';
import { settleData } from './settle.ts';
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
  /** Another pool on the same database (the caller disposes it). */
  connect(options?: Partial<ConnectionPoolConfig>): ConnectionPool;
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

/** Rows per table of a database (harness and platform schemas left out). */
async function tableCounts(db: ConnectionPool): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await readUserTables(db, [scratchSchema, bookkeepingSchema, ...platformSchemas])) {
    const rows = await db.query(sql`select count(*)::int8 as n from ${sql.ident(table.schema, table.table)}`);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) counts[`${table.schema}.${table.table}`] = n;
  }
  return counts;
}

/** Load FEC files and run the recipe into `database` on `server`. */
async function prepare(
  server: PostgresServer,
  database: OwnedDatabase,
  recipe: Recipe | null,
  options: BenchDataOptions & { readonly fecDir: string | null; readonly anchor: Date },
): Promise<Prepared> {
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
    } else {
      // Seed, fixtures or FEC files only: settled as a recipe's data is.
      await settleData(db, { excludeSchemas: [bookkeepingSchema] });
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

/** What every path of openBenchData shares. */
interface Run {
  readonly options: BenchDataOptions;
  readonly started: number;
  readonly progress: (message: string) => void;
  readonly recipe: Recipe | null;
  readonly fecDir: string | null;
  readonly anchor: Date;
}

function summaryOf(run: Run, prepared: Prepared, source: DataSummary['source'], description: string, cache: DataSummary['cache']): DataSummary {
  return {
    source,
    description,
    recipe: run.recipe?.file ?? null,
    scale: run.options.scale,
    seed: run.options.seed,
    anchor: prepared.generation?.anchor ?? null,
    steps: prepared.generation?.steps ?? [],
    counts: prepared.counts,
    durationMs: Math.round(performance.now() - run.started),
    generatedMs: prepared.generation?.durationMs ?? null,
    cache,
  };
}

/** A clone of the migrated template on the run's own server, loaded in place (no cache). */
async function openInPlace(run: Run, note: string | null): Promise<BenchData> {
  const { settings, workspace } = run.options;
  const server = workspace.server;
  const clone = await workspace.template.clone('bench');
  try {
    const prepared = await prepare(server, clone, run.recipe, { ...run.options, fecDir: run.fecDir, anchor: run.anchor });
    const db = clone.connect();
    const none = !run.recipe && !run.fecDir;
    const description = none
      ? `No data recipe (${settings.dataRecipe} does not exist) and no FEC files: the catalogue ran on the migrated database as its migrations left it (${Object.values(prepared.counts).reduce((sum, n) => sum + n, 0)} rows in ${Object.keys(prepared.counts).length} tables).`
      : `Generated this run from ${describe(prepared, run.recipe, settings, run.fecDir)} in ${(prepared.preparedMs / 1000).toFixed(1)} s${note ? ` (${note})` : ''}.`;
    return {
      db,
      target: server.target(clone.name),
      connect: (options) => clone.connect(options),
      server: server.description,
      summary: summaryOf(run, prepared, none ? 'none' : 'generated', description, note && !none ? { key: '', hit: false, dir: null, note, copyAndStartMs: null, storeMs: null } : null),
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
}

/** A cluster of its own started from a copy of a stopped data directory holding prepared data. */
async function startFrom(run: Run, binaries: PgBinaries, dataDir: string, prepared: Prepared, bytes: number): Promise<{ data: BenchData; copyAndStartMs: number }> {
  const copyStarted = performance.now();
  const cluster = await startLocalCluster({ binaries, settings: run.options.settings.postgres.settings, dataDirSource: dataDir, expectedBytes: bytes });
  const server = localServer(cluster, binaries);
  const copyAndStartMs = Math.round(performance.now() - copyStarted);
  const db = server.connect(prepared.database);
  const data: BenchData = {
    db,
    target: server.target(prepared.database),
    connect: (options) => server.connect(prepared.database, options),
    server: server.description,
    summary: summaryOf(run, prepared, 'cache', '', null),
    fecLoad: prepared.fecLoad,
    close: once(async () => {
      await db.dispose();
      await server.stop();
    }),
  };
  return { data, copyAndStartMs };
}

/**
 * A miss: an empty cluster of our own, migrated, loaded, generated, stopped
 * cleanly and stored; then started from the stored entry (every cold run
 * proves the entry starts), or from its own directory when not stored.
 */
async function generateAndStore(
  run: Run,
  binaries: PgBinaries,
  cache: { readonly dir: string; readonly key: string; readonly inputs: CacheInputs; readonly earlierNote: string | null },
): Promise<BenchData> {
  const { settings } = run.options;
  run.progress(`no cached data for ${cache.key.slice(0, 12)}: preparing it on a separate cluster`);
  // Sized like the last data of this scale, so a large generation does not land on a tmpfs without room for it.
  const cluster = await startLocalCluster({ binaries, settings: settings.postgres.settings, expectedBytes: expectedBytesFor(cache.dir, run.options.scale) });
  const preparing = localServer(cluster, binaries);
  try {
    const database = await createDatabase(preparing, 'bench');
    await migrate(preparing.target(database.name), { sqlDir: settings.sqlDir, policiesDir: settings.policiesDir, root: settings.root });
    const prepared = await prepare(preparing, database, run.recipe, { ...run.options, fecDir: run.fecDir, anchor: run.anchor });
    const segment = await shutdownClean(cluster, binaries);
    const storeStarted = performance.now();
    const stored = await storeEntry({
      cacheDir: cache.dir,
      key: cache.key,
      inputs: cache.inputs,
      dataDir: join(cluster.dir, 'data'),
      walSegment: segment,
      maxBytes: settings.bench.dataCache.maxMiB * 1048576,
      payload: prepared,
    });
    const storeMs = Math.round(performance.now() - storeStarted);
    const notes = [cache.earlierNote, stored.note].filter((note): note is string => note !== null);
    let entry = stored.entry;
    let started: { data: BenchData; copyAndStartMs: number } | null = null;
    if (entry) {
      try {
        started = await startFrom(run, binaries, entry.dataDir, prepared, entry.manifest.bytes);
      } catch (error) {
        notes.push(`the stored entry did not start (${(error as Error).message.split('\n')[0]}) and was removed`);
        discardEntry(entry.dir);
        entry = null;
      }
    }
    started ??= await startFrom(run, binaries, join(cluster.dir, 'data'), prepared, bytesOf(join(cluster.dir, 'data')));
    const durationMs = Math.round(performance.now() - run.started);
    const cached = entry ? `; cached as ${cache.key.slice(0, 12)} (${(entry.manifest.bytes / 1048576).toFixed(0)} MiB, stored in ${(storeMs / 1000).toFixed(1)} s)` : '';
    const evicted = stored.evicted.length > 0 ? `; evicted ${stored.evicted.length} older entr${stored.evicted.length === 1 ? 'y' : 'ies'}` : '';
    const description = `Generated this run from ${describe(prepared, run.recipe, settings, run.fecDir)} in ${(prepared.preparedMs / 1000).toFixed(1)} s${cached}${evicted}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`;
    return {
      ...started.data,
      summary: {
        ...started.data.summary,
        source: 'generated',
        description,
        durationMs,
        cache: { key: cache.key, hit: false, dir: entry?.dir ?? null, note: notes.length > 0 ? notes.join('; ') : null, copyAndStartMs: started.copyAndStartMs, storeMs },
      },
    };
  } finally {
    await preparing.stop().catch(() => undefined);
  }
}

export async function openBenchData(options: BenchDataOptions): Promise<BenchData> {
  const { settings, workspace, scale, seed } = options;
  const recipe = loadRecipe(settings.dataRecipe);
  const run: Run = {
    options,
    started: performance.now(),
    progress: options.onProgress ?? (() => undefined),
    recipe,
    fecDir: options.fecDir === undefined ? settings.bench.fecDir : options.fecDir,
    anchor: options.anchor ?? (recipe ? anchorFor(recipe) : new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000)),
  };
  const server = workspace.server;
  if (!recipe && !run.fecDir) return openInPlace(run, null);
  if (!(options.cache ?? settings.bench.dataCache.enabled)) return openInPlace(run, 'data cache off');
  if (server.kind !== 'local' || !server.binaries) return openInPlace(run, 'data cache not used on a server the harness did not start');
  const binaries = server.binaries;
  const cacheDir = options.cacheDir ?? benchDataCacheDir();
  const dirProblem = ensurePrivateDir(cacheDir);
  if (dirProblem) return openInPlace(run, `data cache not used: ${dirProblem}`);
  const inputs = cacheInputs(settings, recipe, run.fecDir, scale, seed, run.anchor, binaries);
  const key = cacheKey(inputs);

  const found = lookupEntry<Prepared>(cacheDir, key);
  if (found.kind === 'hit') {
    const { entry } = found;
    const payload = entry.manifest.payload;
    run.progress(`reusing cached data ${key.slice(0, 12)} (${(entry.manifest.bytes / 1048576).toFixed(0)} MiB, generated ${entry.manifest.createdAt})`);
    try {
      const { data, copyAndStartMs } = await startFrom(run, binaries, entry.dataDir, payload, entry.manifest.bytes);
      const durationMs = Math.round(performance.now() - run.started);
      const description = `Reused cached data: ${describe(payload, recipe, settings, run.fecDir)}, generated ${entry.manifest.createdAt} in ${(payload.preparedMs / 1000).toFixed(1)} s; ready in ${(durationMs / 1000).toFixed(1)} s (copy and start ${(copyAndStartMs / 1000).toFixed(1)} s).`;
      return { ...data, summary: { ...data.summary, source: 'cache', description, durationMs, cache: { key, hit: true, dir: entry.dir, note: null, copyAndStartMs, storeMs: null } } };
    } catch (error) {
      run.progress(`cached data ${key.slice(0, 12)} did not start (${(error as Error).message.split('\n')[0]}); discarding it and generating`);
      discardEntry(entry.dir);
    }
  }
  let earlierNote: string | null = null;
  if (found.kind === 'untrusted') {
    earlierNote = `the cached entry was not trusted (${found.problem}) and is replaced`;
    run.progress(`cached data ${key.slice(0, 12)} not trusted: ${found.problem}; generating`);
    discardEntry(join(cacheDir, key));
  }
  return generateAndStore(run, binaries, { dir: cacheDir, key, inputs, earlierNote });
}
