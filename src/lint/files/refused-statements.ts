/**
 * File lint: statements `migrate` refuses (transaction control, statements
 * that cannot run inside a transaction block, psql meta-commands), reported
 * with file:line:col for migrations and policy files alike. The finding and
 * the migrate error come from the same function (findRefusedStatements), so
 * `lint` and `migrate` cannot disagree.
 */
import type { LintDoc } from '../types.ts';

export const refusedStatementLint: LintDoc = {
  name: 'transaction_control_in_migration',
  title: 'Transaction control or non-transactional statement in a migration',
  level: 'error',
  categories: ['safety'],
  description:
    'A migration or policy file containing BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE or PREPARE TRANSACTION; a statement that cannot run inside a transaction block (CREATE/DROP/REINDEX ... CONCURRENTLY, VACUUM, CREATE/DROP DATABASE, tablespaces, ALTER SYSTEM, DISCARD ALL); or a psql meta-command (\\i, \\set, \\connect, ...). Words in comments, string constants, quoted identifiers and function or DO bodies do not count.',
  rationale:
    'schemaproof applies every pending migration and then every policy file in ONE transaction, so that a failure anywhere leaves the database as it was. A COMMIT or ROLLBACK in a file would end that transaction half-way and keep (or drop) the earlier files with their bookkeeping, even under --dry-run; the other statements fail inside a transaction, and meta-commands are psql syntax the server never sees as psql would run it. `migrate` refuses such a file before running anything (exit 5).',
  remediation:
    'Delete transaction control (the run is already one transaction); drop CONCURRENTLY or move the statement out of the migrations (maintenance, server configuration); write the SQL of an included file instead of \\i and drop \\set lines.',
  scope: 'Every .sql file in the migrations and policies directories.',
  source: 'migration_files',
  query: null,
};
