/**
 * SARIF 2.1.0 for lint findings and migration errors: valid against the
 * OASIS schema (vendored in tests/fixtures/sarif), and pointing at the line
 * of a fixture with a known finding.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { runLints } from '../../src/lint/index.ts';
import { errorSarif, lintSarif, mergeSarif, type SarifLog } from '../../src/output/sarif.ts';
import type { ErrorDetail } from '../../src/errors/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(resolve(repoRoot, 'tests/fixtures/sarif/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
// Both are CommonJS with the export on `default`; the schema is draft-04 and has a pattern not valid as a unicode RegExp.
const require = createRequire(import.meta.url);
interface Validator {
  (data: unknown): boolean;
  errors?: unknown;
}
interface AjvInstance {
  compile(schema: object): Validator;
}
const Ajv = (require('ajv-draft-04') as { default: new (options: object) => AjvInstance }).default;
const addFormats = (require('ajv-formats') as { default: (ajv: AjvInstance) => void }).default;
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

function valid(log: unknown): boolean {
  const ok = validate(log) as boolean;
  if (!ok) console.error(JSON.stringify(validate.errors, null, 2));
  return ok;
}

const options = { toolVersion: '0.0.0-test', root: repoRoot };
const fixtureFile = 'tests/lint/fixtures/policy-in-sql/sql/00001-notes.sql';

async function fixtureLog(): Promise<SarifLog> {
  const result = await runLints({ db: null, sqlDir: resolve(repoRoot, 'tests/lint/fixtures/policy-in-sql/sql'), root: repoRoot, squawk: false });
  return lintSarif(result, options);
}

describe('SARIF output', () => {
  it('validates against the SARIF 2.1.0 schema, and the schema rejects a broken log', async () => {
    const log = await fixtureLog();
    expect(valid(log)).toBe(true);
    const run = log.runs[0]!;
    const broken = { ...log, runs: [{ ...run, results: [{ ...run.results[0]!, level: 'fatal', message: undefined }] }] };
    expect(validate(JSON.parse(JSON.stringify(broken)))).toBe(false);
    expect(validate({ ...log, version: '2.0.0' })).toBe(false);
  });

  it("points the known policy_in_migrations finding at its file, line and column, with the rule's help text", async () => {
    const log = await fixtureLog();
    const run = log.runs[0]!;
    const result = run.results.find((entry) => entry.ruleId === 'policy_in_migrations' && entry.locations[0]?.physicalLocation?.region?.startLine === 11);
    expect(result).toBeDefined();
    const physical = result!.locations[0]!.physicalLocation!;
    expect(physical.artifactLocation.uri).toBe(fixtureFile);
    const line = readFileSync(resolve(repoRoot, physical.artifactLocation.uri), 'utf8').split('\n')[physical.region!.startLine - 1]!;
    expect(line.slice(physical.region!.startColumn! - 1).toLowerCase()).toMatch(/^enable row level security/);
    const rule = run.tool.driver.rules[result!.ruleIndex!]!;
    expect(rule.id).toBe('policy_in_migrations');
    expect(rule.help.text.length).toBeGreaterThan(0);
    expect(result!.level).toBe('error');
  });

  it('marks a suppressed finding as suppressed with its reason, not dropped', async () => {
    const result = await runLints({
      db: null,
      sqlDir: resolve(repoRoot, 'tests/lint/fixtures/policy-in-sql/sql'),
      root: repoRoot,
      squawk: false,
      suppressions: [{ lint: 'policy_in_migrations', object: `${fixtureFile}:27`, reason: 'fixture: the DO block stays' }],
    });
    const log = lintSarif(result, options);
    expect(valid(log)).toBe(true);
    const suppressed = log.runs[0]!.results.filter((entry) => entry.suppressions !== undefined);
    expect(suppressed.map((entry) => entry.locations[0]?.physicalLocation?.region?.startLine)).toEqual([27]);
    expect(suppressed[0]!.suppressions![0]!.justification).toBe('fixture: the DO block stays');
  });

  it('turns a SQL error and refused statements into results at their file:line:column', () => {
    const location = (line: number, column: number) => ({ file: 'sql/00002-b.sql', line, column, excerpt: '' });
    const sqlError: ErrorDetail = {
      code: 'sql_error',
      phase: 'migration',
      sqlstate: '42601',
      message: 'syntax error at or near "tabel"',
      file: 'sql/00002-b.sql',
      location: location(2, 8),
      detail: null,
      hint: 'check the spelling',
      context: null,
      position: 24,
    };
    const refused: ErrorDetail = {
      code: 'migration_statement_refused',
      statements: [3, 9].map((line) => ({ location: location(line, 1), statement: 'COMMIT', kind: 'transaction_control' as const, why: 'the run is one transaction', remedy: 'remove it' })),
    };
    const log = mergeSarif([errorSarif(sqlError, options), errorSarif(refused, options)]);
    expect(valid(log)).toBe(true);
    expect(
      log.runs.map((run) =>
        run.results.map((result) => [
          result.ruleId,
          result.locations[0]?.physicalLocation?.artifactLocation.uri,
          result.locations[0]?.physicalLocation?.region?.startLine,
          result.locations[0]?.physicalLocation?.region?.startColumn,
        ]),
      ),
    ).toEqual([
      [['sql_error', 'sql/00002-b.sql', 2, 8]],
      [
        ['migration_statement_refused', 'sql/00002-b.sql', 3, 1],
        ['migration_statement_refused', 'sql/00002-b.sql', 9, 1],
      ],
    ]);
    expect(log.runs[0]!.results[0]!.message.text).toContain('check the spelling');
  });
});
