/**
 * Import a `schemaproof.config.ts`: natively where Node runs TypeScript
 * (type stripping, or under tsx/vitest), else through the `tsx` package when
 * the project has it (an optional peer dependency: the compiled CLI does not
 * need it for anything else). A JSON config needs neither.
 */
import { pathToFileURL } from 'node:url';

const needsTypeScript = (error: unknown): boolean => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION';

export async function importConfigModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (error) {
    if (!needsTypeScript(error)) throw error;
  }
  let tsx: { tsImport: (specifier: string, parent: string) => Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api')) as typeof tsx;
  } catch {
    throw new Error(
      `this Node (${process.version}) cannot load a TypeScript config: install tsx in the project (npm install --save-dev tsx), use Node 22.18 or later, or write schemaproof.config.json`,
    );
  }
  return tsx.tsImport(url, import.meta.url);
}
