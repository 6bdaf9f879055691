import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';

export interface SqlFile {
  /** File name, e.g. `00003-analytics.sql`. */
  readonly name: string;
  readonly path: string;
  /** Path relative to the project root, for messages. */
  readonly displayPath: string;
  readonly index: number;
  readonly script: string;
  readonly sha256: string;
}

export const migrationNamePattern = /^(\d{5})-[a-z0-9][a-z0-9-]*\.sql$/;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readDir(dir: string, role: string): string[] {
  if (!existsSync(dir)) throw new SchemaproofError({ code: 'directory_missing', path: dir, role });
  return readdirSync(dir).sort();
}

/** Migration files, validated: NNNNN-name.sql, unique numbers, in order. */
export function readMigrationFiles(dir: string, root: string = process.cwd()): SqlFile[] {
  const names = readDir(dir, 'migrations').filter((name) => name.endsWith('.sql') && !name.startsWith('_'));
  const invalid = names.filter((name) => !migrationNamePattern.test(name));
  if (invalid.length > 0) throw new SchemaproofError({ code: 'migration_filename_invalid', files: invalid });
  const files = names.map((name) => {
    const path = join(dir, name);
    const script = readFileSync(path, 'utf8');
    return { name, path, displayPath: relative(root, path) || path, index: Number(migrationNamePattern.exec(name)?.[1]), script, sha256: sha256(script) };
  });
  const seen = new Map<number, string>();
  for (const file of files) {
    const other = seen.get(file.index);
    if (other) throw new SchemaproofError({ code: 'migration_duplicate_index', files: [other, file.name] });
    seen.set(file.index, file.name);
  }
  return files;
}

/** Policy files: every .sql file, in name order, re-applied on every run. */
export function readPolicyFiles(dir: string, root: string = process.cwd()): SqlFile[] {
  if (!existsSync(dir)) return [];
  return readDir(dir, 'policies')
    .filter((name) => name.endsWith('.sql'))
    .map((name, position) => {
      const path = join(dir, name);
      const script = readFileSync(path, 'utf8');
      return { name, path, displayPath: relative(root, path) || path, index: position, script, sha256: sha256(script) };
    });
}
