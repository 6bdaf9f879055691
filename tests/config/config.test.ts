import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, resolveSettings } from '../../src/config/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';

describe('config', () => {
  it('fills every default and resolves paths against the config file', () => {
    const settings = resolveSettings({}, '/project', null);
    expect(settings.sqlDir).toBe('/project/sql');
    expect(settings.policiesDir).toBe('/project/policies');
    expect(settings.bench.scale).toBe('medium');
    expect(settings.bench.gates.rlsRatio).toBe(1.2);
    // RLS worlds are drawn from a fixed seed unless the config or --seed says otherwise.
    expect(settings.rls.seed).toBe(42);
    expect(resolveSettings({ rls: { runs: 3 } }, '/project', null).rls.seed).toBe(42);
    expect(resolveSettings({ rls: { seed: 7 } }, '/project', null).rls.seed).toBe(7);
  });

  it('lists every problem at once', () => {
    try {
      resolveSettings({ sqlDir: 5, bench: { scale: 'huge', runs: 3 }, unknownKey: true }, '/p', '/p/schemaproof.config.json');
      expect.unreachable('invalid config accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(SchemaproofError);
      const detail = (error as SchemaproofError).detail;
      expect(detail.code).toBe('config_invalid');
      if (detail.code !== 'config_invalid') return;
      expect(detail.problems.length).toBeGreaterThanOrEqual(4);
      expect(detail.problems.join('\n')).toMatch(/sqlDir/);
      expect(detail.problems.join('\n')).toMatch(/bench\.scale/);
      expect(detail.problems.join('\n')).toMatch(/bench\.runs/);
    }
  });

  it('loads a JSON file from the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-config-'));
    writeFileSync(join(dir, 'schemaproof.config.json'), JSON.stringify({ sqlDir: 'db/migrations', bench: { scale: 'small' } }));
    const settings = await loadSettings({ cwd: dir });
    expect(settings.sqlDir).toBe(join(dir, 'db/migrations'));
    expect(settings.bench.scale).toBe('small');
    expect(settings.configFile).toBe(join(dir, 'schemaproof.config.json'));
  });

  it('loads a TypeScript config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-config-'));
    writeFileSync(join(dir, 'schemaproof.config.ts'), "export const config = { policiesDir: 'rls' };\n");
    const settings = await loadSettings({ cwd: dir });
    expect(settings.policiesDir).toBe(join(dir, 'rls'));
  });

  it('reports a missing explicit config file', async () => {
    await expect(loadSettings({ configPath: '/nonexistent/schemaproof.config.json' })).rejects.toMatchObject({ detail: { code: 'config_not_found' } });
  });
});
