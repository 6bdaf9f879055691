/**
 * `schemaproof init` in a project that has its spec already: refused before
 * anything starts, with its own exit code; the file is left alone.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/errors/index.ts';
import { startCli } from '../helpers/cli.ts';

const todo = resolve(import.meta.dirname, '../fixtures/projects/todo');

describe('schemaproof init (CLI)', () => {
  it('refuses to overwrite an existing spec: exit 8 (access_spec_exists), one line, the file untouched', async () => {
    const file = resolve(todo, 'tests/access/access-spec.json');
    const before = readFileSync(file, 'utf8');
    const result = await startCli(['init'], { cwd: todo }).done;
    expect(result.status).toBe(exitCodes.exists);
    expect(result.stderr).toContain('access_spec_exists');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(before);
  }, 60_000);

  it('--stdout and --output-file together are a usage error', async () => {
    const result = await startCli(['init', '--stdout', '--output-file', 'x.json'], { cwd: todo }).done;
    expect(result.status).toBe(exitCodes.usage);
  }, 60_000);
});
