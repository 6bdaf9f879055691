/**
 * Seed files: data applied after the migrations, as `supabase db reset`
 * applies `[db.seed] sql_paths`. They go into the database pgTAP suites run
 * on (and into `migrate`'s throwaway check), never into a database the
 * harness did not create.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { sql, type ConnectionPool, type SQLQuery } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { locateInFile } from './sql-position.ts';
import { unavailableExtensionError } from '../postgres/platform-extensions.ts';
import { sha256 } from './files.ts';

export interface SeedRecord {
  readonly file: string;
  readonly sha256: string;
}

export interface SeedTarget {
  connect(options?: { poolSize?: number; onQueryError?: (query: SQLQuery, formatted: { text: string }, error: Error) => void }): ConnectionPool;
}

/** Apply `files` in order, in one transaction; a failure names file:line:col and leaves nothing. */
export async function applySeed(target: SeedTarget, files: readonly string[], root: string = process.cwd()): Promise<SeedRecord[]> {
  if (files.length === 0) return [];
  let failingText: string | null = null;
  const db = target.connect({
    poolSize: 1,
    onQueryError: (_query, formatted) => {
      failingText = formatted.text;
    },
  });
  const applied: SeedRecord[] = [];
  try {
    await db.tx(async (tx) => {
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const shown = relative(root, file) || file;
        failingText = null;
        try {
          await tx.query(sql.file(file));
        } catch (error) {
          const fields = error as { code?: string; message?: string; position?: string };
          const message = String(fields.message ?? error).split('\n')[0] ?? 'error';
          const location = locateInFile(shown, text, failingText, fields.position ? Number(fields.position) : null);
          throw unavailableExtensionError({ message }, shown, location) ??
            new SchemaproofError({ code: 'sql_error', phase: 'seed', sqlstate: fields.code ?? 'XX000', message, location, file: shown }, { cause: error });
        }
        applied.push({ file: shown, sha256: sha256(text) });
      }
    });
  } finally {
    await db.dispose();
  }
  return applied;
}
