/**
 * The public API of the `schemaproof` package: what `import … from
 * 'schemaproof'` gives. Every command is a function returning a typed result;
 * failures a user can cause are thrown as `SchemaproofError` with a stable
 * `code` (see ErrorDetail). Importing this module starts nothing.
 */
export { verify, type VerifyOptions, type VerifyResult } from './verify/index.ts';
export {
  test,
  rls,
  mutate,
  lint,
  lintFiles,
  draftSpec,
  type ProjectOptions,
  type TestOptions,
  type RlsOptions,
  type MutateOptions,
  type LintProjectOptions,
  type DraftSpecOptions,
} from './api/index.ts';
export { defineConfig, loadSettings, resolveSettings, rawConfigSchema, scales, severities, type RawConfig, type Settings, type Scale, type Severity } from './config/index.ts';
export { SchemaproofError, isSchemaproofError, describeError, exitCodeFor, exitCodes, type ErrorDetail, type ErrorCode, type ExitCode, type SourceLocation } from './errors/index.ts';
export { migrate, migrationStatus, type MigrateResult, type MigrationTarget } from './migrate/index.ts';
export { openProjectWorkspace, type Workspace } from './workspace/index.ts';
export { provisionPostgres, type PostgresServer, type ProvisionOptions } from './postgres/index.ts';
export { runPgtap, discoverPgtapFiles, type PgtapRunResult, type PgtapFileResult, type RunPgtapOptions } from './pgtap/index.ts';
export { runRls, runMutation, loadAccessSpec, propertyNames, type RlsResult, type MutationResult, type PropertyName, type AccessSpec } from './rls/index.ts';
export { mergeShardReports, mergedPassed, readShardReport, parseShard, selectShard, type MergedReport, type ShardInfo, type ShardReportFile, type ShardSpec } from './shard/index.ts';
export { lintTemplate, lintProjectFiles, formatLintJson, formatLintText, type LintResult } from './lint/index.ts';
export { renderMarkdown, renderHtml, renderJunit, writeReport, gateIds, reportSchemaVersion, type VerificationReport, type GateId, type GateResult, type Failure } from './report/index.ts';
