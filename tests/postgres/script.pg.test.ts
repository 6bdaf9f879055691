import { describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { runScript } from '../../src/postgres/index.ts';
import { emptyDatabase } from '../helpers/pg.ts';

/** Statements whose text holds semicolons, quotes and comment markers in every place a splitter can trip on. */
function hostileScript(rows: number): { text: string; expected: string[] } {
  const expected: string[] = [];
  const statements: string[] = ['create table t (n int primary key, v text)'];
  for (let n = 1; n <= rows; n += 1) {
    const values = [`a;b ${n}`, `it's; ${n}`, `-- not a comment; ${n}`, `/* not a comment; */ ${n}`, `$$ not a body; $$ ${n}`, `back\\slash; ${n}`];
    const value = values[n % values.length]!;
    expected.push(value);
    const literal = n % 2 === 0 ? `'${value.replace(/'/g, "''")}'` : `$q$${value}$q$`;
    statements.push(`insert into t values (${n}, ${literal}) -- trailing; comment\n`);
    if (n % 50 === 0) statements.push(`/* a block comment; with "quotes" and 'apostrophes' */ select 1`);
  }
  statements.push(`create function f() returns int language plpgsql as $body$ begin perform 1; return 2; end $body$`);
  return { text: statements.join(';\n') + ';', expected };
}

describe('runScript (a script in one round trip)', () => {
  it('runs every statement of a hostile script, none dropped or split inside a literal', async () => {
    const fresh = await emptyDatabase('script');
    try {
      const { text, expected } = hostileScript(300);
      await fresh.db.tx((tx) => runScript(tx, text));
      const rows = (await fresh.db.query(sql`select v from t order by n`)) as { v: string }[];
      expect(rows.map((row) => row.v)).toEqual(expected);
      expect((await fresh.db.query(sql`select f() as v`))[0]!.v).toBe(2);
    } finally {
      await fresh.drop();
    }
  });

  it('throws the first failing statement’s error, and inside a transaction stores nothing', async () => {
    const fresh = await emptyDatabase('script_error');
    try {
      await fresh.db.query(sql`create table t (n int primary key)`);
      const script = 'insert into t values (1); insert into t values (2); insert into t values (1); insert into t values (3)';
      await expect(fresh.db.tx((tx) => runScript(tx, script))).rejects.toMatchObject({ code: '23505' });
      expect((await fresh.db.query(sql`select count(*)::int as n from t`))[0]!.n).toBe(0);
    } finally {
      await fresh.drop();
    }
  });
});
