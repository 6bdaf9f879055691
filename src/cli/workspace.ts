import type { Settings } from '../config/index.ts';
import type { ShimResult } from '../postgres/index.ts';
import type { Workspace } from '../workspace/index.ts';
import type { GlobalOptions } from './main.ts';

/** Each cluster-wide object --install-shim created, one line each on stderr. */
export function printShimObjects(shim: ShimResult | null, globals: GlobalOptions): void {
  if (!globals.installShim || !shim) return;
  for (const line of shim.created) process.stderr.write(`schemaproof: --install-shim created ${line}\n`);
  if (shim.created.length === 0) process.stderr.write('schemaproof: --install-shim: every Supabase role was there already; nothing created\n');
}

/** The project's workspace for a command: --database-url, --install-shim, and the report of what the shim created. */
export async function openCommandWorkspace(globals: GlobalOptions, settings: Settings): Promise<Workspace> {
  const { openProjectWorkspace } = await import('../workspace/index.ts');
  const workspace = await openProjectWorkspace(settings, globals.databaseUrl ?? settings.databaseUrl, { installShim: globals.installShim === true });
  printShimObjects(workspace.shim, globals);
  return workspace;
}
