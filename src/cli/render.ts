import { describeError, exitCodeFor, exitCodes, isSchemaproofError, postgresNotes, type ExitCode } from '../errors/index.ts';
import { diskFullCause } from '../postgres/disk-full.ts';

export interface RenderedFailure {
  readonly lines: readonly string[];
  readonly exitCode: ExitCode;
}

/** One line saying what happened and what to do, plus source lines (and Postgres' DETAIL, HINT, CONTEXT) for SQL errors and refused statements. */
export function renderFailure(thrown: unknown, debug: boolean): RenderedFailure {
  // A full disk surfaces as an OS or server error from anywhere: it is still one line, exit 7.
  const error = diskFullCause(thrown) ?? thrown;
  if (isSchemaproofError(error)) {
    const lines = [`schemaproof: error[${error.detail.code}]: ${describeError(error.detail)}`];
    if (error.detail.code === 'sql_error') {
      if (error.detail.location) lines.push(error.detail.location.excerpt);
      lines.push(...postgresNotes(error.detail));
    }
    if (error.detail.code === 'migration_statement_refused') {
      for (const refused of error.detail.statements) lines.push(`${refused.location.file}:${refused.location.line}:${refused.location.column}: ${refused.statement}`, refused.location.excerpt);
    }
    if (debug && error.stack) lines.push(error.stack);
    return { lines, exitCode: exitCodeFor(error.detail) };
  }
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? String(error)) : String(error);
  const lines = [`schemaproof: internal error: ${message} (this is a bug; rerun with --debug for the stack trace)`];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  return { lines, exitCode: exitCodes.internal };
}
