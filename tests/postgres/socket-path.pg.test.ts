/**
 * The throwaway server listens on a unix socket inside its run dir; the
 * kernel takes at most 107 bytes of socket path. A longer SCHEMAPROOF_TMPDIR
 * is refused up front, in one line that says why and what to do (exit 7).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findPgBinaries, maxSocketPathBytes, startLocalCluster } from '../../src/postgres/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';
import { runCli, stderrLines } from '../helpers/cli.ts';
import { tinyProject } from '../helpers/project.ts';

const scratch = mkdtempSync('/tmp/sp-socket-');
chmodSync(scratch, 0o755);
// 80 bytes of base dir: with "/schemaproof-run-XXXXXX/.s.PGSQL.5432" the socket path is 117 bytes.
const longBase = join(scratch, 'x'.repeat(80 - scratch.length - 1));
mkdirSync(longBase, { mode: 0o755 });

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('socket path length', () => {
  it('refuses a base dir whose socket path would pass the limit, creating nothing', async () => {
    expect(longBase.length).toBe(80);
    const attempt = startLocalCluster({ binaries: findPgBinaries(), baseDir: longBase });
    await expect(attempt).rejects.toBeInstanceOf(SchemaproofError);
    await expect(attempt).rejects.toMatchObject({ detail: { code: 'socket_path_too_long', maxBytes: maxSocketPathBytes } });
    expect(readdirSync(longBase)).toEqual([]);
  });

  it('says so in one line and exits 7 from the CLI', async () => {
    const project = tinyProject();
    try {
      const result = await runCli(['migrate'], { cwd: project.dir, env: { SCHEMAPROOF_TMPDIR: longBase } });
      expect(result.status).toBe(7);
      expect(stderrLines(result)).toHaveLength(1);
      expect(stderrLines(result)[0]).toMatch(/^schemaproof: error\[socket_path_too_long\]/);
      expect(readdirSync(longBase)).toEqual([]);
    } finally {
      project.remove();
    }
  });
});
