/**
 * What the shards of one run must agree on, per kind: the options that shape
 * a verdict and hashes of the files that do (migrations, policies, seed
 * files, the tests or the access spec). Timings, job counts and where the
 * checkout lives do not count.
 */
import type { Settings } from '../config/index.ts';
import { hashFiles, type ShardInputs } from './envelope.ts';

type ProjectFiles = Pick<Settings, 'root' | 'sqlDir' | 'policiesDir' | 'seed'>;

function schemaHash(settings: ProjectFiles): string {
  return hashFiles(settings.root, [settings.sqlDir, settings.policiesDir, ...(settings.seed.enabled ? settings.seed.paths : [])]);
}

export function pgtapShardInputs(settings: ProjectFiles & Pick<Settings, 'pgtap'>, files: readonly string[], timeoutMs: number): ShardInputs {
  return { timeoutMs, isolation: settings.pgtap.isolation, schema: schemaHash(settings), tests: hashFiles(settings.root, files) };
}

export function rlsShardInputs(settings: ProjectFiles & Pick<Settings, 'accessSpec'>, options: { readonly seed: number; readonly runs: number; readonly checkExercise: boolean }): ShardInputs {
  return { seed: options.seed, runs: options.runs, checkExercise: options.checkExercise, schema: schemaHash(settings), spec: hashFiles(settings.root, [settings.accessSpec]) };
}

export function mutationShardInputs(settings: ProjectFiles & Pick<Settings, 'accessSpec' | 'mutantsDir'>, options: { readonly seed: number; readonly runs: number }): ShardInputs {
  return { seed: options.seed, runs: options.runs, schema: schemaHash(settings), spec: hashFiles(settings.root, [settings.accessSpec]), mutants: hashFiles(settings.root, [settings.mutantsDir]) };
}
