/**
 * Two shards merged give the unsharded run's report: `test`, `rls mutate`
 * and `rls` on a copy of the todo fixture project, each run as a user runs
 * it (child processes against the run's cluster through --database-url),
 * compared without run details (tests/helpers/run-details.ts). And a merge
 * that is not every shard of one run fails with its code.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { withoutRunDetails } from '../helpers/run-details.ts';

const fixture = resolve(import.meta.dirname, '../fixtures/projects/todo');
const project = mkdtempSync(join(tmpdir(), 'sp-shards-'));
cpSync(fixture, project, { recursive: true });
mkdirSync(join(project, 'tests/pgtap'), { recursive: true });
for (const name of ['a', 'b', 'c']) {
  writeFileSync(
    join(project, 'tests/pgtap', `${name}.sql`),
    `select plan(2);\nselect has_table('public', 'todo_lists', 'lists ${name}');\nselect ok(true, 'fine ${name}');\nselect * from finish();\n`,
  );
}
writeFileSync(join(project, 'tests/pgtap', 'd_fails.sql'), "select plan(1);\nselect ok(false, 'broken on purpose');\nselect * from finish();\n");

afterAll(() => rmSync(project, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  const target = inject('pg').maintenance;
  const binDir = inject('pg').binDir;
  return {
    DATABASE_URL: `postgresql://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`,
    ...(binDir ? { PATH: `${binDir}:${process.env.PATH ?? ''}` } : {}),
  };
}

function schemaproof(args: readonly string[]): Promise<CliResult> {
  return runCli(args, { cwd: project, env: env() });
}

function json(file: string): unknown {
  return JSON.parse(readFileSync(join(project, file), 'utf8'));
}

/** The unsharded run and both shards (at once), then the merge; the exit codes and the reports. */
async function runSharded(prefix: string, args: readonly string[]): Promise<{ whole: CliResult; shards: CliResult[]; merged: CliResult }> {
  const [whole, ...shards] = await Promise.all([
    schemaproof([...args, '--reporter', 'json', '--output-file', `${prefix}.json`]),
    schemaproof([...args, '--shard', '1/2', '--reporter', 'json', '--output-file', `${prefix}-1.json`]),
    schemaproof([...args, '--shard', '2/2', '--reporter', 'json', '--output-file', `${prefix}-2.json`]),
  ]);
  // Given in the other order: the order of the files does not matter.
  const merged = await schemaproof(['merge-reports', `${prefix}-2.json`, `${prefix}-1.json`, '--reporter', 'json', '--output-file', `${prefix}-merged.json`]);
  return { whole: whole!, shards, merged };
}

describe('merge-reports', () => {
  it('test: two shards merged equal one run (JSON, verdict); a missing, a duplicate or a foreign shard is refused', async () => {
    const { whole, shards, merged } = await runSharded('pgtap', ['test']);
    expect(whole.status).toBe(1);
    // The failing file is in one shard only: that shard fails, the other passes, the merge fails like the whole run.
    expect(shards.map((shard) => shard.status).sort()).toEqual([0, 1]);
    expect(merged.status).toBe(1);
    const one = json('pgtap.json') as { files: { displayPath: string }[] };
    const parts = [json('pgtap-1.json'), json('pgtap-2.json')] as { files: { displayPath: string }[] }[];
    // Each shard ran part of the files, every file ran in exactly one.
    expect(parts.every((part) => part.files.length > 0 && part.files.length < one.files.length)).toBe(true);
    expect(parts.flatMap((part) => part.files.map((file) => file.displayPath)).sort()).toEqual(one.files.map((file) => file.displayPath).sort());
    expect(withoutRunDetails(json('pgtap-merged.json'))).toEqual(withoutRunDetails(one));
    // A shard alone is not the run.
    expect(withoutRunDetails(json('pgtap-1.json'))).not.toEqual(withoutRunDetails(one));

    const junit = await schemaproof(['merge-reports', 'pgtap-1.json', 'pgtap-2.json', '--reporter', 'junit']);
    expect(junit.status).toBe(1);
    expect(junit.stdout.match(/<testsuite /g)).toHaveLength(4);

    const missing = await schemaproof(['merge-reports', 'pgtap-1.json']);
    expect(missing.status).toBe(6);
    expect(missing.stderr).toContain('error[shard_missing]');
    const duplicate = await schemaproof(['merge-reports', 'pgtap-1.json', 'pgtap-1.json', 'pgtap-2.json']);
    expect(duplicate.status).toBe(6);
    expect(duplicate.stderr).toContain('error[shard_duplicate]');
    const other = await schemaproof(['test', '--timeout-ms', '30000', '--shard', '2/2', '--reporter', 'json', '--output-file', 'pgtap-other-2.json']);
    expect(other.status).toBe(1);
    const foreign = await schemaproof(['merge-reports', 'pgtap-1.json', 'pgtap-other-2.json']);
    expect(foreign.status).toBe(6);
    expect(foreign.stderr).toContain('error[shard_mismatch]');
    const unsharded = await schemaproof(['merge-reports', 'pgtap.json', 'pgtap-2.json']);
    expect(unsharded.status).toBe(6);
    expect(unsharded.stderr).toContain('error[input_invalid]');
  }, 300_000);

  it('rls mutate: two shards merged equal one run, the score recomputed over every mutant', async () => {
    const only = ['using_true_todos_own', 'rls_disabled_todo_lists', 'anon_grant_todos', 'session_claims_cache', 'owner_swapped_todo_lists_own'].join(',');
    const { whole, shards, merged } = await runSharded('mutants', ['rls', 'mutate', '--runs', '2', '--only', only]);
    const one = json('mutants.json') as { mutants: unknown[]; caught: number; total: number };
    expect(one.mutants).toHaveLength(5);
    // session_claims_cache survives on this project (no property looks at a later transaction's identity here).
    expect(whole.status).toBe(1);
    expect(merged.status).toBe(1);
    expect(shards.map((shard) => shard.status)).toContain(0);
    expect(withoutRunDetails(json('mutants-merged.json'))).toEqual(withoutRunDetails(one));
    expect((json('mutants-merged.json') as { caught: number; total: number }).caught).toBe(one.caught);
  }, 300_000);

  it('rls: two shards merged equal one run, coverage judged over both shards', async () => {
    const { whole, shards, merged } = await runSharded('properties', ['rls', '--runs', '3']);
    expect(whole.status).toBe(0);
    expect(shards.map((shard) => shard.status)).toEqual([0, 0]);
    expect(merged.status).toBe(0);
    const one = json('properties.json') as { properties: unknown[]; observedMatrix: unknown[] };
    expect(one.properties).toHaveLength(6);
    expect(withoutRunDetails(json('properties-merged.json'))).toEqual(withoutRunDetails(one));
  }, 300_000);
});
