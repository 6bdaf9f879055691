/**
 * Two-stage config: raw input (schemaproof.config.json / .ts, or nothing) →
 * validated, fully defaulted settings with absolute paths. Every problem is
 * collected and reported at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { SchemaproofError } from '../errors/index.ts';
import { importConfigModule } from './import-module.ts';
import {
  detectPreset,
  expandSeedPatterns,
  migrationNamings,
  pgtapIsolations,
  presetDefaults,
  presets,
  readSupabaseSeedConfig,
  supabaseDir,
  type MigrationNaming,
  type PgtapIsolation,
  type Preset,
} from './layout.ts';

export { presets, presetDefaults, detectPreset, supabaseDir, migrationNamings, pgtapIsolations, type Preset, type MigrationNaming, type PgtapIsolation } from './layout.ts';

export const severities = ['error', 'warn', 'off'] as const;
export type Severity = (typeof severities)[number];
import { scales } from './scales.ts';
export { scales, type Scale } from './scales.ts';
/** Where the compliance map is looked for when the config does not say; absent there = the project has none. */
export const defaultComplianceMap = 'tests/compliance/compliance-map.json';

const suppressionSchema = z
  .object({
    lint: z.string().min(1),
    object: z.string().min(1).describe('the object the finding names, e.g. public.orders'),
    reason: z.string().min(10, 'a suppression needs a reason of at least 10 characters'),
  })
  .strict();

export const rawConfigSchema = z
  .object({
    /** Conventions: `supabase` (chosen when a Supabase CLI folder holds the migrations) or `schemaproof`. */
    preset: z.enum(presets).optional(),
    /** Default: the preset's (supabase/migrations or sql). */
    sqlDir: z.string().optional(),
    /** How migration files are named and ordered (default: the preset's). */
    migrationNaming: z.enum(migrationNamings).optional(),
    policiesDir: z.string().default('policies'),
    /** Default: the preset's (supabase/tests or tests/pgtap). */
    pgtapDir: z.string().optional(),
    /** Seed files applied after the migrations to the database pgTAP runs on (Supabase preset: supabase/config.toml [db.seed]). */
    seed: z
      .object({
        enabled: z.boolean().optional(),
        /** File paths or globs (`*`, `?`, `[...]`), relative to the config file. */
        paths: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    accessSpec: z.string().default('tests/access/access-spec.json'),
    mutantsDir: z.string().default('tests/access/mutants'),
    queryCatalogue: z.string().default('tests/plans/catalogue.json'),
    /** The project's data recipe (docs/data-recipe.md); a missing file means the bench runs on the data the migrations leave. */
    dataRecipe: z.string().default('tests/data/recipe.json'),
    /** Duty → mechanism → the checks that prove it; a project without one gets no compliance section. */
    complianceMap: z.string().default(defaultComplianceMap),
    /** Schemas the report's inventory covers besides those the access spec exposes. */
    inventorySchemas: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case schema name')).default([]),
    reportsDir: z.string().default('reports'),
    databaseUrl: z.string().url().optional(),
    postgres: z
      .object({
        settings: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .default({ settings: {} }),
    pgtap: z
      .object({
        jobs: z.number().int().positive().optional(),
        timeoutMs: z.number().int().positive().default(60_000),
        /** `file`: each file in its own database; `shared`: all files in order on one database, as pg_prove (default: the preset's). */
        isolation: z.enum(pgtapIsolations).optional(),
        /** File extensions that are pgTAP files (default: the preset's). */
        extensions: z
          .array(z.string().regex(/^\.[A-Za-z0-9]+$/, 'an extension such as .sql'))
          .min(1)
          .optional(),
        /** No pgTAP file at all is a failure (nothing was tested) unless this is true. */
        passWithNoTests: z.boolean().default(false),
        /** The pgTAP files (or directories) the restore drill re-runs on the restored copy, relative to the project root; default: every pgTAP file. An empty set fails the restore gate. */
        restoreFiles: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .default({ timeoutMs: 60_000, passWithNoTests: false }),
    rls: z
      .object({
        /** Random worlds per property (each world is hundreds of cases). */
        runs: z.number().int().positive().default(25),
        /** The worlds' seed (`--seed` overrides): the same schema gets the same worlds and the same verdict on every run. */
        seed: z.number().int().default(42),
        mutation: z.boolean().default(true),
        /** Worlds per property for each mutant (after one world per property). */
        mutationRuns: z.number().int().positive().default(15),
      })
      .strict()
      .default({ runs: 25, seed: 42, mutation: true, mutationRuns: 15 }),
    bench: z
      .object({
        enabled: z.boolean().default(true),
        scale: z.enum(scales).default('medium'),
        seed: z.number().int().default(42),
        runs: z.number().int().min(20, 'at least 20 timed runs per query').default(20),
        warmup: z.number().int().nonnegative().default(3),
        fecDir: z.string().optional(),
        baseline: z.string().optional(),
        /**
         * Rows per variant of the UUID v7/v4 insert comparison in `verify` (0
         * skips it). Default 200,000 (20,000 at small): the `bench` command's
         * 1,000,000 took 44 s of a medium verify. 200,000 rows give the same
         * insert-rate ratio (v7/v4 0.65 vs 0.66 at 1,000,000) and the same
         * direction for the index size (v4/v7 1.37x vs 1.25x: random v4 keys
         * split pages more while the index is small).
         */
        uuidRows: z.number().int().nonnegative().optional(),
        /**
         * Generated bench data kept between runs (a stopped data directory per
         * input hash, in the private cache folder), oldest evicted past maxMiB.
         */
        dataCache: z
          .object({
            enabled: z.boolean().default(true),
            maxMiB: z.number().int().positive().default(16_384),
          })
          .strict()
          .default({ enabled: true, maxMiB: 16_384 }),
        gates: z
          .object({
            seqScanRowLimit: z.number().int().positive().default(10_000),
            /** RLS overhead: the actor's work (and time, when timings are gated) at most this × the RLS-bypassing actor's. */
            rlsRatio: z.number().positive().default(1.2),
            /** The RLS work ratio applies only when RLS adds more than this much work (buffers + function calls). */
            rlsFloorWork: z.number().int().nonnegative().default(100),
            /** Baseline: a query doing this × its baseline's work (and more than workFloor more) fails. */
            workFactor: z.number().positive().default(2),
            workFloor: z.number().int().nonnegative().default(16),
            /** Wall-time gates depend on the machine's load: off unless the project turns them on and says why. */
            timingsGate: z.boolean().default(false),
            timingsGateReason: z.string().min(10, 'say why the wall-time gates are on (at least 10 characters)').nullable().default(null),
            p95Ms: z.number().positive().default(10),
            aggregateP95Ms: z.number().positive().default(100),
            /** With timings gated: the time ratio applies only when RLS adds more than this at p50. */
            rlsFloorMs: z.number().nonnegative().default(0.5),
            slowdownFactor: z.number().positive().default(2),
          })
          .strict()
          .refine((gates) => !gates.timingsGate || gates.timingsGateReason !== null, {
            message: "timingsGate: true needs timingsGateReason (wall times depend on the machine's load; the report prints why they gate)",
            path: ['timingsGateReason'],
          })
          // Zod 4: a prefault is parsed, so each field's own default fills it in (no second copy of the values).
          .prefault({}),
      })
      .strict()
      .prefault({}),
    lint: z
      .object({
        severities: z.record(z.string(), z.enum(severities)).default({}),
        suppressions: z.array(suppressionSchema).default([]),
        squawk: z.boolean().default(true),
      })
      .strict()
      .default({ severities: {}, suppressions: [], squawk: true }),
    restoreDrill: z.boolean().default(true),
  })
  .strict();

export type RawConfig = z.input<typeof rawConfigSchema>;
type Parsed = z.output<typeof rawConfigSchema>;

/** Fully resolved settings: every path absolute, every default filled. */
export interface Settings extends Omit<Parsed, 'bench' | 'preset' | 'sqlDir' | 'pgtapDir' | 'migrationNaming' | 'seed' | 'pgtap'> {
  readonly root: string;
  readonly configFile: string | null;
  readonly preset: Preset;
  readonly sqlDir: string;
  readonly pgtapDir: string;
  readonly migrationNaming: MigrationNaming;
  /** Seed files (absolute, in order) and whether they are applied. */
  readonly seed: { readonly enabled: boolean; readonly paths: readonly string[] };
  readonly pgtap: Omit<Parsed['pgtap'], 'isolation' | 'extensions'> & { readonly isolation: PgtapIsolation; readonly extensions: readonly string[] };
  readonly bench: Omit<Parsed['bench'], 'fecDir' | 'baseline'> & { readonly fecDir: string | null; readonly baseline: string | null };
}

function resolveSeed(value: Parsed['seed'], preset: Preset, root: string): Settings['seed'] {
  if (value?.paths) return { enabled: value.enabled ?? true, paths: expandSeedPatterns(root, value.paths) };
  if (preset !== 'supabase') return { enabled: value?.enabled ?? false, paths: [] };
  const dir = supabaseDir(root) ?? resolve(root, 'supabase');
  const fromCli = readSupabaseSeedConfig(dir);
  return { enabled: value?.enabled ?? fromCli.enabled, paths: expandSeedPatterns(dir, fromCli.paths) };
}

/** For `schemaproof.config.ts`: typed authoring help, no behaviour. */
export function defineConfig(config: RawConfig): RawConfig {
  return config;
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

export function resolveSettings(raw: unknown, root: string, configFile: string | null): Settings {
  const parsed = rawConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new SchemaproofError({ code: 'config_invalid', file: configFile ?? '(defaults)', problems: formatIssues(parsed.error) });
  }
  const value = parsed.data;
  const abs = (path: string): string => (isAbsolute(path) ? path : resolve(root, path));
  const preset = value.preset ?? detectPreset(root, value.sqlDir);
  const defaults = presetDefaults[preset];
  return {
    ...value,
    root,
    configFile,
    preset,
    sqlDir: abs(value.sqlDir ?? defaults.sqlDir),
    migrationNaming: value.migrationNaming ?? defaults.migrationNaming,
    policiesDir: abs(value.policiesDir),
    pgtapDir: abs(value.pgtapDir ?? defaults.pgtapDir),
    seed: resolveSeed(value.seed, preset, root),
    pgtap: { ...value.pgtap, isolation: value.pgtap.isolation ?? defaults.pgtapIsolation, extensions: value.pgtap.extensions ?? defaults.pgtapExtensions },
    lint: { ...value.lint, severities: { ...defaults.severities, ...value.lint.severities } },
    accessSpec: abs(value.accessSpec),
    mutantsDir: abs(value.mutantsDir),
    queryCatalogue: abs(value.queryCatalogue),
    dataRecipe: abs(value.dataRecipe),
    complianceMap: abs(value.complianceMap),
    reportsDir: abs(value.reportsDir),
    bench: {
      ...value.bench,
      fecDir: value.bench.fecDir ? abs(value.bench.fecDir) : null,
      baseline: value.bench.baseline ? abs(value.bench.baseline) : null,
    },
  };
}

const defaultNames = ['schemaproof.config.ts', 'schemaproof.config.json'] as const;

/**
 * Load settings: an explicit file, else the first default name found in
 * `cwd`, else pure defaults rooted at `cwd`.
 */
export async function loadSettings(options: { readonly configPath?: string | undefined; readonly cwd?: string } = {}): Promise<Settings> {
  const cwd = options.cwd ?? process.cwd();
  let file: string | null = null;
  if (options.configPath) {
    file = resolve(cwd, options.configPath);
    if (!existsSync(file)) throw new SchemaproofError({ code: 'config_not_found', file });
  } else {
    for (const name of defaultNames) {
      if (existsSync(join(cwd, name))) {
        file = join(cwd, name);
        break;
      }
    }
  }
  if (!file) return resolveSettings({}, cwd, null);
  let raw: unknown;
  try {
    if (file.endsWith('.json')) {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } else {
      const module = (await importConfigModule(file)) as { config?: unknown; default?: unknown };
      raw = module.config ?? module.default;
    }
  } catch (error) {
    throw new SchemaproofError({ code: 'config_invalid', file, problems: [`cannot be read: ${(error as Error).message.split('\n')[0]}`] });
  }
  return resolveSettings(raw, dirname(file), file);
}
