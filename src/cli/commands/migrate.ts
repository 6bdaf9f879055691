import type { Command } from 'commander';
import type { Settings } from '../../config/index.ts';
import { exitCodes } from '../../errors/index.ts';
import type { MigrationTarget } from '../../migrate/index.ts';
import type { SeedRecord } from '../../migrate/seed.ts';
import type { PostgresServer } from '../../postgres/index.ts';
import { runAction, type GlobalOptions } from '../main.ts';
import { printShimObjects } from '../workspace.ts';

/**
 * With --database-url: migrate that database. Without: start a throwaway
 * cluster, migrate a fresh database there (a full "does it apply" check).
 */
async function withTarget<T>(globals: GlobalOptions, settings: Settings, fn: (target: MigrationTarget, server: PostgresServer, scratch: string | null) => Promise<T>): Promise<T> {
  const { createDatabase, provisionPostgres } = await import('../../postgres/index.ts');
  const databaseUrl = globals.databaseUrl ?? settings.databaseUrl;
  const server = await provisionPostgres({ databaseUrl, settings: settings.postgres.settings });
  try {
    if (databaseUrl) return await fn(server.target(server.maintenanceDatabase), server, null);
    const scratch = await createDatabase(server, 'migrate');
    return await fn(server.target(scratch.name), server, scratch.name);
  } finally {
    await server.stop();
  }
}

/** Files in the migrations folder that the Supabase CLI would skip, each with the reason (stderr). */
async function printSkipped(settings: Settings): Promise<void> {
  if (settings.migrationNaming !== 'supabase') return;
  const { listMigrationFiles } = await import('../../migrate/index.ts');
  for (const entry of listMigrationFiles(settings.sqlDir, settings.root, settings.migrationNaming).skipped) {
    process.stderr.write(`skipped  ${entry.file}: ${entry.reason}\n`);
  }
}

export function registerMigrate(program: Command): void {
  const command = program
    .command('migrate')
    .description('apply the migrations then the policies in one transaction (throwaway check: then the seed files)')
    .option('--dry-run', 'apply and check everything, then roll back');
  command.action(
    runAction(program, async (globals) => {
      const { loadSettings } = await import('../../config/index.ts');
      const { migrate } = await import('../../migrate/index.ts');
      const { applySeed } = await import('../../migrate/seed.ts');
      const { shimRolesFor } = await import('../../workspace/index.ts');
      const settings = await loadSettings({ configPath: globals.config });
      const dryRun = command.opts<{ dryRun?: boolean }>().dryRun === true;
      await printSkipped(settings);
      let seeded: SeedRecord[] = [];
      const result = await withTarget(globals, settings, async (target, server, scratch) => {
        const shimRoles = shimRolesFor(server, globals.installShim === true);
        const applied = await migrate(target, {
          sqlDir: settings.sqlDir,
          policiesDir: settings.policiesDir,
          root: settings.root,
          naming: settings.migrationNaming,
          shimRoles,
          dryRun,
        });
        // Seeds belong to a throwaway database (as `supabase db reset`), never to --database-url.
        if (scratch && !dryRun && settings.seed.enabled) seeded = await applySeed(server.target(scratch), settings.seed.paths, settings.root);
        return applied;
      });
      printShimObjects(result.shim, globals);
      const verb = dryRun ? 'would apply' : 'applied';
      for (const entry of result.applied) process.stdout.write(`${verb}  ${entry.file}  ${entry.sha256.slice(0, 12)}\n`);
      for (const entry of result.policies) process.stdout.write(`policy   ${entry.file}  ${entry.sha256.slice(0, 12)}\n`);
      for (const entry of seeded) process.stdout.write(`seed     ${entry.file}  ${entry.sha256.slice(0, 12)}\n`);
      process.stdout.write(
        `${dryRun ? 'dry run: ' : ''}${result.applied.length} migration(s) ${verb}, ${result.alreadyApplied.length} already applied, ${result.policies.length} policy file(s)${seeded.length > 0 ? `, ${seeded.length} seed file(s)` : ''} in ${result.durationMs.toFixed(0)} ms${dryRun ? '; rolled back' : ''}\n`,
      );
      return exitCodes.ok;
    }),
  );
  command
    .command('status')
    .description('list migrations as applied, pending, edited or missing')
    .action(
      runAction(program, async (globals) => {
        const { loadSettings } = await import('../../config/index.ts');
        const { migrationStatus } = await import('../../migrate/index.ts');
        const settings = await loadSettings({ configPath: globals.config });
        // Read-only: the bookkeeping against the files; nothing is installed.
        const status = await withTarget(globals, settings, (target) => migrationStatus(target, { sqlDir: settings.sqlDir, root: settings.root, naming: settings.migrationNaming }));
        for (const entry of status.migrations) process.stdout.write(`${entry.state.padEnd(12)} ${entry.file}\n`);
        process.stdout.write(status.upToDate ? 'up to date\n' : 'not up to date\n');
        return status.migrations.some((entry) => entry.state === 'edited' || entry.state === 'missing_file') ? exitCodes.migration : exitCodes.ok;
      }),
    );
}
