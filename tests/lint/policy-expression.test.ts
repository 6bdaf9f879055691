import { describe, expect, it } from 'vitest';
import { findUnwrappedCalls } from '../../src/lint/index.ts';

const functions = ['auth.uid', 'auth.jwt', 'private.is_admin', 'current_setting'];
const names = (expression: string): string[] => findUnwrappedCalls(expression, functions).map((call) => call.name);

describe('findUnwrappedCalls (deparsed policy expressions)', () => {
  it('a bare call is unwrapped; ( SELECT f() AS f) is wrapped', () => {
    expect(names('(user_id = auth.uid())')).toEqual(['auth.uid']);
    expect(names('(user_id = ( SELECT auth.uid() AS uid))')).toEqual([]);
    expect(names('( SELECT private.is_admin() AS is_admin)')).toEqual([]);
  });

  it('an expression over the call inside a FROM-less SELECT is wrapped', () => {
    expect(names("(( SELECT ((auth.jwt() -> 'app_metadata'::text) ->> 'role'::text)) = 'admin'::text)")).toEqual([]);
  });

  it('a call inside a subquery with its own FROM runs per row of it: unwrapped', () => {
    expect(names('(EXISTS ( SELECT 1\n   FROM public.t t2\n  WHERE ((t2.user_id = auth.uid()) AND (t2.id = t.id))))')).toEqual(['auth.uid']);
    expect(names('(EXISTS ( SELECT 1 FROM public.t t2 WHERE (t2.user_id = ( SELECT auth.uid() AS uid))))')).toEqual([]);
  });

  it('FROM inside EXTRACT(... FROM ...) does not make the SELECT a FROM subquery', () => {
    expect(names("(( SELECT EXTRACT(epoch FROM auth.jwt() ->> 'exp'::text)) > 0::numeric)")).toEqual([]);
  });

  it('ignores names in string literals and other functions with a common prefix', () => {
    expect(names("(note = 'auth.uid()'::text)")).toEqual([]);
    expect(names('(user_id = auth.uid_v2())')).toEqual([]);
    expect(names("(current_setting('app.tenant'::text) = tenant)")).toEqual(['current_setting']);
  });
});
