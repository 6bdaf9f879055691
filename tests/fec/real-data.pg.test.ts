/**
 * The real 2019-2020 FEC bulk files load completely: every line is stored or
 * rejected with a reason, and the tables hold exactly the stored rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from '@databases/pg';
import { loadFec, type FecLoadResult } from '../../src/fec/index.ts';
import { freshDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

// The real files are kept in the repository (data/fec/2020); SCHEMAPROOF_FEC_DIR points elsewhere.
const realData = process.env.SCHEMAPROOF_FEC_DIR ?? resolve(import.meta.dirname, '../../data/fec/2020');
if (!existsSync(realData)) throw new Error(`real FEC files not found at ${realData}: set SCHEMAPROOF_FEC_DIR to a directory of 2020 FEC bulk files`);

describe('loadFec on the real 2020 FEC files (data/fec/2020)', () => {
  let database: FreshDatabase;
  let result: FecLoadResult;

  beforeAll(async () => {
    database = await freshDatabase({ purpose: 'fec_real' });
    result = await loadFec(testServer().target(database.name), { directory: realData });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('reads all five files and accounts for every line', () => {
    expect(result.files.map((file) => file.file)).toEqual(['cn.txt', 'cm.txt', 'ccl.txt', 'itpas2.txt', 'webk20.txt']);
    expect(result.inputRows).toBe(3937 + 11605 + 3752 + 3159 + 7851);
    for (const file of result.files) expect(file.stored + file.rejected, file.file).toBe(file.rows);
    expect(result.rejected.length).toBe(result.files.reduce((sum, file) => sum + file.rejected, 0));
    for (const row of result.rejected) expect(row.reason.length).toBeGreaterThan(5);
    expect(result.cycle).toBe(2020);
  });

  it('stores the accepted rows (masters one row per id, filings one per FILE_NUM)', async () => {
    const stored = new Map(result.files.map((file) => [file.kind, file.stored]));
    const duplicates = (file: string) => result.rejected.filter((row) => row.file === file && row.kind === 'duplicate').length;
    const counts = await database.db.query(sql`
      select (select count(*)::int from public.fec_candidates) as candidates,
             (select count(*)::int from public.fec_committees) as committees,
             (select count(*)::int from public.fec_candidate_committees) as links,
             (select count(*)::int from public.fec_filings where form_type <> 'WEBK') as filings,
             (select coalesce(sum((raw ->> 'transactions')::int), 0)::int from public.fec_filings where form_type <> 'WEBK') as transactions,
             (select count(*)::int from public.fec_filings where form_type = 'WEBK') as summaries`);
    expect(counts[0]).toEqual({
      candidates: stored.get('cn'),
      committees: stored.get('cm'),
      links: stored.get('ccl'),
      filings: 570,
      transactions: stored.get('itpas2'),
      summaries: stored.get('webk'),
    });
    // cn.txt has 3,937 lines for 3,936 CAND_IDs and cm.txt 11,605 lines for 11,603 CMTE_IDs
    expect(duplicates('cn.txt') + duplicates('cm.txt')).toBe(3);
  });

  it('reports exactly the earlier lines of a key repeated in the file as duplicates, read from the file itself', () => {
    for (const file of ['cn.txt', 'cm.txt']) {
      const otherwiseRejected = new Set(result.rejected.filter((row) => row.file === file && row.kind !== 'duplicate').map((row) => row.line));
      const lastLine = new Map<string, number>();
      const keyed = readFileSync(join(realData, file), 'latin1')
        .split('\n')
        .map((text, index) => ({ key: text.split('|')[0] ?? '', line: index + 1, text }))
        .filter((entry) => entry.text.trim() !== '' && !otherwiseRejected.has(entry.line));
      for (const entry of keyed) lastLine.set(entry.key, entry.line);
      const expected = keyed.filter((entry) => lastLine.get(entry.key) !== entry.line).map((entry) => entry.line);
      const reported = result.rejected
        .filter((row) => row.file === file && row.kind === 'duplicate')
        .map((row) => row.line)
        .sort((a, b) => a - b);
      expect(expected.length, file).toBeGreaterThan(0);
      expect(reported, file).toEqual(expected);
    }
  });
});
