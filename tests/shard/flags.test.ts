/** `--shard` and `merge-reports` flag errors: exit 2 with `flag_invalid`, before any Postgres is needed. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const cwd = mkdtempSync(join(tmpdir(), 'sp-shard-flags-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
// Nothing answers here: a flag error must come before any connection.
const env = { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' };

describe('--shard flag errors', () => {
  it.each([
    [['test', '--shard', '3/2']],
    [['test', '--shard', 'half']],
    [['rls', '--shard', '0/4']],
    [['rls', '--shard', '1/2', '--property', 'coverage']],
    [['rls', 'mutate', '--shard', '2']],
    [['merge-reports', 'a.json', '--output-file', 'merged.json']],
  ])(
    '%j is flag_invalid, exit 2',
    async (args) => {
      const result = await runCli(args, { cwd, env });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('error[flag_invalid]');
    },
    60_000,
  );

  it('merge-reports of a file that is not there is input_invalid, exit 6', async () => {
    const result = await runCli(['merge-reports', 'absent-1.json', 'absent-2.json'], { cwd, env });
    expect(result.status).toBe(6);
    expect(result.stderr).toContain('error[input_invalid]');
  }, 60_000);
});
