import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadSettings } from '../../config/index.ts';
import { exitCodes } from '../../errors/index.ts';
import { loadAccessSpec, propertyNames, runMutation, runRls, type MatrixCell, type PropertyName } from '../../rls/index.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction, type GlobalOptions } from '../main.ts';

const positiveInt = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
};
const integer = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('must be an integer');
  return parsed;
};
const property = (value: string): PropertyName => {
  if (!(propertyNames as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${propertyNames.join(', ')}`);
  return value as PropertyName;
};

function writeJson(file: string | undefined, value: unknown): void {
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function formatCell(cell: MatrixCell): string {
  const observed = Object.entries(cell.observed)
    .map(([rowClass, outcomes]) => `${rowClass}: ${outcomes.join('|')}`)
    .join('; ');
  return `${cell.agrees ? ' ' : '!'} ${cell.relation.padEnd(34)} ${cell.actor.padEnd(8)} ${cell.operation.padEnd(6)} expected ${cell.expected.padEnd(30)} observed ${observed}`;
}

async function workspaceFor(globals: GlobalOptions) {
  const settings = await loadSettings({ configPath: globals.config });
  const workspace = await openCommandWorkspace(globals, settings);
  return { settings, workspace };
}

export function registerRls(program: Command): void {
  const command = program
    .command('rls')
    .description('property-test row-level security against the access spec (random worlds of users and rows)')
    .option('--runs <n>', 'worlds per property (default: rls.runs from the config)', positiveInt)
    .option('--seed <s>', 'fast-check seed (replay a failure)', integer)
    .option('--path <p>', 'fast-check path of a counterexample (replay; use with --property)')
    .option('--property <name>', `run one property: ${propertyNames.join(', ')}`, property)
    .option('--matrix', 'print the observed access matrix (expected vs observed per relation, actor and operation)')
    .option('--json <file>', 'write the full typed result as JSON');
  command.action(
    runAction(program, async (globals) => {
      const options = command.opts<{ runs?: number; seed?: number; path?: string; property?: PropertyName; matrix?: boolean; json?: string }>();
      if (options.path && (!options.property || options.seed === undefined)) {
        process.stderr.write('schemaproof rls: --path replays one counterexample: give it with --property and --seed (as printed in the replay line)\n');
        return exitCodes.usage;
      }
      const { settings, workspace } = await workspaceFor(globals);
      try {
        const spec = loadAccessSpec(settings.accessSpec);
        const seed = options.seed ?? settings.rls.seed;
        const result = await runRls({
          server: workspace.server,
          template: workspace.template.name,
          spec,
          specFile: settings.accessSpec,
          runs: options.runs ?? settings.rls.runs,
          seed,
          ...(options.path ? { path: options.path } : {}),
          ...(options.property ? { properties: [options.property] } : {}),
        });
        for (const entry of result.properties) {
          process.stdout.write(
            `${entry.passed ? 'PASS' : 'FAIL'}  ${entry.name.padEnd(20)} ${String(entry.runs).padStart(4)} run(s) ${String(entry.cases).padStart(7)} case(s) ${(entry.durationMs / 1000).toFixed(1).padStart(6)} s  seed ${entry.seed}\n`,
          );
          if (!entry.passed) {
            if (entry.counterexample) process.stdout.write(`${entry.counterexample.rendered}\n`);
            if (entry.error) process.stdout.write(`  error: ${entry.error}\n`);
            if (entry.replay) process.stdout.write(`  replay: ${entry.replay}\n`);
          }
        }
        if (options.matrix) for (const cell of result.observedMatrix) process.stdout.write(`${formatCell(cell)}\n`);
        if (result.unreviewed.length > 0) {
          process.stdout.write(`warning: ${result.unreviewed.length} relation(s) marked "reviewed": false in the access spec (their rules are a draft): ${result.unreviewed.join(', ')}\n`);
        }
        const disagreeing = result.observedMatrix.filter((cell) => !cell.agrees).length;
        process.stdout.write(
          `${result.passed ? 'passed' : 'FAILED'}: ${result.cases} case(s) in ${(result.durationMs / 1000).toFixed(1)} s (${result.casesPerSecond.toFixed(0)} cases/s); access matrix: ${result.observedMatrix.length} cell(s), ${disagreeing} disagree with the spec; seed ${result.seed}\n`,
        );
        writeJson(options.json, result);
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
    .option('--json <file>', 'write the full typed result as JSON');
  mutate.action(
    runAction(program, async (globals) => {
      // `rls` declares --runs, --seed and --json too, and commander gives an
      // option to the parent when both declare it: read them merged.
      const options = mutate.optsWithGlobals<{ runs?: number; seed?: number; only?: string; json?: string }>();
      const { settings, workspace } = await workspaceFor(globals);
      try {
        const spec = loadAccessSpec(settings.accessSpec);
        const seed = options.seed ?? settings.rls.seed;
        const runs = options.runs ?? settings.rls.mutationRuns;
        process.stdout.write(`seed ${seed}, ${runs} world(s) per property per mutant\n`);
        const result = await runMutation({
          server: workspace.server,
          template: workspace.template.name,
          spec,
          specFile: settings.accessSpec,
          runs,
          seed,
          mutantsDir: settings.mutantsDir,
          ...(options.only ? { only: options.only.split(',').map((name) => name.trim()) } : {}),
          onResult: (entry) => {
            const verdict = entry.status === 'caught' ? entry.caughtBy! : entry.status === 'survived' ? 'SURVIVED' : entry.status === 'error' ? 'ERROR' : entry.status.replace('_', ' ');
            const why = entry.applyError ? ` (${entry.applyError})` : entry.error ? ` (${entry.error})` : '';
            process.stdout.write(`${verdict.padEnd(20)} ${entry.name}${why}  ${(entry.durationMs / 1000).toFixed(1)} s\n`);
          },
        });
        if (result.baselineFailures.length > 0) {
          process.stdout.write(`note: ${result.baselineFailures.join(', ')} already fail(s) without a mutant and judged no mutant; run \`schemaproof rls\`\n`);
        }
        for (const entry of result.mutants.filter((mutant) => mutant.equivalent !== undefined)) {
          process.stdout.write(`equivalent ${entry.name} (not counted): ${entry.equivalent}\n`);
        }
        for (const entry of result.mutants.filter((mutant) => mutant.status === 'not_applicable')) {
          process.stdout.write(`not applicable ${entry.name} (not counted): ${entry.applyError}\n`);
        }
        for (const entry of result.mutants.filter((mutant) => mutant.status === 'error')) {
          process.stdout.write(`ERROR ${entry.name}: the mutated schema could not be tested: ${entry.error}\n`);
        }
        for (const entry of result.mutants.filter((mutant) => mutant.status === 'survived')) {
          process.stdout.write(`SURVIVED ${entry.name}: ${entry.description}\n`);
        }
        process.stdout.write(
          `mutation score ${(result.score * 100).toFixed(0)}%: ${result.caught}/${result.total} mutant(s) caught in ${(result.durationMs / 1000).toFixed(1)} s${result.notApplicable > 0 ? ` (${result.notApplicable} not applicable)` : ''}, seed ${result.seed}\n`,
        );
        writeJson(options.json, result);
        return result.caught === result.total && result.baselineFailures.length === 0 ? exitCodes.ok : exitCodes.checksFailed;
      } finally {
        await workspace.close();
      }
    }),
  );
}
