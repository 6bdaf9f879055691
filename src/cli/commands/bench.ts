import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadSettings, scales, type Scale } from '../../config/index.ts';
import { exitCodes } from '../../errors/index.ts';
import { formatBenchTable, runBench } from '../../plans/index.ts';
import { runAction } from '../main.ts';

interface BenchCliOptions {
  scale?: Scale;
  seed?: number;
  runs?: number;
  query?: string[];
  baseline?: string;
  output?: string;
  fecDir?: string;
  fec?: boolean;
  dataCache?: boolean;
  uuidRows?: number;
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('not an integer');
  return parsed;
}

export function registerBench(program: Command): void {
  const command = program
    .command('bench')
    .description('load data at a scale, run the query catalogue as each query\'s actor, check plans and work (timings reported); exit 1 when a gate fails, 6 when the catalogue does not run')
    .addOption(new Option('--scale <scale>', 'data volume').choices(scales))
    .option('--seed <n>', 'generator seed', integer)
    .option('--runs <n>', 'timed runs per query (at least 20)', integer)
    .option('--query <id...>', 'only these catalogue queries (e.g. q01 q05)')
    .option('--baseline <file>', 'compare with a saved report: fail on a lost index, a new seq scan or twice the work')
    .option('--output <file>', 'where to save the JSON report (default: reports/bench.json)')
    .option('--fec-dir <dir>', 'FEC bulk files to load before the data recipe (default: settings.bench.fecDir)')
    .option('--no-fec', 'do not load FEC files')
    .option('--no-data-cache', 'generate the data afresh and do not keep it (default: reuse cached data when nothing that shapes it changed)')
    .option('--uuid-rows <n>', 'rows per variant for the UUID v7/v4 comparison (0 skips it)', integer);
  command.action(
    runAction(program, async (globals) => {
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
      const output = options.output ? resolve(options.output) : resolve(settings.reportsDir, 'bench.json');
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`${formatBenchTable(report)}\nreport: ${output}\n`);
      return report.passed ? exitCodes.ok : exitCodes.checksFailed;
    }),
  );
}
