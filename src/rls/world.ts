/**
 * Random worlds: people for every subject actor (claims of every kind, the
 * first of each claiming admin in user_metadata, which must change nothing)
 * and rows in every table of the spec, built from the learned recipes:
 * owned by random people or nobody, in random states (the initial ones about
 * half the time), across partitions, with parents reused or created. A world
 * is loaded as the superuser (it must not depend on the policies under test)
 * in one multi-statement round trip; ids are minted fresh each time it is
 * loaded, so a world shape can be replayed any number of times.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { peopleArbitrary, personClaims, type ClaimVariety, type Person } from './actors.ts';
import { renderSql } from './literal.ts';
import { buildRowRetrying, chooseBody, insertSql, newContext, peopleInsert, type PlannedRow, type RowModel, type TableRecipe } from './rows/index.ts';
import type { AccessSpec } from './spec.ts';

/** Index into the world's people (taken modulo their count), or null: no owner. */
export type OwnerRef = number | null;

export interface RowShape {
  readonly owner: OwnerRef;
  /** -1: an initial state; otherwise an index into the insertable states. */
  readonly state: number;
  readonly part: number;
  /** Drives the remaining choices (body, parents). */
  readonly pick: number;
}

export interface WorldShape {
  readonly people: Readonly<Record<string, readonly ClaimVariety[]>>;
  readonly rows: Readonly<Record<string, readonly RowShape[]>>;
}

/** Spec tables that get rows (the ones a recipe could be learned for). */
export function worldRelations(spec: AccessSpec, model: RowModel): { name: string; recipe: TableRecipe }[] {
  return model.order
    .map((qualified) => model.recipes.get(qualified)!)
    .filter((recipe) => spec.relations[recipe.relation]?.kind === 'table' && recipe.error === null)
    .map((recipe) => ({ name: recipe.relation, recipe }));
}

export function worldArbitrary(spec: AccessSpec, model: RowModel, options: { readonly maxRowsPerTable?: number } = {}): fc.Arbitrary<WorldShape> {
  const max = options.maxRowsPerTable ?? 4;
  const row: fc.Arbitrary<RowShape> = fc.record({
    owner: fc.option(fc.nat({ max: 20 }), { nil: null, freq: 4 }),
    state: fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, { arbitrary: fc.nat({ max: 20 }), weight: 4 }),
    // Index 0 is the default partition when there is one: drawn often, so a side door there is found quickly.
    part: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.nat({ max: 20 }), weight: 2 }),
    pick: fc.nat({ max: 20 }),
  });
  const rows = Object.fromEntries(
    worldRelations(spec, model).map(({ name }) => {
      const bounds = spec.relations[name]!.hints.rows ?? { min: 1, max };
      return [name, fc.array(row, { minLength: bounds.min, maxLength: Math.max(bounds.min, bounds.max) })];
    }),
  );
  return fc.record({ people: peopleArbitrary(spec), rows: fc.record(rows) });
}

export interface LoadedWorld {
  readonly shape: WorldShape;
  readonly people: readonly Person[];
  /** Every row the load inserts (parents before children). */
  readonly rows: readonly PlannedRow[];
  /** Label of an owner id ("user1", "admin"), for readable reports. */
  labelOf(id: string | null): string;
  /** The SQL that loads it (for the counterexample). */
  readonly sql: string;
}

function resolveState(recipe: TableRecipe, shape: RowShape): string | null {
  if (!recipe.stateColumn || recipe.states.length === 0) return null;
  if (shape.state < 0 && recipe.initialStates.length > 0) return recipe.initialStates[shape.pick % recipe.initialStates.length]!;
  return recipe.states[Math.max(shape.state, 0) % recipe.states.length]!;
}

/** Build people and the loading SQL for a world shape (fresh ids every call). */
export function planWorld(shape: WorldShape, spec: AccessSpec, model: RowModel): LoadedWorld {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const people: Person[] = [];
  for (const actor of spec.actors) {
    const varieties = shape.people[actor.name] ?? [];
    varieties.forEach((variety, index) => {
      const id = randomUUID();
      const label = actor.people.max > 1 ? `${actor.name}${index + 1}` : actor.name;
      const email = `${label}-${id.slice(0, 8)}@example.test`;
      people.push({ label, id, actor: actor.name, email, claims: personClaims(actor, id, email, variety, nowSeconds) });
    });
  }
  const statements: string[] = [];
  if (model.usersTable) {
    for (const person of people) {
      statements.push(
        `${renderSql(
          peopleInsert(model.usersTable, model.usersColumns, {
            id: person.id,
            email: person.email,
            isAnonymous: person.claims.is_anonymous === true,
            appMetadata: person.claims.app_metadata ?? {},
            userMetadata: person.claims.user_metadata ?? {},
          }),
        )};`,
      );
    }
  }
  const ids = people.map((person) => person.id);
  const ownerId = (ref: OwnerRef): string | null => (ref === null || ids.length === 0 ? null : ids[ref % ids.length]!);
  const context = newContext({ recipes: model.recipes, pools: model.pools, usersTable: model.usersTable, people: ids, mode: 'world' });
  const rows: PlannedRow[] = [];
  for (const { name, recipe } of worldRelations(spec, model)) {
    for (const rowShape of shape.rows[name] ?? []) {
      let owner = ownerId(rowShape.owner);
      const state = resolveState(recipe, rowShape);
      if (recipe.ownerColumn && !chooseBody(recipe, owner, state, rowShape.pick)) owner = owner === null ? ownerId(rowShape.pick) : null;
      const partition = recipe.partitions.length > 0 ? recipe.partitions[rowShape.part % recipe.partitions.length]!.value : undefined;
      const createdBefore = context.created.length;
      const row = buildRowRetrying(context, recipe, { owner, state, pick: rowShape.pick, fillOptional: rowShape.pick % 3 !== 0, ...(partition !== undefined ? { partitionValue: partition } : {}) });
      if (!row) continue;
      rows.push(...context.created.slice(createdBefore), row);
      context.existing.push(row);
    }
  }
  // Every person owns at least one row of every owned table, so each actor's
  // own-row rights are tried in every world (and "other" rows exist for everyone).
  for (const { recipe } of worldRelations(spec, model)) {
    if (!recipe.ownerColumn) continue;
    for (const [index, id] of ids.entries()) {
      if (rows.some((row) => row.recipe === recipe && row.owner === id)) continue;
      const state = recipe.initialStates[index % Math.max(recipe.initialStates.length, 1)] ?? recipe.states[index % Math.max(recipe.states.length, 1)] ?? null;
      if (!chooseBody(recipe, id, state, index)) continue;
      const partition = recipe.partitions.length > 0 ? recipe.partitions[index % recipe.partitions.length]!.value : undefined;
      const createdBefore = context.created.length;
      const row = buildRowRetrying(context, recipe, { owner: id, state, pick: index, fillOptional: index % 2 === 0, ...(partition !== undefined ? { partitionValue: partition } : {}) });
      if (!row) continue;
      rows.push(...context.created.slice(createdBefore), row);
      context.existing.push(row);
    }
  }
  for (const row of rows) statements.push(`${renderSql(insertSql(row, { skipConflicts: true }))};`);
  const labels = new Map(people.map((person) => [person.id, person.label]));
  return {
    shape,
    people,
    rows,
    labelOf: (id) => (id === null ? 'nobody' : (labels.get(id) ?? id)),
    sql: statements.join('\n'),
  };
}
