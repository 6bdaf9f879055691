import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package's version, from the package.json two levels up (src/cli or dist/cli alike). */
export function packageVersion(): string {
  try {
    const file = fileURLToPath(new URL('../../package.json', import.meta.url));
    return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}
