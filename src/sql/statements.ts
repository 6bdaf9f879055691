/**
 * Statements as psql cuts a script: a `;` ends a statement unless it is
 * inside parentheses (`create rule ... do (insert ...; insert ...)`) or
 * inside the `BEGIN ... END` body of `CREATE [OR REPLACE] FUNCTION |
 * PROCEDURE` (SQL-standard bodies, `begin atomic ... end`), where psql counts
 * BEGIN/CASE against END the same way. A psql meta-command is a statement of
 * its own. The harness never sends these pieces one by one (a file reaches
 * the server whole); they are for pointing at things: a refused statement, a
 * pgTAP assertion's line.
 */
import { isTrivia, keyword, tokenize, type Token } from './lexer.ts';

export interface Statement {
  /** Offset of the first token that is not whitespace or a comment. */
  readonly start: number;
  /** Offset after the terminating `;` (or after the last token of an unterminated tail or a meta-command). */
  readonly end: number;
  /** The statement's tokens without whitespace and comments, the closing `;` included. */
  readonly tokens: readonly Token[];
  readonly terminated: boolean;
  /** A psql meta-command (`\i file`, `\set x 1`, ...). */
  readonly metaCommand: boolean;
}

interface FunctionHeader {
  /** First letters of the leading CREATE / OR / REPLACE / FUNCTION / PROCEDURE words, psql's heuristic. */
  letters: string;
  words: number;
}

function startsFunctionDefinition(header: FunctionHeader): boolean {
  const letters = header.letters;
  return letters.startsWith('cf') || letters.startsWith('cp') || letters.startsWith('corf') || letters.startsWith('corp');
}

export function splitStatements(input: string | readonly Token[]): Statement[] {
  const tokens = typeof input === 'string' ? tokenize(input) : input;
  const statements: Statement[] = [];
  let current: Token[] = [];
  let parenDepth = 0;
  let beginDepth = 0;
  let header: FunctionHeader = { letters: '', words: 0 };
  const finish = (terminated: boolean): void => {
    if (current.length > 0) {
      const first = current[0] as Token;
      const last = current[current.length - 1] as Token;
      statements.push({ start: first.start, end: last.end, tokens: current, terminated, metaCommand: false });
    }
    current = [];
    parenDepth = 0;
    beginDepth = 0;
    header = { letters: '', words: 0 };
  };
  for (const token of tokens) {
    if (isTrivia(token)) continue;
    if (token.kind === 'meta_command') {
      finish(false);
      statements.push({ start: token.start, end: token.end, tokens: [token], terminated: true, metaCommand: true });
      continue;
    }
    current.push(token);
    if (token.kind === 'open_paren') parenDepth += 1;
    else if (token.kind === 'close_paren' && parenDepth > 0) parenDepth -= 1;
    else if (token.kind === 'identifier') {
      const word = keyword(token) as string;
      if (header.words < 4 && ['create', 'function', 'procedure', 'or', 'replace'].includes(word) && header.letters.length === header.words) header.letters += word[0];
      header.words += 1;
      if (startsFunctionDefinition(header) && parenDepth === 0) {
        if (word === 'begin') beginDepth += 1;
        else if (word === 'case' && beginDepth >= 1) beginDepth += 1;
        else if (word === 'end' && beginDepth > 0) beginDepth -= 1;
      }
    } else if (token.kind === 'semicolon' && parenDepth === 0 && beginDepth === 0) finish(true);
  }
  finish(false);
  return statements;
}

/** The first `count` keywords of a statement (lower case; null where the token is not an identifier). */
export function leadingKeywords(statement: Statement, count: number): (string | null)[] {
  return statement.tokens.slice(0, count).map((token) => keyword(token));
}
