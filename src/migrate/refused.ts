/**
 * Statements a migration or policy file may not contain, found before
 * anything is sent. A run is ONE transaction: transaction control in a file
 * (`COMMIT`, `ROLLBACK`, `BEGIN`, `SAVEPOINT`, ...) would end it half-way,
 * committing earlier files and their bookkeeping even under --dry-run;
 * statements that cannot run inside a transaction block (`CREATE INDEX
 * CONCURRENTLY`, `VACUUM`, `CREATE DATABASE`, ...) fail there with a message
 * that does not say why; psql meta-commands (`\i`, `\set`) are not SQL at all
 * (the server receives the file as written, without psql in between).
 *
 * Statements and tokens come from the one SQL lexer (src/sql), so words in
 * comments, string constants, quoted identifiers and dollar-quoted bodies
 * (functions, DO blocks) never count.
 */
import { keyword, lineAndColumn, splitStatements, tokenize, type Statement, type Token } from '../sql/index.ts';

export type RefusalKind = 'transaction_control' | 'not_in_transaction' | 'psql_meta_command';

export interface RefusedStatement {
  /** 1-based line and column (characters) of the statement's first token. */
  readonly line: number;
  readonly column: number;
  /** UTF-16 offset in the file text. */
  readonly offset: number;
  /** The statement as named in messages, e.g. `COMMIT`, `CREATE INDEX CONCURRENTLY`, `\i`. */
  readonly statement: string;
  readonly kind: RefusalKind;
  /** Why it cannot be in a migration. */
  readonly why: string;
  /** What to do instead. */
  readonly remedy: string;
}

interface Rule {
  readonly statement: string;
  readonly kind: RefusalKind;
  readonly matches: (words: readonly (string | null)[], statement: Statement) => boolean;
  readonly remedy: string;
}

const endsTheRun =
  'the run is one transaction (every pending migration, then every policy file, with the bookkeeping): this statement would end it half-way, keeping or discarding the earlier files on its own, even under --dry-run';
const cannotRunInTransaction = "it cannot run inside a transaction block, and every file runs inside the run's one transaction";
const removeTransactionControl = 'delete it: schemaproof already runs the whole set in one transaction, and a failure anywhere rolls everything back';

function concurrentlyAfter(words: readonly (string | null)[], position: number): boolean {
  return words[position] === 'concurrently';
}

/** `reindex [(options)] kind [concurrently] name`: the option list may say `concurrently [true|false|on|off|1|0]`. */
function reindexConcurrently(statement: Statement): boolean {
  const tokens = statement.tokens;
  for (let index = 1; index < tokens.length; index += 1) {
    if (keyword(tokens[index]) !== 'concurrently') continue;
    const next = tokens[index + 1] as Token | undefined;
    const value = next?.kind === 'number' ? next.text : keyword(next);
    return !(value === 'false' || value === 'off' || value === '0');
  }
  return false;
}

const rules: readonly Rule[] = [
  { statement: 'BEGIN', kind: 'transaction_control', matches: (w) => w[0] === 'begin', remedy: removeTransactionControl },
  { statement: 'START TRANSACTION', kind: 'transaction_control', matches: (w) => w[0] === 'start' && w[1] === 'transaction', remedy: removeTransactionControl },
  { statement: 'COMMIT', kind: 'transaction_control', matches: (w) => w[0] === 'commit', remedy: removeTransactionControl },
  { statement: 'END', kind: 'transaction_control', matches: (w) => w[0] === 'end', remedy: removeTransactionControl },
  { statement: 'ROLLBACK', kind: 'transaction_control', matches: (w) => w[0] === 'rollback', remedy: removeTransactionControl },
  { statement: 'ABORT', kind: 'transaction_control', matches: (w) => w[0] === 'abort', remedy: removeTransactionControl },
  { statement: 'SAVEPOINT', kind: 'transaction_control', matches: (w) => w[0] === 'savepoint', remedy: removeTransactionControl },
  { statement: 'RELEASE', kind: 'transaction_control', matches: (w) => w[0] === 'release', remedy: removeTransactionControl },
  { statement: 'PREPARE TRANSACTION', kind: 'transaction_control', matches: (w) => w[0] === 'prepare' && w[1] === 'transaction', remedy: removeTransactionControl },
  {
    statement: 'CREATE INDEX CONCURRENTLY',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'create' && ((w[1] === 'index' && concurrentlyAfter(w, 2)) || (w[1] === 'unique' && w[2] === 'index' && concurrentlyAfter(w, 3))),
    remedy:
      'drop CONCURRENTLY here (a new or small table is locked only for the build), or build the index concurrently outside the migration run on a large live table and keep `create index if not exists ...` in the migration',
  },
  {
    statement: 'DROP INDEX CONCURRENTLY',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'drop' && w[1] === 'index' && concurrentlyAfter(w, 2),
    remedy: 'drop CONCURRENTLY here, or drop the index concurrently outside the migration run and keep `drop index if exists ...` in the migration',
  },
  {
    statement: 'REINDEX CONCURRENTLY',
    kind: 'not_in_transaction',
    matches: (w, statement) => w[0] === 'reindex' && reindexConcurrently(statement),
    remedy: 'reindexing is maintenance, not schema: run it outside the migrations (or drop CONCURRENTLY)',
  },
  {
    statement: 'REINDEX DATABASE / SYSTEM',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'reindex' && (w.includes('database') || w.includes('system')),
    remedy: 'reindexing is maintenance, not schema: run it outside the migrations',
  },
  { statement: 'VACUUM', kind: 'not_in_transaction', matches: (w) => w[0] === 'vacuum', remedy: 'remove it from the migration and run VACUUM as maintenance (a plain `analyze table` may stay)' },
  {
    statement: 'CREATE DATABASE',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'create' && w[1] === 'database',
    remedy: 'create databases outside the migrations; a migration changes the database it is applied to',
  },
  {
    statement: 'DROP DATABASE',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'drop' && w[1] === 'database',
    remedy: 'drop databases outside the migrations; a migration changes the database it is applied to',
  },
  {
    statement: 'ALTER DATABASE ... SET TABLESPACE',
    kind: 'not_in_transaction',
    matches: (w, statement) => w[0] === 'alter' && w[1] === 'database' && statement.tokens.some((token, index) => keyword(token) === 'set' && keyword(statement.tokens[index + 1]) === 'tablespace'),
    remedy: 'move the database outside the migrations',
  },
  {
    statement: 'CREATE TABLESPACE',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'create' && w[1] === 'tablespace',
    remedy: 'tablespaces are server configuration: create them outside the migrations',
  },
  {
    statement: 'DROP TABLESPACE',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'drop' && w[1] === 'tablespace',
    remedy: 'tablespaces are server configuration: drop them outside the migrations',
  },
  {
    statement: 'ALTER SYSTEM',
    kind: 'not_in_transaction',
    matches: (w) => w[0] === 'alter' && w[1] === 'system',
    remedy: "server settings are not schema: set them in postgresql.conf or the platform's settings (a database-level `alter database ... set` or `alter role ... set` may stay)",
  },
  { statement: 'DISCARD ALL', kind: 'not_in_transaction', matches: (w) => w[0] === 'discard' && w[1] === 'all', remedy: 'remove it: it resets the session, which a migration has no need to do' },
];

const metaRemedy =
  "write the SQL itself: put an included file's statements in this file or a migration of its own, and drop \\set / \\echo / ON_ERROR_STOP lines (an error always stops the run and rolls it back)";

/** Every refused statement in `script`, in file order. */
export function findRefusedStatements(script: string): RefusedStatement[] {
  const found: RefusedStatement[] = [];
  for (const statement of splitStatements(tokenize(script))) {
    const { line, column } = lineAndColumn(script, statement.start);
    if (statement.metaCommand) {
      const command = /^\\[^\s\\]*/.exec((statement.tokens[0] as Token).text)?.[0] ?? '\\';
      found.push({
        line,
        column,
        offset: statement.start,
        statement: command,
        kind: 'psql_meta_command',
        why: 'a psql meta-command, not SQL: psql runs it, while schemaproof sends the file to the server as written, which would reject it',
        remedy: metaRemedy,
      });
      continue;
    }
    const words = statement.tokens.slice(0, 6).map((token) => keyword(token));
    const rule = rules.find((candidate) => candidate.matches(words, statement));
    if (!rule) continue;
    found.push({
      line,
      column,
      offset: statement.start,
      statement: rule.statement,
      kind: rule.kind,
      why: rule.kind === 'transaction_control' ? endsTheRun : cannotRunInTransaction,
      remedy: rule.remedy,
    });
  }
  return found;
}
