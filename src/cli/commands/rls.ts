import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import type { MatrixCell, MutantResult, MutationResult, PropertyName, RlsResult } from '../../rls/index.ts';
import { flagError, hiddenAlias, integer, oneOf, outputFile, outputFileOption, positiveInteger as positiveInt, reporterOption, shardFlag, shardOption } from '../flags.ts';
import { writeTextFile } from '../output.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction, type GlobalOptions } from '../main.ts';

interface ReportFlags {
  readonly reporter: 'summary' | 'json';
  readonly outputFile?: string;
  readonly json?: string;
}

/** `--reporter json`: the typed result to `--output-file` (or the old `--json FILE`), else to stdout (the summary lines then go to stderr). */
function reportStreams(options: ReportFlags): { readonly out: NodeJS.WriteStream; readonly finish: (value: unknown) => void } {
  const file = outputFile(options, options.json);
  if (file !== undefined && options.reporter === 'summary' && options.json === undefined) throw flagError('--output-file', file, 'give --reporter json for the file');
  const json = options.reporter === 'json' || options.json !== undefined;
  const toStdout = json && file === undefined;
  return {
    out: toStdout ? process.stderr : process.stdout,
    finish: (value) => {
      if (!json) return;
      const text = `${JSON.stringify(value, null, 2)}\n`;
      if (file === undefined) process.stdout.write(text);
      else writeTextFile(file, text);
    },
  };
}

function formatCell(cell: MatrixCell): string {
  const observed = Object.entries(cell.observed)
    .map(([rowClass, outcomes]) => `${rowClass}: ${outcomes.join('|')}`)
    .join('; ');
  return `${cell.agrees ? ' ' : '!'} ${cell.relation.padEnd(34)} ${cell.actor.padEnd(8)} ${cell.operation.padEnd(6)} expected ${cell.expected.padEnd(30)} observed ${observed}`;
}

/** Elapsed time on stderr while a run that reports nothing until it ends goes on (see src/output/tty.ts). */
async function rlsHeartbeat(what: string): Promise<() => void> {
  const { heartbeat, progress, terminalFor } = await import('../../output/tty.ts');
  return heartbeat(progress(process.stderr, terminalFor(process.stderr)), (elapsedMs) => `${what}… ${(elapsedMs / 1000).toFixed(0)} s`);
}

async function workspaceFor(globals: GlobalOptions) {
  const { loadSettings } = await import('../../config/index.ts');
  const settings = await loadSettings({ configPath: globals.config });
  const workspace = await openCommandWorkspace(globals, settings);
  return { settings, workspace };
}

/** What `rls` prints after its run (also for a merged run, see merge-reports). */
export function printRlsSummary(out: NodeJS.WritableStream, result: RlsResult, matrix: boolean): void {
  for (const entry of result.properties) {
    out.write(
      `${entry.passed ? 'PASS' : 'FAIL'}  ${entry.name.padEnd(20)} ${String(entry.runs).padStart(4)} run(s) ${String(entry.cases).padStart(7)} case(s) ${(entry.durationMs / 1000).toFixed(1).padStart(6)} s  seed ${entry.seed}\n`,
    );
    if (!entry.passed) {
      if (entry.counterexample) out.write(`${entry.counterexample.rendered}\n`);
      if (entry.error) out.write(`  error: ${entry.error}\n`);
      if (entry.replay) out.write(`  replay: ${entry.replay}\n`);
    }
  }
  if (matrix) for (const cell of result.observedMatrix) out.write(`${formatCell(cell)}\n`);
  if (result.unreviewed.length > 0) {
    out.write(`warning: ${result.unreviewed.length} relation(s) marked "reviewed": false in the access spec (their rules are a draft): ${result.unreviewed.join(', ')}\n`);
  }
  const disagreeing = result.observedMatrix.filter((cell) => !cell.agrees).length;
  out.write(
    `${result.passed ? 'passed' : 'FAILED'}: ${result.cases} case(s) in ${(result.durationMs / 1000).toFixed(1)} s (${result.casesPerSecond.toFixed(0)} cases/s); access matrix: ${result.observedMatrix.length} cell(s), ${disagreeing} disagree with the spec; seed ${result.seed}\n`,
  );
}

/** One mutant's verdict line. */
export function mutantLine(entry: MutantResult): string {
  const verdict = entry.status === 'caught' ? entry.caughtBy! : entry.status === 'survived' ? 'SURVIVED' : entry.status === 'error' ? 'ERROR' : entry.status.replace('_', ' ');
  const why = entry.applyError ? ` (${entry.applyError})` : entry.error ? ` (${entry.error})` : '';
  return `${verdict.padEnd(20)} ${entry.name}${why}  ${(entry.durationMs / 1000).toFixed(1)} s`;
}

/** What `rls mutate` prints after its run (also for a merged run). */
export function printMutationSummary(out: NodeJS.WritableStream, result: MutationResult): void {
  if (result.baselineFailures.length > 0) {
    out.write(`note: ${result.baselineFailures.join(', ')} already fail(s) without a mutant and judged no mutant; run \`schemaproof rls\`\n`);
  }
  for (const entry of result.mutants.filter((mutant) => mutant.equivalent !== undefined)) {
    out.write(`equivalent ${entry.name} (not counted): ${entry.equivalent}\n`);
  }
  for (const entry of result.mutants.filter((mutant) => mutant.status === 'not_applicable')) {
    out.write(`not applicable ${entry.name} (not counted): ${entry.applyError}\n`);
  }
  for (const entry of result.mutants.filter((mutant) => mutant.status === 'error')) {
    out.write(`ERROR ${entry.name}: the mutated schema could not be tested: ${entry.error}\n`);
  }
  for (const entry of result.mutants.filter((mutant) => mutant.status === 'survived')) {
    out.write(`SURVIVED ${entry.name}: ${entry.description}\n`);
  }
  out.write(
    `mutation score ${(result.score * 100).toFixed(0)}%: ${result.caught}/${result.total} mutant(s) caught in ${(result.durationMs / 1000).toFixed(1)} s${result.notApplicable > 0 ? ` (${result.notApplicable} not applicable)` : ''}, seed ${result.seed}\n`,
  );
}

export function registerRls(program: Command): void {
  const command = program
    .command('rls')
    .description('property-test row-level security against the access spec (random worlds of users and rows)')
    .option('--runs <n>', 'worlds per property (default: rls.runs from the config)', positiveInt)
    .option('--seed <s>', 'fast-check seed (replay a failure)', integer)
    .option('--path <p>', 'fast-check path of a counterexample (replay; use with --property)')
    .option('--property <name>', 'run one property: coverage, visibility, write_isolation, side_doors, audit_trail or no_transaction_leak')
    .option('--matrix', 'print the observed access matrix (expected vs observed per relation, actor and operation)')
    .addOption(shardOption('properties'))
    .option('--watch', 'run, then re-run on every change: a changed migration, policy or seed file rebuilds the template, a changed access spec reloads it (Ctrl-C stops)')
    .addOption(reporterOption(['summary', 'json'], 'summary', 'summary lines, or the full typed result as JSON'))
    .addOption(outputFileOption('write the --reporter json result there (the summary stays on stdout)'))
    .addOption(hiddenAlias('--json <file>', 'same as --reporter json --output-file FILE'));
  command.action(
    runAction(program, async (globals) => {
      const options = command.opts<{ runs?: number; seed?: number; path?: string; property?: string; matrix?: boolean; shard?: string; watch?: boolean } & ReportFlags>();
      const { loadAccessSpec, propertyNames, runRls, unreviewedRelations } = await import('../../rls/index.ts');
      const property: PropertyName | undefined = options.property === undefined ? undefined : oneOf('--property', options.property, propertyNames);
      const shard = shardFlag(options.shard);
      if (shard && (options.property !== undefined || options.path !== undefined)) throw flagError('--shard', options.shard!, 'shards split the properties: give either --shard or --property/--path');
      if (shard && options.watch) throw flagError('--shard', options.shard!, '--watch runs on one machine: give either --watch or --shard');
      const { out, finish } = reportStreams(options);
      if (options.path && (!options.property || options.seed === undefined)) {
        process.stderr.write('schemaproof rls: --path replays one counterexample: give it with --property and --seed (as printed in the replay line)\n');
        return exitCodes.usage;
      }
      const { loadSettings } = await import('../../config/index.ts');
      const settings = await loadSettings({ configPath: globals.config });
      const seed = options.seed ?? settings.rls.seed;
      const runs = options.runs ?? settings.rls.runs;
      if (options.watch) {
        const { watchAndRerun } = await import('../watch.ts');
        return watchAndRerun({
          globals,
          settings,
          command: 'rls',
          project: {
            root: settings.root,
            schema: [settings.sqlDir, settings.policiesDir, ...(settings.seed.enabled ? settings.seed.paths : [])],
            spec: [settings.accessSpec],
            pgtap: [],
            pgtapExtensions: [],
          },
          // Every change re-runs every property (or the one given): the spec is read again each time.
          run: async (workspace) => {
            const result = await runRls({
              server: workspace.server,
              template: workspace.template.name,
              spec: loadAccessSpec(settings.accessSpec),
              specFile: settings.accessSpec,
              runs,
              seed,
              ...(options.path ? { path: options.path } : {}),
              ...(property ? { properties: [property] } : {}),
            });
            printRlsSummary(out, result, options.matrix === true);
            finish(result);
          },
        });
      }
      const spec = loadAccessSpec(settings.accessSpec);
      const { emptyRlsResult, emptyShardMessage, planShard, rlsShardInputs } = await import('../../shard/index.ts');
      // A shard runs its properties without the exercise check: that is judged on every shard's tally when they are merged.
      const plan = shard ? planShard('rls', shard, propertyNames, (name) => name, rlsShardInputs(settings, { seed, runs, checkExercise: true })) : null;
      if (plan && plan.selected.length === 0) {
        out.write(`${emptyShardMessage(plan.info, 'properties')}\n`);
        finish({ ...emptyRlsResult(seed, runs, unreviewedRelations(spec)), shard: plan.info });
        return exitCodes.ok;
      }
      if (plan) out.write(`shard ${plan.info.index}/${plan.info.total}: ${plan.selected.join(', ')}\n`);
      const workspace = await openCommandWorkspace(globals, settings);
      const stopHeartbeat = await rlsHeartbeat('rls: property tests running');
      try {
        const result = await runRls({
          server: workspace.server,
          template: workspace.template.name,
          spec,
          specFile: settings.accessSpec,
          runs,
          seed,
          ...(options.path ? { path: options.path } : {}),
          ...(property ? { properties: [property] } : {}),
          ...(plan ? { properties: plan.selected, checkExercise: false, keepTally: true } : {}),
        }).finally(stopHeartbeat);
        printRlsSummary(out, result, options.matrix === true);
        if (plan) out.write(`shard ${plan.info.index}/${plan.info.total}: relations and rules not exercised are judged over every shard by \`schemaproof merge-reports\`\n`);
        finish(plan ? { ...result, shard: plan.info } : result);
        return result.passed ? exitCodes.ok : exitCodes.checksFailed;
      } finally {
        await workspace.close();
      }
    }),
  );
  const mutate = command
    .command('mutate')
    .description('mutation self-test: apply broken policies one at a time and check the properties catch each')
    .option('--runs <n>', 'worlds per property per mutant (default: rls.mutationRuns from the config)', positiveInt)
    .option('--seed <s>', 'fast-check seed (default: rls.seed from the config)', integer)
    .option('--only <names>', 'comma-separated mutant names')
    .addOption(shardOption('mutants (after --only)'))
    .addOption(reporterOption(['summary', 'json'], 'summary', 'summary lines, or the full typed result as JSON'))
    .addOption(outputFileOption('write the --reporter json result there (the summary stays on stdout)'))
    .addOption(hiddenAlias('--json <file>', 'same as --reporter json --output-file FILE'));
  mutate.action(
    runAction(program, async (globals) => {
      // `rls` declares --runs and --seed too, and commander gives an option to
      // the parent when both declare it: read them merged.
      const options = mutate.optsWithGlobals<{ runs?: number; seed?: number; only?: string; shard?: string } & ReportFlags>();
      const { loadAccessSpec, mutantCatalogue, mutationPassed, runMutation, selectMutants } = await import('../../rls/index.ts');
      const shard = shardFlag(options.shard);
      const { out, finish } = reportStreams(options);
      const { settings, workspace } = await workspaceFor(globals);
      const seed = options.seed ?? settings.rls.seed;
      const stopHeartbeat = await rlsHeartbeat('rls mutate: mutants running');
      try {
        const spec = loadAccessSpec(settings.accessSpec);
        const runs = options.runs ?? settings.rls.mutationRuns;
        const only = options.only ? options.only.split(',').map((name) => name.trim()) : null;
        out.write(`seed ${seed}, ${runs} world(s) per property per mutant\n`);
        let plan = null;
        let mutants;
        if (shard) {
          const { mutationShardInputs, planShard } = await import('../../shard/index.ts');
          const catalogue = await mutantCatalogue({ server: workspace.server, template: workspace.template.name, spec, mutantsDir: settings.mutantsDir });
          plan = planShard('mutation', shard, selectMutants(catalogue, only), (mutant) => mutant.name, mutationShardInputs(settings, { seed, runs }));
          mutants = plan.selected;
          out.write(`shard ${plan.info.index}/${plan.info.total}: ${plan.selected.length} of ${plan.info.items.length} mutant(s)\n`);
        }
        if (plan && plan.selected.length === 0) {
          // Nothing fell to this shard: it passes, and the merge judges the whole run (which fails if no shard judged a mutant).
          const { emptyMutationResult, emptyShardMessage } = await import('../../shard/index.ts');
          out.write(`${emptyShardMessage(plan.info, 'mutant(s)')}\n`);
          const empty = emptyMutationResult(seed, runs);
          stopHeartbeat();
          printMutationSummary(out, empty);
          finish({ ...empty, shard: plan.info });
          return exitCodes.ok;
        }
        const result = await runMutation({
          server: workspace.server,
          template: workspace.template.name,
          spec,
          specFile: settings.accessSpec,
          runs,
          seed,
          mutantsDir: settings.mutantsDir,
          ...(mutants ? { mutants } : only ? { only } : {}),
          onResult: (entry) => out.write(`${mutantLine(entry)}\n`),
        });
        stopHeartbeat();
        printMutationSummary(out, result);
        finish(plan ? { ...result, shard: plan.info } : result);
        return mutationPassed(result) ? exitCodes.ok : exitCodes.checksFailed;
      } finally {
        stopHeartbeat();
        await workspace.close();
      }
    }),
  );
}
