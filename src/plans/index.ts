/** Query catalogue benchmark: catalogue, values and actors, plan and work checks, timings, baselines, UUID comparison. */
export {
  loadCatalogue,
  parseCatalogue,
  selectQueries,
  placeholders,
  positional,
  catalogueSchema,
  catalogueQuerySchema,
  catalogueActors,
  catalogueVersion,
  defaultActors,
  expectedIndexesAt,
  type Catalogue,
  type CatalogueQuery,
  type CatalogueActorDefinition,
  type ClaimTemplate,
  type ValueSpec,
} from './catalogue.ts';
export { boundQuery, asParameter, ValueResolver, type Resolved } from './values.ts';
export { checkCatalogueSql, prepareCatalogue, sessionActor, type PreparedCatalogue, type PreparedQuery, type ResolvedActor } from './prepare.ts';
export { catalogFacts, planShape, planWork, functionCallsIn, seqScans, type CatalogFacts, type PlanShape, type PlanScan, type PlanWork, type SeqScan } from './explain.ts';
export { summarise, percentile, type TimingSummary } from './stats.ts';
export { runCatalogue, timeOnce, serverMs, pairedRatio, rlsWorkFinding, type RunCatalogueOptions, type QueryBenchResult, type CatalogueRun, type BenchGates } from './run.ts';
export { compareUuidVersions, type UuidComparison, type UuidVariantResult } from './uuid.ts';
export {
  readBaseline,
  compareToBaseline,
  workRegression,
  withBaselineFindings,
  benchReportVersion,
  minimumSlowdownMs,
  type BenchReport,
  type BenchEnvironment,
  type Baseline,
  type BaselineQuery,
  type BaselineWork,
  type BaselineComparison,
  type BaselineFinding,
} from './report.ts';
export { runBench, defaultFecDir, type BenchOptions } from './bench.ts';
export { formatBenchTable, describeGates, describeDeterministicGates, describeTimingGates } from './format.ts';
