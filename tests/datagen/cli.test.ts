/**
 * `schemaproof bench` with a broken data recipe: exit 6 before any Postgres
 * starts, the message naming the recipe file and the key.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bin = resolve(import.meta.dirname, '../../bin/schemaproof.js');

describe('bench with an invalid recipe', () => {
  it('exits 6 naming the recipe and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-recipe-cli-'));
    try {
      writeFileSync(join(dir, 'schemaproof.config.json'), JSON.stringify({ dataRecipe: 'data.json', queryCatalogue: resolve(import.meta.dirname, '../plans/catalogue.json') }));
      writeFileSync(join(dir, 'data.json'), JSON.stringify({ version: 1, steps: { 'app.users': { rows: 10, columns: { age: { int: [9, 1] } } } } }));
      const result = spawnSync(process.execPath, [bin, 'bench', '--config', join(dir, 'schemaproof.config.json')], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
      expect(result.status).toBe(6);
      expect(result.stderr).toContain('error[recipe_invalid]');
      expect(result.stderr).toContain(join(dir, 'data.json'));
      expect(result.stderr).toContain('steps."app.users".columns.age.int');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
