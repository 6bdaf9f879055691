import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';

export interface PgBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly postgres: string;
  readonly psql: string;
  readonly pgDump: string;
  readonly pgRestore: string;
  /** Major version, from `postgres --version`. */
  readonly majorVersion: number;
  readonly version: string;
}

const required = ['initdb', 'postgres', 'psql'] as const;

function hasBinaries(dir: string): boolean {
  return required.every((name) => existsSync(join(dir, name)));
}

/** Candidate directories in the documented order: PG_BIN, pg_config, the Debian layout (newest first). */
export function candidateBinDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates: string[] = [];
  if (env.PG_BIN) candidates.push(env.PG_BIN);
  try {
    const fromPgConfig = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (fromPgConfig) candidates.push(fromPgConfig);
  } catch {
    // pg_config absent: fall through to the Debian layout
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    // Prefer the target major version (15) when several are installed.
    versions.sort((a, b) => (a === '15' ? -1 : b === '15' ? 1 : 0));
    for (const version of versions) candidates.push(join(debianRoot, version, 'bin'));
  }
  return [...new Set(candidates)];
}

export function findPgBinaries(env: NodeJS.ProcessEnv = process.env): PgBinaries {
  const searched = candidateBinDirs(env);
  for (const dir of searched) {
    if (!hasBinaries(dir)) continue;
    const version = execFileSync(join(dir, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
    const match = /(\d+)(?:\.(\d+))?/.exec(version.replace(/^[^\d]*/, ''));
    return {
      binDir: dir,
      initdb: join(dir, 'initdb'),
      postgres: join(dir, 'postgres'),
      psql: join(dir, 'psql'),
      pgDump: join(dir, 'pg_dump'),
      pgRestore: join(dir, 'pg_restore'),
      majorVersion: match ? Number(match[1]) : 0,
      version: version.replace(/^postgres \(PostgreSQL\) /, ''),
    };
  }
  throw new SchemaproofError({ code: 'postgres_not_found', searched: searched.length > 0 ? searched : ['PG_BIN', 'pg_config --bindir', '/usr/lib/postgresql/*/bin'] });
}
