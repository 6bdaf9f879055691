/**
 * Seed files: data applied after the migrations, as `supabase db reset`
 * applies `[db.seed] sql_paths`. They go into the database pgTAP suites run
 * on (and into `migrate`'s throwaway check), never into a database the
 * harness did not create. Each file is sent whole, like a migration.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { sql } from '@databases/pg';
import { SchemaproofError, postgresErrorFields } from '../errors/index.ts';
import type { ConnectionTarget } from '../postgres/index.ts';
import { unavailableExtensionError } from '../postgres/platform-extensions.ts';
import { sha256 } from './files.ts';
import { openSession, ScriptError } from './session.ts';
import { locateInScript, sentText } from './sql-position.ts';

export interface SeedRecord {
  readonly file: string;
  readonly sha256: string;
}

/** Apply `files` in order, in one transaction; a failure names file:line:col and leaves nothing. */
export async function applySeed(target: ConnectionTarget, files: readonly string[], root: string = process.cwd()): Promise<SeedRecord[]> {
  if (files.length === 0) return [];
  const { session, close } = await openSession(target);
  const applied: SeedRecord[] = [];
  try {
    await session.query(sql`begin`);
    try {
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const shown = relative(root, file) || file;
        try {
          await session.runScript(sentText(text).text);
        } catch (error) {
          const cause = error instanceof ScriptError ? error.error : error;
          const fields = postgresErrorFields(cause);
          const location = locateInScript(shown, text, fields.position, error instanceof ScriptError ? error.completed : null);
          throw (
            unavailableExtensionError(fields, shown, location) ??
            new SchemaproofError(
              {
                code: 'sql_error',
                phase: 'seed',
                sqlstate: fields.sqlstate,
                message: fields.message,
                location,
                file: shown,
                detail: fields.detail,
                hint: fields.hint,
                context: fields.context,
                position: fields.position,
              },
              { cause },
            )
          );
        }
        applied.push({ file: shown, sha256: sha256(text) });
      }
      await session.query(sql`commit`);
    } catch (error) {
      await session.query(sql`rollback`).catch(() => undefined);
      throw error;
    }
  } finally {
    await close();
  }
  return applied;
}
