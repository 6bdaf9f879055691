/**
 * Project-level entry points for the library: each loads the settings (or
 * takes them), provisions Postgres and the project's template, runs one
 * checker, removes what it created and returns the typed result. The CLI's
 * commands do the same plus printing; `verify` lives in src/verify.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSettings, type Settings } from '../config/index.ts';
import { lintProjectFiles, lintTemplate, type LintResult } from '../lint/index.ts';
import { discoverPgtapFiles, runPgtap, defaultJobs, type PgtapRunResult } from '../pgtap/index.ts';
import { loadAccessSpec, runMutation, runRls, type MutationResult, type PropertyName, type RlsResult } from '../rls/index.ts';
import { openProjectWorkspace, type Workspace } from '../workspace/index.ts';
import { draftAccessSpec, type InitResult } from '../init/index.ts';

/** Where the project is and which server to use (every field optional). */
export interface ProjectOptions {
  /** Settings already loaded; else loaded from `configPath`, or the config file found in `cwd`. */
  readonly settings?: Settings;
  readonly configPath?: string;
  /** The project's root when no settings or config path are given (default: process.cwd()). */
  readonly cwd?: string;
  /** An existing server (default: settings.databaseUrl, else a throwaway cluster). */
  readonly databaseUrl?: string;
  /** On a server schemaproof did not start: create the missing Supabase roles. */
  readonly installShim?: boolean;
}

async function settingsFor(options: ProjectOptions): Promise<Settings> {
  return options.settings ?? (await loadSettings({ configPath: options.configPath, ...(options.cwd ? { cwd: options.cwd } : {}) }));
}

async function withWorkspace<T>(options: ProjectOptions, fn: (workspace: Workspace, settings: Settings) => Promise<T>): Promise<T> {
  const settings = await settingsFor(options);
  const workspace = await openProjectWorkspace(settings, options.databaseUrl ?? settings.databaseUrl, { installShim: options.installShim === true });
  try {
    return await fn(workspace, settings);
  } finally {
    await workspace.close();
  }
}

export interface TestOptions extends ProjectOptions {
  /** pgTAP files or folders (default: every file under the configured pgtapDir). */
  readonly paths?: readonly string[];
  readonly jobs?: number;
  readonly timeoutMs?: number;
}

/** Run the project's pgTAP files (as `schemaproof test`). */
export function test(options: TestOptions = {}): Promise<PgtapRunResult> {
  return withWorkspace(options, async (workspace, settings) => {
    const cwd = options.cwd ?? process.cwd();
    const files = discoverPgtapFiles({ dir: settings.pgtapDir, paths: options.paths ?? [], cwd, extensions: settings.pgtap.extensions });
    return runPgtap({
      server: workspace.server,
      template: await workspace.pgtapTemplate(),
      files,
      jobs: options.jobs ?? settings.pgtap.jobs ?? defaultJobs(),
      timeoutMs: options.timeoutMs ?? settings.pgtap.timeoutMs,
      isolation: settings.pgtap.isolation,
      root: settings.root,
      passWithNoTests: settings.pgtap.passWithNoTests,
      searched: options.paths && options.paths.length > 0 ? options.paths.map((path) => resolve(cwd, path)) : [settings.pgtapDir],
    });
  });
}

export interface RlsOptions extends ProjectOptions {
  /** Worlds per property (default: rls.runs). */
  readonly runs?: number;
  /** Default: rls.seed, else random (printed in the result). */
  readonly seed?: number;
  readonly properties?: readonly PropertyName[];
}

/** The access-matrix property tests (as `schemaproof rls`). */
export function rls(options: RlsOptions = {}): Promise<RlsResult> {
  return withWorkspace(options, async (workspace, settings) => {
    const seed = options.seed ?? settings.rls.seed;
    return runRls({
      server: workspace.server,
      template: workspace.template.name,
      spec: loadAccessSpec(settings.accessSpec),
      runs: options.runs ?? settings.rls.runs,
      ...(seed !== undefined ? { seed } : {}),
      ...(options.properties ? { properties: options.properties } : {}),
    });
  });
}

export interface MutateOptions extends ProjectOptions {
  /** Worlds per property per mutant (default: rls.mutationRuns). */
  readonly runs?: number;
  readonly seed?: number;
  readonly only?: readonly string[];
}

/** The mutation self-test (as `schemaproof rls mutate`). */
export function mutate(options: MutateOptions = {}): Promise<MutationResult> {
  return withWorkspace(options, async (workspace, settings) => {
    const seed = options.seed ?? settings.rls.seed;
    return runMutation({
      server: workspace.server,
      template: workspace.template.name,
      spec: loadAccessSpec(settings.accessSpec),
      runs: options.runs ?? settings.rls.mutationRuns,
      ...(seed !== undefined ? { seed } : {}),
      mutantsDir: settings.mutantsDir,
      ...(options.only ? { only: options.only } : {}),
    });
  });
}

export interface LintProjectOptions extends ProjectOptions {
  /** Run squawk on the migration files when the config enables it (default true). */
  readonly squawk?: boolean;
}

/** Schema lints on the migrated template plus the migration-file lints (as `schemaproof lint`). */
export function lint(options: LintProjectOptions = {}): Promise<LintResult> {
  return withWorkspace(options, (workspace, settings) => lintTemplate(workspace.template, settings, { squawk: options.squawk ?? true }));
}

/** The migration-file lints alone: no Postgres needed. */
export async function lintFiles(options: LintProjectOptions = {}): Promise<LintResult> {
  return lintProjectFiles(await settingsFor(options), { squawk: options.squawk ?? true });
}

export interface DraftSpecOptions extends ProjectOptions {
  /** Add to the project's existing spec (settings.accessSpec) instead of drafting a new one. */
  readonly update?: boolean;
  /** Exposed schemas of a new spec (default public). */
  readonly exposedSchemas?: readonly string[];
  /** Worlds per property per probing round (default 4). */
  readonly runs?: number;
  readonly seed?: number;
}

/** A draft access spec's text and what went in (as `schemaproof init --stdout`; nothing is written). */
export function draftSpec(options: DraftSpecOptions = {}): Promise<InitResult> {
  return withWorkspace(options, async (workspace, settings) => {
    // The spec to add to must load as it is.
    if (options.update) loadAccessSpec(settings.accessSpec);
    return draftAccessSpec({
      server: workspace.server,
      template: workspace.template.name,
      ...(options.update ? { existing: { file: settings.accessSpec, text: readFileSync(settings.accessSpec, 'utf8') } } : {}),
      ...(options.exposedSchemas ? { exposedSchemas: options.exposedSchemas } : {}),
      runs: options.runs ?? 4,
      seed: options.seed ?? settings.rls.seed,
    });
  });
}
