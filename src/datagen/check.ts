/**
 * A recipe checked against the database before anything is written: every
 * table, column, enum type and parent ranking it names exists, and which
 * `unlessRowsIn` tables already hold rows. Problems are recipe_invalid,
 * each naming its key.
 */
import { sql, type Queryable } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';
import { readEnumLabels, readTable, type TableFacts } from './catalog.ts';
import { keyPath, parentStep, qualifiedTable, valuePlaceholders, type Recipe, type ValueSpec } from './recipe.ts';

export interface DatabaseFacts {
  /** By "schema.table". */
  readonly tables: ReadonlyMap<string, TableFacts>;
  /** Labels per enum type named by a choice. */
  readonly enumSizes: ReadonlyMap<string, number>;
  /** Tables named by `unlessRowsIn`, and whether they held rows before the recipe ran. */
  readonly hasRows: ReadonlyMap<string, boolean>;
}

/** "users" → "public.users". */
export function tableKey(name: string): string {
  const { schema, table } = qualifiedTable(name);
  return `${schema}.${table}`;
}

export async function checkAgainstDatabase(db: Queryable, recipe: Recipe): Promise<DatabaseFacts> {
  const problems: string[] = [];
  const facts = new Map<string, TableFacts>();
  const tableFacts = async (name: string, path: readonly (string | number)[]): Promise<TableFacts | null> => {
    const key = tableKey(name);
    const known = facts.get(key);
    if (known) return known;
    const read = await readTable(db, name);
    if (!read) {
      problems.push(`${keyPath(path)}: unknown table ${JSON.stringify(name)}`);
      return null;
    }
    facts.set(key, read);
    return read;
  };
  const enumSizes = new Map<string, number>();
  const checkEnums = async (spec: ValueSpec, path: readonly (string | number)[]) => {
    if (spec.kind === 'choice' && spec.enumType) {
      const labels = await readEnumLabels(db, spec.enumType);
      if (!labels) problems.push(`${keyPath([...path, 'choice', 'enum'])}: unknown enum type ${JSON.stringify(spec.enumType)}`);
      else {
        enumSizes.set(spec.enumType, labels.length);
        if (spec.weights && spec.weights.length !== labels.length)
          problems.push(`${keyPath([...path, 'weights'])}: ${spec.weights.length} weights for the ${labels.length} labels of ${spec.enumType}`);
      }
    }
    for (const [key, inner] of Object.entries(spec.kind === 'json' ? (spec.object ?? {}) : {})) await checkEnums(inner, [...path, 'json', key]);
    for (const [index, inner] of (spec.kind === 'json' ? (spec.array ?? []) : []).entries()) await checkEnums(inner, [...path, 'json', index]);
  };
  const hasRows = new Map<string, boolean>();
  for (const step of recipe.steps) {
    const base = ['steps', step.name];
    if (step.unlessRowsIn && !hasRows.has(step.unlessRowsIn)) {
      const target = await tableFacts(step.unlessRowsIn, [...base, 'unlessRowsIn']);
      if (target) {
        const rows = await db.query(sql`select exists (select 1 from ${sql.ident(target.schema, target.table)}) as found`);
        hasRows.set(step.unlessRowsIn, rows[0]?.found === true);
      }
    }
    if (step.kind !== 'table') continue;
    if (step.table) {
      const target = await tableFacts(step.table, [...base, 'table']);
      if (target) {
        for (const column of Object.keys(step.columns)) {
          const column_ = target.columns.get(column);
          if (!column_) problems.push(`${keyPath([...base, 'columns', column])}: ${target.schema}.${target.table} has no column ${JSON.stringify(column)}`);
          else if (column_.generated) problems.push(`${keyPath([...base, 'columns', column])}: ${column} is a generated column; the database computes it`);
        }
      }
    }
    for (const [alias, parent] of Object.entries(step.parents)) {
      if (parent.table === null) continue;
      const target = await tableFacts(parent.table, [...base, 'parents', alias, 'table']);
      if (!target) continue;
      for (const column of parent.orderBy ?? []) {
        if (!target.columns.has(column)) problems.push(`${keyPath([...base, 'parents', alias, 'orderBy'])}: ${parent.table} has no column ${JSON.stringify(column)}`);
      }
      const source = parentStep(parent, recipe.steps, step);
      if (source) continue;
      if (target.primaryKey.length === 0 && !parent.orderBy)
        problems.push(`${keyPath([...base, 'parents', alias, 'table'])}: ${parent.table} has no primary key to rank its rows by; name columns in "orderBy"`);
      for (const placeholder of [...Object.values(step.lets), ...Object.values(step.columns)].flatMap(valuePlaceholders)) {
        if (placeholder.kind === 'parent' && placeholder.alias === alias && placeholder.column !== 'idx' && !target.columns.has(placeholder.column)) {
          problems.push(`${keyPath([...base, 'parents', alias])}: ${parent.table} has no column ${JSON.stringify(placeholder.column)} (used as {${alias}.${placeholder.column}})`);
        }
      }
    }
    for (const [name, spec] of Object.entries(step.lets)) await checkEnums(spec, [...base, 'let', name]);
    for (const [name, spec] of Object.entries(step.columns)) await checkEnums(spec, [...base, 'columns', name]);
  }
  if (problems.length > 0) throw new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: [...new Set(problems)] });

  return { tables: facts, enumSizes, hasRows };
}
