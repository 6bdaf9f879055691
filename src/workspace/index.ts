/**
 * A workspace is one provisioned server plus the project's migrated template
 * (and, on demand, a pgTAP-enabled template cloned from it). Every checker
 * takes clones from here; nothing shares a database.
 */
import { sql } from '@databases/pg';
import type { Settings } from '../config/index.ts';
import { SchemaproofError } from '../errors/index.ts';
import { migrate, type MigrateResult } from '../migrate/index.ts';
import {
  createTemplate,
  provisionPostgres,
  type PostgresServer,
  type ProvisionOptions,
  type Template,
} from '../postgres/index.ts';

export interface WorkspaceOptions extends ProvisionOptions {
  readonly sqlDir: string;
  readonly policiesDir: string;
  readonly root?: string;
}

export interface Workspace {
  readonly server: PostgresServer;
  readonly template: Template;
  readonly migration: MigrateResult;
  readonly timings: { readonly provisionMs: number; readonly templateMs: number };
  /** The migrated template plus pgTAP in schema `extensions` (built once, lazily). */
  pgtapTemplate(): Promise<Template>;
  close(): Promise<void>;
}

export async function buildMigratedTemplate(
  server: PostgresServer,
  options: Pick<WorkspaceOptions, 'sqlDir' | 'policiesDir' | 'root'>,
  purpose = 'template',
): Promise<{ template: Template; migration: MigrateResult }> {
  let migration: MigrateResult | null = null;
  const template = await createTemplate(server, purpose, async (_db, name) => {
    migration = await migrate({ connect: (connectOptions) => server.connect(name, connectOptions) }, {
      sqlDir: options.sqlDir,
      policiesDir: options.policiesDir,
      ...(options.root ? { root: options.root } : {}),
    });
  });
  return { template, migration: migration as unknown as MigrateResult };
}

export async function addPgtap(server: PostgresServer, from: Template): Promise<Template> {
  return createTemplate(
    server,
    'pgtap_template',
    async (db) => {
      const available = await db.query(sql`select count(*)::int as n from pg_available_extensions where name = 'pgtap'`);
      if (available[0]?.n !== 1) {
        throw new SchemaproofError({ code: 'pgtap_not_installed', detail: 'extension "pgtap" is not available on the server' });
      }
      // A plain Postgres project has no `extensions` schema (Supabase's platform makes one).
      await db.query(sql`create schema if not exists extensions`);
      await db.query(sql`create extension if not exists pgtap schema extensions`);
    },
    { from },
  );
}

export async function openWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const started = performance.now();
  const server = await provisionPostgres(options);
  const provisionMs = performance.now() - started;
  try {
    const templateStarted = performance.now();
    const { template, migration } = await buildMigratedTemplate(server, options);
    const templateMs = performance.now() - templateStarted;
    let pgtap: Promise<Template> | null = null;
    return {
      server,
      template,
      migration,
      timings: { provisionMs, templateMs },
      pgtapTemplate() {
        pgtap ??= addPgtap(server, template);
        return pgtap;
      },
      async close() {
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** The workspace of a project as its settings describe it (directories, server settings). */
export function openProjectWorkspace(settings: Settings, databaseUrl: string | undefined): Promise<Workspace> {
  return openWorkspace({
    sqlDir: settings.sqlDir,
    policiesDir: settings.policiesDir,
    root: settings.root,
    databaseUrl,
    settings: settings.postgres.settings,
  });
}
