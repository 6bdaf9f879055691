/**
 * A recipe planned for one run: rows per step at the scale, which steps are
 * skipped, which load with triggers off, where each parent's rows come from
 * (a generated step's kept values, or the table itself), and which values a
 * step keeps for the steps after it.
 */
import type { Scale } from '../config/index.ts';
import type { TableFacts } from './catalog.ts';
import { tableKey, type DatabaseFacts } from './check.ts';
import { closure, inputsOf, stepValues } from './compile.ts';
import { parentStep, stepRows, type Recipe, type TableStep } from './recipe.ts';

export interface Plan {
  readonly step: TableStep;
  /** Position in the recipe (names the step's scratch tables). */
  readonly index: number;
  /** Rows at this scale (null: follows from the parents' values). */
  readonly rows: number | null;
  /** Values kept in a scratch table for later steps (null: none). */
  readonly keep: ReadonlySet<string> | null;
  readonly facts: TableFacts | null;
  /** Loads with triggers off. */
  readonly bulk: boolean;
  readonly skipped: boolean;
}

/** Where a parent's rows are read from. */
export type Source =
  { readonly kind: 'kept'; readonly step: string } | { readonly kind: 'table'; readonly table: string; readonly orderBy: readonly string[] | null; readonly columns: ReadonlySet<string> };

export interface RecipePlan {
  readonly plans: ReadonlyMap<string, Plan>;
  /** Per step, per parent alias. */
  readonly sources: ReadonlyMap<string, ReadonlyMap<string, Source>>;
  readonly skipped: ReadonlySet<string>;
  planOf(name: string): Plan;
}

export interface PlanOptions {
  readonly scale: Scale;
  readonly rows?: Readonly<Record<string, number>>;
  /** The role may load with triggers off (superuser) and the caller allows it. */
  readonly bulkAllowed: boolean;
}

export function planRecipe(recipe: Recipe, facts: DatabaseFacts, options: PlanOptions): RecipePlan {
  const tableSteps = recipe.steps.filter((step): step is TableStep => step.kind === 'table');
  const skipped = new Set(recipe.steps.filter((step) => step.unlessRowsIn && facts.hasRows.get(step.unlessRowsIn)).map((step) => step.name));
  const keeps = new Map<string, Set<string>>();
  for (const step of tableSteps) if (step.table === null) keeps.set(step.name, new Set(stepValues(step).keys()));

  const tableSources = new Map<string, { table: string; orderBy: readonly string[] | null; columns: Set<string> }>();
  const sources = new Map<string, Map<string, Source>>();
  for (const step of tableSteps) {
    const perAlias = new Map<string, Source>();
    const needed = inputsOf(step, stepValues(step).keys()).parents;
    for (const [alias, parent] of Object.entries(step.parents)) {
      const columns = [...(needed.get(alias) ?? [])].filter((column) => column !== 'idx');
      if (step.each?.parent === alias && step.each.count.kind === 'value') columns.push(step.each.count.name);
      const generating = parentStep(parent, recipe.steps, step);
      if (generating && generating.kind === 'table' && !skipped.has(generating.name)) {
        const keep = keeps.get(generating.name) ?? new Set<string>();
        for (const name of columns) keep.add(name);
        keeps.set(generating.name, keep);
        perAlias.set(alias, { kind: 'kept', step: generating.name });
        continue;
      }
      // One pick list per table and ranking.
      const table = parent.table ?? '';
      const key = `${tableKey(table)}/${(parent.orderBy ?? []).join(',')}`;
      const entry = tableSources.get(key) ?? { table, orderBy: parent.orderBy, columns: new Set<string>() };
      tableSources.set(key, entry);
      for (const column of columns) entry.columns.add(column);
      perAlias.set(alias, { kind: 'table', table: entry.table, orderBy: entry.orderBy, columns: entry.columns });
    }
    sources.set(step.name, perAlias);
  }

  const plans = new Map<string, Plan>();
  for (const [index, step] of recipe.steps.entries()) {
    if (step.kind !== 'table') continue;
    const keep = keeps.get(step.name);
    plans.set(step.name, {
      step,
      index,
      rows: stepRows(step, options.scale, options.rows),
      keep: keep ? closure(step, keep) : null,
      facts: step.table ? (facts.tables.get(tableKey(step.table)) ?? null) : null,
      bulk: options.bulkAllowed && step.triggers === 'off',
      skipped: skipped.has(step.name),
    });
  }
  return {
    plans,
    sources,
    skipped,
    planOf(name) {
      const plan = plans.get(name);
      if (!plan) throw new Error(`internal: no table step named ${name}`);
      return plan;
    },
  };
}
