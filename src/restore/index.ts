/**
 * Restore drill: prove the schema survives its own backup. pg_dump the
 * migrated database, pg_restore it into a fresh one, and compare the two
 * inventories (policies, grants, FORCE flags, partitions, triggers,
 * functions, comments). The restored database is handed back as a template
 * so the caller can re-run the pgTAP suites and RLS properties on it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { diffInventories, readInventory, type InventoryDifference } from '../inventory/index.ts';
import { createDatabase, templateHandle, type PostgresServer, type Template } from '../postgres/index.ts';

const run = promisify(execFile);

export interface RestoreDrillResult {
  readonly dumpBytes: number;
  readonly dumpMs: number;
  readonly restoreMs: number;
  readonly relationsCompared: number;
  readonly functionsCompared: number;
  readonly differences: readonly InventoryDifference[];
  readonly passed: boolean;
  /** The restored database, marked as a template for further checks. */
  readonly restored: Template;
}

export async function restoreDrill(server: PostgresServer, template: Template): Promise<RestoreDrillResult> {
  const binaries = server.binaries;
  if (!binaries) throw new SchemaproofError({ code: 'tool_missing', tool: 'pg_dump', hint: 'install the PostgreSQL client binaries (make setup) or set PG_BIN' });
  const source = await template.clone('restore_source');
  const restoredDb = await createDatabase(server, 'restored');
  const workDir = mkdtempSync(join(tmpdir(), 'schemaproof-dump-'));
  const dumpFile = join(workDir, 'schema.dump');
  try {
    const dumpStarted = performance.now();
    await run(binaries.pgDump, ['--format=custom', '--file', dumpFile, source.name], { env: { ...process.env, ...server.clientEnv(source.name) } });
    const dumpMs = performance.now() - dumpStarted;
    const restoreStarted = performance.now();
    try {
      await run(binaries.pgRestore, ['--exit-on-error', '--dbname', restoredDb.name, dumpFile], { env: { ...process.env, ...server.clientEnv(restoredDb.name) } });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
      throw new SchemaproofError({ code: 'tool_missing', tool: 'pg_restore', hint: `restore failed: ${stderr.split('\n')[0] ?? 'unknown error'}` }, { cause: error });
    }
    const restoreMs = performance.now() - restoreStarted;
    const left = source.connect();
    const right = restoredDb.connect();
    let differences: InventoryDifference[];
    let relationsCompared = 0;
    let functionsCompared = 0;
    try {
      const [before, after] = await Promise.all([readInventory(left), readInventory(right)]);
      // Row estimates differ after a restore (no ANALYZE yet); they are not schema.
      differences = diffInventories(before, after);
      relationsCompared = before.relations.length;
      functionsCompared = before.functions.length;
    } finally {
      await left.dispose();
      await right.dispose();
    }
    await server.admin().query(sql`alter database ${sql.ident(restoredDb.name)} with is_template true`);
    return {
      dumpBytes: statSync(dumpFile).size,
      dumpMs,
      restoreMs,
      relationsCompared,
      functionsCompared,
      differences,
      passed: differences.length === 0,
      restored: templateHandle(server, restoredDb.name),
    };
  } finally {
    await source.drop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
