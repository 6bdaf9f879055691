import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { scales, type Scale } from '../../config/scales.ts';
import { exitCodes } from '../../errors/index.ts';
import { hiddenAlias, integer, outputFile, outputFileOption, reporterOption } from '../flags.ts';
import { runAction } from '../main.ts';

interface BenchCliOptions {
  scale?: Scale;
  seed?: number;
  runs?: number;
  query?: string[];
  baseline?: string;
  output?: string;
  outputFile?: string;
  reporter: 'json' | 'table';
  fecDir?: string;
  fec?: boolean;
  dataCache?: boolean;
  uuidRows?: number;
}

export function registerBench(program: Command): void {
  const command = program
    .command('bench')
    .description("load data at a scale, run the query catalogue as each query's actor, check plans and work (timings reported); exit 1 when a gate fails, 6 when the catalogue does not run")
    .addOption(new Option('--scale <scale>', 'data volume').choices(scales))
    .option('--seed <n>', 'generator seed', integer)
    .option('--runs <n>', 'timed runs per query (at least 20)', integer)
    .option('--query <id...>', 'only these catalogue queries (e.g. q01 q05)')
    .option('--baseline <file>', 'compare with a saved report: fail on a lost index, a new seq scan or twice the work')
    .addOption(reporterOption(['json', 'table'], 'json', 'format of the saved report (the table is printed either way)'))
    .addOption(outputFileOption('where to save the report (default: reports/bench.json)'))
    .addOption(hiddenAlias('--output <file>', 'same as --output-file'))
    .option('--fec-dir <dir>', 'FEC bulk files to load before the data recipe (default: settings.bench.fecDir)')
    .option('--no-fec', 'do not load FEC files')
    .option('--no-data-cache', 'generate the data afresh and do not keep it (default: reuse cached data when nothing that shapes it changed)')
    .option('--uuid-rows <n>', 'rows per variant for the UUID v7/v4 comparison (0 skips it)', integer);
  command.action(
    runAction(program, async (globals) => {
      const { loadSettings } = await import('../../config/index.ts');
      const { formatBenchTable, runBench } = await import('../../plans/index.ts');
      const settings = await loadSettings({ configPath: globals.config });
      const options = command.opts<BenchCliOptions>();
      const report = await runBench({
        settings,
        ...(options.scale ? { scale: options.scale } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.runs !== undefined ? { runs: options.runs } : {}),
        ...(options.query ? { queryIds: options.query } : {}),
        ...(options.baseline ? { baselineFile: resolve(options.baseline) } : {}),
        ...(options.fec === false ? { fecDir: null } : options.fecDir ? { fecDir: resolve(options.fecDir) } : {}),
        ...(options.dataCache === false ? { dataCache: false } : {}),
        ...(options.uuidRows !== undefined ? { uuidRows: options.uuidRows } : {}),
        ...(globals.databaseUrl ? { databaseUrl: globals.databaseUrl } : {}),
        onProgress: (message) => process.stderr.write(`${message}\n`),
      });
      const file = outputFile(options, options.output);
      const output = file ? resolve(file) : resolve(settings.reportsDir, 'bench.json');
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, options.reporter === 'table' ? `${formatBenchTable(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`${formatBenchTable(report)}\nreport: ${output}\n`);
      return report.passed ? exitCodes.ok : exitCodes.checksFailed;
    }),
  );
}
