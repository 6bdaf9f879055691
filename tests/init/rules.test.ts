/**
 * Observed outcomes to rules: a class is allowed, refused or mixed; the
 * allowed classes name the rule; anything the owner cannot explain becomes
 * the failing placeholder, never a rule that would pass.
 */
import { describe, expect, it } from 'vitest';
import { classVerdicts, refusalSqlstates, ruleFor, updateRuleFor } from '../../src/init/index.ts';

const rule = (observed: Record<string, string[]>, ownerColumn: string | null = 'user_id', subject = true, operation: 'select' | 'insert' | 'update' | 'delete' = 'select') =>
  ruleFor(classVerdicts(observed, operation), ownerColumn, subject).rule;

describe('observed outcomes to rules', () => {
  it('own rows only: own; every class: all; nothing: none; rows without an owner: owner_null', () => {
    expect(rule({ own: ['visible'], other: ['hidden'], anonymous: ['hidden'] })).toBe('own');
    expect(rule({ own: ['visible'], other: ['visible'] })).toBe('all');
    expect(rule({ own: ['denied'], other: ['zero rows'] })).toBe('none');
    expect(rule({ other: ['denied'], anonymous: ['allowed'] }, 'user_id', false, 'insert')).toBe('owner_null');
    expect(rule({ any: ['visible'] }, null)).toBe('all');
    expect(rule({ any: ['error 42501'] }, null)).toBe('none');
  });

  it('a row visible in one world and hidden in another depends on more than its owner: the failing placeholder, with a note', () => {
    const drafted = ruleFor(classVerdicts({ own: ['visible'], other: ['hidden', 'visible'] }, 'select'), 'user_id', true);
    expect(drafted.rule).toEqual({ where: 'false' });
    expect(drafted.note).toBeDefined();
    expect(rule({ any: ['partly visible'] }, null)).toEqual({ where: 'false' });
  });

  it('classes no built-in rule covers are written over the owner column', () => {
    expect(rule({ own: ['allowed'], other: ['denied'], anonymous: ['allowed'] }, 'user_id', true, 'insert')).toEqual({ where: 'row."user_id" = auth.uid() or row."user_id" is null' });
  });

  it('nothing observed: none, with a note saying so', () => {
    const drafted = ruleFor(classVerdicts({ own: ['move_to_other: denied'] }, 'update'), 'user_id', true);
    expect(drafted).toMatchObject({ rule: 'none' });
    expect(drafted.note).toBeDefined();
  });

  it('only plain variants and new rows count; owner moves and blind statements do not', () => {
    expect(rule({ own: ['allowed', 'move_to_other: allowed'], other: ['zero rows', 'reparent_new_mine: allowed'], mixed: ['all_rows: allowed'] }, 'user_id', true, 'update')).toBe('own');
    expect(rule({ own: ['initial: allowed', 'non_initial: denied'], other: ['initial: denied'] }, 'user_id', true, 'insert')).toEqual({ where: 'false' });
  });

  it('a DELETE stopped by a foreign key reached the row: allowed', () => {
    expect(rule({ any: ['error 23503', 'allowed'] }, null, true, 'delete')).toBe('all');
    expect(rule({ any: ['error 23503', 'allowed'] }, null, true, 'update')).toEqual({ where: 'false' });
  });

  it('refusals other than 42501 are collected for the note', () => {
    expect(refusalSqlstates({ own: ['error PV002', 'denied'], other: ['touch: error 23514'] }, 'update', false)).toEqual(['23514', 'PV002']);
    expect(refusalSqlstates({ any: ['error 55000'] }, 'update', true)).toEqual([]);
    expect(refusalSqlstates({ any: ['error 23503'] }, 'delete', false)).toEqual([]);
  });

  it('UPDATE on every row but never to another owner: the owner stays; moves sometimes allowed: the placeholder', () => {
    expect(updateRuleFor({ own: ['allowed', 'move_to_other: denied'], other: ['allowed', 'move_to_caller: denied'] }, 'user_id', true).rule).toEqual({
      where: 'row."user_id" is not distinct from old."user_id"',
    });
    expect(updateRuleFor({ own: ['allowed', 'move_to_other: allowed'], other: ['allowed', 'move_to_caller: allowed'] }, 'user_id', true).rule).toBe('all');
    expect(updateRuleFor({ own: ['allowed', 'move_to_other: allowed'], other: ['allowed', 'move_to_caller: denied'] }, 'user_id', true).rule).toEqual({ where: 'false' });
    expect(updateRuleFor({ own: ['allowed', 'move_to_other: denied'], other: ['zero rows'] }, 'user_id', true).rule).toBe('own');
  });
});
