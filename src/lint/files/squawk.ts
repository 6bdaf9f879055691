/**
 * Migration-file safety lints from squawk (https://squawkhq.com): run the
 * binary with `--reporter json` on the migration files, map each violation to
 * a finding named `squawk/<rule-name>` with file:line. Which squawk rules run
 * is decided in `.squawk.toml` at the project root (passed with --config).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { SchemaproofError } from '../../errors/index.ts';
import type { LintDoc, LintLevel } from '../types.ts';

export const squawkLint: LintDoc = {
  name: 'squawk',
  title: 'Migration safety (squawk)',
  level: 'warn',
  categories: ['safety'],
  description:
    "squawk's rules on each migration file: statements that take long or strong locks on existing tables (index builds without CONCURRENTLY, NOT NULL columns without a default, type changes, unvalidated constraints), destructive or breaking changes (drops, renames), and missing lock_timeout. Findings are named squawk/<rule-name>; which rules run is set in .squawk.toml.",
  rationale:
    'A migration that is correct can still take the application down: an ACCESS EXCLUSIVE lock queued behind one long query blocks every read and write after it. These problems are visible in the SQL text before the migration ever runs.',
  remediation:
    "Follow the rule's help text: e.g. `set lock_timeout = '5s';` at the top of the migration; `alter table t add column c text;` then backfill, then `set not null` via a validated CHECK; build indexes on large live tables with `create index concurrently` outside the migration transaction.",
  scope: 'Every .sql file in the migrations directory, with the rules and Postgres version from .squawk.toml.',
  source: 'migration_files',
  query: null,
};

/**
 * Default levels: rules that block reads/writes on an existing table,
 * rewrite it, or break running clients are errors; style and hygiene rules
 * (prefer-*, require-lock-timeout, require-table-schema) and squawk's own
 * parse failures (the migration did apply, so its parser is the one at
 * fault) are warnings. `severities['squawk/<rule>']` overrides, then
 * `severities['squawk']`.
 */
const errorRules: ReadonlySet<string> = new Set([
  'adding-field-with-default',
  'adding-foreign-key-constraint',
  'adding-not-nullable-field',
  'adding-primary-key-constraint',
  'adding-required-field',
  'adding-serial-primary-key-field',
  'ban-alter-domain-with-add-constraint',
  'ban-concurrent-index-creation-in-transaction',
  'ban-drop-column',
  'ban-drop-database',
  'ban-drop-not-null',
  'ban-drop-table',
  'ban-truncate-cascade',
  'ban-uncommitted-transaction',
  'changing-column-type',
  'constraint-missing-not-valid',
  'disallowed-unique-constraint',
  'renaming-column',
  'renaming-table',
  'require-concurrent-index-creation',
  'require-concurrent-index-deletion',
  'transaction-nesting',
]);

/** Concrete fixes for the rules this project meets most; squawk's own help text is appended. */
const remediations: Readonly<Record<string, string>> = {
  'require-lock-timeout':
    "Make `set local lock_timeout = '5s';` the file's first statement (LOCAL: it ends with the migration's transaction), so a blocked lock fails fast instead of queueing every query behind it.",
  'require-concurrent-index-creation':
    'On a large live table build it with `create index concurrently if not exists ...` outside the migration transaction (CONCURRENTLY cannot run inside one), then keep `create index if not exists ...` in the migration; on a small table suppress the finding with the row count as the reason.',
  'adding-required-field':
    'Add the column nullable (or with a constant default), backfill, then `alter table t add constraint t_c_not_null check (c is not null) not valid; alter table t validate constraint t_c_not_null; alter table t alter column c set not null;`.',
  'adding-not-nullable-field':
    'Use a validated CHECK first: `alter table t add constraint t_c_not_null check (c is not null) not valid;` then `alter table t validate constraint t_c_not_null;` then `set not null` (Postgres 12+ skips the scan).',
  'constraint-missing-not-valid': 'Add it `not valid`, then `alter table t validate constraint c;` in a later migration (VALIDATE takes a weaker lock).',
  'adding-foreign-key-constraint': 'Add it `not valid`, then `alter table t validate constraint c;` in a later migration.',
  'disallowed-unique-constraint': '`create unique index concurrently t_c_key on t (c);` then `alter table t add constraint t_c_key unique using index t_c_key;`.',
  'changing-column-type': 'Add a new column of the new type, backfill it, switch readers and writers, then drop the old column (expand, migrate, contract).',
  'ban-drop-column': 'Stop reading and writing the column in every client first; drop it in a later release.',
  'renaming-column': 'Add the new column, dual-write, backfill, switch readers, drop the old one; or expose the new name through a view.',
  'renaming-table': 'Create the new name as a view over the old table (or the reverse) while clients move.',
};

export function squawkRemediation(rule: string, help: string | null): string {
  const ours = remediations[rule];
  if (ours && help) return `${ours} (squawk: ${help})`;
  return ours ?? help ?? squawkLint.remediation;
}

export function defaultSquawkLevel(rule: string): LintLevel {
  return errorRules.has(rule) ? 'error' : 'warn';
}

export interface SquawkViolation {
  readonly rule: string;
  /** Relative to the project root. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly message: string;
  readonly help: string | null;
  readonly squawkLevel: string;
}

export interface SquawkRun {
  readonly binary: string;
  readonly version: string | null;
  readonly configFile: string | null;
  readonly violations: readonly SquawkViolation[];
}

/** The squawk binary: explicit path, else the platform package next to the harness or the project, else null. */
export function findSquawkBinary(root: string, explicit?: string): string | null {
  if (explicit) return existsSync(explicit) ? explicit : null;
  const candidates: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    candidates.push(join(dirname(require.resolve('@squawk-cli/linux-x64/package.json')), 'bin', 'squawk'));
  } catch {
    // not installed next to the harness
  }
  candidates.push(join(root, 'node_modules', '@squawk-cli', 'linux-x64', 'bin', 'squawk'));
  for (const directory of (process.env.PATH ?? '').split(':').filter(Boolean)) candidates.push(join(directory, 'squawk'));
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

function run(binary: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(binary, args as string[], { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        if (error.killed) reject(new SchemaproofError({ code: 'timeout', what: 'squawk', timeoutMs }));
        else
          reject(
            new SchemaproofError({
              code: 'tool_missing',
              tool: 'squawk',
              hint: `it could not be started (${error.message.split('\n')[0]}); reinstall @squawk-cli/linux-x64 or set lint.squawk to false`,
            }),
          );
        return;
      }
      resolve({ code: error && typeof error.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

interface RawViolation {
  readonly file?: unknown;
  readonly line?: unknown;
  readonly column?: unknown;
  readonly message?: unknown;
  readonly help?: unknown;
  readonly rule_name?: unknown;
  readonly level?: unknown;
}

/** Parse squawk's JSON report (0-based line and column) into 1-based violations relative to `root`. */
export function parseSquawkReport(stdout: string, cwd: string, root: string): SquawkViolation[] {
  const parsed: unknown = JSON.parse(stdout.trim() === '' ? '[]' : stdout);
  if (!Array.isArray(parsed)) throw new Error('squawk printed JSON that is not a list of violations');
  return (parsed as RawViolation[]).map((raw) => {
    const file = String(raw.file ?? '');
    const absolute = file.startsWith('/') ? file : join(cwd, file);
    return {
      rule: String(raw.rule_name ?? 'unknown'),
      file: relative(root, absolute) || absolute,
      line: Number(raw.line ?? 0) + 1,
      column: Number(raw.column ?? 0) + 1,
      message: String(raw.message ?? ''),
      help: typeof raw.help === 'string' && raw.help !== '' ? raw.help : null,
      squawkLevel: String(raw.level ?? 'Warning'),
    };
  });
}

export interface SquawkOptions {
  readonly root: string;
  /** Absolute paths of the files to check. */
  readonly files: readonly string[];
  readonly binary?: string;
  /** Default: `<root>/.squawk.toml` when it exists. */
  readonly configFile?: string | null;
  readonly timeoutMs?: number;
}

export async function runSquawk(options: SquawkOptions): Promise<SquawkRun> {
  const binary = findSquawkBinary(options.root, options.binary);
  if (!binary) {
    throw new SchemaproofError({
      code: 'tool_missing',
      tool: 'squawk',
      hint: 'install the optional dependency @squawk-cli/linux-x64 (npm install) or put squawk on PATH; or set lint.squawk to false in the config',
    });
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const defaultConfig = join(options.root, '.squawk.toml');
  const configFile = options.configFile === undefined ? (existsSync(defaultConfig) ? defaultConfig : null) : options.configFile;
  const versionRun = await run(binary, ['--version'], options.root, timeoutMs);
  const version = /(\d+\.\d+\.\d+)/.exec(versionRun.stdout)?.[1] ?? null;
  if (options.files.length === 0) return { binary, version, configFile, violations: [] };
  // squawk looks for .squawk.toml in its working directory and upwards. With
  // our config we run in the root with relative paths; without one we run in
  // an empty temp directory with absolute paths, so no stray config applies.
  const cwd = configFile ? options.root : mkdtempSync(join(tmpdir(), 'schemaproof-squawk-'));
  const paths = configFile ? options.files.map((file) => relative(options.root, file)) : options.files;
  const args = ['--reporter', 'json', ...(configFile ? ['--config', configFile] : []), ...paths];
  let result: { code: number; stdout: string; stderr: string };
  try {
    result = await run(binary, args, cwd, timeoutMs);
  } finally {
    if (!configFile) rmSync(cwd, { recursive: true, force: true });
  }
  let violations: SquawkViolation[];
  try {
    violations = parseSquawkReport(result.stdout, cwd, options.root);
  } catch (error) {
    const why = result.stderr.trim().split('\n')[0] || (error as Error).message;
    throw new SchemaproofError({ code: 'tool_missing', tool: 'squawk', hint: `it failed (exit ${result.code}): ${why}; check .squawk.toml` });
  }
  return { binary, version, configFile, violations };
}
