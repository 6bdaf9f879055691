/**
 * Our own file lint: row-level security belongs in policies/ (re-applied,
 * idempotent, reviewed as one file per area), never in the migrations.
 */
import type { LintDoc } from '../types.ts';
import { lineAndColumn } from '../../sql/index.ts';
import { stripSqlNoise } from './strip-sql.ts';

export const policyInMigrations: LintDoc = {
  name: 'policy_in_migrations',
  title: 'Row-level security in a migration',
  level: 'error',
  categories: ['security', 'safety'],
  description:
    'A migration file (sql/) that creates, alters or drops a policy, or enables, disables, forces or unforces row-level security. Comments and string literals are ignored; function and DO bodies are checked.',
  rationale:
    'Policies live in policies/, one idempotent file per area, re-applied after every migration run: that is where a reviewer reads the access rules and where the mutation self-test swaps them. A policy in a migration is applied once, drifts from policies/ and is invisible to that review.',
  remediation:
    "Move the statement to the area's file in policies/ (with `drop policy if exists ... ;` before `create policy ...`) and delete it from the migration (in a new migration if the old one is already applied).",
  scope: 'Every .sql file in the migrations directory.',
  source: 'migration_files',
  query: null,
};

const pattern = /\b(create\s+policy|alter\s+policy|drop\s+policy|(?:enable|disable|force|no\s+force)\s+row\s+level\s+security)\b/gi;

export interface PolicyStatement {
  readonly line: number;
  readonly column: number;
  readonly statement: string;
}

/** Where `script` manages RLS (1-based line/column), ignoring comments and strings. */
export function findPolicyStatements(script: string): PolicyStatement[] {
  const code = stripSqlNoise(script);
  const found: PolicyStatement[] = [];
  for (const match of code.matchAll(pattern)) {
    const { line, column } = lineAndColumn(code, match.index);
    found.push({ line, column, statement: (match[1] as string).replace(/\s+/g, ' ').toLowerCase() });
  }
  return found;
}
