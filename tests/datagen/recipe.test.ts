/**
 * The recipe format: every static problem is reported at once as
 * recipe_invalid (exit 6), each naming the recipe file and the key.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadRecipe, parseRecipe } from '../../src/datagen/index.ts';
import { exitCodeFor, SchemaproofError } from '../../src/errors/index.ts';

const file = 'fixture/recipe.json';

function problemsOf(raw: unknown): string[] {
  try {
    parseRecipe(raw, file);
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaproofError);
    const detail = (error as SchemaproofError).detail;
    expect(detail.code).toBe('recipe_invalid');
    expect(exitCodeFor(detail)).toBe(6);
    if (detail.code === 'recipe_invalid') {
      expect(detail.file).toBe(file);
      return [...detail.problems];
    }
  }
  throw new Error('the recipe was accepted');
}

const valid = {
  version: 1,
  steps: {
    'app.users': { rows: 100, columns: { id: { uuid: 'random' }, name: { template: 'user {i}' } } },
    'app.posts': {
      rows: 1000,
      parents: { author: { table: 'app.users', pick: { zipf: 0.5 } } },
      columns: { author_id: { ref: 'author.id' }, title: { choice: ['a', 'b'], weights: [3, 1] } },
    },
  },
};

describe('parseRecipe', () => {
  it('accepts a valid recipe, scales plain row counts and keeps declaration order', () => {
    const recipe = parseRecipe(valid, file);
    expect(recipe.steps.map((step) => step.name)).toEqual(['app.users', 'app.posts']);
    const users = recipe.steps[0];
    expect(users?.kind === 'table' && users.rows).toEqual({ small: 1, medium: 100, large: 1000 });
    const posts = recipe.steps[1];
    expect(posts?.kind === 'table' && posts.parents.author?.pick.skew).toBe(2);
  });

  it('lists every problem at once, each naming its key', () => {
    const problems = problemsOf({
      version: 1,
      steps: {
        'app.users': {
          rows: 100,
          columns: {
            id: { uuid: 'v7' },
            age: { int: [90, 10] },
            score: { number: [0, 1], skew: -2 },
            kind: { choice: ['a', 'b', 'c'], weights: [1, 2] },
            nick: { frobnicate: true },
          },
        },
        'app.posts': {
          rows: 10,
          parents: { author: { table: 'app.users' } },
          columns: { author_id: { ref: 'writer.id' }, body: { sql: '{unknown_value} || {param:missing}' } },
        },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^steps\."app\.users"\.columns\.id: a v7 uuid needs "time"/),
        expect.stringMatching(/^steps\."app\.users"\.columns\.age\.int: /),
        expect.stringMatching(/^steps\."app\.users"\.columns\.score\.skew: /),
        expect.stringMatching(/^steps\."app\.users"\.columns\.kind\.weights: 2 weights for 3 choices/),
        expect.stringMatching(/^steps\."app\.users"\.columns\.nick: unknown value kind/),
        expect.stringMatching(/^steps\."app\.posts"\.columns\.author_id\.ref: no parent aliased "writer"/),
        expect.stringMatching(/^steps\."app\.posts"\.columns\.body: \{unknown_value\}: no value named "unknown_value"/),
        expect.stringMatching(/^steps\."app\.posts"\.columns\.body: \{param:missing\}: no parameter named "missing"/),
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it('rejects a cycle between values, a later parent step, and a count no child makes', () => {
    const problems = problemsOf({
      version: 1,
      steps: {
        first: {
          rows: 5,
          parents: { next: { step: 'second' } },
          let: { a: { sql: '{b} + 1' }, b: { sql: '{a} + 1' } },
          columns: { n: { count: 'second' }, x: { sql: '{a}' } },
        },
        second: { rows: 5, columns: { y: { int: [0, 9] } } },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^steps\.first\.parents\.next\.step: no earlier step named "second"/),
        expect.stringMatching(/^steps\.first: values depend on each other in a cycle: (a -> b -> a|b -> a -> b)/),
        expect.stringMatching(/^steps\.first\.columns\.n\.count: second must pick exactly one parent from this step/),
      ]),
    );
  });

  it('needs rows, except for a fan-out counted by a parent value; {k} only in a fan-out', () => {
    const problems = problemsOf({
      version: 1,
      steps: {
        orders: { columns: { id: { sql: '{k}' } } },
      },
    });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^steps\.orders\.rows: rows are required/), expect.stringMatching(/^steps\.orders\.columns\.id: \{k\}/)]));
    const fanOut = parseRecipe(
      {
        version: 1,
        steps: {
          orders: { rows: 10, let: { lines: { int: [1, 3] } }, columns: { id: { sql: '{i}' } } },
          lines: { parents: { order: { table: 'orders' } }, each: { parent: 'order', count: 'lines' }, columns: { order_id: { ref: 'order.id' }, n: { sql: '{k}' } } },
        },
      },
      file,
    );
    const lines = fanOut.steps[1];
    expect(lines?.kind === 'table' && lines.rows).toBe(null);
  });

  it('SQL steps see only scalar placeholders; "then" needs triggers off', () => {
    const problems = problemsOf({
      version: 1,
      steps: {
        t: { rows: 1, load: { then: [{ sql: 'select 1' }] }, columns: { a: { const: 1 } } },
        s: { sql: 'select {i}, {rows}, {rows:t}, {seed}, {anchor}' },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^steps\.t\.load\.then: "then" re-derives what skipped triggers maintain/),
        expect.stringMatching(/^steps\.s\.sql: \{i\}: only a table step's values/),
        expect.stringMatching(/^steps\.s\.sql: \{rows\}: a SQL step has no rows of its own/),
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('rejects an unknown top-level key and a wrong version', () => {
    const problems = problemsOf({ version: 2, steps: {}, extra: true });
    expect(problems.some((problem) => problem.startsWith('version:'))).toBe(true);
    expect(problems.some((problem) => problem.includes('extra'))).toBe(true);
  });
});

describe('loadRecipe', () => {
  it('is null for a project without a recipe, and names the file of one that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-recipe-'));
    expect(loadRecipe(join(dir, 'missing.json'))).toBeNull();
    writeFileSync(join(dir, 'broken.json'), '{ "version": 1, ');
    expect(() => loadRecipe(join(dir, 'broken.json'))).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'recipe_invalid', file: join(dir, 'broken.json') }) }));
  });

  it("this project's recipe and the shop fixture's are valid", () => {
    expect(loadRecipe(resolve(import.meta.dirname, '../data/recipe.json'))?.steps.length).toBeGreaterThan(10);
    expect(loadRecipe(resolve(import.meta.dirname, '../fixtures/projects/shop-bench/recipe.json'))?.steps.length).toBe(6);
  });
});
