/**
 * A tiny project on disk for CLI runs: one migration, no policies, the
 * pgTAP files given. Removed with `remove()`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyProject {
  readonly dir: string;
  remove(): void;
}

export function tinyProject(options: { readonly migration?: string; readonly pgtap?: Readonly<Record<string, string>> } = {}): TinyProject {
  const dir = mkdtempSync(join(tmpdir(), 'sp-project-'));
  for (const sub of ['sql', 'policies', 'tests/pgtap']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(
    join(dir, 'sql', '00001-base.sql'),
    `-- the schema under test\ncreate schema if not exists extensions;\ncreate table public.items (id int primary key, note text);\n${options.migration ?? ''}\n`,
  );
  for (const [name, text] of Object.entries(options.pgtap ?? {})) writeFileSync(join(dir, 'tests', 'pgtap', name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A pgTAP file: `body` between plan(1) and the passing assertion. */
export function pgtapFile(body: string): string {
  return `begin;\nselect plan(1);\n${body}\nselect pass('done');\nselect * from finish();\nrollback;\n`;
}
