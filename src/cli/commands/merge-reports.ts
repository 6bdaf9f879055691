import { resolve } from 'node:path';
import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import type { MergedReport } from '../../shard/index.ts';
import { flagError, outputFileOption, reporterOption } from '../flags.ts';
import { writeTextFile } from '../output.ts';
import { runAction } from '../main.ts';

const mergeReporters = ['summary', 'json', 'junit', 'tap'] as const;
type MergeReporter = (typeof mergeReporters)[number];

/** The merged run in the format `--reporter` names, as its own command writes it (null: `summary`, printed instead). */
async function renderMerged(merged: MergedReport, reporter: MergeReporter): Promise<string | null> {
  if (reporter === 'summary') return null;
  if (reporter === 'json') return `${JSON.stringify(merged.result, null, 2)}\n`;
  if (merged.kind !== 'pgtap') throw flagError('--reporter', reporter, `${merged.kind} reports are written as summary or json`);
  const { formatJunit, formatTap } = await import('../../pgtap/reporters.ts');
  return reporter === 'junit' ? formatJunit(merged.result) : formatTap(merged.result);
}

/** The summary the run's own command prints, for the merged run. */
async function printSummary(merged: MergedReport): Promise<void> {
  const out = process.stdout;
  out.write(`merged ${merged.shards} shard(s) of one ${merged.kind === 'pgtap' ? 'test' : merged.kind === 'rls' ? 'rls' : 'rls mutate'} run\n`);
  switch (merged.kind) {
    case 'pgtap': {
      const { formatSummary } = await import('../../pgtap/reporters.ts');
      out.write(formatSummary(merged.result));
      return;
    }
    case 'rls': {
      const { printRlsSummary } = await import('./rls.ts');
      printRlsSummary(out, merged.result, false);
      return;
    }
    case 'mutation': {
      const { mutantLine, printMutationSummary } = await import('./rls.ts');
      for (const mutant of merged.result.mutants) out.write(`${mutantLine(mutant)}\n`);
      printMutationSummary(out, merged.result);
      return;
    }
  }
}

export function registerMergeReports(program: Command): void {
  const command = program
    .command('merge-reports')
    .description("merge the --reporter json reports of every shard of one `test`, `rls` or `rls mutate` run into that run's report and verdict")
    .argument('<files...>', "each shard's JSON report (every shard 1..n exactly once)")
    .addOption(reporterOption(mergeReporters, 'summary', "summary, json (the unsharded run's JSON), or for pgTAP also junit and tap"))
    .addOption(outputFileOption('write the --reporter format there (the summary still goes to stdout)'));
  command.action(
    runAction(program, async () => {
      const options = command.opts<{ reporter: MergeReporter; outputFile?: string }>();
      if (options.outputFile !== undefined && options.reporter === 'summary') throw flagError('--output-file', options.outputFile, 'give a --reporter for the file: json, junit or tap');
      const files = command.processedArgs[0] as string[];
      const { mergeShardReports, mergedPassed, readShardReport } = await import('../../shard/index.ts');
      const merged = mergeShardReports(files.map((file) => readShardReport(resolve(process.cwd(), file))));
      const rendered = await renderMerged(merged, options.reporter);
      if (rendered !== null && options.outputFile === undefined) {
        process.stdout.write(rendered);
      } else {
        await printSummary(merged);
        if (rendered !== null && options.outputFile !== undefined) process.stdout.write(`${options.reporter} report written to ${writeTextFile(options.outputFile, rendered)}\n`);
      }
      return mergedPassed(merged) ? exitCodes.ok : exitCodes.checksFailed;
    }),
  );
}
