/**
 * The update's text edit: new relations go after the last one, and every
 * other byte of the file stays as it was, however it was formatted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertRelations, refuseOverwrite, renderJson } from '../../src/init/index.ts';
import { isSchemaproofError } from '../../src/errors/index.ts';

const rules = { anon: { select: 'none', insert: 'none', update: 'none', delete: 'none' } };

describe('the draft as text', () => {
  it('inserts after the last relation and leaves the rest byte for byte, odd formatting included', () => {
    const text = '{\n\t"version": 1,   "exposedSchemas":["public"],\n\t"relations": {\n\t\t"a": {"kind":"table","ownerColumn":null,\n"rules": {}}\n\t},\n\t"description": "x"\n}';
    const updated = insertRelations(text, [{ name: 'b', value: { kind: 'table', ownerColumn: null, reviewed: false, rules } }], { setVersion2: true });
    const insertedAt = text.indexOf('"rules": {}}') + '"rules": {}}'.length;
    expect(updated.slice(0, insertedAt)).toBe(text.slice(0, insertedAt).replace('"version": 1', '"version": 2'));
    expect(updated.endsWith(text.slice(insertedAt))).toBe(true);
    expect(JSON.parse(updated).relations.b).toEqual({ kind: 'table', ownerColumn: null, reviewed: false, rules });
    expect(JSON.parse(updated).version).toBe(2);
  });

  it('an empty relations object gets its first entry; no addition changes nothing', () => {
    const text = '{ "version": 2, "exposedSchemas": ["public"], "relations": {} }\n';
    expect(JSON.parse(insertRelations(text, [{ name: 'b', value: { kind: 'view' } }], { setVersion2: false })).relations).toEqual({ b: { kind: 'view' } });
    expect(insertRelations(text, [], { setVersion2: true })).toBe(text);
  });

  it("a new file puts each actor's four rules on one line", () => {
    const text = renderJson({ relations: { a: { kind: 'table', rules } } });
    expect(text).toContain('"anon": { "select": "none", "insert": "none", "update": "none", "delete": "none" }');
    expect(JSON.parse(text)).toEqual({ relations: { a: { kind: 'table', rules } } });
  });

  it('an existing spec is not overwritten without --update: access_spec_exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemaproof-init-'));
    try {
      const file = join(dir, 'access-spec.json');
      expect(() => refuseOverwrite(file, { update: false })).not.toThrow();
      writeFileSync(file, '{}');
      const failure = (() => {
        try {
          refuseOverwrite(file, { update: false });
          return null;
        } catch (error) {
          return error;
        }
      })();
      expect(isSchemaproofError(failure) && failure.code).toBe('access_spec_exists');
      expect(() => refuseOverwrite(file, { update: true })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
