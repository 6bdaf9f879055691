import type { Command } from 'commander';
import { describeError, exitCodes, isSchemaproofError } from '../../errors/index.ts';
import type { LintResult } from '../../lint/index.ts';
import { hiddenAlias, outputFileOption, reporterOption } from '../flags.ts';
import { writeReport } from '../output.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction } from '../main.ts';

const lintReporters = ['text', 'json'] as const;

interface LintCommandOptions {
  readonly reporter: (typeof lintReporters)[number];
  readonly format?: (typeof lintReporters)[number];
  readonly outputFile?: string;
  readonly squawk: boolean;
}

export function registerLint(program: Command): void {
  const command = program
    .command('lint')
    .description('security and performance lints on the migrated schema, safety lints (squawk, policy_in_migrations, transaction_control_in_migration) on the migration files')
    .addOption(reporterOption(lintReporters, 'text', 'output format'))
    .addOption(outputFileOption())
    .addOption(hiddenAlias('--format <format>', 'same as --reporter').choices(lintReporters))
    .option('--no-squawk', 'skip squawk even when the config enables it');
  command.action(
    runAction(program, async (globals) => {
      const { loadSettings } = await import('../../config/index.ts');
      const { formatLintJson, formatLintText, lintProjectFiles, lintTemplate } = await import('../../lint/index.ts');
      const settings = await loadSettings({ configPath: globals.config });
      const options = command.opts<LintCommandOptions>();
      const reporter = options.format ?? options.reporter;
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
      writeReport(reporter === 'json' ? formatLintJson(result) : formatLintText(result), options.outputFile, () => formatLintText(result));
      if (!schemaLinted) return exitCodes.migration;
      return result.errorCount > 0 ? exitCodes.checksFailed : exitCodes.ok;
    }),
  );
}
