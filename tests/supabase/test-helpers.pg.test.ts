/**
 * supabase-test-helpers as real suites use it: `create extension
 * "basejump-supabase_test_helpers"` (any 0.0.x) or `supabase_test_helpers`
 * inside a pgTAP file, on a throwaway cluster. Each file in helpers/ checks
 * one part of the documented API, failures included.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { headline, runPgtap } from '../../src/pgtap/index.ts';
import { testServer } from '../helpers/pg.ts';

const dir = join(import.meta.dirname, 'helpers');

describe('supabase-test-helpers API', () => {
  it('every helpers/*.sql suite passes on the project template', async () => {
    const files = readdirSync(dir)
      .filter((name) => name.endsWith('.sql'))
      .sort()
      .map((name) => join(dir, name));
    expect(files.length).toBe(5);
    const result = await runPgtap({ server: testServer(), template: inject('pg').pgtapTemplate, files, root: dir });
    const summary = result.files.map((file) => ({
      file: file.displayPath,
      status: file.status,
      failed: file.assertions.filter((a) => !a.ok).map((a) => a.description),
      errors: file.errors.map(headline),
    }));
    expect(summary).toEqual(files.map((file) => ({ file: file.slice(dir.length + 1), status: 'passed', failed: [], errors: [] })));
    expect(result.totals.assertions).toBeGreaterThanOrEqual(35);
  });
});
