/**
 * The oracle for `where` rules: a second formulation of who may do what,
 * independent of the policies. The rule's SQL is evaluated as the superuser
 * (RLS does not apply) with the actor's claims set, so auth.uid() and
 * auth.jwt() answer as they would for the actor, and the rule may read any
 * table. For INSERT and UPDATE it sees the new row as the database would
 * store it (defaults, triggers and generated columns applied: the statement
 * runs as the superuser in a subtransaction that is rolled back); for
 * UPDATE `old` is the row before.
 */
import { sql, type SQLQuery } from '@databases/pg';
import { renderSql } from './literal.ts';
import type { OracleRequest } from './probe.ts';
import { keyCondition, keyExpression } from './rows/index.ts';

const raw = (text: string): SQLQuery => sql.__dangerous__rawValue(text);

export interface OracleTarget {
  readonly schema: string;
  readonly name: string;
  readonly keyColumns: readonly string[];
}

/** The rows of `target` the rule allows, by key. */
export function selectOracle(target: OracleTarget, where: string): OracleRequest {
  return { select: renderSql(sql`select ${keyExpression('row', target.keyColumns)} from ${sql.ident(target.schema, target.name)} as row where coalesce((${raw(where)}), false)`) };
}

function check(target: OracleTarget, where: string): string {
  const type = sql.ident(target.schema, target.name);
  return renderSql(sql`select coalesce((${raw(where)}), false) from jsonb_populate_record(null::${type}, $1) as row, jsonb_populate_record(null::${type}, $2) as old`);
}

function oldRow(target: OracleTarget, condition: SQLQuery): string {
  return renderSql(sql`select to_jsonb(row.*) from ${sql.ident(target.schema, target.name)} as row where ${condition}`);
}

/** INSERT: the statement's row as stored (`insert into ... as row ... returning to_jsonb(row.*)`). */
export function insertOracle(target: OracleTarget, insertWithAlias: SQLQuery, where: string | null): OracleRequest {
  return { write: renderSql(sql`${insertWithAlias} returning to_jsonb(row.*)`), ...(where !== null ? { check: check(target, where) } : {}) };
}

/**
 * UPDATE: the row before and after the statement. With `where` null only the
 * superuser's attempt runs: it tells whether the database refuses the change
 * for everyone (a constraint or trigger), whatever the access rules say.
 */
export function updateOracle(target: OracleTarget, condition: SQLQuery, set: SQLQuery, where: string | null): OracleRequest {
  const relation = sql.ident(target.schema, target.name);
  return {
    ...(where !== null ? { old: oldRow(target, condition), check: check(target, where) } : {}),
    write: renderSql(sql`update ${relation} as row set ${set} where ${condition} returning to_jsonb(row.*)`),
  };
}

/** DELETE: the row as it is. */
export function deleteOracle(target: OracleTarget, condition: SQLQuery, where: string): OracleRequest {
  return { old: oldRow(target, condition), check: check(target, where) };
}

/** The row with this key (and partition key value, so the planner prunes partitions), over alias `row`. */
export function rowCondition(keyColumns: readonly string[], key: string, partition?: { readonly column: string; readonly value: string }): SQLQuery {
  const byKey = keyCondition(keyColumns, key, 'row');
  return partition ? sql`${byKey} and ${sql.ident('row', partition.column)} = ${partition.value}` : byKey;
}

/** A statement that fails when the rule is not valid SQL over the relation (run with LIMIT 0). */
export function whereValidation(target: OracleTarget, where: string): SQLQuery {
  const relation = sql.ident(target.schema, target.name);
  return sql`select coalesce((${raw(where)}), false) from ${relation} as row, ${relation} as old limit 0`;
}

/**
 * An UPDATE without WHERE: the rows the rule allows to change, each judged
 * with `row` = the row with the SET applied (literal values) and `old` = the
 * row as it is.
 */
export function blindUpdateOracle(target: OracleTarget, set: Readonly<Record<string, string>>, where: string): OracleRequest {
  const relation = sql.ident(target.schema, target.name);
  return {
    select: renderSql(
      sql`select ${keyExpression('old', target.keyColumns)} from ${relation} as old, jsonb_populate_record(old, ${JSON.stringify(set)}::jsonb) as row where coalesce((${raw(where)}), false)`,
    ),
  };
}
