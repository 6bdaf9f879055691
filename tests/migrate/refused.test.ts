/** Refused statements: transaction control, statements that cannot run in a transaction, psql meta-commands (no database). */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRefusedStatements } from '../../src/migrate/index.ts';

const refused = (script: string) => findRefusedStatements(script).map((entry) => [entry.statement, entry.kind, entry.line, entry.column]);

describe('findRefusedStatements', () => {
  it.each([
    ['begin;', 'BEGIN'],
    ['BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE;', 'BEGIN'],
    ['start transaction;', 'START TRANSACTION'],
    ['commit;', 'COMMIT'],
    ["commit prepared 'x';", 'COMMIT'],
    ['end;', 'END'],
    ['rollback;', 'ROLLBACK'],
    ['rollback to savepoint s;', 'ROLLBACK'],
    ['abort;', 'ABORT'],
    ['savepoint s;', 'SAVEPOINT'],
    ['release savepoint s;', 'RELEASE'],
    ["prepare transaction 'x';", 'PREPARE TRANSACTION'],
  ])('%s is transaction control', (script, statement) => {
    expect(refused(`select 1;\n  ${script}`)).toEqual([[statement, 'transaction_control', 2, 3]]);
  });

  it.each([
    ['create index concurrently i on t (a);', 'CREATE INDEX CONCURRENTLY'],
    ['create unique index concurrently if not exists i on t (a);', 'CREATE INDEX CONCURRENTLY'],
    ['drop index concurrently if exists i;', 'DROP INDEX CONCURRENTLY'],
    ['reindex index concurrently i;', 'REINDEX CONCURRENTLY'],
    ['reindex (concurrently) table t;', 'REINDEX CONCURRENTLY'],
    ['reindex database d;', 'REINDEX DATABASE / SYSTEM'],
    ['vacuum;', 'VACUUM'],
    ['VACUUM (analyze) t;', 'VACUUM'],
    ['create database d;', 'CREATE DATABASE'],
    ['drop database if exists d;', 'DROP DATABASE'],
    ['alter database d set tablespace x;', 'ALTER DATABASE ... SET TABLESPACE'],
    ["create tablespace x location '/tmp';", 'CREATE TABLESPACE'],
    ['drop tablespace x;', 'DROP TABLESPACE'],
    ["alter system set work_mem = '1MB';", 'ALTER SYSTEM'],
    ['discard all;', 'DISCARD ALL'],
  ])('%s cannot run in a transaction', (script, statement) => {
    expect(refused(script)).toEqual([[statement, 'not_in_transaction', 1, 1]]);
  });

  it.each(['\\i other.sql', '\\set ON_ERROR_STOP on', '\\connect other', '\\ir x.sql', 'select 1 \\gset', 'select 1 \\; select 2;'])('%s is a psql meta-command', (script) => {
    const found = findRefusedStatements(`select 0;\n${script}\n`);
    expect(found.map((entry) => entry.kind)).toEqual(['psql_meta_command']);
    expect(found[0]?.line).toBe(2);
  });

  it('allows what only looks like it: words in strings, comments, bodies, quoted identifiers; other statements', () => {
    const script = [
      '-- begin; commit;',
      '/* rollback; /* vacuum; */ create index concurrently i on t (a); */',
      "select 'commit;', E'\\'; rollback;', $$ begin; commit; end $$, \"commit\";",
      'create table "begin" ("end" int);',
      'create procedure p() language plpgsql as $b$ begin commit; end $b$;',
      'create function f() returns int language sql begin atomic select 1; end;',
      'do $$ begin rollback; end $$;',
      'create index i on t (a);',
      'reindex (concurrently false) table t;',
      'analyze t;',
      'prepare q as select 1;',
      "alter database d set work_mem = '1MB';",
      "select '\\i file', $x$ \\set $x$;",
    ].join('\n');
    expect(findRefusedStatements(script)).toEqual([]);
  });

  it("finds nothing in the corpus, this project's migrations or its policies", () => {
    const root = resolve(import.meta.dirname, '../..');
    for (const dir of ['tests/fixtures/sql-corpus', 'sql', 'policies']) {
      for (const name of readdirSync(resolve(root, dir)).filter((file) => file.endsWith('.sql'))) {
        expect(findRefusedStatements(readFileSync(join(root, dir, name), 'utf8')), `${dir}/${name}`).toEqual([]);
      }
    }
  });

  it('counts lines through CRLF and a BOM', () => {
    expect(refused('\uFEFFselect 1;\r\n\r\n  commit;\r\n')).toEqual([['COMMIT', 'transaction_control', 3, 3]]);
  });
});
