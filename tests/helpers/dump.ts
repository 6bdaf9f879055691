/** `pg_dump --schema-only` of a test database, and `psql -1 -f` on one: the references the migration runner is compared with. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { testServer } from './pg.ts';

const run = promisify(execFile);

function binaries() {
  const found = testServer().binaries;
  if (!found) throw new Error('these tests need the PostgreSQL client binaries (pg_dump, psql)');
  return found;
}

export async function schemaDump(database: string, options: { readonly excludeSchemas?: readonly string[] } = {}): Promise<string> {
  const exclude = (options.excludeSchemas ?? []).flatMap((schema) => ['--exclude-schema', schema]);
  // a fixed --restrict-key: pg_dump 15.14+ otherwise writes a random one into every dump
  const { stdout } = await run(binaries().pgDump, ['--schema-only', '--restrict-key', 'schemaproof', ...exclude, database], {
    env: { ...process.env, ...testServer().clientEnv(database) },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** `psql -X -1 -v ON_ERROR_STOP=1 -f file`: how a person applies a migration by hand. */
export async function psqlFile(database: string, file: string): Promise<void> {
  await run(binaries().psql, ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', database, '-f', file], { env: { ...process.env, ...testServer().clientEnv(database) }, maxBuffer: 64 * 1024 * 1024 });
}
