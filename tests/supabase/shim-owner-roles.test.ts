/**
 * A non-superuser on a server schemaproof did not start must be a member of
 * every role the shim makes an owner (privileges.ts checks shimOwnerRoles
 * before anything runs). The list is kept by hand; this reads the shim and
 * fails when the shim hands ownership to a role the list misses.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shimFile, shimOwnerRoles } from '../../src/postgres/index.ts';

/** Role names after `owner to` / `authorization` in SQL text, comments removed. */
export function ownerRolesIn(text: string): string[] {
  const code = text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  return [...new Set([...code.matchAll(/\b(?:owner\s+to|authorization)\s+"?([a-z_][a-z0-9_]*)"?/gi)].map((match) => match[1]!.toLowerCase()))].sort();
}

describe('shim owner roles', () => {
  it('lists every role the shim makes an owner', () => {
    const owners = ownerRolesIn(readFileSync(shimFile, 'utf8'));
    expect(owners.length).toBeGreaterThan(0);
    expect(owners.filter((role) => !shimOwnerRoles.includes(role))).toEqual([]);
  });

  it('finds a role the list would miss', () => {
    expect(ownerRolesIn('create schema x authorization some_new_admin;\nalter table x.t owner to supabase_admin; -- owner to ignored_in_comment')).toEqual(['some_new_admin', 'supabase_admin']);
  });
});
