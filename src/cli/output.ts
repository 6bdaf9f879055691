/**
 * Where a command's report goes: `--output-file` (the human summary still on
 * stdout) or stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fromSystemError } from '../errors/index.ts';

/** Write `text` to `file` (creating its folder; a full disk is `disk_full`). */
export function writeTextFile(file: string, text: string): string {
  const path = resolve(process.cwd(), file);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (error) {
    throw fromSystemError(error, path) ?? error;
  }
  return path;
}

/** The reporter's text to `file`, with `summary()` and the path on stdout; or the text to stdout when there is no file. */
export function writeReport(text: string, file: string | undefined, summary?: () => string): void {
  if (file === undefined) {
    process.stdout.write(text);
    return;
  }
  const path = writeTextFile(file, text);
  if (summary) process.stdout.write(summary());
  process.stdout.write(`report written to ${path}\n`);
}
