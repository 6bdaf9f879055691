/**
 * Run pgTAP files, each in its own fresh clone of a template, `jobs` at a
 * time: clone → psql -f FILE → classify → drop. A file that runs past
 * `timeoutMs` has its psql killed and its backend terminated.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import { sql, type ConnectionPool } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { diskFullCause } from '../postgres/disk-full.ts';
import { dropEndingSessions, type CloneStrategy, type PostgresServer, type Template } from '../postgres/index.ts';
import { scanSql, type SqlSource } from './sql-source.ts';
import { mapConcurrently } from '../util/concurrency.ts';
import { classifyRun } from './tap.ts';
import type { PgtapFileResult, PgtapProgressEvent, PgtapRunResult, PgtapTotals } from './types.ts';

export const defaultTimeoutMs = 60_000;

export interface RunPgtapOptions {
  readonly server: PostgresServer;
  /** A template with pgTAP installed (e.g. `workspace.pgtapTemplate()`), or its name. */
  readonly template: Template | string;
  /** Absolute paths (see `discoverPgtapFiles`). */
  readonly files: readonly string[];
  /** Files run at once (default: the number of cores). */
  readonly jobs?: number;
  /** Per file, from the start of psql (default 60 000). */
  readonly timeoutMs?: number;
  readonly onProgress?: (event: PgtapProgressEvent) => void;
  /** psql to run (default: `server.binaries.psql`, else `psql` on PATH). */
  readonly psqlPath?: string;
  /** How clones are made (default `file_copy`, the faster one measured on the project template). */
  readonly cloneStrategy?: CloneStrategy;
  /** Paths are shown relative to this directory, and psql runs in it (default: process.cwd()). */
  readonly root?: string;
  /** Clones prepared ahead of the files that will use them, so cloning overlaps running (default 1; 0 clones on demand). */
  readonly prefetch?: number;
  /**
   * `file` (default): each file in its own fresh clone, `jobs` at a time.
   * `shared`: every file in order on one clone, one at a time, as
   * `pg_prove` runs a suite (what `supabase test db` does): a file may rely
   * on what an earlier file committed.
   */
  readonly isolation?: 'file' | 'shared';
  /** No file to run is a failure (nothing was tested) unless this is true (`--pass-with-no-tests`, `pgtap.passWithNoTests`). */
  readonly passWithNoTests?: boolean;
  /** Where the files were looked for (folders or paths), named in the result when there are none. */
  readonly searched?: readonly string[];
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export function psqlCommand(server: PostgresServer, override?: string): string {
  return override ?? server.binaries?.psql ?? 'psql';
}

/** The argument list psql runs each file with. */
export function psqlArguments(file: string): readonly string[] {
  return ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', '-f', file];
}

interface Clone {
  readonly name: string;
  readonly cloneMs: number;
}

/**
 * Clones made ahead of need (as IntegreSQL does): `take()` hands out a ready
 * (or in-flight) clone and starts the next, never more than `limit` in all.
 */
class ClonePool {
  readonly #ready: Promise<Clone>[] = [];
  #created = 0;
  constructor(
    private readonly make: () => Promise<Clone>,
    private readonly limit: number,
    private readonly ahead: number,
  ) {}

  #next(): Promise<Clone> {
    this.#created += 1;
    const clone = this.make();
    clone.catch(() => undefined);
    return clone;
  }

  take(): Promise<Clone> {
    const clone = this.#ready.shift() ?? this.#next();
    while (this.#ready.length < this.ahead && this.#created < this.limit) this.#ready.push(this.#next());
    return clone;
  }

  /** Clones made but never used (a run that stopped early). */
  async leftovers(): Promise<Clone[]> {
    const settled = await Promise.allSettled(this.#ready.splice(0));
    return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  }
}

interface PsqlOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
}

function readSource(file: string): SqlSource | null {
  try {
    return scanSql(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export function displayPathFor(root: string, file: string): string {
  const path = relative(root, file);
  return path.startsWith('..') || isAbsolute(path) ? file : path;
}

function runPsql(command: string, file: string, env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number, onTimeout: () => Promise<void>): Promise<PsqlOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...psqlArguments(file)], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let cleanup: Promise<void> = Promise.resolve();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      cleanup = onTimeout().catch(() => undefined);
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') {
        reject(new SchemaproofError({ code: 'tool_missing', tool: `psql (${command})`, hint: 'install the PostgreSQL client (postgresql-client-15) or set PG_BIN' }, { cause: error }));
      } else reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      void cleanup.then(() => resolvePromise({ stdout, stderr, exitCode, signal, timedOut }));
    });
  });
}

/**
 * A file that could not run because the server's disk is full says nothing
 * about the schema: the run is `disk_full` (exit 7), not a failed check.
 * Seen as SQLSTATE 53100, or as an errored file while the cluster's disk is
 * full (a WAL write that fails makes the server restart: psql only sees the
 * connection drop).
 */
function diskFullIn(files: readonly PgtapFileResult[]): SchemaproofError | null {
  for (const file of files) {
    for (const error of file.errors) {
      if (error.kind === 'sql_error') {
        const failure = Object.assign(new Error(`${file.displayPath}:${error.line}: ${error.message}`), { code: error.sqlstate });
        const cause = diskFullCause(failure);
        if (cause) return cause;
      } else if (error.kind === 'psql_failed') {
        const cause = diskFullCause(new Error(`${file.displayPath}: ${error.stderr.split('\n')[0] ?? ''}`));
        if (cause) return cause;
      }
    }
  }
  return null;
}

export function totalsOf(files: readonly PgtapFileResult[]): PgtapTotals {
  const assertions = files.flatMap((file) => file.assertions);
  return {
    files: files.length,
    passedFiles: files.filter((file) => file.status === 'passed').length,
    failedFiles: files.filter((file) => file.status === 'failed').length,
    erroredFiles: files.filter((file) => file.status === 'errored').length,
    timedOutFiles: files.filter((file) => file.status === 'timed_out').length,
    assertions: assertions.length,
    passedAssertions: assertions.filter((assertion) => assertion.ok).length,
    failedAssertions: assertions.filter((assertion) => !assertion.ok && assertion.todo === null).length,
    todoAssertions: assertions.filter((assertion) => assertion.todo !== null).length,
    skippedAssertions: assertions.filter((assertion) => assertion.skip !== null).length,
  };
}

async function pgtapSchemaIn(server: PostgresServer, database: string, template: string): Promise<string> {
  const db = server.connect(database, { poolSize: 1 });
  try {
    const rows = await db.query(sql`
      select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pgtap'`);
    const schema = rows[0]?.schema as string | undefined;
    if (!schema) {
      throw new SchemaproofError({ code: 'pgtap_not_installed', detail: `the extension is not installed in template ${template}` });
    }
    return schema;
  } finally {
    await db.dispose();
  }
}

export async function runPgtap(options: RunPgtapOptions): Promise<PgtapRunResult> {
  const startedAt = new Date();
  const started = performance.now();
  const { server } = options;
  const templateName = typeof options.template === 'string' ? options.template : options.template.name;
  const shared = options.isolation === 'shared';
  const jobs = shared ? 1 : Math.max(1, Math.min(options.jobs ?? defaultJobs(), Math.max(1, options.files.length)));
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const strategy = options.cloneStrategy ?? 'file_copy';
  const root = options.root ?? process.cwd();
  const command = psqlCommand(server, options.psqlPath);
  const progress = options.onProgress ?? (() => undefined);
  const admin: ConnectionPool = server.connect(server.maintenanceDatabase, { poolSize: Math.min(jobs + 2, 10) });

  const createClone = async (): Promise<Clone> => {
    const cloneStarted = performance.now();
    const name = server.uniqueName('pgtap');
    await admin.query(sql`create database ${sql.ident(name)} template ${sql.ident(templateName)} strategy ${sql.__dangerous__rawValue(strategy)}`);
    return { name, cloneMs: performance.now() - cloneStarted };
  };
  const dropClone = async (name: string): Promise<void> => {
    await dropEndingSessions(admin, name);
  };
  const terminate = async (name: string): Promise<void> => {
    await admin.query(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`);
  };

  try {
    progress({ type: 'start', files: options.files, jobs });
    if (options.files.length === 0) {
      const allowed = options.passWithNoTests === true;
      return {
        ok: allowed,
        noFiles: { searched: (options.searched ?? []).map((path) => relative(root, path) || path), allowed },
        files: [],
        totals: totalsOf([]),
        durationMs: performance.now() - started,
        jobs,
        timeoutMs,
        cloneStrategy: strategy,
        template: templateName,
        pgtapSchema: 'extensions',
        startedAt: startedAt.toISOString(),
      };
    }
    // The first clone doubles as the probe for pgTAP (connecting to the template itself would block other clones).
    const first = await createClone();
    let pgtapSchema: string;
    try {
      pgtapSchema = await pgtapSchemaIn(server, first.name, templateName);
    } catch (error) {
      await dropClone(first.name);
      throw error;
    }
    // Drops run in the background (they are off the critical path) and are awaited before returning.
    const drops: Promise<void>[] = [];
    const dropLater = (name: string): void => {
      drops.push(dropClone(name).catch(() => undefined));
    };
    const pool = new ClonePool(createClone, shared ? 0 : options.files.length - 1, shared ? 0 : Math.max(0, options.prefetch ?? 1));
    const quoted = /^[a-z_][a-z0-9_]*$/.test(pgtapSchema) ? pgtapSchema : `"${pgtapSchema.replace(/"/g, '""')}"`;
    const searchPath = pgtapSchema === 'public' ? 'public' : `public,${quoted}`.replace(/[\\ ]/g, (char) => `\\${char}`);
    const inherited = process.env.PGOPTIONS ? `${process.env.PGOPTIONS} ` : '';

    const runFile = async (file: string, index: number, premade: Clone | null): Promise<PgtapFileResult> => {
      const displayPath = displayPathFor(root, file);
      progress({ type: 'file_start', file, displayPath, index });
      const fileStarted = performance.now();
      const clone = premade ?? (await pool.take());
      try {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          ...server.clientEnv(clone.name),
          PGOPTIONS: `${inherited}-c search_path=${searchPath}`,
        };
        const outcome = await runPsql(command, file, env, root, timeoutMs, () => terminate(clone.name));
        const classification = classifyRun({
          rawTap: outcome.stdout,
          stderr: outcome.stderr,
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          timedOut: outcome.timedOut,
          timeoutMs,
          source: readSource(file),
          file,
        });
        return {
          file,
          displayPath,
          status: classification.status,
          durationMs: performance.now() - fileStarted,
          cloneMs: clone.cloneMs,
          planned: classification.planned,
          assertions: classification.assertions,
          errors: classification.errors,
          rawTap: outcome.stdout,
          stderr: outcome.stderr,
          database: clone.name,
        };
      } finally {
        if (!shared) dropLater(clone.name);
      }
    };

    let done = 0;
    let premade: Clone | null = first;
    let files: PgtapFileResult[];
    try {
      files = await mapConcurrently(options.files, jobs, async (file, index) => {
        const clone = premade;
        if (!shared) premade = null;
        const result = await runFile(file, index, clone);
        done += 1;
        progress({ type: 'file_end', result, index, done, total: options.files.length });
        return result;
      });
    } finally {
      if (premade !== null) dropLater((premade as Clone).name);
      for (const unused of await pool.leftovers()) dropLater(unused.name);
      await Promise.all(drops);
    }
    const diskFull = diskFullIn(files);
    if (diskFull) throw diskFull;
    const totals = totalsOf(files);
    return {
      ok: files.every((file) => file.status === 'passed'),
      noFiles: null,
      files,
      totals,
      durationMs: performance.now() - started,
      jobs,
      timeoutMs,
      cloneStrategy: strategy,
      template: templateName,
      pgtapSchema,
      startedAt: startedAt.toISOString(),
    };
  } finally {
    await admin.dispose();
  }
}
