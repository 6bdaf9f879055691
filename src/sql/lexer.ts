/**
 * The one SQL lexer of the harness. It cuts a script into tokens the way
 * Postgres 15's scanner (scan.l) and psql's (psqlscan.l) do, so that what is
 * code and what is text — comments, string constants, quoted identifiers,
 * dollar-quoted bodies, psql meta-commands — is decided once, here:
 *
 * - block comments nest (`/* /* *\/ *\/`); a `--` comment ends at CR or LF;
 * - `'...'` doubles its quote (standard_conforming_strings on, the default
 *   since 9.1); `E'...'` also takes backslash escapes (`\'`); `B''`, `X''`,
 *   `N''`, `U&''` and `U&""` are recognised only as whole tokens (`somE'x'`
 *   is the identifier `somE` and a plain string, as in scan.l);
 * - `$tag$ ... $tag$` closes only on the same, case-sensitive tag, and only
 *   starts where a token starts (`a$b$` is one identifier, `$1` a parameter);
 * - an operator stops before `--` or `/*`;
 * - a backslash outside all of the above is a psql meta-command, up to the
 *   end of its line (psql runs it; the server would see a syntax error);
 * - a UTF-8 byte order mark at offset 0 is its own token (psql skips it).
 *
 * Offsets are UTF-16 indices into the text given, so `text.slice(start, end)`
 * is the token. Nothing here throws: unterminated tokens run to the end and
 * are flagged.
 */

export type TokenKind =
  | 'bom'
  | 'whitespace'
  | 'line_comment'
  | 'block_comment'
  | 'string'
  | 'quoted_identifier'
  | 'dollar_string'
  | 'identifier'
  | 'number'
  | 'parameter'
  | 'semicolon'
  | 'open_paren'
  | 'close_paren'
  | 'operator'
  | 'meta_command'
  | 'other';

/** What precedes the quote of a string constant: '' (standard), E, B, X, N or U&. */
export type StringPrefix = '' | 'E' | 'B' | 'X' | 'N' | 'U&';

export interface Token {
  readonly kind: TokenKind;
  /** UTF-16 offset of the first character. */
  readonly start: number;
  /** UTF-16 offset after the last character. */
  readonly end: number;
  readonly text: string;
  /** A comment, string, quoted identifier or dollar quote that reaches the end of the text unclosed. */
  readonly unterminated: boolean;
  /** String constants: the prefix letter(s). */
  readonly prefix?: StringPrefix;
  /** Dollar-quoted strings: the delimiter, e.g. `$fn$` or `$$`. */
  readonly tag?: string;
}

const whitespace = new Set([' ', '\t', '\n', '\r', '\f']);
const operatorChars = new Set(['~', '!', '@', '#', '^', '&', '|', '`', '?', '+', '-', '*', '/', '%', '<', '>', '=']);

function isIdentStart(char: string | undefined): boolean {
  if (char === undefined) return false;
  const code = char.charCodeAt(0);
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 0x80;
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

function isIdentContinue(char: string | undefined): boolean {
  return isIdentStart(char) || isDigit(char) || char === '$';
}

/** `$tag$` at `index` (tag: identifier characters without `$`, not starting with a digit), or null. */
function dollarDelimiter(text: string, index: number): string | null {
  let cursor = index + 1;
  if (text[cursor] === '$') return '$$';
  if (!isIdentStart(text[cursor])) return null;
  cursor += 1;
  while (cursor < text.length && (isIdentStart(text[cursor]) || isDigit(text[cursor]))) cursor += 1;
  return text[cursor] === '$' ? text.slice(index, cursor + 1) : null;
}

/** End of a quoted run starting after the opening quote at `open`: doubled quotes stay inside, `backslash` escapes the next character. */
function quotedEnd(text: string, open: number, quote: string, backslash: boolean, doubled: boolean): { end: number; unterminated: boolean } {
  let cursor = open + 1;
  while (cursor < text.length) {
    const char = text[cursor];
    if (backslash && char === '\\') {
      cursor += 2;
      continue;
    }
    if (char === quote) {
      if (doubled && text[cursor + 1] === quote) {
        cursor += 2;
        continue;
      }
      return { end: cursor + 1, unterminated: false };
    }
    cursor += 1;
  }
  return { end: text.length, unterminated: true };
}

function blockCommentEnd(text: string, start: number): { end: number; unterminated: boolean } {
  let depth = 1;
  let cursor = start + 2;
  while (cursor < text.length) {
    if (text[cursor] === '/' && text[cursor + 1] === '*') {
      depth += 1;
      cursor += 2;
    } else if (text[cursor] === '*' && text[cursor + 1] === '/') {
      depth -= 1;
      cursor += 2;
      if (depth === 0) return { end: cursor, unterminated: false };
    } else cursor += 1;
  }
  return { end: text.length, unterminated: true };
}

function lineEnd(text: string, start: number, stopAtCarriageReturn: boolean): number {
  let cursor = start;
  while (cursor < text.length && text[cursor] !== '\n' && !(stopAtCarriageReturn && text[cursor] === '\r')) cursor += 1;
  return cursor;
}

function numberEnd(text: string, start: number): number {
  let cursor = start;
  while (isDigit(text[cursor])) cursor += 1;
  // `1..10` (a PL/pgSQL range) is an integer followed by `..`
  if (text[cursor] === '.' && text[cursor + 1] !== '.') {
    cursor += 1;
    while (isDigit(text[cursor])) cursor += 1;
  }
  if ((text[cursor] === 'e' || text[cursor] === 'E') && (isDigit(text[cursor + 1]) || ((text[cursor + 1] === '+' || text[cursor + 1] === '-') && isDigit(text[cursor + 2])))) {
    cursor += 2;
    while (isDigit(text[cursor])) cursor += 1;
  }
  return cursor;
}

/** A run of operator characters, cut before `--` or `/*` (which start comments). */
function operatorEnd(text: string, start: number): number {
  let cursor = start;
  while (cursor < text.length && operatorChars.has(text[cursor] as string)) {
    if (cursor > start && ((text[cursor] === '-' && text[cursor + 1] === '-') || (text[cursor] === '/' && text[cursor + 1] === '*'))) break;
    cursor += 1;
  }
  return cursor;
}

/** The prefix of a string constant or Unicode identifier starting at `index`, with the offset of its quote. */
function quotePrefix(text: string, index: number): { prefix: StringPrefix; quote: number } | null {
  const first = text[index]?.toUpperCase();
  if ((first === 'E' || first === 'B' || first === 'X' || first === 'N') && text[index + 1] === "'") return { prefix: first, quote: index + 1 };
  if (first === 'U' && text[index + 1] === '&' && (text[index + 2] === "'" || text[index + 2] === '"')) return { prefix: 'U&', quote: index + 2 };
  return null;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, start: number, end: number, extra: { unterminated?: boolean; prefix?: StringPrefix; tag?: string } = {}): void => {
    tokens.push({
      kind,
      start,
      end,
      text: text.slice(start, end),
      unterminated: extra.unterminated ?? false,
      ...(extra.prefix !== undefined ? { prefix: extra.prefix } : {}),
      ...(extra.tag !== undefined ? { tag: extra.tag } : {}),
    });
  };
  let index = 0;
  if (text.startsWith('\uFEFF')) {
    push('bom', 0, 1);
    index = 1;
  }
  while (index < text.length) {
    const char = text[index] as string;
    const next = text[index + 1];
    if (whitespace.has(char)) {
      let end = index + 1;
      while (end < text.length && whitespace.has(text[end] as string)) end += 1;
      push('whitespace', index, end);
      index = end;
      continue;
    }
    if (char === '-' && next === '-') {
      const end = lineEnd(text, index, true);
      push('line_comment', index, end);
      index = end;
      continue;
    }
    if (char === '/' && next === '*') {
      const { end, unterminated } = blockCommentEnd(text, index);
      push('block_comment', index, end, { unterminated });
      index = end;
      continue;
    }
    if (char === "'") {
      const { end, unterminated } = quotedEnd(text, index, "'", false, true);
      push('string', index, end, { unterminated, prefix: '' });
      index = end;
      continue;
    }
    if (char === '"') {
      const { end, unterminated } = quotedEnd(text, index, '"', false, true);
      push('quoted_identifier', index, end, { unterminated });
      index = end;
      continue;
    }
    if (isIdentStart(char)) {
      const prefixed = quotePrefix(text, index);
      if (prefixed) {
        const quote = text[prefixed.quote] as string;
        const bitString = prefixed.prefix === 'B' || prefixed.prefix === 'X';
        const { end, unterminated } = quotedEnd(text, prefixed.quote, quote, prefixed.prefix === 'E', !bitString);
        if (quote === '"') push('quoted_identifier', index, end, { unterminated });
        else push('string', index, end, { unterminated, prefix: prefixed.prefix });
        index = end;
        continue;
      }
      let end = index + 1;
      while (end < text.length && isIdentContinue(text[end])) end += 1;
      push('identifier', index, end);
      index = end;
      continue;
    }
    if (isDigit(char) || (char === '.' && isDigit(next))) {
      const end = numberEnd(text, index);
      push('number', index, end);
      index = end;
      continue;
    }
    if (char === '$') {
      if (isDigit(next)) {
        let end = index + 1;
        while (isDigit(text[end])) end += 1;
        push('parameter', index, end);
        index = end;
        continue;
      }
      const tag = dollarDelimiter(text, index);
      if (tag) {
        const close = text.indexOf(tag, index + tag.length);
        const end = close === -1 ? text.length : close + tag.length;
        push('dollar_string', index, end, { unterminated: close === -1, tag });
        index = end;
        continue;
      }
      push('other', index, index + 1);
      index += 1;
      continue;
    }
    if (char === '\\') {
      const end = lineEnd(text, index, false);
      push('meta_command', index, end);
      index = end;
      continue;
    }
    if (char === ';') {
      push('semicolon', index, index + 1);
      index += 1;
      continue;
    }
    if (char === '(' || char === ')') {
      push(char === '(' ? 'open_paren' : 'close_paren', index, index + 1);
      index += 1;
      continue;
    }
    if (operatorChars.has(char)) {
      const end = operatorEnd(text, index);
      push('operator', index, end);
      index = end;
      continue;
    }
    // , [ ] . : and anything the server would reject on its own
    push('other', index, index + 1);
    index += 1;
  }
  return tokens;
}

/** Comments, whitespace and the BOM carry no meaning for the server. */
export function isTrivia(token: Token): boolean {
  return token.kind === 'whitespace' || token.kind === 'line_comment' || token.kind === 'block_comment' || token.kind === 'bom';
}

/** Tokens whose content is text, not code: string constants, dollar-quoted bodies, quoted identifiers, comments. */
export function isQuoted(token: Token): boolean {
  return token.kind === 'string' || token.kind === 'dollar_string' || token.kind === 'quoted_identifier' || token.kind === 'line_comment' || token.kind === 'block_comment';
}

/** The body of a dollar-quoted token (between the delimiters), with its offset. */
export function dollarBody(token: Token): { readonly text: string; readonly offset: number } {
  const tag = token.tag ?? '';
  const bodyEnd = token.unterminated ? token.text.length : token.text.length - tag.length;
  return { text: token.text.slice(tag.length, Math.max(tag.length, bodyEnd)), offset: token.start + tag.length };
}

function decodeBackslashEscapes(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)/gs, (_match, code: string) => {
    if (code.length > 1 && code.startsWith('x')) return String.fromCharCode(parseInt(code.slice(1), 16));
    if (code.length > 1 && (code.startsWith('u') || code.startsWith('U'))) return String.fromCodePoint(parseInt(code.slice(1), 16));
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

/** The value of a string constant or dollar-quoted token (quotes removed, escapes decoded; U& escapes are left as written). */
export function stringValue(token: Token): string {
  if (token.kind === 'dollar_string') return dollarBody(token).text;
  const prefixLength = token.prefix === 'U&' ? 2 : token.prefix ? 1 : 0;
  const inner = token.text.slice(prefixLength + 1, token.unterminated ? undefined : -1);
  if (token.prefix === 'E') return decodeBackslashEscapes(inner.replace(/''/g, "\\'"));
  if (token.prefix === 'B' || token.prefix === 'X') return inner;
  return inner.replace(/''/g, "'");
}

/** Lower-cased identifier text (keywords are case-insensitive), or null for any other token. */
export function keyword(token: Token | undefined): string | null {
  return token?.kind === 'identifier' ? token.text.toLowerCase() : null;
}
