import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import { flagError, integer, outputFileOption, positiveInteger } from '../flags.ts';
import { writeTextFile } from '../output.ts';
import { openCommandWorkspace } from '../workspace.ts';
import { runAction } from '../main.ts';

/** Worlds per property per probing round when neither --runs nor the config says otherwise. */
const defaultInitRuns = 4;

export function registerInit(program: Command): void {
  const command = program
    .command('init')
    .description('draft the access spec from the migrated database: reachable relations, owner columns, and the rules observed by probing (each marked "reviewed": false)')
    .option('--update', 'add the relations the existing spec lacks; existing entries keep their bytes')
    .addOption(outputFileOption('the spec file to write (default: accessSpec from the config)'))
    .option('--stdout', 'print the spec on stdout instead of writing a file (the summary goes to stderr)')
    .option('--exposed-schemas <names>', 'comma-separated schemas the API serves, for a new spec (default: public)')
    .option('--runs <n>', `worlds per property per probing round (default: ${defaultInitRuns})`, positiveInteger)
    .option('--seed <s>', 'fast-check seed (default: rls.seed from the config)', integer);
  command.action(
    runAction(program, async (globals) => {
      const options = command.opts<{ update?: boolean; outputFile?: string; stdout?: boolean; exposedSchemas?: string; runs?: number; seed?: number }>();
      if (options.stdout && options.outputFile !== undefined) throw flagError('--stdout', 'true', 'give either --stdout or --output-file');
      const { loadSettings } = await import('../../config/index.ts');
      const settings = await loadSettings({ configPath: globals.config });
      const file = options.outputFile !== undefined ? resolve(process.cwd(), options.outputFile) : settings.accessSpec;
      const { draftAccessSpec, refuseOverwrite } = await import('../../init/index.ts');
      if (!options.stdout) refuseOverwrite(file, { update: options.update === true });
      const existing = options.update && existsSync(file) ? { file, text: readFileSync(file, 'utf8') } : undefined;
      if (existing) {
        // The spec to add to must load as it is: its own problems first, before Postgres starts.
        const { loadAccessSpec } = await import('../../rls/index.ts');
        loadAccessSpec(file);
      }
      const workspace = await openCommandWorkspace(globals, settings);
      const out = options.stdout ? process.stderr : process.stdout;
      try {
        const result = await draftAccessSpec({
          server: workspace.server,
          template: workspace.template.name,
          ...(existing ? { existing } : {}),
          ...(options.exposedSchemas
            ? {
                exposedSchemas: options.exposedSchemas
                  .split(',')
                  .map((name) => name.trim())
                  .filter((name) => name !== ''),
              }
            : {}),
          runs: options.runs ?? defaultInitRuns,
          seed: options.seed ?? settings.rls.seed,
        });
        for (const relation of result.added) {
          out.write(
            `${relation.needsAttention ? '!' : '+'} ${relation.name.padEnd(34)} ${relation.kind.padEnd(5)} owner ${String(relation.ownerColumn ?? '-').padEnd(14)} ${Object.entries(relation.rules)
              .map(([actor, rules]) => `${actor}: ${rules.select}/${rules.insert}/${rules.update}/${rules.delete}`)
              .join('  ')}\n`,
          );
        }
        for (const name of result.disappeared) out.write(`gone: ${name} is in the spec but not in the database; kept: remove it by hand (rls refuses a spec naming a missing relation)\n`);
        for (const entry of result.skipped) out.write(`skipped: ${entry}\n`);
        for (const fn of result.unlistedDefinerFunctions) {
          out.write(
            `definer function not in the spec: "${fn.signature}"${fn.searchPathFixed ? '' : ' (no fixed search_path)'}: list it in securityDefinerFunctions with why it is safe, or revoke EXECUTE from the API roles\n`,
          );
        }
        for (const error of result.errors) out.write(`probing: ${error}\n`);
        const attention = result.added.filter((relation) => relation.needsAttention).length;
        const summary = `${result.added.length} relation(s) drafted (${attention} with placeholder or unobserved rules, marked !), ${result.kept.length} kept as they were; ${result.cases} case(s) in ${result.rounds} probing round(s)${result.settled ? '' : ' (the observed rules did not settle: read the notes)'}; every drafted relation is "reviewed": false`;
        if (options.stdout) {
          process.stdout.write(result.text);
          out.write(`${summary}\n`);
        } else {
          const path = writeTextFile(file, result.text);
          out.write(`${summary}\nspec written to ${path}\n`);
        }
        return exitCodes.ok;
      } finally {
        await workspace.close();
      }
    }),
  );
}
