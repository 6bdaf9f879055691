import type { Command } from 'commander';
import { describeError, exitCodes, isSchemaproofError, type ErrorDetail } from '../../errors/index.ts';
import type { LintResult } from '../../lint/index.ts';
import { hiddenAlias, outputFileOption, reporterOption } from '../flags.ts';
import { writeReport } from '../output.ts';
import { packageVersion } from '../version.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction } from '../main.ts';

const lintReporters = ['text', 'json', 'sarif'] as const;

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
      const { errorSarif, formatSarif, lintSarif, mergeSarif, errorLocations } = await import('../../output/sarif.ts');
      const { isGithubActions, lintAnnotations } = await import('../../output/github.ts');
      const sarifOptions = { toolVersion: packageVersion(), root: settings.root, baseDir: process.cwd() };
      let failure: ErrorDetail | null = null;
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
        if (!isSchemaproofError(error) || error.detail.code !== 'migration_statement_refused') {
          // a SQL error in a migration: the SARIF file still points at its line
          if (reporter === 'sarif' && isSchemaproofError(error) && errorLocations(error.detail).length > 0) writeReport(formatSarif(errorSarif(error.detail, sarifOptions)), options.outputFile);
          throw error;
        }
        failure = error.detail;
        process.stderr.write(`schemaproof: schema lints not run: error[${error.detail.code}]: ${describeError(error.detail)}\n`);
        result = await lintProjectFiles(settings, { squawk: options.squawk });
        schemaLinted = false;
      }
      const sarif = (): string => formatSarif(mergeSarif([lintSarif(result, sarifOptions), ...(failure ? [errorSarif(failure, sarifOptions)] : [])]));
      writeReport(reporter === 'json' ? formatLintJson(result) : reporter === 'sarif' ? sarif() : formatLintText(result), options.outputFile, () => formatLintText(result));
      if (isGithubActions()) for (const line of lintAnnotations(result, settings.root)) process.stdout.write(`${line}\n`);
      if (!schemaLinted) return exitCodes.migration;
      return result.errorCount > 0 ? exitCodes.checksFailed : exitCodes.ok;
    }),
  );
}
