/** FEC bulk loader: real FEC files → FEC tables, recorded in the ingestion tables. */
export { loadFec, findFecFiles, idempotencyKeyFor, fecSource, type FecLoadOptions, type FecLoadResult, type FecFileResult, type RejectedRow, type RejectKind, type TableOutcome } from './load.ts';
export { fecFormats, fecFileKinds, kindOfFile, checkField, loadOrder, type FecFileKind, type FecFormat, type FieldCheck } from './formats.ts';
export { checkFecFile, copyRows, fileChecksum, surveyFecFile, type SurveyedFile } from './parse.ts';
export { copyFrom, pgClient, type PgClient } from './copy.ts';
