import { describe, expect, it } from 'vitest';
import { SchemaproofError, exitCodeFor, exitCodes, type ErrorDetail } from '../../src/errors/index.ts';
import { renderFailure } from '../../src/cli/render.ts';

describe('error rendering', () => {
  it('renders a known failure as one line with its code and a distinct exit code', () => {
    const rendered = renderFailure(new SchemaproofError({ code: 'migration_edited', file: '00001-first.sql' }), false);
    expect(rendered.lines).toHaveLength(1);
    expect(rendered.lines[0]).toMatch(/^schemaproof: error\[migration_edited\]: .*00001-first\.sql/);
    expect(rendered.exitCode).toBe(exitCodes.migration);
  });

  it('adds the offending source lines to a SQL error', () => {
    const detail: ErrorDetail = {
      code: 'sql_error',
      phase: 'migration',
      sqlstate: '42601',
      message: 'syntax error at or near "tabel"',
      file: 'sql/00001-a.sql',
      location: { file: 'sql/00001-a.sql', line: 2, column: 8, excerpt: '> 2 | create tabel x\n    |        ^' },
      detail: null,
      hint: null,
      context: null,
      position: 24,
    };
    const rendered = renderFailure(new SchemaproofError(detail), false);
    expect(rendered.lines[0]).toContain('sql/00001-a.sql:2:8');
    expect(rendered.lines[1]).toContain('create tabel');
  });

  it("keeps Postgres' DETAIL, HINT and CONTEXT in the rendered failure and in the one-line description", () => {
    const detail: ErrorDetail = {
      code: 'sql_error',
      phase: 'migration',
      sqlstate: '23502',
      message: 'null value in column "a" violates not-null constraint',
      file: 'sql/00001-a.sql',
      location: null,
      detail: 'Failing row contains (null).',
      hint: 'give it a value',
      context: 'SQL statement "insert into t values (null)"',
      position: null,
    };
    const rendered = renderFailure(new SchemaproofError(detail), false).lines.join('\n');
    for (const value of ['Failing row contains (null).', 'give it a value', 'SQL statement "insert into t values (null)"']) {
      expect(rendered).toContain(value);
      expect(new SchemaproofError(detail).message).toContain(value);
    }
  });

  it('shows every refused statement with its location, exit 5', () => {
    const refused = (line: number) => ({
      location: { file: 'sql/00002-b.sql', line, column: 1, excerpt: `> ${line} | commit;` },
      statement: 'COMMIT',
      kind: 'transaction_control' as const,
      why: 'why',
      remedy: 'remedy',
    });
    const rendered = renderFailure(new SchemaproofError({ code: 'migration_statement_refused', statements: [refused(3), refused(9)] }), false);
    expect(rendered.exitCode).toBe(exitCodes.migration);
    expect(rendered.lines.filter((line) => line.startsWith('sql/00002-b.sql:'))).toEqual(['sql/00002-b.sql:3:1: COMMIT', 'sql/00002-b.sql:9:1: COMMIT']);
  });

  it('hides stack traces unless debugging', () => {
    const bug = new TypeError('undefined is not a function');
    expect(renderFailure(bug, false).lines).toHaveLength(1);
    expect(renderFailure(bug, false).exitCode).toBe(exitCodes.internal);
    expect(renderFailure(bug, true).lines.length).toBeGreaterThan(1);
  });

  it('gives "could not run" kinds exit codes distinct from "checks failed"', () => {
    const kinds: ErrorDetail[] = [
      { code: 'config_invalid', file: 'x', problems: [] },
      { code: 'postgres_not_found', searched: [] },
      { code: 'migration_edited', file: 'x' },
      { code: 'access_spec_invalid', file: 'x', problems: [] },
      { code: 'disk_full', path: '/', detail: '' },
    ];
    const codes = kinds.map(exitCodeFor);
    expect(new Set(codes).size).toBe(kinds.length);
    expect(codes).not.toContain(exitCodes.checksFailed);
    expect(codes).not.toContain(exitCodes.ok);
  });
});

describe('an interruption seen first through a child', () => {
  it('a child killed by SIGINT before this process saw the signal is told as the interruption itself: one line, exit 130', async () => {
    const { Command } = await import('commander');
    const { runAction } = await import('../../src/cli/main.ts');
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    const exitCode = process.exitCode;
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await runAction(new Command('schemaproof'), async () => {
        throw new SchemaproofError({ code: 'interrupted', signal: 'SIGINT' });
      })();
      expect(process.exitCode).toBe(130);
    } finally {
      process.stderr.write = write;
      process.exitCode = exitCode;
    }
    expect(written).toEqual(['schemaproof: interrupted by SIGINT; stopping and removing what this run created\n']);
  });
});
