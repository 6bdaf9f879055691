/**
 * Migrations in the platform's style against the throwaway database: an
 * extension the server lacks is one line naming it and what to do; pgTAP,
 * installed before the migrations, survives a project's default-privilege
 * revokes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../src/migrate/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';
import { headline, runPgtap } from '../../src/pgtap/index.ts';
import { buildMigratedTemplate } from '../../src/workspace/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

let root: string;

function write(relative: string, text: string): string {
  const path = join(root, relative);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sp-platform-migrate-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('platform extensions the server lacks', () => {
  let fresh: FreshDatabase;
  beforeEach(async () => {
    fresh = await emptyDatabase('ext');
  });
  afterEach(async () => {
    await fresh.drop();
  });

  it('wrappers: extension_unavailable at file:line with what to do', async () => {
    write('supabase/migrations/20240101000000_webhooks.sql', 'create table public.a (id int);\n\ncreate extension if not exists wrappers with schema extensions;\n');
    try {
      await migrate(testServer().target(fresh.name), { sqlDir: join(root, 'supabase/migrations'), policiesDir: join(root, 'policies'), root, naming: 'supabase' });
      expect.unreachable('wrappers was created');
    } catch (error) {
      expect(error).toBeInstanceOf(SchemaproofError);
      const detail = (error as SchemaproofError).detail;
      expect(detail).toMatchObject({ code: 'extension_unavailable', extension: 'wrappers', location: { file: 'supabase/migrations/20240101000000_webhooks.sql', line: 3 } });
    }
  });

  it('an extension the server has (pgcrypto, again) is no error', async () => {
    write('supabase/migrations/20240101000000_crypto.sql', 'create extension if not exists pgcrypto with schema extensions;\nselect gen_random_bytes(4);\n');
    const result = await migrate(testServer().target(fresh.name), { sqlDir: join(root, 'supabase/migrations'), policiesDir: join(root, 'policies'), root, naming: 'supabase' });
    expect(result.applied).toHaveLength(1);
  });
});

describe('pgTAP installed before the migrations', () => {
  it('stays callable by every role after a project revokes EXECUTE on functions from public', async () => {
    write(
      'supabase/migrations/20240101000000_lock_down.sql',
      'alter default privileges revoke execute on functions from public;\nalter default privileges in schema extensions revoke execute on functions from public;\n',
    );
    const file = write(
      'supabase/tests/database/pgtap.test.sql',
      "begin;\nselect plan(2);\nset local role authenticated;\nselect ok(true, 'pgTAP callable as authenticated');\nselect is(current_user::text, 'authenticated', 'still authenticated');\nselect * from finish();\nrollback;\n",
    );
    const { template } = await buildMigratedTemplate(testServer(), { sqlDir: join(root, 'supabase/migrations'), policiesDir: join(root, 'policies'), root, naming: 'supabase' }, 'pgtap_first');
    try {
      const result = await runPgtap({ server: testServer(), template, files: [file], root });
      expect(result.files.map((entry) => [entry.status, entry.errors.map(headline)])).toEqual([['passed', []]]);
    } finally {
      await template.drop();
    }
  });
});
