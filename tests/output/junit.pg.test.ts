/**
 * Hostile text (control characters, `]]>`, markup, quotes, U+FFFE, unpaired
 * surrogates) in every place the JUnit writer puts text: PostgreSQL's
 * libxml must accept the document, and the text around the dropped
 * characters must survive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type ConnectionPool } from '@databases/pg';
import { renderJunitXml } from '../../src/output/junit.ts';
import { renderJunit } from '../../src/report/index.ts';
import { sampleReport } from '../report/sample-report.ts';
import { testServer } from '../helpers/pg.ts';

const hostile = 'a\u0000b\u0001c\u001b[31m ]]> <x/> & "q" \'s\' \ufffe \ud800 \udc00 \ud83d\ude00 end';
let admin: ConnectionPool;

beforeAll(() => {
  admin = testServer().connect('postgres', { poolSize: 1 });
});

afterAll(async () => {
  await admin?.dispose();
});

async function wellFormed(xml: string): Promise<boolean> {
  const rows = await admin.query(sql`select xml_is_well_formed_document(${xml}) as ok`);
  return rows[0]?.ok as boolean;
}

async function xpathText(xml: string, path: string): Promise<string[]> {
  const rows = await admin.query(sql`select unnest(xpath(${path}, ${xml}::xml))::text as t`);
  return rows.map((row) => row.t as string);
}

describe('JUnit writer on hostile text', () => {
  it('writes a well-formed document with the text around dropped characters intact', async () => {
    const xml = renderJunitXml({
      name: hostile,
      timeMs: 0,
      timestamp: hostile,
      suites: [
        {
          name: hostile,
          timeMs: 0,
          file: hostile,
          properties: [{ name: hostile, value: hostile }],
          cases: [
            { classname: hostile, name: hostile, file: hostile, outcome: { kind: 'failure', message: hostile, type: hostile, body: hostile } },
            { classname: hostile, name: 'error', outcome: { kind: 'error', message: hostile, body: hostile } },
            { classname: hostile, name: 'skipped', outcome: { kind: 'skipped', message: hostile } },
          ],
          systemErr: hostile,
        },
      ],
    });
    expect(await wellFormed(xml)).toBe(true);
    expect(await xpathText(xml, '//testcase/@name')).toHaveLength(3);
    const [message] = await xpathText(xml, '//failure/@message');
    expect(message?.startsWith('abc')).toBe(true);
    expect(message).toContain('\ud83d\ude00 end');
    expect((await xpathText(xml, '//failure/text()'))[0]).toContain(']]&gt;');
  });

  it("the verification report's JUnit is well-formed with a hostile counterexample", async () => {
    const report = sampleReport();
    const [property] = report.rls?.properties ?? [];
    if (!property || !report.rls) throw new Error('sample report has an RLS property');
    const xml = renderJunit({ ...report, rls: { ...report.rls, properties: [{ ...property, counterexample: hostile }] } });
    expect(await wellFormed(xml)).toBe(true);
    expect((await xpathText(xml, '//failure/@message')).some((message) => message.includes('\ud83d\ude00 end'))).toBe(true);
  });
});
