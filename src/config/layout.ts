/**
 * Project layouts and presets. A Supabase CLI project (`supabase init`: a
 * `supabase/` folder with config.toml and migrations/) is recognised and read
 * the way the CLI reads it; everything else uses this project's layout.
 *
 * What the CLI does, and so what the `supabase` layout mirrors:
 * - migrations: `supabase/migrations/<version>_<name>.sql`, see src/migrate/files.ts;
 * - pgTAP: `supabase test db` runs `pg_prove --ext .pg --ext .sql -r supabase/tests`
 *   (every .sql and .pg file under supabase/tests, recursively, one database
 *   for all files, in order);
 * - seed: `supabase db reset` applies `[db.seed] sql_paths` (default
 *   `./seed.sql`, globs relative to supabase/) after the migrations when
 *   `[db.seed] enabled` (default true).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Severity } from './index.ts';

export const presets = ['schemaproof', 'supabase'] as const;
export type Preset = (typeof presets)[number];

export const migrationNamings = ['numbered', 'supabase'] as const;
export type MigrationNaming = (typeof migrationNamings)[number];

export const pgtapIsolations = ['file', 'shared'] as const;
/** `file`: each pgTAP file in its own fresh clone; `shared`: all files, in order, on one clone (as pg_prove runs them). */
export type PgtapIsolation = (typeof pgtapIsolations)[number];

export interface PresetDefaults {
  readonly sqlDir: string;
  readonly pgtapDir: string;
  readonly migrationNaming: MigrationNaming;
  readonly pgtapIsolation: PgtapIsolation;
  readonly pgtapExtensions: readonly string[];
  /** Lint levels the preset sets (the config's own `lint.severities` win). */
  readonly severities: Readonly<Record<string, Severity>>;
}

export const presetDefaults: Readonly<Record<Preset, PresetDefaults>> = {
  schemaproof: {
    sqlDir: 'sql',
    pgtapDir: 'tests/pgtap',
    migrationNaming: 'numbered',
    pgtapIsolation: 'file',
    pgtapExtensions: ['.sql'],
    severities: {},
  },
  supabase: {
    sqlDir: 'supabase/migrations',
    pgtapDir: 'supabase/tests',
    migrationNaming: 'supabase',
    pgtapIsolation: 'shared',
    pgtapExtensions: ['.sql', '.pg'],
    // Policies are written in migrations on Supabase (the CLI has no separate
    // policies folder), and RLS not forced is the platform's default: the
    // table owner (postgres) is trusted there.
    severities: { policy_in_migrations: 'off', rls_not_forced: 'warn' },
  },
};

/** The `supabase/` folder of a Supabase CLI project at `root`, or null. */
export function supabaseDir(root: string): string | null {
  const dir = join(root, 'supabase');
  return existsSync(join(dir, 'config.toml')) || existsSync(join(dir, 'migrations')) ? dir : null;
}

function inside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

/**
 * The preset when the config names none: `supabase` when a Supabase folder
 * is present and the migrations are (or default to) inside it.
 */
export function detectPreset(root: string, sqlDir: string | undefined): Preset {
  const dir = supabaseDir(root);
  if (!dir) return 'schemaproof';
  if (sqlDir === undefined) return 'supabase';
  return inside(dir, resolve(root, sqlDir)) ? 'supabase' : 'schemaproof';
}

export interface SupabaseSeedConfig {
  readonly enabled: boolean;
  /** Patterns relative to the supabase folder. */
  readonly paths: readonly string[];
}

/** `[db.seed]` of supabase/config.toml, with the CLI's defaults. Unreadable config: the defaults. */
export function readSupabaseSeedConfig(dir: string): SupabaseSeedConfig {
  const defaults = { enabled: true, paths: ['./seed.sql'] };
  const file = join(dir, 'config.toml');
  if (!existsSync(file)) return defaults;
  let parsed: unknown;
  try {
    parsed = parseToml(readFileSync(file, 'utf8'));
  } catch {
    return defaults;
  }
  const seed = (parsed as { db?: { seed?: { enabled?: unknown; sql_paths?: unknown } } }).db?.seed;
  return {
    enabled: typeof seed?.enabled === 'boolean' ? seed.enabled : defaults.enabled,
    paths: Array.isArray(seed?.sql_paths) ? seed.sql_paths.filter((entry): entry is string => typeof entry === 'string') : defaults.paths,
  };
}

function segmentPattern(segment: string): RegExp {
  let pattern = '';
  for (let position = 0; position < segment.length; position += 1) {
    const char = segment[position] as string;
    if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else if (char === '[') {
      const end = segment.indexOf(']', position + 1);
      if (end < 0) pattern += '\\[';
      else {
        const body = segment.slice(position + 1, end);
        pattern += `[${body.startsWith('^') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`;
        position = end;
      }
    } else pattern += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

/**
 * Expand one seed pattern the way Go's `filepath.Glob` does (`*`, `?`,
 * `[...]` within one path segment; no `**`), sorted, relative to `base`.
 * A pattern without wildcards names one file, kept only if it exists.
 */
export function expandSeedPattern(base: string, pattern: string): string[] {
  const absolute = resolve(base, pattern);
  if (!/[*?[]/.test(pattern)) return existsSync(absolute) && statSync(absolute).isFile() ? [absolute] : [];
  const parts = absolute.split(sep).filter((part, index) => part !== '' || index === 0);
  let current: string[] = [parts[0] === '' ? sep : (parts[0] as string)];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?[]/.test(part)) {
        const path = join(dir, part);
        if (existsSync(path)) next.push(path);
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        continue;
      }
      const matcher = segmentPattern(part);
      for (const name of names) if (matcher.test(name)) next.push(join(dir, name));
    }
    current = next;
  }
  return current.filter((path) => statSync(path).isFile());
}

/** Seed files from patterns, in pattern order, each file once. */
export function expandSeedPatterns(base: string, patterns: readonly string[]): string[] {
  const files: string[] = [];
  for (const pattern of patterns) for (const file of expandSeedPattern(base, pattern)) if (!files.includes(file)) files.push(file);
  return files;
}
