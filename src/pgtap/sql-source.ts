/**
 * Where things are in a pgTAP file: its statements as psql cuts them (quotes,
 * dollar quotes, comments, psql meta-commands) with the string literals in
 * each and their lines. The tokens and statements come from the one SQL
 * lexer (src/sql).
 */
import { lineLocator, splitStatements, stringValue, tokenize } from '../sql/index.ts';

export interface SqlLiteral {
  /** The literal's value (quotes removed, escapes decoded). */
  readonly value: string;
  /** 1-based line of the opening quote. */
  readonly line: number;
}

export interface SqlStatement {
  /** 1-based line of the statement's first token (comments and blank lines before it excluded). */
  readonly startLine: number;
  /** 1-based line of the terminating `;` (or of the last token, for an unterminated tail or a meta-command). */
  readonly endLine: number;
  readonly literals: readonly SqlLiteral[];
}

export interface SqlSource {
  readonly lines: readonly string[];
  readonly statements: readonly SqlStatement[];
}

export function scanSql(text: string): SqlSource {
  const lineOf = lineLocator(text);
  const statements = splitStatements(tokenize(text)).map((statement) => ({
    startLine: lineOf(statement.start),
    endLine: lineOf(Math.max(statement.start, statement.end - 1)),
    literals: statement.tokens.filter((token) => token.kind === 'string' && token.prefix !== 'B' && token.prefix !== 'X').map((token) => ({ value: stringValue(token), line: lineOf(token.start) })),
  }));
  return { lines: text.split('\n'), statements };
}

/**
 * The line of the statement whose string literals include `description`.
 * `occurrence` (0-based) picks among several statements with the same text,
 * in file order; with a single candidate it is used whatever the occurrence.
 */
export function findDescriptionLine(source: SqlSource, description: string, occurrence: number): number | null {
  if (description.trim() === '') return null;
  const candidates = source.statements.filter((statement) => statement.literals.some((literal) => literal.value === description));
  if (candidates.length === 1) return (candidates[0] as SqlStatement).startLine;
  const chosen = candidates[occurrence];
  return chosen ? chosen.startLine : null;
}

/**
 * Map a psql error to the line the server pointed at. psql reports the line
 * where the statement ended; the server's `LINE n: text` excerpt is searched
 * for from there back to the statement's start.
 */
export function findErrorLine(source: SqlSource, psqlLine: number, excerpt: string | null): number | null {
  if (excerpt === null) return null;
  const needle = excerpt
    .replace(/^\.\.\./, '')
    .replace(/\.\.\.$/, '')
    .trim();
  if (needle === '') return null;
  const statement = source.statements.find((candidate) => candidate.endLine === psqlLine) ?? source.statements.find((candidate) => candidate.startLine <= psqlLine && candidate.endLine >= psqlLine);
  const earliest = statement ? statement.startLine : Math.max(1, psqlLine - 200);
  for (let current = psqlLine; current >= earliest; current -= 1) {
    if ((source.lines[current - 1] ?? '').includes(needle)) return current;
  }
  return null;
}
