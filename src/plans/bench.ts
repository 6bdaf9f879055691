/**
 * `schemaproof bench` as a library function: provision (openProjectWorkspace),
 * obtain the loaded database (openBenchData: the project's FEC files and data
 * recipe, reused from the data cache when nothing that shapes it changed),
 * run the catalogue, compare UUID v7 with v4 (when the catalogue names the
 * project's v7 expression), and compare with a baseline.
 * Returns the typed report; never prints.
 */
import type { Scale, Settings } from '../config/index.ts';
import { loadRecipe, openBenchData, type BenchData } from '../datagen/index.ts';
import { serverVersion, withClone } from '../postgres/index.ts';
import { openProjectWorkspace, type Workspace } from '../workspace/index.ts';
import { loadCatalogue, selectQueries } from './catalogue.ts';
import { benchReportVersion, compareToBaseline, readBaseline, withBaselineFindings, type BenchReport } from './report.ts';
import { checkCatalogueSql } from './prepare.ts';
import { runCatalogue, type BenchGates } from './run.ts';
import { compareUuidVersions } from './uuid.ts';

export interface BenchOptions {
  readonly settings: Settings;
  readonly scale?: Scale;
  readonly seed?: number;
  readonly runs?: number;
  readonly queryIds?: readonly string[];
  /** A saved report to compare with (default: settings.bench.baseline). */
  readonly baselineFile?: string | null;
  /** FEC bulk directory loaded before the data recipe; null = none; undefined = settings.bench.fecDir. */
  readonly fecDir?: string | null;
  /** Reuse and fill the generated-data cache (default: settings.bench.dataCache.enabled). */
  readonly dataCache?: boolean;
  /** Data already being prepared (verify starts it early); default: prepared here and closed after. */
  readonly data?: Promise<BenchData>;
  readonly databaseUrl?: string;
  /** Rows per UUID variant (default 1,000,000; 20,000 at small scale); 0 skips the comparison (so does a catalogue without uuidComparison). */
  readonly uuidRows?: number;
  readonly onProgress?: (message: string) => void;
  /** An open workspace to use (verify shares its own); default: open one and close it after. */
  readonly workspace?: Workspace;
}

/** FEC files are loaded only when the project says so (bench.fecDir). */
export function defaultFecDir(settings: Settings): string | null {
  return settings.bench.fecDir;
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { settings } = options;
  const scale = options.scale ?? settings.bench.scale;
  const seed = options.seed ?? settings.bench.seed;
  const runs = options.runs ?? settings.bench.runs;
  const gates: BenchGates = settings.bench.gates;
  const progress = options.onProgress ?? (() => undefined);
  // Validate inputs before spending minutes on data.
  const catalogue = loadCatalogue(settings.queryCatalogue);
  const queries = selectQueries(catalogue, options.queryIds);
  const baselineFile = options.baselineFile === undefined ? settings.bench.baseline : options.baselineFile;
  const baseline = baselineFile ? readBaseline(baselineFile) : null;
  const fecDir = options.fecDir === undefined ? defaultFecDir(settings) : options.fecDir;
  if (!options.data) loadRecipe(settings.dataRecipe);

  if (!options.workspace) progress('provisioning PostgreSQL and building the migrated template');
  const workspace = options.workspace ?? (await openProjectWorkspace(settings, options.databaseUrl ?? settings.databaseUrl));
  try {
    // The catalogue's SQL against the migrated schema, before minutes go into data.
    await withClone(workspace.template, 'bench_check', (db) => checkCatalogueSql(db, catalogue, queries, settings.queryCatalogue));
    const data = await (options.data ?? openBenchData({ settings, workspace, scale, seed, fecDir, ...(options.dataCache !== undefined ? { cache: options.dataCache } : {}), onProgress: progress }));
    const db = data.db;
    try {
      progress(data.summary.description);
      const version = await serverVersion(db);
      progress(`running ${queries.length} catalogue queries (${runs} runs each)`);
      const run = await runCatalogue(db, catalogue, queries, {
        runs,
        warmup: settings.bench.warmup,
        gates,
        scale,
        file: settings.queryCatalogue,
        connect: () => data.connect({ poolSize: 1 }),
        onProgress: (message) => progress(`  ${message}`),
      });
      const uuidRows = options.uuidRows ?? (scale === 'small' ? 20_000 : 1_000_000);
      let uuidComparison = null;
      if (uuidRows > 0 && catalogue.uuidComparison) {
        progress(`UUID v7 vs v4: inserting ${uuidRows} rows each`);
        uuidComparison = await compareUuidVersions(db, { rows: uuidRows, v7Expression: catalogue.uuidComparison.v7Expression });
      }
      const comparison = baseline && baselineFile ? compareToBaseline(run.queries, baseline, gates, baselineFile) : null;
      const results = comparison ? withBaselineFindings(run.queries, comparison) : [...run.queries];
      return {
        version: benchReportVersion,
        environment: {
          scale,
          seed,
          serverVersion: version,
          server: data.server,
          runs,
          warmup: settings.bench.warmup,
          plannerSettings: {},
          startedAt,
        },
        gates,
        catalogue: settings.queryCatalogue,
        actors: run.actors,
        bypassActor: run.bypassActor,
        values: run.values,
        functionCallsCounted: run.functionCallsCounted,
        queries: results,
        generation: data.summary,
        fecLoad: data.fecLoad,
        uuidComparison,
        baseline: comparison,
        passed: results.every((query) => query.passed) && (comparison?.passed ?? true),
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      await data.close();
    }
  } finally {
    if (!options.workspace) await workspace.close();
  }
}
