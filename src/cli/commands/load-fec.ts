import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import type { FecLoadResult } from '../../fec/index.ts';
import { hiddenAlias, outputFile, outputFileOption, reporterOption } from '../flags.ts';
import { runAction } from '../main.ts';

function summary(result: FecLoadResult, where: string): string {
  const lines: string[] = [];
  for (const file of result.files) {
    lines.push(`${file.file.padEnd(14)} ${String(file.rows).padStart(8)} rows  stored ${String(file.stored).padStart(8)}  rejected ${String(file.rejected).padStart(6)}  ${file.sha256.slice(0, 12)}`);
  }
  for (const [table, outcome] of Object.entries(result.perTable)) {
    lines.push(`${table.padEnd(26)} inserted ${outcome.inserted}, updated ${outcome.updated}, unchanged ${outcome.unchanged}`);
  }
  const byKind = new Map<string, number>();
  for (const row of result.rejected) byKind.set(`${row.file} ${row.kind}`, (byKind.get(`${row.file} ${row.kind}`) ?? 0) + 1);
  for (const [key, count] of byKind) lines.push(`rejected: ${key}: ${count}`);
  lines.push(
    result.replay
      ? `replay: these files were already loaded (run ${result.runId}, key ${result.idempotencyKey}); nothing changed in ${where}`
      : `${result.status}: ${result.inputRows} rows (cycle ${result.cycle ?? '?'}) in ${result.durationMs} ms (${result.rowsPerSecond} rows/s) into ${where}; run ${result.runId}`,
  );
  return lines.join('\n');
}

export function registerLoadFec(program: Command): void {
  const command = program
    .command('load-fec')
    .description('load FEC bulk files (cn, cm, ccl, itpas2, webk) into the FEC tables; without --database-url into a fresh clone in a throwaway cluster (dry check)')
    .argument('<dir>', 'directory with the FEC bulk .txt files')
    .addOption(reporterOption(['json'], 'json', 'format of the saved result'))
    .addOption(outputFileOption('where to write the full result, every rejected row with its reason (default: reports/load-fec.json)'))
    .addOption(hiddenAlias('--report <file>', 'same as --output-file'));
  command.action((dir: string) =>
    runAction(program, async (globals) => {
      const { loadSettings } = await import('../../config/index.ts');
      const { findFecFiles, loadFec } = await import('../../fec/index.ts');
      const { provisionPostgres } = await import('../../postgres/index.ts');
      const { openProjectWorkspace } = await import('../../workspace/index.ts');
      const settings = await loadSettings({ configPath: globals.config });
      const options = command.opts<{ report?: string; outputFile?: string }>();
      const databaseUrl = globals.databaseUrl ?? settings.databaseUrl;
      // Refuse a wrong directory before starting any server.
      findFecFiles(resolve(dir));
      let result: FecLoadResult;
      let where: string;
      if (databaseUrl) {
        const server = await provisionPostgres({ databaseUrl });
        try {
          where = server.description;
          result = await loadFec(server.target(server.maintenanceDatabase), { directory: resolve(dir) });
        } finally {
          await server.stop();
        }
      } else {
        const workspace = await openProjectWorkspace(settings, undefined);
        try {
          const clone = await workspace.template.clone('load_fec');
          where = `a fresh clone (${clone.name}) in a throwaway cluster — dry check, discarded`;
          result = await loadFec(workspace.server.target(clone.name), { directory: resolve(dir) });
        } finally {
          await workspace.close();
        }
      }
      const file = outputFile(options, options.report);
      const report = file ? resolve(file) : resolve(settings.reportsDir, 'load-fec.json');
      mkdirSync(dirname(report), { recursive: true });
      writeFileSync(report, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`${summary(result, where)}\nquarantine report (every rejected row with its reason): ${report}\n`);
      return exitCodes.ok;
    })(),
  );
}
