import type { Command } from 'commander';
import { Option } from 'commander';
import { loadSettings } from '../../config/index.ts';
import { exitCodes } from '../../errors/index.ts';
import { formatLintJson, formatLintText, lintTemplate, type LintResult } from '../../lint/index.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction } from '../main.ts';

interface LintCommandOptions {
  readonly format: 'text' | 'json';
  readonly squawk: boolean;
}

export function registerLint(program: Command): void {
  const command = program
    .command('lint')
    .description('security and performance lints on the migrated schema, safety lints (squawk, policy_in_migrations) on the migration files')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-squawk', 'skip squawk even when the config enables it');
  command.action(
    runAction(program, async (globals) => {
      const settings = await loadSettings({ configPath: globals.config });
      const options = command.opts<LintCommandOptions>();
      const workspace = await openCommandWorkspace(globals, settings);
      let result: LintResult;
      try {
        result = await lintTemplate(workspace.template, settings, { squawk: options.squawk });
      } finally {
        await workspace.close();
      }
      process.stdout.write(options.format === 'json' ? formatLintJson(result) : formatLintText(result));
      return result.errorCount > 0 ? exitCodes.checksFailed : exitCodes.ok;
    }),
  );
}
