/**
 * Which schemas the report's inventory covers: every schema the access spec
 * exposes (its `exposedSchemas`, and the schema of every relation it lists),
 * plus the schemas the project's config adds (`inventorySchemas`, e.g. a
 * private schema of helper tables the API never sees). The spec is read as
 * plain JSON for these names only, so a change to its rule format does not
 * touch the inventory.
 */
import { readFileSync } from 'node:fs';

export interface InventoryScope {
  readonly schemas: readonly string[];
  /** Where each came from, for the report ("access spec", "config"). */
  readonly note: string;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.length > 0) : [];
}

/** The schemas a spec exposes; [] when it cannot be read (the RLS gate reports why). */
export function specSchemas(specFile: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(specFile, 'utf8'));
  } catch {
    return [];
  }
  if (typeof raw !== 'object' || raw === null) return [];
  const spec = raw as { exposedSchemas?: unknown; relations?: unknown };
  const found = new Set(stringsOf(spec.exposedSchemas));
  if (typeof spec.relations === 'object' && spec.relations !== null) {
    for (const [key, relation] of Object.entries(spec.relations as Record<string, unknown>)) {
      const schema = typeof relation === 'object' && relation !== null ? (relation as { schema?: unknown }).schema : undefined;
      if (typeof schema === 'string' && schema.length > 0) found.add(schema);
      else if (key.includes('.')) found.add(key.slice(0, key.indexOf('.')));
    }
  }
  return [...found];
}

export function inventoryScope(specFile: string, extra: readonly string[]): InventoryScope {
  const fromSpec = specSchemas(specFile);
  const schemas = [...new Set([...fromSpec, ...extra])].sort();
  const parts = [
    fromSpec.length > 0 ? `exposed by the access spec: ${fromSpec.join(', ')}` : 'the access spec names no schema (or could not be read)',
    ...(extra.length > 0 ? [`added by the config (inventorySchemas): ${extra.join(', ')}`] : []),
  ];
  return { schemas, note: `Schemas ${parts.join('; ')}.` };
}
