import type { SourceLocation } from '../errors/index.ts';

/**
 * Map a Postgres error position back to file:line:col. @databases runs a file
 * statement by statement, so `position` (1-based) is relative to the failing
 * statement's text, which we locate inside the file.
 */
export function locateInFile(
  file: string,
  fileText: string,
  statementText: string | null,
  position: number | null,
): SourceLocation | null {
  let offset = 0;
  if (statementText !== null) {
    const found = fileText.indexOf(statementText);
    const trimmed = statementText.trim();
    const foundTrimmed = found >= 0 ? found : fileText.indexOf(trimmed);
    if (foundTrimmed < 0) return null;
    offset = foundTrimmed + (found >= 0 ? 0 : -statementText.indexOf(trimmed));
  }
  const absolute = position !== null && position > 0 ? offset + position - 1 : offset + leadingSpace(statementText);
  return locationAt(file, fileText, absolute);
}

function leadingSpace(text: string | null): number {
  if (text === null) return 0;
  // skip whitespace and comment lines so the location points at the statement itself
  const match = /^(?:\s|--[^\n]*\n)*/.exec(text);
  return match ? match[0].length : 0;
}

export function locationAt(file: string, text: string, offset: number): SourceLocation {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { file, line, column, excerpt: excerpt(text, line, column) };
}

export function excerpt(text: string, line: number, column: number, context = 2): string {
  const lines = text.split('\n');
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}
