/**
 * A workspace is one provisioned server plus the project's migrated template
 * (and, when the project has seed files, a seeded template for pgTAP).
 * Every checker takes clones from here; nothing shares a database.
 *
 * The template is built as on the platform: the Supabase shim, then pgTAP in
 * schema `extensions` owned by supabase_admin, then the migrations. pgTAP is
 * there before any migration runs, so a project's `alter default privileges
 * ... revoke execute on functions from public` cannot reach it.
 */
import { sql, type Queryable } from '@databases/pg';
import type { Settings } from '../config/index.ts';
import type { MigrationNaming } from '../config/layout.ts';
import { SchemaproofError } from '../errors/index.ts';
import { migrate, type MigrateResult } from '../migrate/index.ts';
import { applySeed, type SeedRecord } from '../migrate/seed.ts';
import {
  createTemplate,
  installSupabaseShim,
  provisionPostgres,
  shimOwnerRoles,
  supabaseActorRoles,
  type PostgresServer,
  type ProvisionOptions,
  type ShimResult,
  type ShimRoles,
  type Template,
} from '../postgres/index.ts';

export interface WorkspaceOptions extends ProvisionOptions {
  readonly sqlDir: string;
  readonly policiesDir: string;
  readonly root?: string;
  /** How migration files are named (default `numbered`). */
  readonly naming?: MigrationNaming;
  /** Seed files applied after the migrations to the template pgTAP runs on. */
  readonly seedFiles?: readonly string[];
  /** On a server schemaproof did not start: create the missing platform roles (--install-shim) instead of failing. */
  readonly installShim?: boolean;
}

export interface Workspace {
  readonly server: PostgresServer;
  readonly template: Template;
  readonly migration: MigrateResult;
  /** What the shim did before the migrations (roles it created, whether the database part was there). */
  readonly shim: ShimResult;
  readonly timings: { readonly provisionMs: number; readonly templateMs: number };
  /** The template pgTAP runs on: the migrated template, plus the seed files when there are any (built once, lazily). */
  pgtapTemplate(): Promise<Template>;
  /** The seed files applied to the pgTAP template (after `pgtapTemplate()`). */
  seeded(): readonly SeedRecord[];
  close(): Promise<void>;
}

/** What the shim may do about cluster-wide roles on this server. */
export function shimRolesFor(server: PostgresServer, installShim = false): ShimRoles {
  if (server.kind === 'url') return installShim ? 'install' : 'require';
  return 'create';
}

/** Whether the server can install pgTAP at all. */
async function pgtapAvailable(db: Queryable): Promise<boolean> {
  const rows = await db.query(sql`select count(*)::int as n from pg_available_extensions where name = 'pgtap'`);
  return rows[0]?.n === 1;
}

/**
 * pgTAP in schema `extensions`, created as supabase_admin where the
 * connecting role may become it (as the platform's privileged extensions
 * are), else as the connecting role; before any migration either way.
 */
export async function installPgtapFirst(db: Queryable): Promise<boolean> {
  if (!(await pgtapAvailable(db))) return false;
  await db.tx(async (tx) => {
    await tx.query(sql`create schema if not exists extensions`);
    const member = await tx.query(sql`select pg_has_role(current_user, 'supabase_admin', 'MEMBER') as member from pg_roles where rolname = 'supabase_admin'`);
    if (member[0]?.member === true) await tx.query(sql`set local role supabase_admin`);
    await tx.query(sql`create extension if not exists pgtap schema extensions`);
  });
  return true;
}

export async function buildMigratedTemplate(
  server: PostgresServer,
  options: Pick<WorkspaceOptions, 'sqlDir' | 'policiesDir' | 'root' | 'naming' | 'installShim'>,
  purpose = 'template',
): Promise<{ template: Template; migration: MigrateResult; shim: ShimResult }> {
  let migration: MigrateResult | null = null;
  let shim: ShimResult | null = null;
  const shimRoles = shimRolesFor(server, options.installShim);
  const template = await createTemplate(server, purpose, async (db, name) => {
    shim = await installSupabaseShim(db, { roles: shimRoles, server: server.description });
    await installPgtapFirst(db);
    migration = await migrate(server.target(name), {
      sqlDir: options.sqlDir,
      policiesDir: options.policiesDir,
      shimRoles,
      ...(options.naming ? { naming: options.naming } : {}),
      ...(options.root ? { root: options.root } : {}),
    });
  });
  return { template, migration: migration as unknown as MigrateResult, shim: shim as unknown as ShimResult };
}

/**
 * A template from `from` with pgTAP in schema `extensions` (a no-op install
 * where it is there already) and, when given, the project's seed files
 * applied after it (the restore drill re-runs pgTAP on a restored copy, which
 * must see the same seed the first run saw).
 */
export async function addPgtap(server: PostgresServer, from: Template, seed: { readonly files: readonly string[]; readonly root?: string } = { files: [] }): Promise<Template> {
  return createTemplate(
    server,
    'pgtap_template',
    async (db, name) => {
      if (!(await pgtapAvailable(db))) {
        throw new SchemaproofError({ code: 'pgtap_not_installed', detail: 'extension "pgtap" is not available on the server' });
      }
      // A plain Postgres project has no `extensions` schema (Supabase's platform makes one).
      await db.query(sql`create schema if not exists extensions`);
      await db.query(sql`create extension if not exists pgtap schema extensions`);
      if (seed.files.length > 0) await applySeed(server.target(name), seed.files, seed.root);
    },
    { from },
  );
}

async function pgtapTemplateFor(server: PostgresServer, template: Template, seedFiles: readonly string[], root: string | undefined, seeded: SeedRecord[]): Promise<Template> {
  const probe = server.connect(template.name, { poolSize: 1 });
  let installed: boolean;
  try {
    const rows = await probe.query(sql`select count(*)::int as n from pg_extension where extname = 'pgtap'`);
    installed = rows[0]?.n === 1;
  } finally {
    await probe.dispose();
  }
  if (!installed) return addPgtap(server, template);
  if (seedFiles.length === 0) return template;
  return createTemplate(
    server,
    'seeded_template',
    async (_db, name) => {
      seeded.push(...(await applySeed(server.target(name), seedFiles, root)));
    },
    { from: template },
  );
}

export async function openWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const started = performance.now();
  // On a server we did not start: its own databases (templates, clones), SET ROLE to the actors the tests use,
  // and the shim's owners for the template's schemas auth and storage. The platform roles themselves are checked next, by the shim.
  const server = await provisionPostgres({ requires: { createDatabases: true, actorRoles: supabaseActorRoles, ownerRoles: shimOwnerRoles }, ...options });
  const provisionMs = performance.now() - started;
  try {
    const templateStarted = performance.now();
    const { template, migration, shim } = await buildMigratedTemplate(server, options);
    const templateMs = performance.now() - templateStarted;
    let pgtap: Promise<Template> | null = null;
    const seeded: SeedRecord[] = [];
    return {
      server,
      template,
      migration,
      shim,
      timings: { provisionMs, templateMs },
      pgtapTemplate() {
        pgtap ??= pgtapTemplateFor(server, template, options.seedFiles ?? [], options.root, seeded);
        return pgtap;
      },
      seeded: () => seeded,
      async close() {
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** The workspace of a project as its settings describe it (directories, naming, seed, server settings). */
export function openProjectWorkspace(settings: Settings, databaseUrl: string | undefined, options: { readonly installShim?: boolean } = {}): Promise<Workspace> {
  return openWorkspace({
    sqlDir: settings.sqlDir,
    policiesDir: settings.policiesDir,
    root: settings.root,
    naming: settings.migrationNaming,
    seedFiles: settings.seed.enabled ? settings.seed.paths : [],
    installShim: options.installShim === true,
    databaseUrl,
    settings: settings.postgres.settings,
  });
}
