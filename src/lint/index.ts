/**
 * Lints: security and performance lints on a migrated schema (catalog
 * queries), safety lints on the migration files (squawk, policy_in_migrations,
 * transaction_control_in_migration).
 * Each lint is one unit with its doc; severities and suppressions come from
 * the config; suppressed findings stay in the result, flagged.
 */
export { runLints, runSchemaLints, runFileLints, lintCatalogue, lintTemplate, lintProjectFiles, type LintOptions, type CandidateFinding } from './run.ts';
export { refusedStatementLint } from './files/refused-statements.ts';
export { schemaLints } from './rules/index.ts';
export { policyInMigrations, findPolicyStatements, type PolicyStatement } from './files/policy-in-migrations.ts';
export { squawkLint, runSquawk, findSquawkBinary, parseSquawkReport, defaultSquawkLevel, squawkRemediation, type SquawkRun, type SquawkViolation, type SquawkOptions } from './files/squawk.ts';
export { stripSqlNoise } from './files/strip-sql.ts';
export { findUnwrappedCalls, type UnwrappedCall } from './policy-expression.ts';
export { defaultScope, defaultExcludedSchemas, defaultExposedSchemas, defaultApiRoles, defaultPolicyFunctions, type LintScope } from './scope.ts';
export type { ConfiguredLint, Finding, LintCategory, LintDoc, LintLevel, LintResult, LintRow, LintSource, RefineContext, SchemaLint, SourceLocation, Suppression } from './types.ts';
export { formatLintText, formatLintJson, lintJsonVersion } from './format.ts';
