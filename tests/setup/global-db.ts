/**
 * One throwaway cluster for the whole vitest run, with the project's migrated
 * template and a pgTAP template built once. Test files get their own clones
 * (tests/helpers/pg.ts), so nothing is shared between tests.
 */
import type { TestProject } from 'vitest/node';
import { resolve } from 'node:path';
import { openWorkspace, type Workspace } from '../../src/workspace/index.ts';
import type { ConnectionTarget } from '../../src/postgres/index.ts';

export interface PgContext {
  readonly maintenance: ConnectionTarget;
  readonly template: string;
  readonly pgtapTemplate: string;
  readonly binDir: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pg: PgContext;
  }
}

let workspace: Workspace | null = null;

export async function setup(project: TestProject): Promise<void> {
  const root = resolve(import.meta.dirname, '../..');
  workspace = await openWorkspace({ sqlDir: resolve(root, 'sql'), policiesDir: resolve(root, 'policies'), root, databaseUrl: process.env.DATABASE_URL });
  const pgtap = await workspace.pgtapTemplate();
  project.provide('pg', {
    maintenance: workspace.server.target(workspace.server.maintenanceDatabase),
    template: workspace.template.name,
    pgtapTemplate: pgtap.name,
    binDir: workspace.server.binaries?.binDir ?? null,
  });
}

export async function teardown(): Promise<void> {
  await workspace?.close();
  workspace = null;
}
