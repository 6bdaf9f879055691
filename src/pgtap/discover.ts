/**
 * Which pgTAP files to run: every `*.sql` under the pgTAP directory
 * (recursively, sorted), or the paths given (files, or directories to search).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';

export interface DiscoverOptions {
  /** The configured pgTAP directory (settings.pgtapDir). */
  readonly dir: string;
  /** Files or directories named on the command line; when non-empty they replace `dir`. */
  readonly paths?: readonly string[];
  /** Base for relative `paths` (default: process.cwd()). */
  readonly cwd?: string;
  /** File extensions that are pgTAP files (default `.sql`; the Supabase CLI also runs `.pg`). */
  readonly extensions?: readonly string[];
}

function sqlFilesUnder(dir: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sqlFilesUnder(path, extensions));
    else if (entry.isFile() && extensions.some((extension) => entry.name.endsWith(extension))) found.push(path);
  }
  return found;
}

/** Absolute paths, sorted, without duplicates. */
export function discoverPgtapFiles(options: DiscoverOptions): readonly string[] {
  const cwd = options.cwd ?? process.cwd();
  const paths = options.paths ?? [];
  const extensions = options.extensions ?? ['.sql'];
  if (paths.length === 0) {
    if (!existsSync(options.dir) || !statSync(options.dir).isDirectory()) {
      throw new SchemaproofError({ code: 'directory_missing', path: options.dir, role: 'pgTAP tests' });
    }
    return [...new Set(sqlFilesUnder(options.dir, extensions))].sort();
  }
  const files: string[] = [];
  for (const given of paths) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) {
      throw new SchemaproofError({ code: 'input_invalid', file: path, line: 0, detail: 'no such pgTAP test file or directory' });
    }
    if (statSync(path).isDirectory()) files.push(...sqlFilesUnder(path, extensions).sort());
    else files.push(path);
  }
  return [...new Set(files)];
}
