/**
 * The typed result of a pgTAP run. The verify command and the report consume
 * these shapes: everything is readonly data, serialisable as JSON.
 */

/** How a file ended. `failed`: it ran, but an assertion or the plan was wrong; `errored`: it could not run to the end (SQL error, psql failure, no TAP); `timed_out`: killed after `timeoutMs`. */
export const fileStatuses = ['passed', 'failed', 'errored', 'timed_out'] as const;
export type PgtapFileStatus = (typeof fileStatuses)[number];

/** Where a failing assertion's line number came from (best effort, always said). */
export type LineSource =
  /** The assertion's description text was found as a string literal in the file. */
  'description_match';

export interface PgtapAssertion {
  /** The test point number pgTAP printed. */
  readonly number: number;
  readonly ok: boolean;
  readonly description: string;
  /** The `#` comment lines pgTAP printed after a failing test point (`# Failed test 2: ...`, `#   have: ...`, `#   want: ...`), without the leading `# `. */
  readonly diagnostics: readonly string[];
  /** `todo` reason when the test point is marked `# TODO` (a failing todo does not fail the file). */
  readonly todo: string | null;
  /** `skip` reason when the test point is marked `# SKIP`. */
  readonly skip: string | null;
  /** 1-based line of the statement in the file, where it could be found. */
  readonly line?: number;
  readonly lineSource?: LineSource;
}

/** Why a file did not pass. One file may have several. */
export type PgtapFileError =
  | { readonly kind: 'assertion_failed'; readonly number: number; readonly description: string; readonly line: number | null }
  | { readonly kind: 'plan_mismatch'; readonly planned: number; readonly ran: number }
  | {
      readonly kind: 'sql_error';
      /** The file psql named (the test file, or a file it `\i`ncluded). */
      readonly file: string;
      /** The line psql reported (the last line of the failing statement). */
      readonly line: number;
      /** The line inside the statement the server pointed at (`LINE n:` mapped to the file), when it could be computed. */
      readonly errorLine: number | null;
      readonly severity: 'ERROR' | 'FATAL' | 'PANIC';
      readonly sqlstate: string | null;
      readonly message: string;
      /** DETAIL / HINT / CONTEXT / LINE lines psql printed with it. */
      readonly details: readonly string[];
    }
  | { readonly kind: 'missing_plan'; readonly ran: number }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'psql_failed'; readonly exitCode: number | null; readonly signal: string | null; readonly stderr: string }
  | { readonly kind: 'tap_invalid'; readonly detail: string };

export type PgtapFileErrorKind = PgtapFileError['kind'];

export interface PgtapFileResult {
  /** Absolute path of the test file. */
  readonly file: string;
  /** Path relative to the run's root (for display and replay commands). */
  readonly displayPath: string;
  readonly status: PgtapFileStatus;
  readonly durationMs: number;
  /** Time spent cloning the template for this file. */
  readonly cloneMs: number;
  /** The plan's count (`1..N`), or null when no plan was printed. */
  readonly planned: number | null;
  readonly assertions: readonly PgtapAssertion[];
  readonly errors: readonly PgtapFileError[];
  /** psql's standard output, exactly as printed (the TAP stream). */
  readonly rawTap: string;
  /** psql's standard error (notices, warnings, errors). */
  readonly stderr: string;
  /** The throwaway database the file ran in (already dropped). */
  readonly database: string;
}

export interface PgtapTotals {
  readonly files: number;
  readonly passedFiles: number;
  readonly failedFiles: number;
  readonly erroredFiles: number;
  readonly timedOutFiles: number;
  readonly assertions: number;
  readonly passedAssertions: number;
  /** Failing, not counting `# TODO` ones. */
  readonly failedAssertions: number;
  readonly todoAssertions: number;
  readonly skippedAssertions: number;
}

export interface PgtapRunResult {
  /** True when every file passed; with no files, only when `passWithNoTests` was given. */
  readonly ok: boolean;
  /** Set when there was no file to run: where they were looked for, and whether that was allowed. */
  readonly noFiles: { readonly searched: readonly string[]; readonly allowed: boolean } | null;
  readonly files: readonly PgtapFileResult[];
  readonly totals: PgtapTotals;
  /** Wall time of the whole run. */
  readonly durationMs: number;
  readonly jobs: number;
  readonly timeoutMs: number;
  /** How the per-file databases were cloned from the template. */
  readonly cloneStrategy: 'file_copy' | 'wal_log';
  readonly template: string;
  /** The schema pgTAP is installed in (put on the search_path after `public`). */
  readonly pgtapSchema: string;
  readonly startedAt: string;
}

export type PgtapProgressEvent =
  | { readonly type: 'start'; readonly files: readonly string[]; readonly jobs: number }
  | { readonly type: 'file_start'; readonly file: string; readonly displayPath: string; readonly index: number }
  | { readonly type: 'file_end'; readonly result: PgtapFileResult; readonly index: number; readonly done: number; readonly total: number };
