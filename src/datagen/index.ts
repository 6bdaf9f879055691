/**
 * Bench data: the project's declarative data recipe run set-based and
 * deterministically from a seed (the recipe engine), and the loaded
 * database the plan benchmark runs on, reused from a cache when nothing
 * that shapes it changed.
 */
export { loadRecipe, parseRecipe, keyPath, durationSeconds, type Recipe, type Step, type TableStep, type SqlStep, type ValueSpec, type ParentSpec } from './recipe.ts';
export { generateData, anchorFor, type GenerateOptions, type GeneratedStep, type RecipeRun } from './generate.ts';
export { settleData, readUnsettled, type Settled, type UnsettledRelation } from './settle.ts';
export { checkForeignKeys, type ForeignKeyOrphans } from './catalog.ts';
export { scratchSchema } from './compile.ts';
export { benchDataCacheDir, cacheKey, engineVersion, treeProblem, privateDirProblem, type CacheInputs } from './cache.ts';
export { openBenchData, cacheInputs, type BenchData, type BenchDataOptions, type DataSummary, type FecLoadSummary } from './bench-data.ts';
/** The bench report's `generation` field: what the benchmark ran on. */
export type { DataSummary as GenerateResult } from './bench-data.ts';
