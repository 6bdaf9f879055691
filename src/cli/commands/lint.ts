import type { Command } from 'commander';
import { Option } from 'commander';
import { loadSettings } from '../../config/index.ts';
import { describeError, exitCodes, isSchemaproofError } from '../../errors/index.ts';
import { formatLintJson, formatLintText, lintProjectFiles, lintTemplate, type LintResult } from '../../lint/index.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction } from '../main.ts';

interface LintCommandOptions {
  readonly format: 'text' | 'json';
  readonly squawk: boolean;
}

export function registerLint(program: Command): void {
  const command = program
    .command('lint')
    .description('security and performance lints on the migrated schema, safety lints (squawk, policy_in_migrations, transaction_control_in_migration) on the migration files')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-squawk', 'skip squawk even when the config enables it');
  command.action(
    runAction(program, async (globals) => {
      const settings = await loadSettings({ configPath: globals.config });
      const options = command.opts<LintCommandOptions>();
      let result: LintResult;
      let schemaLinted = true;
      try {
        const workspace = await openCommandWorkspace(globals, settings);
        try {
          result = await lintTemplate(workspace.template, settings, { squawk: options.squawk });
        } finally {
          await workspace.close();
        }
      } catch (error) {
        // migrate refused a statement: the schema cannot be built, the file lints still say where and why
        if (!isSchemaproofError(error) || error.detail.code !== 'migration_statement_refused') throw error;
        process.stderr.write(`schemaproof: schema lints not run: error[${error.detail.code}]: ${describeError(error.detail)}\n`);
        result = await lintProjectFiles(settings, { squawk: options.squawk });
        schemaLinted = false;
      }
      process.stdout.write(options.format === 'json' ? formatLintJson(result) : formatLintText(result));
      if (!schemaLinted) return exitCodes.migration;
      return result.errorCount > 0 ? exitCodes.checksFailed : exitCodes.ok;
    }),
  );
}
