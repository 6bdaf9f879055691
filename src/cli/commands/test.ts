import type { Command } from 'commander';
import { resolve } from 'node:path';
import { exitCodes } from '../../errors/index.ts';
import type { PgtapProgressEvent, PgtapRunResult } from '../../pgtap/index.ts';
import { formatFileLine, formatJson, formatJunit, formatSummary, formatTap, reporters, type PgtapReporter } from '../../pgtap/reporters.ts';
import { flagError, hiddenAlias, outputFile, outputFileOption, positiveInteger, reporterOption, shardFlag, shardOption } from '../flags.ts';
import { writeTextFile } from '../output.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction } from '../main.ts';
import type { Workspace } from '../../workspace/index.ts';

interface TestOptions {
  readonly jobs?: number;
  readonly timeoutMs?: number;
  readonly reporter: PgtapReporter;
  readonly output?: string;
  readonly outputFile?: string;
  readonly passWithNoTests?: boolean;
  readonly shard?: string;
  readonly watch?: boolean;
}

/** Progress on stdout: plain lines, or on a TTY (not CI) a live block of running files under the finished ones. */
function progressPrinter(live: boolean): { onProgress: (event: PgtapProgressEvent) => void; finish: () => void } {
  const out = process.stdout;
  const running = new Map<number, string>();
  let drawn = 0;
  const clear = (): void => {
    if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const draw = (): void => {
    for (const path of running.values()) out.write(`RUNS    ${path}\n`);
    drawn = running.size;
  };
  return {
    onProgress(event) {
      if (event.type === 'start') return;
      if (event.type === 'file_start') {
        if (!live) return;
        clear();
        running.set(event.index, event.displayPath);
        draw();
        return;
      }
      if (live) clear();
      running.delete(event.index);
      out.write(`${formatFileLine(event.result)}\n`);
      if (live) draw();
    },
    finish() {
      if (live) clear();
    },
  };
}

function render(result: PgtapRunResult, reporter: PgtapReporter): string {
  switch (reporter) {
    case 'summary':
      return formatSummary(result);
    case 'tap':
      return formatTap(result);
    case 'junit':
      return formatJunit(result);
    case 'json':
      return formatJson(result);
  }
}

export function registerTest(program: Command): void {
  const command = program
    .command('test')
    .description('run pgTAP files, each in its own fresh clone of the migrated template, in parallel')
    .argument('[files...]', 'pgTAP files or directories (default: every *.sql under the configured pgtapDir)')
    .option('-j, --jobs <n>', 'files run at once (default: config pgtap.jobs, else the number of cores)', positiveInteger)
    .option('--timeout-ms <n>', 'per-file timeout in milliseconds (default: config pgtap.timeoutMs, 60000)', positiveInteger)
    .addOption(reporterOption(reporters, 'summary', 'summary (live, then failures), tap, junit or json'))
    .addOption(outputFileOption('write the report there (the summary still goes to stdout)'))
    .addOption(hiddenAlias('-o, --output <file>', 'same as --output-file'))
    .option('--pass-with-no-tests', 'exit 0 when no pgTAP file is found (default: a failure naming where it looked; config pgtap.passWithNoTests)')
    .addOption(shardOption('pgTAP files'))
    .option('--watch', 'run, then re-run on every change: a changed pgTAP file runs itself, a changed migration, policy or seed file rebuilds the template and runs every file (Ctrl-C stops)');
  command.action(
    runAction(program, async (globals) => {
      const { loadSettings } = await import('../../config/index.ts');
      const { defaultJobs, discoverPgtapFiles, displayPathFor, runPgtap } = await import('../../pgtap/index.ts');
      const options = command.opts<TestOptions>();
      const shard = shardFlag(options.shard);
      if (shard && options.watch) throw flagError('--shard', options.shard!, '--watch runs on one machine: give either --watch or --shard');
      const output = outputFile(options, options.output);
      const paths = command.processedArgs[0] as string[] | undefined;
      const settings = await loadSettings({ configPath: globals.config });
      if (shard && settings.pgtap.isolation === 'shared') {
        throw flagError('--shard', options.shard!, 'pgtap.isolation is "shared": the files run in order on one database and may rely on each other, so they cannot be split');
      }
      const discover = (): readonly string[] => discoverPgtapFiles({ dir: settings.pgtapDir, paths: paths ?? [], cwd: process.cwd(), extensions: settings.pgtap.extensions });
      const files = discover();
      const timeoutMs = options.timeoutMs ?? settings.pgtap.timeoutMs;
      const { emptyPgtapResult, emptyShardMessage, pgtapShardInputs, planShard } = await import('../../shard/index.ts');
      const plan = shard ? planShard('pgtap', shard, files, (file) => displayPathFor(settings.root, file), pgtapShardInputs(settings, files, timeoutMs)) : null;
      const toFile = output !== undefined;
      const showSummary = options.reporter === 'summary' || toFile;
      const { terminalFor } = await import('../../output/tty.ts');
      const runFiles = async (workspace: Workspace, selected: readonly string[]): Promise<PgtapRunResult> => {
        const printer = progressPrinter(showSummary && terminalFor(process.stdout).live);
        try {
          const template = await workspace.pgtapTemplate();
          return await runPgtap({
            server: workspace.server,
            template,
            files: selected,
            jobs: options.jobs ?? settings.pgtap.jobs ?? defaultJobs(),
            timeoutMs,
            isolation: settings.pgtap.isolation,
            root: settings.root,
            passWithNoTests: options.passWithNoTests === true || settings.pgtap.passWithNoTests,
            searched: paths && paths.length > 0 ? paths.map((path) => resolve(process.cwd(), path)) : [settings.pgtapDir],
            ...(showSummary ? { onProgress: printer.onProgress } : {}),
          });
        } finally {
          printer.finish();
        }
      };
      const print = (result: PgtapRunResult): void => {
        if (toFile) {
          writeTextFile(output, render(result, options.reporter));
          process.stdout.write(formatSummary(result, { fileLines: false }).replace(/^\n/, ''));
          process.stdout.write(`${options.reporter} report written to ${output}\n`);
        } else if (options.reporter === 'summary') {
          process.stdout.write(`\n${formatSummary(result, { fileLines: false })}`);
        } else {
          process.stdout.write(render(result, options.reporter));
        }
      };
      if (options.watch) {
        const { watchAndRerun } = await import('../watch.ts');
        return watchAndRerun({
          globals,
          settings,
          command: 'test',
          project: {
            root: settings.root,
            schema: [settings.sqlDir, settings.policiesDir, ...(settings.seed.enabled ? settings.seed.paths : [])],
            spec: [],
            pgtap: paths && paths.length > 0 ? paths.map((path) => resolve(process.cwd(), path)) : [settings.pgtapDir],
            pgtapExtensions: settings.pgtap.extensions,
          },
          run: async (workspace, batch) => {
            // A changed pgTAP file re-runs itself (if it is still there and still one of the files to run); anything else, every file.
            const now = discover();
            const selected = batch === null ? now : now.filter((file) => batch.pgtap.includes(file));
            if (selected.length === 0 && batch !== null) {
              process.stdout.write('[watch] no pgTAP file left to run for this change\n');
              return;
            }
            print(await runFiles(workspace, selected));
          },
        });
      }
      let result: PgtapRunResult;
      if (plan && plan.info.items.length > 0 && plan.selected.length === 0) {
        (showSummary ? process.stdout : process.stderr).write(`${emptyShardMessage(plan.info, 'file(s)')}\n`);
        result = emptyPgtapResult(timeoutMs);
      } else {
        if (plan && showSummary) process.stdout.write(`shard ${plan.info.index}/${plan.info.total}: ${plan.selected.length} of ${plan.info.items.length} file(s)\n`);
        const workspace = await openCommandWorkspace(globals, settings);
        try {
          result = await runFiles(workspace, plan ? plan.selected : files);
        } finally {
          await workspace.close();
        }
      }
      // A shard's report carries which shard it is and what every shard must agree on (see src/shard).
      if (plan) result = { ...result, shard: plan.info } as PgtapRunResult;
      print(result);
      return result.ok ? exitCodes.ok : exitCodes.checksFailed;
    }),
  );
}
