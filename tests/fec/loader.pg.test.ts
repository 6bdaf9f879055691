/**
 * The FEC loader on a small fixture: every input row is stored or rejected
 * with a reason (dangling references, bad codes, no data), amendment chains,
 * the run recorded in the ingestion tables, and a re-run recognised as a replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from '@databases/pg';
import { loadFec, type FecLoadResult } from '../../src/fec/index.ts';
import { freshDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

const fixtures = resolve(import.meta.dirname, 'fixtures');

describe('loadFec on the basic fixture', () => {
  let database: FreshDatabase;
  let result: FecLoadResult;

  beforeAll(async () => {
    database = await freshDatabase({ purpose: 'fec_loader' });
    result = await loadFec(testServer().target(database.name), { directory: resolve(fixtures, 'basic') });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('accounts for every input line: stored + rejected = rows, per file', () => {
    for (const file of result.files) expect(file.stored + file.rejected, file.file).toBe(file.rows);
    expect(result.inputRows).toBe(4 + 4 + 4 + 4 + 3);
    expect(result.files.map((file) => [file.file, file.stored, file.rejected])).toEqual([
      ['cn.txt', 3, 1],
      ['cm.txt', 3, 1],
      ['ccl.txt', 2, 2],
      ['itpas2.txt', 3, 1],
      ['webk20.txt', 1, 2],
    ]);
  });

  it('rejects with reasons: bad codes, dangling references, summaries without data', () => {
    const reasons = result.rejected.map((row) => `${row.file}:${row.line}:${row.kind}`);
    expect(reasons).toEqual([
      'ccl.txt:3:dangling_reference',
      'ccl.txt:4:dangling_reference',
      'cm.txt:4:bad_code',
      'cn.txt:3:bad_code',
      'itpas2.txt:4:dangling_reference',
      'webk20.txt:2:no_data',
      'webk20.txt:3:dangling_reference',
    ]);
    const byLine = new Map(result.rejected.map((row) => [`${row.file}:${row.line}`, row.reason]));
    expect(byLine.get('cn.txt:3')).toContain('CAND_OFFICE "Z"');
    expect(byLine.get('cm.txt:4')).toContain('CMTE_TP "9"');
    expect(byLine.get('ccl.txt:3')).toContain('H9ZZ99999');
    expect(byLine.get('ccl.txt:4')).toContain('C00888888');
    expect(byLine.get('itpas2.txt:4')).toContain('C00777777');
  });

  it('stores exactly the accepted rows, derives filings per FILE_NUM and chains the amendment', async () => {
    const counts = await database.db.query(sql`
      select (select count(*)::int from public.fec_candidates) as candidates,
             (select count(*)::int from public.fec_committees) as committees,
             (select count(*)::int from public.fec_candidate_committees) as links,
             (select count(*)::int from public.fec_filings) as filings`);
    expect(counts[0]).toEqual({ candidates: 3, committees: 3, links: 2, filings: 3 });
    const filings = await database.db.query(sql`
      select filing_id::text as id, committee_id, amendment_indicator::text as ind, report_type, amends_filing_id::int as amends,
             processing_status::text as status, election_cycle, filing_date::text as filed, receipts::text as receipts
        from public.fec_filings order by filing_id`);
    expect(filings.slice(0, 2)).toEqual([
      { id: '5001', committee_id: 'C00000422', ind: 'N', report_type: 'M2', amends: null, status: 'superseded', election_cycle: 2020, filed: '2019-02-20', receipts: null },
      { id: '5002', committee_id: 'C00000422', ind: 'A', report_type: 'M2', amends: 5001, status: 'processed', election_cycle: 2020, filed: '2019-03-01', receipts: null },
    ]);
    expect(filings[2]).toMatchObject({ id: '9000202000000422', committee_id: 'C00000422', receipts: '238974.98', election_cycle: 2020, filed: '2019-02-28' });
    expect(result.cycle).toBe(2020);
    expect(result.perTable.fec_filings.inserted).toBe(3);
  });

  it('records the run in ingestion_logs and advances the cursor', async () => {
    const logs = await database.db.query(sql`
      select source, stream, status::text as status, records_processed::int as processed, records_inserted::int as inserted,
             records_failed::int as failed, idempotency_key from public.ingestion_logs`);
    expect(logs).toEqual([{ source: 'fec_bulk', stream: 'cycle_2020', status: 'partial', processed: 19, inserted: 11, failed: 7, idempotency_key: result.idempotencyKey }]);
    const cursors = await database.db.query(sql`select cursor_value, version::int as version, last_run_id::text as run from public.ingestion_cursors where source = 'fec_bulk'`);
    expect(cursors).toEqual([{ cursor_value: result.idempotencyKey, version: 1, run: result.runId }]);
  });

  it('recognises a re-run of the same files as a replay and changes nothing', async () => {
    const again = await loadFec(testServer().target(database.name), { directory: resolve(fixtures, 'basic') });
    expect(again.replay).toBe(true);
    expect(again.idempotencyKey).toBe(result.idempotencyKey);
    expect(again.runId).toBe(result.runId);
    const logs = await database.db.query(sql`select count(*)::int as n from public.ingestion_logs`);
    expect(logs[0]?.n).toBe(1);
  });
});

describe('loadFec on malformed files', () => {
  it('a wrong column count is input_invalid with file and line, and loads nothing', async () => {
    const database = await freshDatabase({ purpose: 'fec_malformed' });
    try {
      const failure = await loadFec(testServer().target(database.name), { directory: resolve(fixtures, 'malformed') }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ detail: { code: 'input_invalid', line: 3 } });
      expect((failure as { detail: { file: string } }).detail.file).toMatch(/malformed\/cm\.txt$/);
      const counts = await database.db.query(sql`
        select (select count(*)::int from public.fec_candidates) + (select count(*)::int from public.fec_committees)
             + (select count(*)::int from public.ingestion_logs) as n`);
      expect(counts[0]?.n).toBe(0);
    } finally {
      await database.drop();
    }
  });

  it('a malformed line in the last file copied is input_invalid at its line, not a database refusal, and nothing is stored', async () => {
    // Files are parsed on their way into COPY: webk20.txt's bad line is met while its COPY runs,
    // after the other four files are in the staging tables of the same transaction.
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-late-'));
    cpSync(resolve(fixtures, 'basic'), dir, { recursive: true });
    const lines = readFileSync(join(dir, 'webk20.txt'), 'utf8').split('\n');
    lines[1] = lines[1]!.split('|').slice(0, 5).join('|');
    writeFileSync(join(dir, 'webk20.txt'), lines.join('\n'));
    const database = await freshDatabase({ purpose: 'fec_malformed_late' });
    try {
      const failure = await loadFec(testServer().target(database.name), { directory: dir }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ detail: { code: 'input_invalid', line: 2 } });
      expect((failure as { detail: { file: string } }).detail.file).toMatch(/webk20\.txt$/);
      const counts = await database.db.query(sql`
        select (select count(*)::int from public.fec_candidates) + (select count(*)::int from public.fec_committees)
             + (select count(*)::int from public.fec_candidate_committees) + (select count(*)::int from public.fec_filings)
             + (select count(*)::int from public.ingestion_logs) + (select count(*)::int from public.ingestion_cursors) as n`);
      expect(counts[0]?.n).toBe(0);
    } finally {
      await database.drop();
    }
  });

  it('an impossible date is input_invalid naming the column', async () => {
    const database = await freshDatabase({ purpose: 'fec_bad_date' });
    try {
      const failure = await loadFec(testServer().target(database.name), { directory: resolve(fixtures, 'bad-date') }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ detail: { code: 'input_invalid', line: 2 } });
      expect((failure as { detail: { detail: string } }).detail.detail).toContain('TRANSACTION_DT');
      const counts = await database.db.query(sql`select count(*)::int as n from public.fec_filings`);
      expect(counts[0]?.n).toBe(0);
    } finally {
      await database.drop();
    }
  });
});
