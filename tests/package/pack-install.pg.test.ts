/**
 * The package a stranger installs: `npm pack` (prepack builds dist/), install
 * the tarball into an empty project holding a small schema (sql/, policies/,
 * a pgTAP file), then run the installed CLI there: `--version`, a bad flag,
 * and `verify` against its own throwaway Postgres. Optional dependencies are
 * left out (`--omit=optional`), so the run also proves testcontainers is
 * not needed unless Docker is the only Postgres, and tsx is not installed at
 * all (the bin is compiled JavaScript).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');
const fixture = join(repoRoot, 'tests/fixtures/projects/package-notes');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args as string[], { cwd, env: { ...process.env, CI: 'true', DATABASE_URL: '', ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let work = '';
let project = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sp-pack-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], repoRoot);
  expect(packed.code, packed.stderr).toBe(0);
  // prepack's build prints to stdout before the JSON
  const json = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
  const tarball = join(work, json[0]!.filename);
  project = join(work, 'project');
  cpSync(fixture, project, { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  const installed = await run('npm', ['install', tarball, '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
  expect(installed.code, installed.stderr).toBe(0);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed into an empty project', () => {
  it('ships compiled code and the SQL it reads, nothing of this repository', () => {
    const installed = join(project, 'node_modules/schemaproof');
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'package.json']);
    expect(existsSync(join(installed, 'dist/cli/bin.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'dist/postgres/supabase-shim.sql'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/testcontainers'))).toBe(false);
  });

  it('answers --version, and a bad flag value is a usage error (exit 2)', async () => {
    const shown = await run('npx', ['--no-install', 'schemaproof', '--version'], project);
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim()).toBe(version);
    const bad = await run('npx', ['--no-install', 'schemaproof', 'verify', '--runs', 'abc'], project);
    expect(bad.code).toBe(2);
  }, 120_000);

  it('type-checks a consumer importing the library API', async () => {
    writeFileSync(
      join(project, 'check.ts'),
      [
        "import { defineConfig, verify, test, rls, lint, type VerifyResult, type Settings } from 'schemaproof';",
        'export const config = defineConfig({ rls: { runs: 3 } });',
        'export async function check(settings: Settings): Promise<string> {',
        '  const result: VerifyResult = await verify({ settings });',
        '  // @ts-expect-error the verdict is a string union, not a number',
        '  const wrong: number = result.report.verdict;',
        '  void wrong;',
        '  const pgtap = await test({ settings });',
        '  const props = await rls({ settings, runs: 1 });',
        '  const lints = await lint({ settings });',
        '  return `${result.report.verdict} ${pgtap.ok} ${props.passed} ${lints.errorCount}`;',
        '}',
        '',
      ].join('\n'),
    );
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    const checked = await run(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--typeRoots', join(repoRoot, 'node_modules/@types'), '--types', 'node', 'check.ts'],
      project,
    );
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  }, 120_000);

  it('runs `npx schemaproof verify` on the fixture schema: exit 0 and a passing JSON report', async () => {
    // The fixture has no access spec (rls, mutation) and no query catalogue (plans is skipped by itself).
    const verified = await run('npx', ['--no-install', 'schemaproof', 'verify', '--skip', 'rls', 'mutation', '--reporter', 'json', '--output-file', 'out/verify.json'], project);
    expect(verified.code, verified.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(project, 'out/verify.json'), 'utf8')) as { verdict: string; gates: { id: string; status: string }[] };
    expect(report.verdict).toBe('pass');
    expect(Object.fromEntries(report.gates.map((gate) => [gate.id, gate.status]))).toEqual({
      migrations: 'pass',
      pgtap: 'pass',
      rls: 'skipped',
      mutation: 'skipped',
      plans: 'skipped',
      lint: 'pass',
      restore: 'pass',
    });
    expect(existsSync(join(project, 'reports/verification.md'))).toBe(true);
  }, 600_000);
});
