/**
 * pgTAP, one fresh database per file: discover the files, run them in
 * parallel against clones of a pgTAP template, classify each, render.
 */
export { discoverPgtapFiles, type DiscoverOptions } from './discover.ts';
export { runPgtap, defaultJobs, defaultTimeoutMs, psqlArguments, psqlCommand, totalsOf, displayPathFor, type RunPgtapOptions } from './runner.ts';
export { parseTap, classifyRun, type ParsedTap, type RunOutcome, type Classification } from './tap.ts';
export { parsePsqlStderr, type PsqlMessage } from './psql-errors.ts';
export { scanSql, findDescriptionLine, findErrorLine, type SqlSource, type SqlStatement, type SqlLiteral } from './sql-source.ts';
export {
  reporters,
  formatSummary,
  formatTotals,
  formatFailures,
  formatFileLine,
  formatTap,
  formatJunit,
  formatJson,
  formatDuration,
  noFilesMessage,
  headline,
  location,
  detailLines,
  replayCommand,
  escapeXml,
  type PgtapReporter,
} from './reporters.ts';
export {
  fileStatuses,
  type PgtapFileStatus,
  type PgtapAssertion,
  type PgtapFileError,
  type PgtapFileErrorKind,
  type PgtapFileResult,
  type PgtapTotals,
  type PgtapRunResult,
  type PgtapProgressEvent,
  type LineSource,
} from './types.ts';
