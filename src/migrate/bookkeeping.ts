/**
 * What the migration bookkeeping (@databases/pg-migrations) needs from us so
 * that it can record any project's files:
 *
 * - `migrationDirectory` hands the engine exactly the files `files.ts`
 *   validated, under their bookkeeping names (the library only accepts
 *   `<digits>-name` and would read the folder itself otherwise), and loads
 *   each through the engine's own loader by its real file name.
 * - `prepareBookkeeping` creates the library's tables itself with a BIGINT
 *   `index` (the library's own is INT, too small for a 14-digit Supabase
 *   version such as 20240414161707) and widens an existing INT column.
 *   Read the tables with `bigIntMode: 'number'`: versions stay below 2^53.
 */
import { sql, type Queryable } from '@databases/pg';
import type { SqlFile } from './files.ts';

type LoadResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: unknown };

/** The part of @databases/migrations-base's directory context the engine uses to read migrations. */
export interface MigrationDirectory {
  listFiles(): Promise<string[]>;
  read(filename: string): Promise<string>;
  write(filename: string, content: string): Promise<void>;
  rename(fromFilename: string, toFilename: string): Promise<void>;
  delete(filename: string): Promise<void>;
  loadMigration(filename: string): LoadResult;
}

function readOnly(): Promise<never> {
  return Promise.reject(new Error('the migrations folder is read-only for schemaproof'));
}

/** A directory context serving `files` under their bookkeeping names; `original` (the engine's own) loads them. */
export function migrationDirectory(files: readonly SqlFile[], original: Pick<MigrationDirectory, 'loadMigration'>): MigrationDirectory {
  const byName = new Map(files.map((file) => [file.name, file]));
  const file = (name: string): SqlFile => {
    const found = byName.get(name);
    if (!found) throw new Error(`not a migration of this run: ${name}`);
    return found;
  };
  return {
    listFiles: async () => files.map((entry) => entry.name),
    read: async (name) => file(name).script,
    write: readOnly,
    rename: readOnly,
    delete: readOnly,
    loadMigration: (name) => original.loadMigration(file(name).fileName),
  };
}

/**
 * Create the bookkeeping tables (when missing) in the shape the library
 * expects, with a BIGINT index, marked as the library's `packageVersion` so
 * it does not create them again. Idempotent.
 */
export async function prepareBookkeeping(db: Queryable, schema: string, packageVersion: string): Promise<void> {
  const version = sql.ident(schema, 'migrations_version');
  const applied = sql.ident(schema, 'migrations_applied');
  const existed = await db.query(sql`select to_regclass(${`${schema}.migrations_applied`}) is not null as present`);
  if (existed[0]?.present !== true) {
    await db.query(sql`create table if not exists ${version} (id integer not null primary key, version text)`);
    await db.query(sql`
      create table ${applied} (
        id bigserial not null primary key,
        index bigint not null,
        name text not null,
        script text not null,
        applied_at timestamptz not null,
        ignored_error text null,
        obsolete boolean not null
      )`);
    await db.query(sql`delete from ${version} where id = 0`);
    await db.query(sql`insert into ${version} (id, version) values (0, ${packageVersion})`);
    return;
  }
  const column = await db.query(sql`
    select format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
    where a.attrelid = ${`${schema}.migrations_applied`}::regclass and a.attname = 'index'`);
  if (column[0]?.type !== 'bigint') await db.query(sql`alter table ${applied} alter column index type bigint`);
}
