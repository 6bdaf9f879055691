/** Query catalogue benchmark: catalogue, plan checks, timings, baselines, UUID comparison. */
export {
  loadCatalogue,
  parseCatalogue,
  selectQueries,
  placeholders,
  positional,
  catalogueSchema,
  catalogueQuerySchema,
  catalogueActors,
  expectedIndexesAt,
  type Catalogue,
  type CatalogueQuery,
  type CatalogueActor,
} from './catalogue.ts';
export { pickerNames, pickParams, benchActors, type PickerName } from './params.ts';
export { catalogFacts, planShape, seqScans, type CatalogFacts, type PlanShape, type PlanScan, type SeqScan } from './explain.ts';
export { summarise, percentile, type TimingSummary } from './stats.ts';
export { runCatalogue, boundQuery, timeOnce, serverMs, pairedRatio, type RunCatalogueOptions, type QueryBenchResult, type CatalogueRun, type BenchGates } from './run.ts';
export { compareUuidVersions, type UuidComparison, type UuidVariantResult } from './uuid.ts';
export {
  readBaseline,
  compareToBaseline,
  withBaselineFindings,
  benchReportVersion,
  minimumSlowdownMs,
  type BenchReport,
  type BenchEnvironment,
  type Baseline,
  type BaselineQuery,
  type BaselineComparison,
  type BaselineFinding,
} from './report.ts';
export { runBench, defaultFecDir, type BenchOptions } from './bench.ts';
export { formatBenchTable } from './format.ts';
