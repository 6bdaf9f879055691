import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, resolveSettings } from '../../src/config/index.ts';
import { expandSeedPattern } from '../../src/config/layout.ts';

let root: string;

function write(relative: string, text = ''): void {
  mkdirSync(join(root, relative, '..'), { recursive: true });
  writeFileSync(join(root, relative), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sp-layout-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('layout and preset', () => {
  it("without a supabase/ folder: this project's layout and lint rules", () => {
    const settings = resolveSettings({}, root, null);
    expect(settings.preset).toBe('schemaproof');
    expect(settings.sqlDir).toBe(join(root, 'sql'));
    expect(settings.pgtapDir).toBe(join(root, 'tests/pgtap'));
    expect(settings.migrationNaming).toBe('numbered');
    expect(settings.pgtap).toMatchObject({ isolation: 'file', extensions: ['.sql'] });
    expect(settings.seed).toEqual({ enabled: false, paths: [] });
    expect(settings.lint.severities).toEqual({});
  });

  it("with supabase/config.toml: the CLI's folders, naming, pg_prove isolation, seed and the platform's lint levels", () => {
    write('supabase/config.toml', '[db.seed]\nenabled = true\nsql_paths = ["./seed.sql"]\n');
    write('supabase/seed.sql', 'select 1;');
    const settings = resolveSettings({}, root, null);
    expect(settings.preset).toBe('supabase');
    expect(settings.sqlDir).toBe(join(root, 'supabase/migrations'));
    expect(settings.pgtapDir).toBe(join(root, 'supabase/tests'));
    expect(settings.migrationNaming).toBe('supabase');
    expect(settings.pgtap).toMatchObject({ isolation: 'shared', extensions: ['.sql', '.pg'] });
    expect(settings.seed).toEqual({ enabled: true, paths: [join(root, 'supabase/seed.sql')] });
    expect(settings.lint.severities).toEqual({ policy_in_migrations: 'off', rls_not_forced: 'warn' });
  });

  it('a supabase/migrations folder alone is enough; config.toml may turn the seed off', () => {
    mkdirSync(join(root, 'supabase/migrations'), { recursive: true });
    expect(resolveSettings({}, root, null).preset).toBe('supabase');
    write('supabase/config.toml', '[db.seed]\nenabled = false\n');
    write('supabase/seed.sql', 'select 1;');
    expect(resolveSettings({}, root, null).seed.enabled).toBe(false);
  });

  it("explicit config wins over the preset, and sqlDir outside supabase/ keeps this project's preset", () => {
    write('supabase/config.toml', '');
    const explicit = resolveSettings({ preset: 'supabase', lint: { severities: { rls_not_forced: 'error' } }, pgtap: { isolation: 'file' } }, root, null);
    expect(explicit.lint.severities.rls_not_forced).toBe('error');
    expect(explicit.lint.severities.policy_in_migrations).toBe('off');
    expect(explicit.pgtap.isolation).toBe('file');
    expect(resolveSettings({ sqlDir: 'db/migrations' }, root, null).preset).toBe('schemaproof');
    expect(resolveSettings({ sqlDir: 'supabase/migrations' }, root, null).migrationNaming).toBe('supabase');
    expect(resolveSettings({ preset: 'schemaproof' }, root, null).sqlDir).toBe(join(root, 'sql'));
  });

  it('rejects an unknown preset with the others problems', () => {
    expect(() => resolveSettings({ preset: 'firebase' }, root, null)).toThrow(/preset/);
  });

  it('re-resolving resolved settings (verify overrides) changes nothing', async () => {
    write('supabase/config.toml', '[db.seed]\nsql_paths = ["./seeds/*.sql"]\n');
    write('supabase/seeds/02_b.sql', 'select 2;');
    write('supabase/seeds/01_a.sql', 'select 1;');
    const settings = await loadSettings({ cwd: root });
    const { root: settingsRoot, configFile, ...rest } = settings;
    const again = resolveSettings(JSON.parse(JSON.stringify({ ...rest, bench: { ...rest.bench, fecDir: undefined, baseline: undefined } })), settingsRoot, configFile);
    expect(again.seed).toEqual(settings.seed);
    expect(again.seed.paths).toEqual([join(root, 'supabase/seeds/01_a.sql'), join(root, 'supabase/seeds/02_b.sql')]);
    expect(again.preset).toBe('supabase');
    expect(again.lint.severities).toEqual(settings.lint.severities);
  });
});

describe('seed globs (Go filepath.Glob: * ? [..] within one segment)', () => {
  it('matches within a segment only, sorted; a plain path must exist', () => {
    write('supabase/seeds/b.sql');
    write('supabase/seeds/a.sql');
    write('supabase/seeds/nested/c.sql');
    write('supabase/seeds/x1.txt');
    const base = join(root, 'supabase');
    expect(expandSeedPattern(base, './seeds/*.sql')).toEqual([join(base, 'seeds/a.sql'), join(base, 'seeds/b.sql')]);
    expect(expandSeedPattern(base, 'seeds/?.sql')).toEqual([join(base, 'seeds/a.sql'), join(base, 'seeds/b.sql')]);
    expect(expandSeedPattern(base, 'seeds/[b-z].sql')).toEqual([join(base, 'seeds/b.sql')]);
    expect(expandSeedPattern(base, 'seeds/*/c.sql')).toEqual([join(base, 'seeds/nested/c.sql')]);
    expect(expandSeedPattern(base, './missing.sql')).toEqual([]);
  });
});
