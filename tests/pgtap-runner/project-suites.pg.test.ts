/**
 * The project's real pgTAP suites (tests/pgtap/) through the runner, against
 * the migrated pgTAP template of the global setup: every file is discovered,
 * classified, and passes.
 */
import { describe, expect, inject, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSettings } from '../../src/config/index.ts';
import { discoverPgtapFiles, fileStatuses, formatSummary, runPgtap } from '../../src/pgtap/index.ts';
import { testServer } from '../helpers/pg.ts';

const root = resolve(import.meta.dirname, '../..');

describe('the project suites', () => {
  it('discovers every tests/pgtap/*.sql and runs each to a classified result', async () => {
    const settings = await loadSettings({ cwd: root });
    const files = discoverPgtapFiles({ dir: settings.pgtapDir });
    const onDisk = readdirSync(join(root, 'tests/pgtap'))
      .filter((name) => name.endsWith('.sql'))
      .map((name) => join(root, 'tests/pgtap', name))
      .sort();
    expect(files).toEqual(onDisk);
    expect(files.length).toBeGreaterThan(0);

    const context = inject('pg');
    const result = await runPgtap({
      server: testServer(),
      template: context.pgtapTemplate,
      files,
      jobs: 2,
      root,
      ...(context.binDir ? { psqlPath: join(context.binDir, 'psql') } : {}),
    });
    expect(result.files.map((file) => file.file)).toEqual(files);
    for (const file of result.files) {
      expect(fileStatuses).toContain(file.status);
      expect(file.displayPath).toMatch(/^tests\/pgtap\/.+\.sql$/);
      expect(file.status === 'passed').toBe(file.errors.length === 0);
    }
    const { totals } = result;
    expect(totals.files).toBe(files.length);
    expect(totals.passedFiles + totals.failedFiles + totals.erroredFiles + totals.timedOutFiles).toBe(files.length);
    expect(totals.assertions).toBe(result.files.reduce((sum, file) => sum + file.assertions.length, 0));
    expect(result.ok).toBe(totals.passedFiles === files.length);
    // Shown in the vitest output so the state of the suites is visible.
    process.stdout.write(formatSummary(result));
    expect(result.files.filter((file) => file.status !== 'passed').map((file) => file.displayPath)).toEqual([]);
    expect(result.ok).toBe(true);
  }, 300_000);
});
