import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type { ConnectionTarget } from '../../src/postgres/index.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const projectsDir = resolve(repoRoot, 'tests/fixtures/projects');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI in `cwd` (a project folder), with no DATABASE_URL from the environment. */
export function runCli(cwd: string, args: readonly string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(resolve(repoRoot, 'bin/schemaproof.js'), args as string[], { cwd, env: { ...process.env, DATABASE_URL: '' }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A postgres:// URL for a unix-socket target. */
export function urlFor(target: ConnectionTarget): string {
  return `postgres://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
}
