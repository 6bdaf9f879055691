import type { Command } from 'commander';
import { loadSettings } from '../../config/index.ts';
import { exitCodes } from '../../errors/index.ts';
import { migrate, migrationStatus, type MigrationTarget } from '../../migrate/index.ts';
import { createDatabase, provisionPostgres, type PostgresServer } from '../../postgres/index.ts';
import { runAction, type GlobalOptions } from '../main.ts';

/**
 * With --database-url: migrate that database. Without: start a throwaway
 * cluster, migrate a fresh database there (a full "does it apply" check).
 */
async function withTarget<T>(globals: GlobalOptions, fn: (target: MigrationTarget, server: PostgresServer, where: string) => Promise<T>): Promise<T> {
  const settings = await loadSettings({ configPath: globals.config });
  const databaseUrl = globals.databaseUrl ?? settings.databaseUrl;
  const server = await provisionPostgres({ databaseUrl, settings: settings.postgres.settings });
  try {
    if (databaseUrl) {
      const database = server.maintenanceDatabase;
      return await fn(server.target(database), server, server.description);
    }
    const scratch = await createDatabase(server, 'migrate');
    return await fn(server.target(scratch.name), server, `${scratch.name} on ${server.description}`);
  } finally {
    await server.stop();
  }
}

export function registerMigrate(program: Command): void {
  const command = program
    .command('migrate')
    .description('apply sql/ migrations then policies/ in one transaction')
    .option('--dry-run', 'apply and check everything, then roll back');
  command.action(
    runAction(program, async (globals) => {
      const settings = await loadSettings({ configPath: globals.config });
      const dryRun = command.opts<{ dryRun?: boolean }>().dryRun === true;
      const result = await withTarget(globals, (target) =>
        migrate(target, { sqlDir: settings.sqlDir, policiesDir: settings.policiesDir, root: settings.root, dryRun }),
      );
      const verb = dryRun ? 'would apply' : 'applied';
      for (const entry of result.applied) process.stdout.write(`${verb}  ${entry.file}  ${entry.sha256.slice(0, 12)}\n`);
      for (const entry of result.policies) process.stdout.write(`policy   ${entry.file}  ${entry.sha256.slice(0, 12)}\n`);
      process.stdout.write(
        `${dryRun ? 'dry run: ' : ''}${result.applied.length} migration(s) ${verb}, ${result.alreadyApplied.length} already applied, ${result.policies.length} policy file(s) in ${result.durationMs.toFixed(0)} ms${dryRun ? '; rolled back' : ''}\n`,
      );
      return exitCodes.ok;
    }),
  );
  command
    .command('status')
    .description('list migrations as applied, pending, edited or missing')
    .action(
      runAction(program, async (globals) => {
        const settings = await loadSettings({ configPath: globals.config });
        const status = await withTarget(globals, (target) => migrationStatus(target, { sqlDir: settings.sqlDir, root: settings.root }));
        for (const entry of status.migrations) process.stdout.write(`${entry.state.padEnd(12)} ${entry.file}\n`);
        process.stdout.write(status.upToDate ? 'up to date\n' : 'not up to date\n');
        return status.migrations.some((entry) => entry.state === 'edited' || entry.state === 'missing_file') ? exitCodes.migration : exitCodes.ok;
      }),
    );
}
