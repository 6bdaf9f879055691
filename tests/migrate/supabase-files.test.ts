import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listMigrationFiles } from '../../src/migrate/files.ts';
import { checkRecordedOrder } from '../../src/migrate/bookkeeping.ts';
import { SchemaproofError } from '../../src/errors/index.ts';

let root: string;
let dir: string;

function write(name: string, text = 'select 1;'): void {
  writeFileSync(join(dir, name), text);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SchemaproofError) return error.code;
    throw error;
  }
  throw new Error('expected a SchemaproofError');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sp-supabase-files-'));
  dir = join(root, 'supabase', 'migrations');
  mkdirSync(dir, { recursive: true });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('Supabase CLI migration naming', () => {
  it('takes <version>_<name>.sql in file-name order and records each by its position', () => {
    write('20240102000000_second.sql');
    write('20240101000000_first-one.sql');
    write('20240103000000_third_with_underscores.sql');
    const set = listMigrationFiles(dir, root, 'supabase');
    expect(set.files.map((file) => [file.fileName, file.version, file.index, file.name])).toEqual([
      ['20240101000000_first-one.sql', '20240101000000', 1, '1-20240101000000_first-one.sql'],
      ['20240102000000_second.sql', '20240102000000', 2, '2-20240102000000_second.sql'],
      ['20240103000000_third_with_underscores.sql', '20240103000000', 3, '3-20240103000000_third_with_underscores.sql'],
    ]);
    expect(set.files[0]?.displayPath).toBe('supabase/migrations/20240101000000_first-one.sql');
    expect(set.skipped).toEqual([]);
  });

  it('orders by file name as the CLI does, not by the number (10_b before 9_a)', () => {
    write('9_a.sql');
    write('10_b.sql');
    expect(listMigrationFiles(dir, root, 'supabase').files.map((file) => file.fileName)).toEqual(['10_b.sql', '9_a.sql']);
  });

  it('skips, with a reason, what the CLI skips: other names, folders, a legacy first _init.sql', () => {
    write('20211101000000_init.sql');
    write('20240101000000_real.sql');
    write('README.md', 'notes');
    write('add_users.sql');
    mkdirSync(join(dir, '20240201000000_folder'));
    const set = listMigrationFiles(dir, root, 'supabase');
    expect(set.files.map((file) => file.fileName)).toEqual(['20240101000000_real.sql']);
    expect(set.skipped.map((entry) => entry.file).sort()).toEqual([
      'supabase/migrations/20211101000000_init.sql',
      'supabase/migrations/20240201000000_folder',
      'supabase/migrations/README.md',
      'supabase/migrations/add_users.sql',
    ]);
  });

  it('applies an _init.sql that is not first, or is newer than 2021-12-09', () => {
    write('20220101000000_init.sql');
    write('20230101000000_more.sql');
    expect(listMigrationFiles(dir, root, 'supabase').files.map((file) => file.fileName)).toEqual(['20220101000000_init.sql', '20230101000000_more.sql']);
  });

  it('refuses two files with one version (the CLI records the version as a key)', () => {
    write('20240101000000_a.sql');
    write('20240101000000_b.sql');
    expect(codeOf(() => listMigrationFiles(dir, root, 'supabase'))).toBe('migration_duplicate_index');
  });

  it('keeps the numbered rule for this project: Supabase names are invalid there', () => {
    write('20240101000000_a.sql');
    expect(codeOf(() => listMigrationFiles(dir, root, 'numbered'))).toBe('migration_filename_invalid');
  });
});

describe('recorded order of Supabase migrations', () => {
  it('accepts the recorded files at their positions', () => {
    write('20240101000000_a.sql');
    write('20240102000000_b.sql');
    const files = listMigrationFiles(dir, root, 'supabase').files;
    expect(() => checkRecordedOrder([{ index: 1, name: '1-20240101000000_a.sql' }], files)).not.toThrow();
  });

  it('refuses a file added before an applied one, naming both', () => {
    write('20240101000000_a.sql');
    write('20240103000000_c.sql');
    const recorded = listMigrationFiles(dir, root, 'supabase').files.map((file) => ({ index: file.index, name: file.name }));
    write('20240102000000_b.sql');
    const files = listMigrationFiles(dir, root, 'supabase').files;
    try {
      checkRecordedOrder(recorded, files);
      expect.unreachable('an inserted migration was accepted');
    } catch (error) {
      expect((error as SchemaproofError).detail).toMatchObject({ code: 'migration_order_changed', unapplied: ['20240102000000_b.sql'], applied: ['20240103000000_c.sql'] });
    }
  });

  it('reports an applied file that is gone', () => {
    write('20240101000000_a.sql');
    const files = listMigrationFiles(dir, root, 'supabase').files;
    expect(codeOf(() => checkRecordedOrder([{ index: 1, name: '1-20231231000000_gone.sql' }], files))).toBe('migration_file_missing');
  });
});
