// The build's second step: the SQL files the harness reads at run time
// (src/postgres/supabase-shim.sql, src/postgres/extensions/*.sql) next to the
// compiled modules that read them (dist/...), as tsc copies only code.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.sql')) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(src, from)));
  copied += 1;
}
process.stdout.write(`copied ${copied} SQL asset(s) to dist/\n`);
