/**
 * One CLI vocabulary: a bad flag is exit 2 with one line naming it and a
 * pointer to --help (never the whole help), whether commander or the command
 * finds it; `--version` answers; old output spellings stay accepted but hidden.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runCli, stderrLines } from '../helpers/cli.ts';

const root = resolve(import.meta.dirname, '../..');
const version = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }).version;
// No Postgres is reached: every case fails (or answers) before a server is needed.
const env = { DATABASE_URL: '' };

describe('CLI flags', () => {
  it('prints the package version', async () => {
    const result = await runCli(['--version'], { cwd: root, env });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it.each([
    [['verify', '--runs', 'abc'], '--runs'],
    [['verify', '--runs', '0'], '--runs'],
    [['lint', '--no-such-flag'], '--no-such-flag'],
    [['test', '--reporter', 'xml'], '--reporter'],
    [['rls', '--property', 'nope'], '--property'],
    [['verify', '--output-file', 'x.json'], '--output-file'],
  ])('%j is a usage error naming the flag, one line and a pointer to --help', async (args, flag) => {
    const result = await runCli(args, { cwd: root, env });
    expect(result.status).toBe(2);
    const lines = stderrLines(result);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toContain(flag);
    expect(lines.join('\n')).toContain('--help');
    expect(result.stderr).not.toContain('Usage:');
  });

  it('keeps the old output spellings as hidden aliases', async () => {
    const help = await runCli(['test', '--help'], { cwd: root, env });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--output-file');
    expect(help.stdout).not.toMatch(/--output </);
    // `--json FILE` is still parsed (not an unknown option): the run gets to checking --property, which fails as flag_invalid.
    const rls = await runCli(['rls', '--json', 'x.json', '--property', 'nope'], { cwd: root, env });
    expect(rls.status).toBe(2);
    expect(rls.stderr).toContain('error[flag_invalid]');
  });
});
