import type { SourceLocation } from '../errors/index.ts';
import { excerpt, lineAndColumn, offsetOfCharacter, splitStatements, tokenize } from '../sql/index.ts';

/**
 * What is sent for a file: its text, less a leading UTF-8 byte order mark
 * (psql skips it too; the server would read it as part of the first word).
 * `offset` is where the sent text starts in the file (0 or 1).
 */
export function sentText(script: string): { readonly text: string; readonly offset: number } {
  return script.startsWith('\uFEFF') ? { text: script.slice(1), offset: 1 } : { text: script, offset: 0 };
}

export function locationAt(file: string, text: string, offset: number): SourceLocation {
  const { line, column } = lineAndColumn(text, offset);
  return { file, line, column, excerpt: excerpt(text, line, column) };
}

/**
 * Where an error in a file sent whole happened. `position` is the server's
 * (1-based, in characters of the sent text, which is the whole file less a
 * BOM); without one, `completed` (statements the server finished before the
 * error) names the failing statement, which is the next one as the lexer
 * cuts the file. Null when neither is known.
 */
export function locateInScript(file: string, script: string, position: number | null, completed: number | null): SourceLocation | null {
  const sent = sentText(script);
  if (position !== null) return locationAt(file, script, sent.offset + offsetOfCharacter(sent.text, position));
  if (completed === null) return null;
  // The server skips empty statements (a lone `;`); so do we.
  const statements = splitStatements(tokenize(script)).filter((statement) => statement.tokens.some((token) => token.kind !== 'semicolon'));
  const failing = statements[completed];
  return failing ? locationAt(file, script, failing.start) : null;
}
