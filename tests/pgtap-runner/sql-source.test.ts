/** The small SQL lexer that maps assertions and errors to lines (no database). */
import { describe, expect, it } from 'vitest';
import { findDescriptionLine, findErrorLine, parsePsqlStderr, scanSql } from '../../src/pgtap/index.ts';

describe('scanSql', () => {
  it('splits statements across lines, ignoring semicolons in strings, comments and dollar quotes', () => {
    const source = scanSql(
      [
        '-- a comment; not a statement',
        'select plan(3);',
        "select ok(true, 'semi; colon');",
        '/* block; comment */ select lives_ok(',
        '  $$ select 1; select 2; $$,',
        "  'dollar body');",
        '\\set ON_ERROR_STOP 1',
        'select is(1,',
        "  1, E'it\\'s');",
      ].join('\n'),
    );
    expect(source.statements.map((s) => [s.startLine, s.endLine])).toEqual([
      [2, 2],
      [3, 3],
      [4, 6],
      [7, 7],
      [8, 9],
    ]);
    expect(source.statements[1]?.literals.map((l) => l.value)).toEqual(['semi; colon']);
    expect(source.statements[4]?.literals.map((l) => l.value)).toEqual(["it's"]);
  });

  it('decodes doubled quotes', () => {
    expect(scanSql("select ok(true, 'it''s');").statements[0]?.literals[0]?.value).toBe("it's");
  });
});

describe('findDescriptionLine', () => {
  const source = scanSql(["select ok(true, 'same');", "select ok(true, 'other');", "select ok(\n  false, 'same');"].join('\n'));
  it('picks the n-th statement with the same description', () => {
    expect(findDescriptionLine(source, 'same', 0)).toBe(1);
    expect(findDescriptionLine(source, 'same', 1)).toBe(3);
    expect(findDescriptionLine(source, 'other', 5)).toBe(2);
  });
  it('gives up when the text is not in the file or ambiguous', () => {
    expect(findDescriptionLine(source, 'absent', 0)).toBeNull();
    expect(findDescriptionLine(source, 'same', 2)).toBeNull();
    expect(findDescriptionLine(source, '', 0)).toBeNull();
  });
});

describe('findErrorLine', () => {
  it('finds the LINE excerpt between the statement start and the line psql reported', () => {
    const source = scanSql('select 1;\n-- lead\n/* block\n */\n  select\n  1,\n  nope;\n');
    expect(findErrorLine(source, 7, '  nope;')).toBe(7);
    expect(findErrorLine(source, 7, 'absent')).toBeNull();
  });
});

describe('parsePsqlStderr', () => {
  it('reads severity, SQLSTATE, message and detail lines; skips LOCATION', () => {
    const messages = parsePsqlStderr(
      [
        'psql:/a:b/t.sql:3: NOTICE:  00000: hello',
        'psql:/a:b/t.sql:9: ERROR:  23505: duplicate key value violates unique constraint "x_pkey"',
        'DETAIL:  Key (id)=(1) already exists.',
        'LOCATION:  _bt_check_unique, nbtinsert.c:666',
        '',
      ].join('\n'),
    );
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatchObject({
      file: '/a:b/t.sql',
      line: 9,
      severity: 'ERROR',
      sqlstate: '23505',
      message: 'duplicate key value violates unique constraint "x_pkey"',
      details: ['DETAIL:  Key (id)=(1) already exists.'],
      excerpt: null,
    });
  });
});
