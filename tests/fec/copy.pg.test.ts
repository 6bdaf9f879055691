/**
 * COPY FROM STDIN through pg-copy-streams on hostile input: text-format
 * escapes and multi-byte characters split across chunk boundaries arrive
 * intact, a bad row rejects with Postgres's error code and leaves the
 * connection usable, and the row count is the server's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFrom, pgClient, type PgClient } from '../../src/fec/copy.ts';
import { freshDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

let database: FreshDatabase;
let client: PgClient;

beforeAll(async () => {
  database = await freshDatabase({ purpose: 'fec_copy' });
  client = pgClient(testServer().target(database.name));
  await client.connect();
  await client.query('create table copied (line int not null, value text)');
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

function escape(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

describe('copyFrom', () => {
  it('delivers escapes and characters split across chunks exactly', async () => {
    const values = ['back\\slash', 'tab\there', 'new\nline', 'cr\rlf', '\\N as text', null, '', 'e\u0301 \ud83d\ude00 \u20ac', ']]> <x> & "q"'];
    const data = Buffer.from(values.map((value, index) => `${index + 1}\t${escape(value)}\n`).join(''), 'utf8');
    // One-byte chunks: every multi-byte character is split across chunks.
    const chunks = Array.from({ length: data.length }, (_, index) => data.subarray(index, index + 1));
    await client.query('truncate copied');
    expect(await copyFrom(client, 'copy copied from stdin', chunks)).toBe(values.length);
    const { rows } = await client.query('select value from copied order by line');
    expect(rows.map((row) => row.value)).toEqual(values);
  });

  it("rejects a bad row with the server's error code, and the connection stays usable", async () => {
    await client.query('begin');
    const failure = await copyFrom(client, 'copy copied from stdin', [Buffer.from('1\tok\n2\ttoo\tmany\n')]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: '22P04' });
    await client.query('rollback');
    const { rows } = await client.query('select 1 as one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('counts the rows the server copied, across many chunks, and none for no data', async () => {
    await client.query('truncate copied');
    const chunks = Array.from({ length: 500 }, (_, index) => Buffer.from(`${index}\tv${index}\n${index}\t\\N\n`));
    expect(await copyFrom(client, 'copy copied from stdin', chunks)).toBe(1000);
    expect(await copyFrom(client, 'copy copied from stdin', [])).toBe(0);
    const { rows } = await client.query('select count(*)::int as n from copied');
    expect(rows).toEqual([{ n: 1000 }]);
  });
});
