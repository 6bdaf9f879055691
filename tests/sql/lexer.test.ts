/** The one SQL lexer on hostile input (no database). */
import { describe, expect, it } from 'vitest';
import { excerpt, lineAndColumn, offsetOfCharacter, splitStatements, stringValue, tokenize, type Token } from '../../src/sql/index.ts';

const kinds = (text: string): [string, string][] =>
  tokenize(text)
    .filter((token) => token.kind !== 'whitespace')
    .map((token) => [token.kind, token.text]);
const code = (text: string): string[] => splitStatements(text).map((statement) => text.slice(statement.start, statement.end));

describe('tokenize', () => {
  it('closes a block comment on `**/` and nests `/* /* */ */` (the split-sql-query bug)', () => {
    const text = "create table a();\n/**\n * Let's go\n **/\ncreate function f() returns int language sql as $$ select 1 $$;\n/* a /* b */ c; */ select 1;";
    expect(code(text)).toEqual(['create table a();', 'create function f() returns int language sql as $$ select 1 $$;', 'select 1;']);
  });

  it("reads E-strings with \\' and standard strings where a backslash is literal", () => {
    expect(kinds("select E'it\\'s;', 'C:\\';")).toEqual([
      ['identifier', 'select'],
      ['string', "E'it\\'s;'"],
      ['other', ','],
      ['string', "'C:\\'"],
      ['semicolon', ';'],
    ]);
    expect(stringValue(tokenize("E'it\\'s\\n'")[0] as Token)).toBe("it's\n");
    expect(stringValue(tokenize("'it''s'")[0] as Token)).toBe("it's");
  });

  it('only takes E, B, X, N, U& as prefixes at the start of a word', () => {
    expect(kinds("somE'x'")).toEqual([
      ['identifier', 'somE'],
      ['string', "'x'"],
    ]);
    expect(
      tokenize("U&'d\\0061t' U&\"x\" B'10' X'1f' n'y'")
        .filter((token) => token.kind !== 'whitespace')
        .map((token) => [token.kind, token.prefix ?? null]),
    ).toEqual([
      ['string', 'U&'],
      ['quoted_identifier', null],
      ['string', 'B'],
      ['string', 'X'],
      ['string', 'N'],
    ]);
  });

  it('closes a dollar quote only on its own case-sensitive tag, and never inside an identifier', () => {
    expect(kinds('$Tag$ $tag$ ; $TAG$ $Tag$;')).toEqual([
      ['dollar_string', '$Tag$ $tag$ ; $TAG$ $Tag$'],
      ['semicolon', ';'],
    ]);
    expect(kinds('select a$b$, $1, $x$ $$ $x$;').map(([kind]) => kind)).toEqual(['identifier', 'identifier', 'other', 'parameter', 'other', 'dollar_string', 'semicolon']);
    expect(kinds('$outer$ $inner$ ; $inner$ $outer$')).toEqual([['dollar_string', '$outer$ $inner$ ; $inner$ $outer$']]);
  });

  it('ends a line comment at CR or LF and cuts an operator before a comment', () => {
    expect(kinds('1 +-- c ; \r\n2 */*x;*/3')).toEqual([
      ['number', '1'],
      ['operator', '+'],
      ['line_comment', '-- c ; '],
      ['number', '2'],
      ['operator', '*'],
      ['block_comment', '/*x;*/'],
      ['number', '3'],
    ]);
  });

  it('reads quoted identifiers with doubled quotes and semicolons', () => {
    expect(kinds('"a"";b" "--" "/*"')).toEqual([
      ['quoted_identifier', '"a"";b"'],
      ['quoted_identifier', '"--"'],
      ['quoted_identifier', '"/*"'],
    ]);
  });

  it('treats non-ASCII letters as identifier characters, like the server', () => {
    expect(kinds('café 名前 😀x')).toEqual([
      ['identifier', 'café'],
      ['identifier', '名前'],
      ['identifier', '😀x'],
    ]);
  });

  it('marks a BOM, psql meta-commands and unterminated tokens', () => {
    const tokens = tokenize("\uFEFFselect 1;\n\\i other.sql\n'open");
    expect(tokens[0]?.kind).toBe('bom');
    expect(tokens.find((token) => token.kind === 'meta_command')?.text).toBe('\\i other.sql');
    expect(tokens[tokens.length - 1]).toMatchObject({ kind: 'string', unterminated: true });
    expect(tokenize('/* never closed')[0]).toMatchObject({ kind: 'block_comment', unterminated: true });
    expect(tokenize('$a$ never closed')[0]).toMatchObject({ kind: 'dollar_string', unterminated: true });
  });

  it('covers every character exactly once, whatever the input', () => {
    for (const text of ["'", '"', '$', '$$', '/*', '*/', 'E', "E'\\", '--', '\\', '\r', 'U&', "U&'", '$a', '1e', '.5e+', '\uFEFF']) {
      const tokens = tokenize(text);
      expect(tokens.map((token) => token.text).join('')).toBe(text);
      tokens.forEach((token, index) => expect(token.start).toBe(index === 0 ? 0 : (tokens[index - 1] as Token).end));
    }
  });
});

describe('splitStatements', () => {
  it('keeps `;` inside parentheses and BEGIN ATOMIC bodies, as psql does', () => {
    const text =
      'create rule r as on insert to t do also (insert into a values (1); insert into b values (2));\ncreate or replace function f() returns int language sql begin atomic select 1; select case when true then 1 end; end;\nselect 2;';
    expect(code(text)).toHaveLength(3);
  });

  it('makes a meta-command its own statement', () => {
    const statements = splitStatements('select 1\n\\gset\nselect 2;');
    expect(statements.map((statement) => statement.metaCommand)).toEqual([false, true, false]);
  });
});

describe('positions', () => {
  it('maps a server position (characters) to UTF-16 offsets, lines and columns; CR is not a column', () => {
    const text = "select 1;\r\nselect '😀' + x;";
    const offset = offsetOfCharacter(text, 23);
    expect(text.slice(offset, offset + 1)).toBe('+');
    expect(lineAndColumn(text, offset)).toEqual({ line: 2, column: 12 });
    expect(excerpt(text, 2, 12)).not.toContain('\r');
  });
});
