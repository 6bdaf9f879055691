import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { checkCoverage, parseAccessSpec, readCatalog } from '../../src/rls/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';

class RolledBack extends Error {}
const rawSpec = () => JSON.parse(readFileSync(resolve(import.meta.dirname, '../access/access-spec.json'), 'utf8'));

describe('coverage: the spec against what the database exposes', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await freshDatabase({ purpose: 'rls_coverage' });
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('the project spec covers every reachable relation, partition and SECURITY DEFINER function', async () => {
    const spec = parseAccessSpec(rawSpec());
    const catalog = await readCatalog(fresh.db, spec.exposedSchemas);
    expect(catalog.relations.some((relation) => relation.partitionRoot === 'public.analytics_events')).toBe(true);
    expect(checkCoverage(spec, catalog)).toEqual([]);
  });

  it('a table missing from the spec is a failure, not a skip; so is a spec entry for a table that does not exist', async () => {
    const raw = rawSpec();
    raw.relations.no_such_table = { ...raw.relations.ingestion_logs };
    delete raw.relations.ingestion_logs;
    const spec = parseAccessSpec(raw);
    const findings = checkCoverage(spec, await readCatalog(fresh.db, spec.exposedSchemas));
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'uncovered_relation', object: 'public.ingestion_logs' }),
        expect.objectContaining({ kind: 'missing_relation', object: 'public.no_such_table' }),
      ]),
    );
  });

  it('partitions, owner-rights views and unreviewed SECURITY DEFINER functions are side doors', async () => {
    const raw = rawSpec();
    raw.relations.analytics_events.partitioned = false;
    const spec = parseAccessSpec(raw);
    await fresh.db
      .tx(async (tx) => {
        await tx.query(sql`create view public.sp_owner_view as select id from public.privacy_data_requests`);
        await tx.query(sql`grant select on public.sp_owner_view to authenticated`);
        await tx.query(sql`create function private.sp_definer() returns int language sql security definer as 'select 1'`);
        await tx.query(sql`grant execute on function private.sp_definer() to anon`);
        const findings = checkCoverage(spec, await readCatalog(tx, spec.exposedSchemas));
        const kinds = new Set(findings.map((finding) => `${finding.kind} ${finding.object}`));
        expect(kinds.has('uncovered_relation public.sp_owner_view')).toBe(true);
        expect(kinds.has('view_runs_as_owner public.sp_owner_view')).toBe(true);
        expect(kinds.has('definer_without_search_path private.sp_definer()')).toBe(true);
        expect(kinds.has('unlisted_definer_function private.sp_definer()')).toBe(true);
        expect(findings.some((finding) => finding.kind === 'uncovered_relation' && finding.object.startsWith('public.analytics_events_'))).toBe(true);
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
  });
});
