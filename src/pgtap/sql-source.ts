/**
 * Just enough of a SQL lexer to point at lines in a pgTAP file: split it into
 * statements the way psql does (quotes, dollar quotes, comments, psql
 * meta-commands) and collect string literals with their lines.
 */

export interface SqlLiteral {
  /** The literal's value (quotes removed, escapes decoded). */
  readonly value: string;
  /** 1-based line of the opening quote. */
  readonly line: number;
}

export interface SqlStatement {
  /** 1-based line of the statement's first token (comments and blank lines before it excluded). */
  readonly startLine: number;
  /** 1-based line of the terminating `;` (or the last line, for an unterminated tail or a meta-command). */
  readonly endLine: number;
  readonly literals: readonly SqlLiteral[];
}

export interface SqlSource {
  readonly lines: readonly string[];
  readonly statements: readonly SqlStatement[];
}

const identifierChar = /[A-Za-z0-9_$]/;
const dollarTag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

function decodeEscapeString(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_match, code: string) => {
    if (code.startsWith('x') && code.length > 1) return String.fromCharCode(parseInt(code.slice(1), 16));
    if (/^[0-7]+$/.test(code)) return String.fromCharCode(parseInt(code, 8));
    switch (code) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      default:
        return code;
    }
  });
}

export function scanSql(text: string): SqlSource {
  const statements: SqlStatement[] = [];
  let line = 1;
  let index = 0;
  let startLine: number | null = null;
  let literals: SqlLiteral[] = [];
  let atLineStart = true;

  const advance = (count: number): void => {
    for (let i = 0; i < count && index < text.length; i += 1) {
      if (text[index] === '\n') line += 1;
      index += 1;
    }
  };
  const finish = (endLine: number): void => {
    if (startLine !== null) statements.push({ startLine, endLine, literals });
    startLine = null;
    literals = [];
  };
  const begin = (): void => {
    startLine ??= line;
  };

  while (index < text.length) {
    const char = text[index] as string;
    const next = text[index + 1];
    const wasAtLineStart: boolean = atLineStart;
    atLineStart = false;
    if (char === '\n') {
      atLineStart = true;
      advance(1);
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r') {
      atLineStart = wasAtLineStart;
      advance(1);
      continue;
    }
    if (char === '-' && next === '-') {
      const end = text.indexOf('\n', index);
      advance((end === -1 ? text.length : end) - index);
      continue;
    }
    if (char === '/' && next === '*') {
      let depth = 0;
      do {
        if (text.startsWith('/*', index)) {
          depth += 1;
          advance(2);
        } else if (text.startsWith('*/', index)) {
          depth -= 1;
          advance(2);
        } else advance(1);
      } while (depth > 0 && index < text.length);
      continue;
    }
    if (char === '\\' && startLine === null && wasAtLineStart) {
      // A psql meta-command outside a statement: it runs on its own, up to the end of the line.
      const metaLine = line;
      const end = text.indexOf('\n', index);
      advance((end === -1 ? text.length : end) - index);
      statements.push({ startLine: metaLine, endLine: metaLine, literals: [] });
      continue;
    }
    if (char === ';') {
      begin();
      finish(line);
      advance(1);
      continue;
    }
    if (char === "'") {
      begin();
      const previous = index > 0 ? (text[index - 1] as string) : '';
      const escapeString = (previous === 'E' || previous === 'e') && (index < 2 || !identifierChar.test(text[index - 2] as string));
      const literalLine = line;
      advance(1);
      let body = '';
      while (index < text.length) {
        const current = text[index] as string;
        if (escapeString && current === '\\') {
          body += current + (text[index + 1] ?? '');
          advance(2);
          continue;
        }
        if (current === "'") {
          if (text[index + 1] === "'") {
            body += escapeString ? "\\'" : "'";
            advance(2);
            continue;
          }
          advance(1);
          break;
        }
        body += current;
        advance(1);
      }
      literals.push({ value: escapeString ? decodeEscapeString(body) : body, line: literalLine });
      continue;
    }
    if (char === '"') {
      begin();
      advance(1);
      while (index < text.length) {
        if (text[index] === '"') {
          if (text[index + 1] === '"') {
            advance(2);
            continue;
          }
          advance(1);
          break;
        }
        advance(1);
      }
      continue;
    }
    if (char === '$' && (index === 0 || !identifierChar.test(text[index - 1] as string))) {
      const match = dollarTag.exec(text.slice(index, index + 80));
      if (match) {
        begin();
        const tag = match[0];
        const close = text.indexOf(tag, index + tag.length);
        advance((close === -1 ? text.length : close + tag.length) - index);
        continue;
      }
    }
    begin();
    advance(1);
  }
  finish(line);
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
  const needle = excerpt.replace(/^\.\.\./, '').replace(/\.\.\.$/, '').trim();
  if (needle === '') return null;
  const statement =
    source.statements.find((candidate) => candidate.endLine === psqlLine) ??
    source.statements.find((candidate) => candidate.startLine <= psqlLine && candidate.endLine >= psqlLine);
  const earliest = statement ? statement.startLine : Math.max(1, psqlLine - 200);
  for (let current = psqlLine; current >= earliest; current -= 1) {
    if ((source.lines[current - 1] ?? '').includes(needle)) return current;
  }
  return null;
}
